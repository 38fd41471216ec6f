"""WebSocket lanes at the API's limits: valid ``stream_id`` values, 32 named lanes per
connection, 16 active responses per connection (the rest queued), over a real socket."""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.asyncio.client import connect

from responses_client.emulator import Emulator, Pause, Reply, ScriptedModel

from ._wire import TERMINAL, create, read_until, ws_until_terminal

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("bad", ["", "a" * 257, "has space", "slash/no", "é"])
async def test_a_stream_id_outside_the_alphabet_or_length_is_refused(bad: str) -> None:
    async with Emulator(ScriptedModel(["fine"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("x", stream_id=bad))
            error = json.loads(await ws.recv())
            await ws.send(create("y", stream_id="ok"))
            events = await ws_until_terminal(ws)
        assert emu.connections[0].stream_ids == ["ok"]
    assert error["type"] == "error" and error["status"] == 400
    assert (error["error"]["code"], error["error"]["param"]) == ("invalid_stream_id", "stream_id")
    assert error["stream_id"] == bad
    assert events[-1]["type"] == "response.completed"


async def test_stream_ids_of_the_whole_alphabet_and_256_characters_are_lanes() -> None:
    longest = "x" * 256
    async with Emulator(ScriptedModel(["one", "two"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("x", stream_id="Az09_-."))
            first = await ws_until_terminal(ws)
            await ws.send(create("y", stream_id=longest))
            second = await ws_until_terminal(ws)
        assert emu.connections[0].stream_ids == ["Az09_-.", longest]
        assert [r.stream_id for r in emu.responses] == ["Az09_-.", longest]
    assert first[-1]["type"] == second[-1]["type"] == "response.completed"
    assert second[-1]["stream_id"] == longest


async def test_a_33rd_named_lane_is_refused_and_the_others_live_on() -> None:
    async with Emulator() as emu:
        async with connect(emu.websocket_url) as ws:
            for n in range(32):
                await ws.send(create("hi", stream_id=f"lane{n}"))
                assert (await ws_until_terminal(ws))[-1]["type"] == "response.completed"
            await ws.send(create("hi", stream_id="lane32"))
            (refused,) = await ws_until_terminal(ws)
            await ws.send(create("hi", stream_id="lane0"))
            again = await ws_until_terminal(ws)
            await ws.send(create("hi"))
            default = await ws_until_terminal(ws)
        record = emu.connections[0]
        assert record.stream_ids == [f"lane{n}" for n in range(32)]
        # A new connection has a budget of its own.
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi", stream_id="lane32"))
            fresh = await ws_until_terminal(ws)
    assert refused["type"] == "error" and refused["status"] == 400
    assert refused["error"]["code"] == "websocket_stream_limit_reached"
    assert refused["stream_id"] == "lane32"
    assert again[-1]["type"] == default[-1]["type"] == fresh[-1]["type"] == "response.completed"


async def test_the_named_lane_budget_is_settable() -> None:
    async with Emulator(max_stream_ids=1) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi", stream_id="a"))
            await ws_until_terminal(ws)
            await ws.send(create("hi", stream_id="b"))
            (refused,) = await ws_until_terminal(ws)
            emu.max_stream_ids = 2
            await ws.send(create("hi", stream_id="b"))
            allowed = await ws_until_terminal(ws)
    assert refused["error"]["code"] == "websocket_stream_limit_reached"
    assert allowed[-1]["type"] == "response.completed"
    assert emu.max_stream_ids == 2


async def test_a_17th_active_response_waits_until_one_of_the_16_ends() -> None:
    waiting = Reply(text=["held ", "open"], faults=[Pause(at=2, seconds=60)])
    async with Emulator(ScriptedModel([waiting] * 17)) as emu:
        async with connect(emu.websocket_url) as ws:
            for n in range(17):
                await ws.send(create("hi", stream_id=f"l{n}"))
            created: dict[str, str] = {}

            def sixteen_started(event: dict[str, Any]) -> bool:
                if event["type"] == "response.created":
                    created[event["stream_id"]] = event["response"]["id"]
                return len(created) == 16

            await read_until(ws, sixteen_started)
            (late,) = {f"l{n}" for n in range(17)} - set(created)
            first = next(iter(created))
            await ws.send(json.dumps({"type": "response.cancel", "response_id": created[first]}))
            events = await read_until(
                ws, lambda e: e["type"] == "response.created" and e["stream_id"] == late
            )
        record = emu.connections[0]
        assert record.peak_active == 16
    ended = [e for e in events if e["type"] in TERMINAL]
    assert [e["stream_id"] for e in ended] == [first]
    assert events.index(ended[0]) < len(events) - 1


async def test_the_active_limit_is_settable_and_peak_active_records_it() -> None:
    async with Emulator(max_active_responses=1) as emu:
        async with connect(emu.websocket_url) as ws:
            for lane in ("a", "b", "c"):
                await ws.send(create("hi", stream_id=lane))
            events = await read_until(ws, lambda e: e["type"] in TERMINAL and e["stream_id"] == "c")
            assert emu.connections[0].peak_active == 1
            emu.max_active_responses = 3
            for lane in ("a", "b", "c"):
                await ws.send(create("hi", stream_id=lane))
            seen: set[str] = set()

            def all_ended(event: dict[str, Any]) -> bool:
                if event["type"] in TERMINAL:
                    seen.add(event["stream_id"])
                return len(seen) == 3

            await read_until(ws, all_ended)
        assert emu.max_active_responses == 3
        # One at a time, in arrival order, then the three together.
        starts = [e["stream_id"] for e in events if e["type"] == "response.created"]
        ends = [e["stream_id"] for e in events if e["type"] in TERMINAL]
        assert starts == ends == ["a", "b", "c"]
        lanes = [e["stream_id"] for e in events]
        assert lanes == sorted(lanes)
