"""The WebSocket transport's own message queue, against a real ``websockets`` server.

The emulator sends one unfragmented text frame per event and never pings; these tests use
a ``websockets`` server on 127.0.0.1 that does what a server may: split a message into
fragments, ping mid-response, close with a code, send a message above ``max_size``, answer
a cancel in a shape of its own.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosedError

from responses_client._config import Config
from responses_client._exceptions import ConnectionClosed
from responses_client._transports.websocket import WebSocketTransport
from responses_client.emulator import Reply
from responses_client.emulator._engine import EventStep, Ids, plan_response

pytestmark = pytest.mark.anyio

BODY = {"model": "gpt-4.1", "input": [{"role": "user", "content": "Hi"}]}
WORDS = ["Frag", "ments ", "arrive ", "whole."]

Handler = Callable[[ServerConnection, list[str]], Awaitable[None]]


def response_frames() -> list[str]:
    """One response's events as the emulator writes them, one JSON text per event."""
    plan = plan_response(
        body=BODY,
        reply=Reply(text=WORDS),
        resolved_input=[{"type": "message", "role": "user", "content": "Hi"}],
        cached_tokens=0,
        ids=Ids(seed=7),
        now=1_760_000_000.0,
    )
    return [json.dumps(step.event) for step in plan.steps if isinstance(step, EventStep)]


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[WebSocketTransport]:
    """A transport connected to a server that answers ``response.create`` with ``handler``."""
    frames = response_frames()

    async def session(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosedError):
            async for message in ws:
                if json.loads(message)["type"] == "response.create":
                    await handler(ws, frames)

    async with serve(session, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        config = Config.resolve(api_key="sk-frames", base_url=f"http://127.0.0.1:{port}/v1")
        transport = WebSocketTransport(config, max_size=4096)
        try:
            yield transport
        finally:
            await transport.aclose()


async def collect(transport: WebSocketTransport) -> list[Any]:
    return [event async for event in transport.stream(BODY)]


async def test_a_fragmented_message_arrives_as_one_event() -> None:
    async def fragmented(ws: ServerConnection, frames: list[str]) -> None:
        for frame in frames:
            third = max(1, len(frame) // 3)
            await ws.send([frame[:third], frame[third : 2 * third], frame[2 * third :]])

    async with serving(fragmented) as transport:
        events = await collect(transport)
        expected = [json.loads(frame)["type"] for frame in response_frames()]
        assert [event.type for event in events] == expected
        deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
        assert deltas == WORDS


async def test_a_ping_mid_response_is_answered_and_the_stream_goes_on() -> None:
    pongs: list[float] = []

    async def pinging(ws: ServerConnection, frames: list[str]) -> None:
        half = len(frames) // 2
        for frame in frames[:half]:
            await ws.send(frame)
        with anyio.fail_after(5):
            pongs.append(await (await ws.ping(b"are-you-there")))
        for frame in frames[half:]:
            await ws.send(frame)

    async with serving(pinging) as transport:
        events = await collect(transport)
        assert events[-1].type == "response.completed"
        assert len(events) == len(response_frames())
        assert len(pongs) == 1


async def test_a_close_frame_mid_response_raises_connection_closed_with_its_code() -> None:
    async def closing(ws: ServerConnection, frames: list[str]) -> None:
        for frame in frames[:3]:
            await ws.send(frame)
        await ws.close(1011, "overloaded")

    async with serving(closing) as transport:
        seen: list[str] = []
        with pytest.raises(ConnectionClosed) as caught:
            async for event in transport.stream(BODY):
                seen.append(event.type)
        assert len(seen) == 3
        assert caught.value.code == 1011
        assert caught.value.reason == "overloaded"
        assert not transport.connected


async def test_a_message_above_max_size_closes_the_connection_with_1009() -> None:
    async def oversized(ws: ServerConnection, frames: list[str]) -> None:
        await ws.send(frames[0])
        await ws.send(json.dumps({"type": "response.output_text.delta", "delta": "x" * 8192}))

    async with serving(oversized) as transport:
        with pytest.raises(ConnectionClosed) as caught:
            await collect(transport)
        assert caught.value.code == 1009
        assert "closed by the client (1009" in str(caught.value)
        assert not transport.connected


async def test_the_handshake_headers_are_dropped_once_connected() -> None:
    async def pinging(ws: ServerConnection, frames: list[str]) -> None:
        await ws.ping()
        for frame in frames:
            await ws.send(frame)

    async with serving(pinging) as transport:
        first = await collect(transport)
        connection = transport._ws
        assert connection is not None
        assert connection.request is None  # it carried the Authorization header
        assert connection.response is not None
        assert (connection.response.status_code, len(connection.response.headers)) == (101, 0)
        second = await collect(transport)  # pings and frames still go where they belong
        assert [e.type for e in second] == [e.type for e in first]
        assert transport._ws is connection and transport.connects == 1


async def test_a_late_cancel_reply_known_only_by_the_id_in_its_message_is_dropped() -> None:
    # The first response ends before the server reads the cancel; this server answers the
    # cancel only after the next response.create arrived, with neither the param nor the
    # code the emulator uses: just a message naming the response.
    creates = 0

    async def late_reply(ws: ServerConnection, frames: list[str]) -> None:
        nonlocal creates
        creates += 1
        if creates == 2:
            response_id = json.loads(frames[0])["response"]["id"]
            error = {"type": "invalid_request_error", "code": None, "param": None}
            error["message"] = f"Response '{response_id}' has already completed."
            await ws.send(json.dumps({"type": "error", "status": 400, "error": error}))
        for frame in frames:
            await ws.send(frame)

    async with serving(late_reply) as transport:
        stream = transport.stream(BODY)
        async for event in stream:
            if event.type == "response.output_text.delta":
                break
        await stream.aclose()
        events = await collect(transport)
        assert [event.type for event in events] == [
            json.loads(frame)["type"] for frame in response_frames()
        ]
        assert creates == 2


async def test_events_after_a_terminal_event_never_reach_the_next_request() -> None:
    # A server bending the protocol: after response.completed it goes on sending events of
    # that response. They must not leak into the next request's stream.
    answered = 0

    async def goes_on(ws: ServerConnection, frames: list[str]) -> None:
        nonlocal answered
        answered += 1
        if answered == 1:
            for frame in frames:
                await ws.send(frame)
            for frame in frames[2:]:  # deltas, item and part events, a second completed
                await ws.send(frame)
        else:
            for frame in frames:
                await ws.send(frame)

    async with serving(goes_on) as transport:
        first = await collect(transport)
        second = await collect(transport)
    texts = [e.delta for e in second if e.type == "response.output_text.delta"]
    assert texts == WORDS  # once each: nothing of the first response's tail
    assert second[0].type == "response.created"
    assert [e.type for e in second].count("response.completed") == 1
    assert first[-1].type == second[-1].type == "response.completed"
