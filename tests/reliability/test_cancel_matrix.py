"""Cancellation matrix, over SSE, WebSocket and Chat Completions: stop a turn at every event
of every response, four ways.

Ways: ``break`` inside ``async with convo.stream()`` (closes the stream), ``break`` out of a
bare ``async for`` (the stream is parked; the next turn closes it), cancelling the consuming
task's scope, and ``interrupt()``. After each, the history is the history before the turn,
plus its input, plus the rounds that had finished; no tool of the cancelled response ran;
and the next turn sends, streams and answers exactly what a fresh conversation with the
same history does. Also: cancelling before anything was sent, and before
``response.created`` arrived.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import anyio
import pytest

from responses_client import Client, Conversation
from responses_client._transports.websocket import WebSocketTransport
from responses_client.emulator import (
    Emulator,
    HttpStatus,
    ModelRequest,
    Pause,
    Reply,
    ScriptedModel,
)
from responses_client.events import Event
from responses_client.transports import ChatTransport

from ._support import (
    BASE_SCRIPT,
    CHAT_EVENT_COUNTS,
    EVENT_COUNTS,
    KEY,
    RESPONSE_TURN,
    TURNS,
    ToolLog,
    chat_event_ends,
    conversation,
    shared_pool,
    sse_transport,
    stripped,
)
from .conftest import MATRIX_RUNS

pytestmark = pytest.mark.anyio

METHODS = ("async-with", "parked", "task", "interrupt")

# Where each turn's input sits in the fault-free history:
# [u1, a1, u2, call, output, a2, u3, a3]
TURN_START = (0, 2, 6)
REFERENCE_HISTORY = [
    {"type": "message", "role": "user", "content": TURNS[0]},
    None,  # assistant messages: compared by text below
    {"type": "message", "role": "user", "content": TURNS[1]},
    {
        "type": "function_call",
        "call_id": "call_lookup_1",
        "name": "lookup",
        "arguments": '{"q":"x"}',
        "status": "completed",
    },
    {"type": "function_call_output", "call_id": "call_lookup_1", "output": "found x"},
    None,
    {"type": "message", "role": "user", "content": TURNS[2]},
    None,
]


TRANSPORTS = ("sse", "websocket", "chat", "lane")


def pause_after(transport: str, response: int, k: int) -> int | None:
    """Where the server holds back the rest so that the client waits right after event k:
    the index of the next server event (over chat, of the next chunk), or ``None`` when
    event k is not the last one a chunk folds into (the events after it are buffered)."""
    if transport != "chat":
        return k + 1
    ends = chat_event_ends(BASE_SCRIPT[response])[:-1]  # the [DONE] can not be held back
    return ends.index(k + 1) + 1 if k + 1 in ends else None


def cases() -> list[Any]:
    return [
        pytest.param(transport, method, response, k, id=f"{transport}-{method}-r{response}-k{k}")
        for transport in TRANSPORTS
        for response, count in enumerate(CHAT_EVENT_COUNTS if transport == "chat" else EVENT_COUNTS)
        for k in range(count)
        for method in METHODS
        # A task is cancelled while it waits for the next event: after the terminal event
        # there is none to wait for (the other ways cover that point), nor inside the
        # events of one chunk.
        if not (
            method == "task" and (k == count - 1 or pause_after(transport, response, k) is None)
        )
    ]


def script_for(transport: str, response: int, k: int, method: str) -> list[Reply | str]:
    target = BASE_SCRIPT[response]
    if method == "task":
        # The server holds back what follows event k, so the consumer is waiting inside the
        # stream when its task is cancelled (a stream with every event buffered may never
        # wait).
        target = replace(
            target, faults=[Pause(at=pause_after(transport, response, k) or 0, seconds=60)]
        )
    return [*BASE_SCRIPT[:response], target, "After.", "After."]


@pytest.fixture(scope="module")
async def client(emulator: Emulator) -> AsyncIterator[Client]:
    async with Client(base_url=emulator.base_url, api_key=KEY) as client:
        yield client


@dataclass
class Turn:
    types: list[str]
    deltas: str
    text: str
    sent: Any


async def next_turn(emulator: Emulator, convo: Conversation) -> Turn:
    async with convo.stream("Next?") as events:
        seen: list[Event] = [event async for event in events]
    return Turn(
        types=[e.type for e in seen],
        deltas="".join(getattr(e, "delta", "") for e in seen if "text.delta" in e.type),
        text=events.result.text,
        # The server's whole view (over WebSocket a delta resolves through the cache).
        sent=stripped(emulator.responses[-1].resolved_input),
    )


async def cancel_at(convo: Conversation, response: int, k: int, method: str) -> list[str]:
    """Run the script's turns until event ``k`` of ``response``, then stop there."""
    turn = RESPONSE_TURN[response]
    for text in TURNS[:turn]:
        await convo.send(text)
    # The index of the target event among the turn's events.
    seen: list[str] = []
    responses_before = sum(1 for r in range(response) if RESPONSE_TURN[r] == turn)
    created = 0
    target: int | None = None

    def reached(event: Event) -> bool:
        nonlocal created, target
        seen.append(event.type)
        if event.type == "response.created":
            created += 1
            if created == responses_before + 1:
                target = len(seen) - 1 + k
        return target is not None and len(seen) - 1 == target

    stream = convo.stream(TURNS[turn])
    if method == "async-with":
        async with stream as events:
            async for event in events:
                if reached(event):
                    break
    elif method == "parked":
        async for event in stream:
            if reached(event):
                break
        assert not stream.finished  # parked until the next turn closes it
    elif method == "task":
        with anyio.fail_after(10), anyio.CancelScope() as scope:
            async for event in stream:
                if reached(event):
                    scope.cancel()
        assert scope.cancelled_caught
        assert stream.finished
    else:
        async for event in stream:
            if reached(event):
                await convo.interrupt()
                after = len(seen)
        assert len(seen) == after, "no event after interrupt()"
        assert stream.result.status == "interrupted"
    assert target is not None and seen[target] == seen[-1]
    return seen


@pytest.mark.parametrize(("transport", "method", "response", "k"), cases())
async def test_cancel_matrix(
    emulator: Emulator, client: Client, transport: str, method: str, response: int, k: int
) -> None:
    emulator.model = ScriptedModel(script_for(transport, response, k, method))
    log = ToolLog()
    async with conversation(client, transport, log) as convo:
        await cancel_at(convo, response, k, method)
        snapshot = list(convo.items)
        after = await next_turn(emulator, convo)
        assert list(convo.items[: len(snapshot)]) == snapshot
    turn = RESPONSE_TURN[response]
    kept = TURN_START[turn] + 1 + (2 if response == 2 else 0)
    expected = REFERENCE_HISTORY[:kept]
    assert len(snapshot) == kept
    pairs = zip(stripped(snapshot), expected, strict=True)
    assert [have if want is not None else None for have, want in pairs] == expected
    assert log.calls == ([] if response <= 1 else ["x"]), "no tool of a cancelled response ran"
    async with conversation(client, transport, ToolLog(), items=snapshot) as fresh:
        expected_turn = await next_turn(emulator, fresh)
    assert after == expected_turn
    assert after.text == "After."
    MATRIX_RUNS[f"cancel matrix {transport} {method}"] += 1


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_closing_before_iterating_sends_nothing_and_waits_for_no_drain(
    emulator: Emulator, client: Client, transport: str
) -> None:
    emulator.model = ScriptedModel(["First.", "After."])
    start = len(emulator.responses)
    async with conversation(client, transport, ToolLog()) as convo:
        await convo.send("first")
        requests, connections = len(emulator.http_requests), len(emulator.connections)
        responses = len(emulator.responses)
        frames_before = [len(record.frames) for record in emulator.connections]
        lane = emulator.responses[start].stream_id  # a shared connection: our frames only
        stream = convo.stream("never sent")
        await stream.aclose()
        async with convo.stream("never sent either"):
            pass
        assert len(emulator.responses) == responses
        assert len(convo.items) == 2
        # Nothing was sent, so nothing is drained: well under the 5 s drain timeout.
        with anyio.fail_after(1):
            assert (await convo.send("Hi")).text == "After."
    assert len(emulator.responses) == responses + 1
    if transport not in ("websocket", "lane"):
        assert len(emulator.http_requests) == requests + 1
    else:
        assert len(emulator.connections) == connections
        ours = {response.id for response in emulator.responses[start:]}
        sent = [
            frame["type"]
            for record, before in zip(emulator.connections, frames_before, strict=True)
            for frame in record.frames[before:]
            if frame.get("stream_id") == lane or frame.get("response_id") in ours
        ]
        assert sent == ["response.create"], "only the last turn's request: no response.cancel"


class Announcing:
    """A model that reports when a request reached it, then answers from a script."""

    def __init__(self, replies: list[Reply | str]) -> None:
        self.script = ScriptedModel(replies)
        self.asked = anyio.Event()

    def reply(self, request: ModelRequest) -> Reply | HttpStatus:
        self.asked.set()
        return self.script.reply(request)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("method", ["interrupt", "task", "task-async-with"])
async def test_cancel_before_response_created(
    emulator: Emulator, client: Client, method: str, transport: str
) -> None:
    # The server holds back every event: the request is out, nothing came back yet.
    model = Announcing([Reply(text="never", faults=[Pause(at=0, seconds=60)]), "After."])
    emulator.model = model
    if transport == "sse":
        chosen: Any = sse_transport(client)
    elif transport == "chat":
        chosen = ChatTransport(client.http_client, client.config)
    elif transport == "lane":
        # As below; the lane is retired instead of the connection.
        chosen = shared_pool(client, drain_timeout=0.2).transport()
    else:
        # The response's id is unknown, so it cannot be cancelled; the next turn drains it
        # until this (short) drain timeout, then replaces the connection.
        chosen = WebSocketTransport(client.config, drain_timeout=0.2)
    async with client.conversation(transport=chosen) as convo:
        stream = convo.stream("Hi")
        seen: list[str] = []
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                consumer = anyio.CancelScope()

                async def consume() -> None:
                    with consumer:
                        if method == "task-async-with":
                            async with stream as events:
                                async for event in events:
                                    seen.append(event.type)
                        else:
                            async for event in stream:
                                seen.append(event.type)

                group.start_soon(consume)
                await model.asked.wait()
                if method == "interrupt":
                    await convo.interrupt()
                else:
                    consumer.cancel()
            assert seen == []
            assert stream.finished
            assert [stripped(convo.items)] == [
                [{"type": "message", "role": "user", "content": "Hi"}]
            ]
            assert (await convo.send(None)).text == "After."


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_interrupt_on_a_tool_result_sends_no_next_round(
    emulator: Emulator, client: Client, transport: str
) -> None:
    emulator.model = ScriptedModel([BASE_SCRIPT[1], "After."])
    log = ToolLog()
    async with conversation(client, transport, log) as convo:
        before = len(emulator.responses)
        async with convo.stream(TURNS[1]) as events:
            types = []
            async for event in events:
                types.append(event.type)
                if event.type == "client.tool.result":
                    await convo.interrupt()
        assert types[-1] == "client.tool.result"
        assert events.result.status == "interrupted"
        assert len(emulator.responses) - before == 1, "the next round was not sent"
        # The finished round (call and output) stays; the next turn carries it.
        assert [item.type for item in convo.items] == [
            "message",
            "function_call",
            "function_call_output",
        ]
        assert (await convo.send(None)).text == "After."
    assert log.calls == ["x"]
