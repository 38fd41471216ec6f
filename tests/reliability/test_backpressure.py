"""Backpressure and fairness.

- A slow consumer does not make the SDK buffer a response: over SSE the transport reads the
  socket only when the consumer pulls the next event, so what it holds is one read chunk
  (httpx reads at most 64 KiB at a time) plus one partial message (bounded by the
  decoder's ``max_message_size``).
- A fast server cannot starve the event loop: the SSE transport yields to other tasks at
  least every 64 events, even when every byte is already buffered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel
import httpx
import pytest
from websockets.protocol import State

from responses_client import Client, Conversation
from responses_client._transports.websocket import WebSocketTransport
from responses_client.emulator import Emulator, Reply, ScriptedModel

from ._support import KEY, FaultyHTTP, sse_transport, ws_transport

pytestmark = pytest.mark.anyio


class CountingBody(httpx.AsyncByteStream):
    """An endless SSE body made on demand, one message per chunk, counting what was pulled."""

    def __init__(self, head: list[bytes], repeated: bytes) -> None:
        self.head = head
        self.repeated = repeated
        self.pulled = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.head:
            self.pulled += 1
            yield chunk
        while True:
            self.pulled += 1
            yield self.repeated

    async def aclose(self) -> None:
        self.closed = True


async def sse_messages(emulator: Emulator, reply: Reply) -> list[bytes]:
    emulator.model = ScriptedModel([reply])
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{emulator.base_url}/responses",
            json={"model": "gpt-4.1", "input": "Hi", "stream": True},
            headers={"Authorization": f"Bearer {KEY}"},
        )
    return [message + b"\n\n" for message in answer.content.split(b"\n\n") if message]


async def test_a_slow_consumer_makes_the_transport_read_only_what_it_pulls(
    emulator: Emulator, client: Client, faulty: FaultyHTTP
) -> None:
    messages = await sse_messages(emulator, Reply(text=["a", "b"]))
    delta = next(m for m in messages if b"response.output_text.delta" in m)
    head = messages[: messages.index(delta)]
    body = CountingBody(head, delta)
    faulty.faults.append(
        httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)
    )
    async with client.conversation(transport=sse_transport(client)) as convo:
        async with convo.stream("Hi") as events:
            pulled = 0
            async for _ in events:
                pulled += 1
                # The server side of this body is endless: only pulling drives it.
                assert body.pulled <= pulled + 1
                if pulled == 500:
                    break
    assert body.closed, "leaving the stream closed the body"
    assert body.pulled <= 501


async def consume_beside_a_ticker(convo: Conversation) -> tuple[int, int, int]:
    """Run a turn while another task counts its own turns on the loop.

    Returns the events consumed, the other task's ticks, and the longest run of events the
    consumer got in a row without the other task running in between.
    """
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.lowlevel.checkpoint()

    longest = 0
    async with anyio.create_task_group() as group:
        group.start_soon(ticker)
        run, last_ticks, count = 0, ticks, 0
        async with convo.stream("Hi") as events:
            async for _ in events:
                count += 1
                if ticks == last_ticks:
                    run += 1
                    longest = max(longest, run)
                else:
                    run, last_ticks = 0, ticks
        group.cancel_scope.cancel()
    return count, ticks, longest


async def test_a_fast_sse_stream_lets_other_tasks_run(emulator: Emulator, client: Client) -> None:
    events_total = 5000
    emulator.model = ScriptedModel([Reply(text=["x"] * events_total)])
    async with client.conversation(transport=sse_transport(client)) as convo:
        count, ticks, longest = await consume_beside_a_ticker(convo)
    assert count > events_total
    assert ticks > count // 64
    assert longest <= 64, f"{longest} events in a row without letting another task run"


async def test_a_slow_websocket_consumer_pauses_reading_at_max_queue(emulator: Emulator) -> None:
    """The connection stops reading the socket once ``max_queue`` messages wait unread.

    The server then cannot finish sending a response far larger than the socket buffers:
    the client holds at most ``max_queue`` frames plus one socket read (the rest waits in
    the kernel and, beyond that, in the server).
    """
    deltas = 30_000
    emulator.model = ScriptedModel([Reply(text=["x" * 40] * deltas)])
    async with Client(base_url=emulator.base_url, api_key=KEY) as client:
        transport = WebSocketTransport(client._config, max_queue=16)
        async with client.conversation(transport=transport) as convo:
            async with convo.stream("Hi") as events:
                async for _ in events:
                    break
                ws = transport._ws
                assert ws is not None
                # Let the loop run I/O (no sleep): reading must pause, not buffer it all.
                for _ in range(20_000):
                    if ws.reading_paused:
                        break
                    await anyio.lowlevel.checkpoint()
                assert ws.reading_paused, "the connection kept reading for a consumer that does not"
                queued = len(ws.messages)
                # One socket read (at most 256 KiB) may overshoot the high-water mark.
                assert 16 <= queued <= 16 + 256 * 1024 // 100
                assert emulator.responses[-1].status == "in_progress"
            # Leaving sent response.cancel; closing does not wait behind the paused reader
            # (the close is shielded from cancellation, so time it rather than bound it).
            started = anyio.current_time()
            await convo.aclose()
            assert anyio.current_time() - started < 1.0
        assert not transport.connected


async def test_a_paused_websocket_reader_resumes_as_the_consumer_catches_up(
    emulator: Emulator,
) -> None:
    """Reading pauses at ``max_queue`` and resumes once the queue drains: nothing is lost."""
    deltas = 5_000
    emulator.model = ScriptedModel([Reply(text=["y" * 40] * deltas)])
    async with Client(base_url=emulator.base_url, api_key=KEY) as client:
        transport = WebSocketTransport(client._config, max_queue=16)
        async with client.conversation(transport=transport) as convo:
            pauses = 0
            text_deltas = 0
            async with convo.stream("Hi") as events:
                async for event in events:
                    ws = transport._ws
                    assert ws is not None
                    # Let the loop run I/O until reading pauses (or the response is all in).
                    for _ in range(200):
                        if ws.reading_paused or ws.protocol.state is not State.OPEN:
                            break
                        await anyio.lowlevel.checkpoint()
                    pauses += ws.reading_paused
                    assert len(ws.messages) <= 16 + 256 * 1024 // 100
                    text_deltas += event.type == "response.output_text.delta"
            assert event.type == "response.completed"
            assert text_deltas == deltas
            assert pauses > 0


async def test_a_fast_websocket_stream_lets_other_tasks_run(emulator: Emulator) -> None:
    events_total = 5000
    emulator.model = ScriptedModel(["warm"])
    async with Client(base_url=emulator.base_url, api_key=KEY) as client:
        async with client.conversation(transport=ws_transport(client)) as convo:
            await convo.send("warm up")  # connect first: only the stream is measured
            emulator.model = ScriptedModel([Reply(text=["x"] * events_total)])
            count, _, longest = await consume_beside_a_ticker(convo)
    assert count > events_total
    assert longest <= 64, f"{longest} events in a row without letting another task run"
