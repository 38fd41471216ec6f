"""Forty conversations on lanes of one pool, side by side: concurrent turns with tool calls
and interrupts, a shared connection dropped mid-turn, the server's limits kept.

Each conversation's history must equal the history of the same conversation run alone on
a connection of its own. The emulator's ``DefaultModel`` answers from each request's own
input (it calls ``get_weather`` when asked about the weather, and quotes the user
otherwise), so replies do not depend on which conversation the server served first; a
small delay between events makes the lanes' responses interleave on the wire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import anyio
import pytest

from responses_client import Client, Conversation, tool
from responses_client.emulator import DefaultModel, Emulator, ModelRequest, Reply
from responses_client.events import OutputTextDeltaEvent

pytestmark = pytest.mark.anyio

CONVERSATIONS = 40


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"sunny in {city}"


class Slow:
    """``DefaultModel``'s answers, with a pause between events so that lanes interleave."""

    def __init__(self, delay: float = 0.002) -> None:
        self.delay = delay
        self.inner = DefaultModel()

    def reply(self, request: ModelRequest) -> Reply:
        return replace(self.inner.reply(request), delay=self.delay)


def stripped(convo: Conversation) -> list[dict[str, Any]]:
    """The history without the ids the server makes (they differ between runs)."""
    return [
        {k: v for k, v in item.to_wire().items() if k not in ("id", "call_id")}
        for item in convo.items
    ]


Hook = Callable[[int], Awaitable[None]]


async def scenario(convo: Conversation, index: int, on_delta: Hook | None = None) -> None:
    """Four turns: a greeting, a tool round, an interrupted reply (some), a goodbye."""
    await convo.send(f"Hello from conversation {index}.")
    city = f"City{index}"
    result = await convo.send(f"What is the weather in {city}?")
    assert result.text == f"The get_weather tool says: sunny in {city}"
    if index % 3 == 0:
        async with convo.stream(f"Tell me a long story, number {index}.") as events:
            async for event in events:
                if isinstance(event, OutputTextDeltaEvent):
                    await convo.interrupt()
        assert events.result.status == "interrupted"
    if on_delta is not None:
        async with convo.stream(f"Goodbye from {index}.") as events:
            async for event in events:
                if isinstance(event, OutputTextDeltaEvent):
                    await on_delta(index)
    else:
        await convo.send(f"Goodbye from {index}.")


async def alone(client: Client, index: int) -> list[dict[str, Any]]:
    async with client.conversation(tools=[get_weather], transport="websocket") as convo:
        await scenario(convo, index)
        return stripped(convo)


def check_limits(emulator: Emulator) -> None:
    for record in emulator.connections:
        assert record.peak_active <= 16
        assert len(record.stream_ids) <= 32
    assert all(r.status != "error" for r in emulator.responses)


async def test_forty_conversations_on_one_pool_keep_the_histories_they_have_alone(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = Slow()
    pool = client.connection()
    histories: dict[int, list[dict[str, Any]]] = {}

    async def run(index: int) -> None:
        async with client.conversation(tools=[get_weather], connection=pool) as convo:
            await scenario(convo, index)
            histories[index] = stripped(convo)

    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            for index in range(CONVERSATIONS):
                group.start_soon(run, index)
    assert pool.connections == 3  # 40 lanes, 16 per connection
    lane_connections = len(emulator.connections)
    assert lane_connections == 3
    check_limits(emulator)
    cancelled = [r for r in emulator.responses if r.status == "cancelled"]
    assert len(cancelled) == len(range(0, CONVERSATIONS, 3))
    assert all(r.stream_id is not None for r in emulator.responses)
    emulator.model = DefaultModel()
    for index in range(CONVERSATIONS):
        assert histories[index] == await alone(client, index), index


async def test_a_shared_connection_dropped_mid_turn_leaves_every_history_exactly_once(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = Slow(delay=0.005)
    pool = client.connection()
    count = 10
    streaming = 0
    all_streaming = anyio.Event()
    dropped = anyio.Event()
    histories: dict[int, list[dict[str, Any]]] = {}

    async def on_delta(index: int) -> None:
        nonlocal streaming
        del index
        if dropped.is_set():
            return
        streaming += 1
        if streaming == count:
            all_streaming.set()
        await dropped.wait()

    async def run(index: int) -> None:
        async with client.conversation(tools=[get_weather], connection=pool) as convo:
            await scenario(convo, index, on_delta)
            histories[index] = stripped(convo)

    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            for index in range(count):
                group.start_soon(run, index)
            await all_streaming.wait()
            assert emulator.drop_connections() == 1
            dropped.set()
    assert pool.connections == 1
    assert len(emulator.connections) == 2
    check_limits(emulator)
    emulator.model = DefaultModel()
    for index in range(count):
        assert histories[index] == await alone(client, index), index
