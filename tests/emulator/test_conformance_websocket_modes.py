"""The WebSocket mode's newer events validate strictly against openai-python's own server
event types: lane errors, warm-up, steering (accepted, pending, failed, the steered end and
its successor) and reasoning output. openai is a dev-only dependency."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest
from openai.types.responses import ResponseReasoningItem
from websockets.asyncio.client import connect

from responses_client.emulator import CallTool, Emulator, Pause, Reply, ScriptedModel

from ._wire import WEATHER_TOOL, create, sse_events, ws_until_terminal
from .test_conformance import SSE_CLASSES, WS_CLASSES, strictly

pytestmark = [pytest.mark.anyio, pytest.mark.conformance]

THINKING = Reply(text=["Let ", "me ", "think"], faults=[Pause(at=5, seconds=30)])


async def recv(ws: Any) -> dict[str, Any]:
    with anyio.fail_after(5):
        event: dict[str, Any] = json.loads(await ws.recv())
        return event


def steer(previous_response_id: str, input: Any) -> str:
    return json.dumps(
        {"type": "response.steer", "previous_response_id": previous_response_id, "input": input}
    )


async def test_lane_errors_and_a_rejected_cancel_are_server_error_events() -> None:
    async with Emulator(max_stream_ids=0, cancel_mode="reject") as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("x", stream_id="bad id"))
            invalid = await recv(ws)
            await ws.send(create("x", stream_id="fine"))
            limit = await recv(ws)
            await ws.send(json.dumps({"type": "response.cancel", "response_id": "resp_1"}))
            rejected = await recv(ws)
    for event in (invalid, limit, rejected):
        strictly(event, WS_CLASSES)
    assert limit["error"]["code"] == "websocket_stream_limit_reached"


async def test_warm_up_events_validate() -> None:
    async with Emulator() as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("x", generate=False, stream_id="w"))
            events = await ws_until_terminal(ws)
    for event in events:
        strictly(event, WS_CLASSES)


async def test_steering_events_validate() -> None:
    call = CallTool("get_weather", {"city": "Rome", "unit": "celsius"}, call_id="call_1")
    script = ScriptedModel([THINKING, "Rome.", Reply(tool_calls=[call])])
    async with Emulator(script) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("Paris?", stream_id="a"))
            events = [await recv(ws) for _ in range(5)]
            message = [{"type": "message", "role": "user", "content": "Rome"}]
            await ws.send(steer(events[0]["response"]["id"], message))
            events += await ws_until_terminal(ws)  # accepted, then the steered end
            events += await ws_until_terminal(ws)  # the successor
            await ws.send(create("Tool?", tools=[WEATHER_TOOL], stream_id="b"))
            done = await ws_until_terminal(ws)
            await ws.send(steer(done[-1]["response"]["id"], "Celsius"))
            events += done + [await recv(ws), await recv(ws)]
            await ws.send(
                steer("resp_unknown", [{"type": "message", "role": "user", "content": "x"}])
            )
            events.append(await recv(ws))
    kinds = {event["type"] for event in events}
    assert {
        "response.steer.accepted",
        "response.steer.pending",
        "response.steer.failed",
        "response.incomplete",
    } <= kinds
    for event in events:
        strictly(event, WS_CLASSES)


async def test_reasoning_events_validate_over_websocket_and_sse() -> None:
    thought = Reply(reasoning="Paris is sunny.", text="Sunny.")
    async with Emulator(ScriptedModel([thought, thought])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("x", include=["reasoning.encrypted_content"], stream_id="r"))
            events = await ws_until_terminal(ws)
        async with httpx.AsyncClient() as http:
            body = {"model": "gpt-4.1", "input": "x", "stream": True}
            answer = await http.post(f"{emu.base_url}/responses", json=body)
    for event in events:
        strictly(event, WS_CLASSES)
    for event in sse_events(answer.text):
        strictly(event, SSE_CLASSES)
    item = ResponseReasoningItem.model_validate(events[-1]["response"]["output"][0])
    assert item.encrypted_content and item.summary[0].text == "Paris is sunny."
