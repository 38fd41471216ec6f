"""The WebSocket endpoint's switches and extras over a real socket: what ``response.cancel``
does (``cancel_mode``), warm-up requests (``generate: false``), and the cached parent a
failed continuation evicts."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import connect

from responses_client.emulator import Emulator, Pause, Reply, ScriptedModel, SendError

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


async def test_a_warm_up_prepares_the_context_without_asking_the_model() -> None:
    script = ScriptedModel(["the first real answer"])
    async with Emulator(script) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(
                create(
                    [{"role": "user", "content": "earlier"}],
                    instructions="Be brief.",
                    tools=[{"type": "function", "name": "f", "parameters": {}}],
                    generate=False,
                    stream_id="w",
                )
            )
            warm = await ws_until_terminal(ws)
            assert script.remaining == 1
            warm_id = warm[-1]["response"]["id"]
            await ws.send(create("now", previous_response_id=warm_id, instructions="Be brief."))
            turn = await ws_until_terminal(ws)
        first, second = emu.responses
    assert [e["type"] for e in warm] == ["response.created", "response.completed"]
    assert [e["sequence_number"] for e in warm] == [0, 1]
    assert {e["stream_id"] for e in warm} == {"w"}
    done = warm[-1]["response"]
    assert done["status"] == "completed" and done["output"] == []
    assert done["usage"]["input_tokens"] == done["usage"]["output_tokens"] == 0
    assert done["usage"]["total_tokens"] == 0
    assert (first.warmup, second.warmup) == (True, False)
    assert first.output == [] and first.status == "completed"
    assert turn[-1]["response"]["output"][0]["content"][0]["text"] == "the first real answer"
    assert [item["content"] for item in second.resolved_input] == ["earlier", "now"]
    assert turn[-1]["response"]["usage"]["input_tokens_details"]["cached_tokens"] > 0


async def test_a_warm_up_checks_its_input_and_generate_must_be_a_boolean() -> None:
    async with Emulator() as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create([{"role": "robot", "content": "x"}], generate=False))
            (bad_input,) = await ws_until_terminal(ws)
            await ws.send(create("x", generate="no"))
            (bad_flag,) = await ws_until_terminal(ws)
        assert emu.responses == []
    assert bad_input["error"]["param"] == "input[0].role"
    assert (bad_flag["error"]["code"], bad_flag["error"]["param"]) == ("invalid_type", "generate")


@pytest.mark.parametrize(
    "failure",
    [
        Reply(text="partial", end="failed", error_code="server_error"),
        Reply(text="partial", faults=[SendError(at=3, code="server_error", status=500)]),
    ],
    ids=["response.failed", "error event"],
)
async def test_a_failed_continuation_evicts_its_cached_parent(failure: Reply) -> None:
    script = ScriptedModel(["parent", failure, "unrelated", "full context retry"])
    async with Emulator(script) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("one", stream_id="a"))
            parent = (await ws_until_terminal(ws))[-1]["response"]
            await ws.send(create("two", stream_id="a", previous_response_id=parent["id"]))
            failed = (await ws_until_terminal(ws))[-1]
            await ws.send(create("two", stream_id="a", previous_response_id=parent["id"]))
            (gone,) = await ws_until_terminal(ws)
            await ws.send(create("elsewhere", stream_id="b"))
            other = (await ws_until_terminal(ws))[-1]
            # The parent's items are still held: a retry with the whole context is served.
            whole = [{"role": "user", "content": "one"}, *parent["output"]]
            await ws.send(create([*whole, {"role": "user", "content": "two"}], stream_id="a"))
            retried = (await ws_until_terminal(ws))[-1]
    assert failed["type"] in ("response.failed", "error")
    if failed["type"] == "error":
        assert failed["status"] == 500 and failed["stream_id"] == "a"
    assert gone["type"] == "error" and gone["status"] == 400
    assert gone["error"]["code"] == "previous_response_not_found"
    assert gone["stream_id"] == "a"
    assert other["type"] == retried["type"] == "response.completed"


async def test_a_cancelled_continuation_keeps_its_parent() -> None:
    async with Emulator(ScriptedModel(["parent", PAUSED, "after"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("one"))
            parent = (await ws_until_terminal(ws))[-1]["response"]
            await ws.send(create("two", previous_response_id=parent["id"]))
            created = await recv(ws)
            await ws.send(cancel(created["response"]["id"]))
            cancelled = (await ws_until_terminal(ws))[-1]
            await ws.send(create("two", previous_response_id=parent["id"]))
            again = (await ws_until_terminal(ws))[-1]
    assert cancelled["response"]["status"] == "cancelled"
    assert again["type"] == "response.completed"
