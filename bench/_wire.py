"""Pre-built Responses streams, and a tiny server that replays them as fast as the socket takes.

The throughput benchmarks measure clients, so the server does no per-event work while a
client reads: every stream is built once at start-up (with the emulator's own event
builder, so the events are the emulator's: lifecycle events, one message item, its text
deltas, ``response.completed`` with the whole output) and written in large slices.

Run as a script it serves on 127.0.0.1 and prints its port on the first line of stdout::

    python bench/_wire.py [N]

Paths (the first segment picks the stream, so ``base_url`` is ``http://127.0.0.1:PORT/big/v1``):

- ``POST /{big|warm}/v1/responses``: the stream as SSE, ``Transfer-Encoding: chunked``,
  64 KiB per chunk.
- ``POST /flushed/v1/responses``: the ``big`` stream with one chunk per event, as a server
  that flushes each event frames it (the emulator, uvicorn, the API).
- ``GET /{big|warm|paced}/v1/responses`` with ``Upgrade: websocket``: after each
  ``response.create`` text frame, the stream's events as text frames. ``paced`` sends one
  event every ``PACE`` seconds with the send time (``time.monotonic_ns()``, which is one
  clock for every process on Linux) stamped into each delta's ``obfuscation`` field.

Only what the benchmarks need of HTTP/1.1 and RFC 6455 is implemented.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import sys
import time
from typing import Any

from responses_client.emulator import Reply
from responses_client.emulator._engine import EventStep, Ids, plan_response

N = 100_000
WARM = 2_000
PACED = 2_000
PACE = 0.002
CHUNK = 64 * 1024
SLICE = 256 * 1024
_WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog,", "and")
_STAMP = "T" * 19  # replaced by a zero-padded monotonic_ns() at send time


def events(n: int, *, stamp: bool = False) -> list[dict[str, Any]]:
    """The events of one response whose message has `n` text deltas."""
    chunks = [" " + _WORDS[i % len(_WORDS)] for i in range(n)]
    body = {"model": "gpt-4.1", "input": "Tell me a long story."}
    resolved = [{"type": "message", "role": "user", "content": "Tell me a long story."}]
    plan = plan_response(
        body=body,
        reply=Reply(text=chunks),
        resolved_input=resolved,
        cached_tokens=0,
        ids=Ids(seed=n),
        now=1_760_000_000.0,
    )
    out = [step.event for step in plan.steps if isinstance(step, EventStep)]
    if stamp:
        for event in out:
            if event["type"] == "response.output_text.delta":
                event["obfuscation"] = _STAMP
    return out


def _dumps(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def sse_blocks(evs: list[dict[str, Any]]) -> list[bytes]:
    """The events as ``text/event-stream`` blocks, framed as the emulator frames them."""
    return [f"event: {e['type']}\ndata: {_dumps(e)}\n\n".encode() for e in evs]


def chunked(pieces: list[bytes]) -> bytes:
    """``pieces`` in HTTP/1.1 chunked transfer coding, one chunk each."""
    parts = [b"%x\r\n%b\r\n" % (len(piece), piece) for piece in pieces]
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


def slices(body: bytes) -> list[bytes]:
    """``body`` cut into ``CHUNK``-sized pieces."""
    return [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]


def ws_frame(payload: bytes, opcode: int = 1) -> bytes:
    """One unmasked, final server frame."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return header + payload


class Streams:
    """Every stream the server replays, built once."""

    def __init__(self, n: int = N) -> None:
        self.counts: dict[str, int] = {}
        self.sse: dict[str, bytes] = {}
        self.ws: dict[str, bytes] = {}
        for name, size in (("big", n), ("warm", WARM)):
            evs = events(size)
            self.counts[name] = len(evs)
            blocks = sse_blocks(evs)
            self.sse[name] = chunked(slices(b"".join(blocks)))
            self.ws[name] = b"".join(ws_frame(_dumps(e).encode()) for e in evs)
            if name == "big":
                self.counts["flushed"] = len(evs)
                self.sse["flushed"] = chunked(blocks)
        paced = events(PACED, stamp=True)
        self.counts["paced"] = len(paced)
        self.paced = [_dumps(e).encode() for e in paced]


_HTTP_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"transfer-encoding: chunked\r\ncache-control: no-cache\r\nx-request-id: req_bench\r\n\r\n"
)
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


async def _write(writer: asyncio.StreamWriter, data: bytes) -> None:
    # Slices keep asyncio's send buffer small (3.11 copies it on every partial send).
    view = memoryview(data)
    for i in range(0, len(view), SLICE):
        writer.write(view[i : i + SLICE])
        await writer.drain()


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first, second = await reader.readexactly(2)
    n = second & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", await reader.readexactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", await reader.readexactly(8))
    mask = await reader.readexactly(4) if second & 0x80 else b"\0\0\0\0"
    data = await reader.readexactly(n)
    if second & 0x80:
        data = bytes(b ^ mask[i & 3] for i, b in enumerate(data))
    return first & 0x0F, data


class Server:
    def __init__(self, streams: Streams) -> None:
        self.streams = streams

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                _, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, _, value = line.partition(":")
                        headers[key.strip().lower()] = value.strip()
                name = path.strip("/").split("/", 1)[0]
                if headers.get("upgrade", "").lower() == "websocket":
                    await self._websocket(name, headers, reader, writer)
                    return
                length = int(headers.get("content-length", "0"))
                if length:
                    await reader.readexactly(length)
                if name not in self.streams.sse:
                    writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                    continue
                writer.write(_HTTP_HEAD)
                await _write(writer, self.streams.sse[name])
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _websocket(
        self,
        name: str,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        accept = base64.b64encode(
            hashlib.sha1(headers["sec-websocket-key"].encode() + _WS_GUID).digest()
        )
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        while True:
            opcode, data = await _read_frame(reader)
            if opcode == 8:
                writer.write(ws_frame(data[:2], 8))
                await writer.drain()
                return
            if opcode == 9:
                writer.write(ws_frame(data, 10))
            elif opcode == 1 and b"response.create" in data:
                if name == "paced":
                    await self._paced(writer)
                else:
                    await _write(writer, self.streams.ws[name])

    async def _paced(self, writer: asyncio.StreamWriter) -> None:
        stamp = _STAMP.encode()
        clock = time.monotonic_ns
        for payload in self.streams.paced:
            await asyncio.sleep(PACE)
            if stamp in payload:
                payload = payload.replace(stamp, b"%019d" % clock())
            writer.write(ws_frame(payload))
        await writer.drain()


async def _serve(n: int) -> None:
    streams = Streams(n)
    server = await asyncio.start_server(Server(streams).handle, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"{port} {json.dumps(streams.counts)}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]) if len(sys.argv) > 1 else N))
