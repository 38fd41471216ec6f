"""Steering over a real WebSocket: ``response.steer`` accepted (the response stops,
``steered``, and a successor carries the input), pending (tool outputs owed), and every
``response.steer.failed`` code."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect

from responses_client.emulator import CallTool, Emulator, Pause, Reply, ScriptedModel

from ._wire import TERMINAL, WEATHER_TOOL, create, read_until, ws_until_terminal

pytestmark = pytest.mark.anyio

CALL = CallTool("get_weather", {"city": "Rome", "unit": "celsius"}, call_id="call_1")
# Paused long after its first delta: only a steer (or a cancel) ends it in time.
THINKING = Reply(text=["Let ", "me ", "think"], faults=[Pause(at=5, seconds=30)])


def steer(previous_response_id: str, input: Any = "Actually, Rome.", **extra: Any) -> str:
    frame = {"type": "response.steer", "previous_response_id": previous_response_id}
    return json.dumps({**frame, "input": input, **extra})


async def one(ws: Any) -> dict[str, Any]:
    return (await read_until(ws, lambda e: True))[0]


def typed(kind: str) -> Callable[[dict[str, Any]], bool]:
    return lambda event: event["type"] == kind


async def test_a_steer_stops_the_response_and_a_successor_carries_its_input() -> None:
    async with Emulator(ScriptedModel([THINKING, "Rome it is."])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("Weather in Paris?", stream_id="a"))
            head = await read_until(ws, typed("response.output_text.delta"))
            steered_id = head[0]["response"]["id"]
            await ws.send(steer(steered_id))
            accepted = await one(ws)
            ended = await one(ws)
            successor = await ws_until_terminal(ws)
        first, second = emu.responses
    assert accepted["type"] == "response.steer.accepted"
    assert accepted["steer"]["previous_response_id"] == steered_id
    assert accepted["steer"]["id"].startswith("steer_")
    assert accepted["stream_id"] == "a"
    assert ended["type"] == "response.incomplete" and ended["stream_id"] == "a"
    response = ended["response"]
    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "steered"}
    (partial,) = response["output"]
    assert partial["status"] == "incomplete" and partial["content"][0]["text"] == "Let "
    assert ended["sequence_number"] == head[-1]["sequence_number"] + 1
    created = successor[0]
    assert created["type"] == "response.created" and created["stream_id"] == "a"
    assert created["response"]["previous_response_id"] == steered_id
    assert successor[-1]["type"] == "response.completed"
    assert successor[-1]["response"]["output"][0]["content"][0]["text"] == "Rome it is."
    assert {e["stream_id"] for e in successor} == {"a"}
    assert (first.status, first.output) == ("incomplete", [partial])
    assert second.steered_from == steered_id
    assert second.steers == [accepted["steer"]["id"]]
    assert second.resolved_input == [
        {"type": "message", "role": "user", "content": "Weather in Paris?"},
        partial,
        {"type": "message", "role": "user", "content": "Actually, Rome."},
    ]


async def test_a_steered_response_and_its_successor_can_be_built_on() -> None:
    async with Emulator(ScriptedModel([THINKING, "Rome it is.", "Next."])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("Weather in Paris?"))
            head = await read_until(ws, typed("response.output_text.delta"))
            await ws.send(steer(head[0]["response"]["id"], [{"role": "user", "content": "Rome"}]))
            events = await read_until(ws, typed("response.completed"))
            successor_id = events[-1]["response"]["id"]
            await ws.send(create("And tomorrow?", previous_response_id=successor_id))
            after = await ws_until_terminal(ws)
        contents = [item["content"] for item in emu.responses[2].resolved_input]
    assert after[-1]["type"] == "response.completed"
    assert not any("stream_id" in e for e in events + after)
    assert contents[0] == "Weather in Paris?" and contents[2] == "Rome"
    assert contents[-1] == "And tomorrow?" and len(contents) == 5


async def test_a_steer_after_completion_with_tool_outputs_owed_is_pending() -> None:
    async with Emulator(ScriptedModel([Reply(tool_calls=[CALL]), "18 degrees."])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("Weather?", tools=[WEATHER_TOOL], stream_id="t"))
            done = (await ws_until_terminal(ws))[-1]["response"]
            await ws.send(steer(done["id"], "In Celsius, please."))
            accepted = await one(ws)
            pending = await one(ws)
            output = {"type": "function_call_output", "call_id": "call_1", "output": "18C"}
            await ws.send(
                create(
                    [output], previous_response_id=done["id"], tools=[WEATHER_TOOL], stream_id="t"
                )
            )
            continued = await ws_until_terminal(ws)
            await ws.send(steer(done["id"], "Again?"))
            again = await one(ws)
        continuation = emu.responses[1]
    assert accepted["type"] == "response.steer.accepted" and accepted["stream_id"] == "t"
    assert pending["type"] == "response.steer.pending" and pending["stream_id"] == "t"
    assert pending["steer"] == accepted["steer"]
    assert pending["reason"] == "waiting_for_required_input"
    assert pending["required_input"] == [
        {"type": "function_call_output", "call_id": "call_1", "name": "get_weather"}
    ]
    assert continued[-1]["type"] == "response.completed"
    # The queued steer comes first, then the request's own input.
    assert [item["type"] for item in continuation.resolved_input] == [
        "message",
        "function_call",
        "message",
        "function_call_output",
    ]
    assert continuation.resolved_input[2]["content"] == "In Celsius, please."
    assert continuation.steers == [accepted["steer"]["id"]]
    assert continuation.request["input"] == [output]
    assert again["type"] == "response.steer.failed"
    assert again["error"]["code"] == "response_already_completed"


async def test_a_steer_during_a_function_call_lets_it_complete_then_is_pending() -> None:
    paused = Reply(tool_calls=[CALL], faults=[Pause(at=4, seconds=0.3)])
    async with Emulator(ScriptedModel([paused])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("Weather?", tools=[WEATHER_TOOL]))
            head = await read_until(ws, typed("response.output_item.added"))
            await ws.send(steer(head[0]["response"]["id"]))
            events = await read_until(ws, typed("response.steer.pending"))
    kinds = [e["type"] for e in events]
    assert kinds.index("response.steer.accepted") < kinds.index("response.completed")
    assert kinds[-2:] == ["response.completed", "response.steer.pending"]
    assert "response.incomplete" not in kinds
    assert events[-1]["required_input"][0]["call_id"] == "call_1"
    assert len(emu.responses) == 1


async def test_two_steers_before_a_continuation_are_prepended_in_submission_order() -> None:
    async with Emulator(ScriptedModel([Reply(tool_calls=[CALL]), "ok"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("Weather?", tools=[WEATHER_TOOL]))
            done = (await ws_until_terminal(ws))[-1]["response"]
            for text in ("first", "second"):
                await ws.send(steer(done["id"], text))
                await read_until(ws, typed("response.steer.pending"))
            output = {"type": "function_call_output", "call_id": "call_1", "output": "18C"}
            await ws.send(create([output], previous_response_id=done["id"], tools=[WEATHER_TOOL]))
            await ws_until_terminal(ws)
    contents = [item.get("content") for item in emu.responses[1].resolved_input]
    assert contents[2:4] == ["first", "second"]
    assert len(emu.responses[1].steers) == 2


async def failure(emu: Emulator, frame: str, ws: Any | None = None) -> dict[str, Any]:
    if ws is None:
        async with connect(emu.websocket_url) as socket:
            await socket.send(frame)
            return await one(socket)
    await ws.send(frame)
    return await one(ws)


async def test_steering_an_unknown_response_fails_not_found() -> None:
    async with Emulator() as emu:
        failed = await failure(emu, steer("resp_elsewhere", "hi"))
    assert failed["type"] == "response.steer.failed"
    assert failed["error"] == {
        "type": "invalid_request_error",
        "code": "response_not_found",
        "message": "No response with id 'resp_elsewhere' is available on this connection.",
    }
    assert failed["steer"] == {"previous_response_id": "resp_elsewhere", "input": "hi"}
    assert "stream_id" not in failed


@pytest.mark.parametrize(
    ("bad", "extra"),
    [
        ([{"type": "message", "role": "assistant", "content": "x"}], {}),
        ([{"type": "function_call_output", "call_id": "c", "output": "x"}], {}),
        ([], {}),
        (42, {}),
        ([{"role": "user", "content": [{"type": "output_text", "text": "x"}]}], {}),
        ([{"role": "user", "content": "x", "id": "msg_1"}], {}),
        ("fine", {"stream_id": "a"}),
    ],
)
async def test_invalid_steering_input_fails_and_returns_the_input(
    bad: Any, extra: dict[str, Any]
) -> None:
    async with Emulator(ScriptedModel([THINKING, "unused"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi", stream_id="a"))
            head = await read_until(ws, typed("response.output_text.delta"))
            failed = await failure(emu, steer(head[0]["response"]["id"], bad, **extra), ws)
            await ws.send(
                json.dumps({"type": "response.cancel", "response_id": head[0]["response"]["id"]})
            )
            ended = await read_until(ws, lambda e: e["type"] in TERMINAL)
    assert failed["type"] == "response.steer.failed" and failed["stream_id"] == "a"
    assert failed["error"]["code"] == "invalid_input"
    assert failed["steer"]["input"] == bad and "id" not in failed["steer"]
    if extra:
        assert failed["error"]["message"] == "Unknown parameter: 'stream_id'."
    assert ended[-1]["response"]["status"] == "cancelled"


async def test_steering_a_response_that_ended_otherwise_fails() -> None:
    async with Emulator(ScriptedModel(["plain", THINKING])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi", stream_id="a"))
            plain = (await ws_until_terminal(ws))[-1]["response"]
            completed = await failure(emu, steer(plain["id"]), ws)
            await ws.send(create("hi", stream_id="b"))
            head = await read_until(ws, typed("response.output_text.delta"))
            await ws.send(
                json.dumps({"type": "response.cancel", "response_id": head[0]["response"]["id"]})
            )
            await read_until(ws, lambda e: e["type"] in TERMINAL)
            cancelled = await failure(emu, steer(head[0]["response"]["id"]), ws)
    assert completed["error"]["code"] == "response_already_completed"
    assert completed["stream_id"] == "a"
    assert cancelled["error"]["code"] == "response_not_active"
    assert cancelled["stream_id"] == "b"


async def test_too_many_pending_steers_fail() -> None:
    async with Emulator(ScriptedModel([Reply(tool_calls=[CALL])]), max_pending_steers=1) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("Weather?", tools=[WEATHER_TOOL]))
            done = (await ws_until_terminal(ws))[-1]["response"]
            await ws.send(steer(done["id"], "one"))
            await read_until(ws, typed("response.steer.pending"))
            failed = await failure(emu, steer(done["id"], "two"), ws)
            emu.max_pending_steers = 2
            await ws.send(steer(done["id"], "two"))
            allowed = await read_until(ws, typed("response.steer.pending"))
    assert failed["error"]["code"] == "too_many_pending_steers"
    assert failed["error"]["message"].endswith("(at most 1).")
    assert [e["type"] for e in allowed] == ["response.steer.accepted", "response.steer.pending"]


@pytest.mark.parametrize("steering", [False, {"gpt-5-steerable"}])
async def test_steering_can_be_unsupported(steering: Any) -> None:
    async with Emulator(ScriptedModel([THINKING, "ok"]), steering=steering) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi"))
            head = await read_until(ws, typed("response.output_text.delta"))
            response_id = head[0]["response"]["id"]
            failed = await failure(emu, steer(response_id), ws)
            emu.steering = {"gpt-4.1"}
            await ws.send(steer(response_id))
            events = await read_until(ws, typed("response.completed"))
    assert failed["error"]["code"] == "steering_not_supported"
    assert failed["error"]["message"] == "Steering is not supported for model 'gpt-4.1'."
    assert events[0]["type"] == "response.steer.accepted"
    assert events[1]["response"]["incomplete_details"] == {"reason": "steered"}


async def test_a_successor_that_cannot_be_created_fails_after_acceptance() -> None:
    async with Emulator(ScriptedModel([THINKING, "never asked"])) as emu:
        emu.steer_failures = ["successor_creation_failed"]
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi", stream_id="s"))
            head = await read_until(ws, typed("response.output_text.delta"))
            response_id = head[0]["response"]["id"]
            await ws.send(steer(response_id, "Rome"))
            events = await read_until(ws, typed("response.steer.failed"))
            await ws.send(create("again", stream_id="s", previous_response_id=response_id))
            after = await ws_until_terminal(ws)
        assert len(emu.responses) == 2 and emu.responses[1].steered_from is None
    accepted, ended, failed = events
    assert accepted["type"] == "response.steer.accepted"
    assert ended["response"]["incomplete_details"] == {"reason": "steered"}
    assert failed["steer"] == {
        "id": accepted["steer"]["id"],
        "previous_response_id": response_id,
        "input": "Rome",
    }
    assert failed["error"]["code"] == "successor_creation_failed"
    assert failed["stream_id"] == "s"
    # The steered response can still be built on, by the client's own request.
    assert after[-1]["response"]["output"][0]["content"][0]["text"] == "never asked"


async def test_scripted_steer_failures_are_used_one_per_steer() -> None:
    async with Emulator(ScriptedModel([Reply(tool_calls=[CALL]), "ok"])) as emu:
        emu.steer_failures = ["successor_creation_failed", "made_up_code"]
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi", tools=[WEATHER_TOOL], stream_id="s"))
            done = await ws_until_terminal(ws)
            response_id = done[0]["response"]["id"]
            # Not streaming: even successor_creation_failed fails at once.
            first = await failure(emu, steer(response_id), ws)
            second = await failure(emu, steer(response_id), ws)
            await ws.send(steer(response_id))
            events = await read_until(ws, typed("response.steer.pending"))
        assert emu.steer_failures == []
    assert first["error"]["code"] == "successor_creation_failed" and first["stream_id"] == "s"
    assert second["error"]["code"] == "made_up_code"
    assert events[0]["type"] == "response.steer.accepted"


async def test_a_steer_frame_without_its_target_or_input_is_an_error() -> None:
    async with Emulator() as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(json.dumps({"type": "response.steer", "input": "x"}))
            no_target = await one(ws)
            await ws.send(json.dumps({"type": "response.steer", "previous_response_id": "r"}))
            no_input = await one(ws)
    assert no_target["type"] == no_input["type"] == "error"
    assert no_target["error"]["param"] == "previous_response_id"
    assert no_input["error"]["param"] == "input"


@pytest.mark.parametrize(
    "code", ["too_many_pending_steers", "steering_not_supported", "response_not_active"]
)
async def test_every_scripted_failure_gets_its_message(code: str) -> None:
    async with Emulator(ScriptedModel([Reply(tool_calls=[CALL])])) as emu:
        emu.steer_failures = [code]
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi", tools=[WEATHER_TOOL]))
            done = await ws_until_terminal(ws)
            failed = await failure(emu, steer(done[0]["response"]["id"]), ws)
    assert failed["error"]["code"] == code
    assert failed["error"]["message"] and "{" not in failed["error"]["message"]
