"""Chunks per second over Chat Completions: responses_client, openai-python, a hand loop.

    python bench/chat_throughput.py [--json PATH]

One streamed chat completion of 20,000 text chunks (plus the role, finish and usage chunks
and ``data: [DONE]``), in the shape OpenAI sends (each chunk with a choice padded with
``obfuscation``, 1 to 16 random characters, as the API does unless the request turns it
off; vLLM, llama.cpp and Ollama send the same chunks without it), is replayed by a server in another
process over a real loopback socket, **one HTTP chunk per SSE event**, as servers that
flush each chunk frame it (vLLM, llama.cpp, Ollama, the API). Every client reads the
identical bytes:

- **responses_client**: ``convo.stream()`` over ``transport="chat"``: the SSE decoder,
  the chunk folder turning each chunk into the Responses events (``output_text.delta`` and
  the rest), the turn fold, the caller's ``async for``;
- **openai-python**: ``AsyncOpenAI().chat.completions.create(stream=True)`` and
  ``async for`` over its chunks;
- **httpx + validate_json**: what a careful hand-written client does: raw httpx streaming,
  lines split by hand, each ``data:`` line validated into openai-python's
  ``ChatCompletionChunk`` with pydantic's ``model_validate_json``, through one async
  generator to an ``async for``. It hands over chunks, not Responses events: no folding.

The rate is wire chunks per second for every client (ours yields a few more events than
there are chunks). The clock runs from sending the request to the last event; the clients
take turns, several rounds after a warm-up, each round starting one client later
(``_common.rotated``), and each figure is the median with its range.

The chunk folder's hot path (``_chat_stream._SameFrame`` and ``ChunkFolder._text_event``)
names this script.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import string
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

if str(Path(__file__).resolve().parent.parent) not in sys.path:  # run as a script: --serve
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import BENCH, QUICK, ROOT, Goal, Spread, print_goals, rotated, run_benchmark

N = 5_000 if QUICK else 20_000
WARM = 500
ROUNDS = 2 if QUICK else 5
PROMPT = "Tell me a long story."
_WORDS = (" the", " quick", " brown", " fox", " jumps", " over", " a", " lazy", " dog,", " and")

Runner = Callable[[str], Awaitable[tuple[int, float]]]


# -- the replay server --------------------------------------------------------------


def chunks(n: int) -> list[dict[str, Any]]:
    """The chunks of one streamed completion with ``n`` text pieces, as OpenAI writes them."""
    base = {
        "id": "chatcmpl-bench0123456789",
        "object": "chat.completion.chunk",
        "created": 1_760_000_000,
        "model": "gpt-4.1",
        "service_tier": "default",
        "system_fingerprint": "fp_bench",
    }

    padding = random.Random(n)
    letters = string.ascii_letters + string.digits

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        obfuscation = "".join(padding.choices(letters, k=padding.randint(1, 16)))
        return {**base, "choices": [choice], "usage": None, "obfuscation": obfuscation}

    usage = {"prompt_tokens": 12, "completion_tokens": n, "total_tokens": n + 12}
    return [
        chunk({"role": "assistant", "content": "", "refusal": None}),
        *(chunk({"content": _WORDS[i % len(_WORDS)]}) for i in range(n)),
        chunk({}, "stop"),
        {**base, "choices": [], "usage": usage},
    ]


def framed(n: int) -> bytes:
    """The stream as an HTTP/1.1 chunked body, one chunk per SSE event."""
    from bench._wire import chunked

    events = [
        b"data: " + json.dumps(c, separators=(",", ":")).encode() + b"\n\n" for c in chunks(n)
    ]
    return chunked([*events, b"data: [DONE]\n\n"])


async def _serve(n: int) -> None:
    bodies = {b"big": framed(n), b"warm": framed(WARM)}
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
        b"transfer-encoding: chunked\r\n\r\n"
    )

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in request.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                path = request.split(b" ", 2)[1]
                writer.write(head + bodies[path.split(b"/")[1]])
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


@contextmanager
def chat_server(n: int) -> Iterator[int]:
    """The replay server in its own process; yields its port."""
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "chat_throughput.py"), "--serve", str(n)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the replay server did not start")
        yield int(line)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- the clients ----------------------------------------------------------------------


async def run_ours(base_url: str) -> tuple[int, float]:
    from responses_client import Client

    async with Client(base_url=base_url, api_key="sk-bench", max_retries=0) as client:
        convo = client.conversation(model="gpt-4.1", transport="chat")
        deltas = 0
        start = time.perf_counter()
        async for event in convo.stream(PROMPT):
            if event.type == "response.output_text.delta":
                deltas += 1
        seconds = time.perf_counter() - start
    return deltas + 3, seconds  # the role, finish and usage chunks fold into other events


async def run_openai(base_url: str) -> tuple[int, float]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)
    try:
        count = 0
        start = time.perf_counter()
        stream = await client.chat.completions.create(
            model="gpt-4.1",
            messages=[{"role": "user", "content": PROMPT}],
            stream=True,
            stream_options={"include_usage": True},
        )
        async for _chunk in stream:
            count += 1
        return count, time.perf_counter() - start
    finally:
        await client.close()


async def _validated(response: httpx.Response) -> AsyncIterator[Any]:
    from openai.types.chat import ChatCompletionChunk

    validate = ChatCompletionChunk.model_validate_json
    rest = b""
    async for piece in response.aiter_bytes():
        lines = (rest + piece).split(b"\n")
        rest = lines.pop()
        for line in lines:
            if line.startswith(b"data: ") and line != b"data: [DONE]":
                yield validate(line[6:])


async def run_hand_loop(base_url: str) -> tuple[int, float]:
    body = {
        "model": "gpt-4.1",
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}
    async with httpx.AsyncClient() as http:
        count = 0
        start = time.perf_counter()
        async with http.stream(
            "POST", base_url + "/chat/completions", content=json.dumps(body), headers=headers
        ) as response:
            async for _chunk in _validated(response):
                count += 1
        return count, time.perf_counter() - start


CLIENTS: dict[str, Runner] = {
    "responses_client": run_ours,
    "openai-python": run_openai,
    "httpx + validate_json": run_hand_loop,
}


async def _measure(port: int) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {name: [] for name in CLIENTS}
    for run in CLIENTS.values():  # warm-up: imports, schema builds, connection code
        await run(f"http://127.0.0.1:{port}/warm/v1")
    expected = N + 3
    for round_ in range(ROUNDS):
        for name, run in rotated(CLIENTS, round_):
            gc.collect()
            count, seconds = await run(f"http://127.0.0.1:{port}/big/v1")
            if count != expected:
                raise AssertionError(f"{name} saw {count} chunks, expected {expected}")
            rates[name].append(expected / seconds)
    return rates


def results() -> dict[str, Any]:
    with chat_server(N) as port:
        rates = asyncio.run(_measure(port))
    spreads = {name: Spread.of(values) for name, values in rates.items()}
    ours = spreads["responses_client"].median
    vs_openai = ours / spreads["openai-python"].median
    vs_hand = ours / spreads["httpx + validate_json"].median
    return {
        "benchmark": "chat_throughput",
        "unit": "chunks/s",
        "chunks": N + 3,
        "clients": spreads,
        "goals": [
            Goal("chat: responses_client / openai-python", vs_openai, ">= 3x", vs_openai >= 3),
            Goal(
                "chat: responses_client / httpx + validate_json",
                vs_hand,
                ">= 0.9x",
                vs_hand >= 0.9,
            ),
        ],
    }


def report(data: dict[str, Any]) -> None:
    print(f"Chat Completions throughput, {data['chunks']:,} chunks, one per HTTP chunk:")
    for name, spread in data["clients"].items():
        print(f"    {name:24s} {spread.text()}")
    print_goals(data)


def main() -> None:
    if "--serve" in sys.argv:
        asyncio.run(_serve(int(sys.argv[sys.argv.index("--serve") + 1])))
        return
    run_benchmark(results, report)


if __name__ == "__main__":
    main()
