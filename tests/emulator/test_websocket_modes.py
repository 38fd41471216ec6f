"""The WebSocket endpoint's switches and extras over a real socket: what ``response.cancel``
does (``cancel_mode``), warm-up requests (``generate: false``), and the cached parent a
failed continuation evicts."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import connect

from responses_client.emulator import Emulator, Pause, Reply, ScriptedModel

from ._wire import create, ws_until_terminal

pytestmark = pytest.mark.anyio

# Paused after event 2 long enough for a cancel sent on seeing event 2 to land in the pause.
PAUSED = Reply(text=["one ", "two"], faults=[Pause(at=3, seconds=0.3)])


def cancel(response_id: str) -> str:
    return json.dumps({"type": "response.cancel", "response_id": response_id})


async def recv(ws: Any) -> dict[str, Any]:
    with anyio.fail_after(5):
        event: dict[str, Any] = json.loads(await ws.recv())
        return event


async def test_cancel_mode_reject_answers_an_error_and_the_response_runs_to_its_end() -> None:
    async with Emulator(ScriptedModel([PAUSED]), cancel_mode="reject") as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi"))
            head = [await recv(ws) for _ in range(3)]
            response_id = head[0]["response"]["id"]
            await ws.send(cancel(response_id))
            error = await recv(ws)
            rest = await ws_until_terminal(ws)
        assert emu.connections[0].cancels == [response_id]
        assert emu.responses[0].status == "completed"
    assert error["type"] == "error" and error["status"] == 400
    assert error["error"]["type"] == "invalid_request_error"
    assert (error["error"]["code"], error["error"]["param"]) == ("invalid_value", "type")
    assert "'response.cancel'" in error["error"]["message"]
    assert "stream_id" not in error and "sequence_number" not in error
    assert rest[-1]["type"] == "response.completed"
    assert rest[-1]["response"]["output"][0]["content"][0]["text"] == "one two"


async def test_cancel_mode_ignore_answers_nothing_and_the_response_runs_to_its_end() -> None:
    async with Emulator(ScriptedModel([PAUSED])) as emu:
        emu.cancel_mode = "ignore"
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi"))
            head = [await recv(ws) for _ in range(3)]
            response_id = head[0]["response"]["id"]
            await ws.send(cancel(response_id))
            await ws.send(cancel("resp_unknown"))
            rest = await ws_until_terminal(ws)
        assert emu.connections[0].cancels == [response_id, "resp_unknown"]
    assert [e["type"] for e in rest if e["type"] == "error"] == []
    assert rest[-1]["type"] == "response.completed"
    assert [e["sequence_number"] for e in head + rest] == list(range(len(head + rest)))


async def test_cancel_mode_silent_stops_the_lane_for_good_and_the_connection_works() -> None:
    # Lane b's reply pauses longer than lane a's: were lane a not silenced, its events
    # would arrive before lane b's end.
    other = Reply(text="other lane", faults=[Pause(at=1, seconds=0.6)])
    async with Emulator(ScriptedModel([PAUSED, other, "never"]), cancel_mode="silent") as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi", stream_id="a"))
            head = [await recv(ws) for _ in range(3)]
            await ws.send(cancel(head[0]["response"]["id"]))
            await ws.send(create("queued behind the stuck one", stream_id="a"))
            await ws.send(create("hi", stream_id="b"))
            events = await ws_until_terminal(ws)
        assert [r.status for r in emu.responses] == ["in_progress", "completed"]
    assert {e["stream_id"] for e in events} == {"b"}
    assert events[-1]["type"] == "response.completed"


def test_an_unknown_cancel_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="cancel_mode"):
        Emulator(cancel_mode="maybe")  # type: ignore[arg-type]
    emu = Emulator()
    with pytest.raises(ValueError, match="cancel_mode"):
        emu.cancel_mode = "later"  # type: ignore[assignment]
    assert emu.cancel_mode == "honour"
