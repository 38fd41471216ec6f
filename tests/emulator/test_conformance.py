"""The official openai-python client understands the emulator, and every event validates
strictly against that SDK's own pydantic model for its type (no undeclared fields but
``obfuscation``). openai is a dev-only dependency, used here and nowhere else."""

from __future__ import annotations

import json
import typing
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI, BadRequestError
from openai.types.responses import Response, ResponseStreamEvent
from openai.types.responses.responses_server_event import ResponsesServerEvent
from pydantic import BaseModel
from websockets.asyncio.client import connect

from responses_client.emulator import (
    CallTool,
    DefaultModel,
    Emulator,
    HttpStatus,
    Pause,
    Reply,
    ScriptedModel,
)

from ._wire import WEATHER_TOOL, create, sse_events, ws_until_terminal

pytestmark = [pytest.mark.anyio, pytest.mark.conformance]

ALLOWED_EXTRA = {"obfuscation"}


def _by_type(union: Any) -> dict[str, type[BaseModel]]:
    members = typing.get_args(typing.get_args(union)[0])
    classes: dict[str, type[BaseModel]] = {}
    for member in members:
        (literal,) = typing.get_args(member.model_fields["type"].annotation)
        classes[literal] = member
    return classes


SSE_CLASSES = _by_type(ResponseStreamEvent)
WS_CLASSES = _by_type(ResponsesServerEvent)


def undeclared(value: object, path: str = "") -> list[str]:
    """Paths of fields a model did not declare (extra="allow" keeps them in model_extra)."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        for name in value.model_extra or {}:
            if name not in ALLOWED_EXTRA:
                found.append(f"{path}.{name}")
        for name in type(value).model_fields:
            found += undeclared(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += undeclared(item, f"{path}[{index}]")
    return found


def strictly(event: dict[str, Any], classes: dict[str, type[BaseModel]]) -> BaseModel:
    cls = classes[event["type"]]
    model = cls.model_validate(event)
    assert undeclared(model) == [], (event["type"], undeclared(model))
    # Every field the API documents as always present is present on the wire too.
    for name, info in cls.model_fields.items():
        if info.is_required():
            assert (info.alias or name) in event, (event["type"], name)
    return model


TOOL_SCRIPT = [
    Reply(text=["Checking ", "the weather."]),
    Reply(tool_calls=[CallTool("get_weather", {"city": "Rome", "unit": "celsius"})]),
]


@pytest.mark.parametrize("reply", TOOL_SCRIPT, ids=["text", "function_call"])
async def test_official_client_streams_over_sse(reply: Reply) -> None:
    body = {"model": "gpt-4.1", "input": "Weather in Rome?", "tools": [WEATHER_TOOL]}
    async with Emulator(ScriptedModel([reply, reply])) as emu:
        client = AsyncOpenAI(base_url=emu.base_url, api_key="sk-test", max_retries=0)
        async with client:
            stream = await client.responses.create(**body, stream=True)
            events = [event async for event in stream]
        # The same reply again, as raw bytes, to validate what is on the wire.
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{emu.base_url}/responses", json={**body, "stream": True})
        raw = sse_events(answer.text)
    assert [e.type for e in events] == [e["type"] for e in raw]
    for event in raw:
        strictly(event, SSE_CLASSES)
    final = events[-1]
    assert final.type == "response.completed"
    assert final.response.usage is not None
    assert final.response.usage.input_tokens_details.cached_tokens == 0
    if reply.tool_calls:
        (call,) = final.response.output
        assert call.type == "function_call"
        assert json.loads(call.arguments) == {"city": "Rome", "unit": "celsius"}
    else:
        assert final.response.output_text == "Checking the weather."


@pytest.mark.parametrize("reply", TOOL_SCRIPT, ids=["text", "function_call"])
async def test_official_client_non_streaming(reply: Reply) -> None:
    async with Emulator(ScriptedModel([reply])) as emu:
        client = AsyncOpenAI(base_url=emu.base_url, api_key="sk-test", max_retries=0)
        async with client:
            raw = await client.responses.with_raw_response.create(
                model="gpt-4.1", input="Weather in Rome?", tools=[WEATHER_TOOL]
            )
    body = json.loads(raw.content)
    response = Response.model_validate(body)
    # Every field the SDK's Response model declares is on the wire, optional ones included.
    assert {info.alias or name for name, info in Response.model_fields.items()} <= set(body)
    assert undeclared(response) == []
    assert response.status == "completed"
    assert response.id == emu.responses[0].id
    parsed = raw.parse()
    assert parsed.usage is not None and parsed.usage.total_tokens > 0


async def test_official_client_sees_api_errors_as_its_own_exceptions() -> None:
    async with Emulator() as emu:
        client = AsyncOpenAI(base_url=emu.base_url, api_key="sk-test", max_retries=0)
        async with client:
            with pytest.raises(BadRequestError) as caught:
                await client.responses.create(
                    model="gpt-4.1", input="hi", previous_response_id="resp_nope"
                )
    assert caught.value.code == "previous_response_not_found"
    assert caught.value.param == "previous_response_id"


@pytest.mark.parametrize("reply", TOOL_SCRIPT, ids=["text", "function_call"])
async def test_official_client_over_websocket(reply: Reply) -> None:
    async with Emulator(ScriptedModel([reply, "Second turn."])) as emu:
        client = AsyncOpenAI(base_url=emu.base_url, api_key="sk-test", max_retries=0)
        async with client, client.responses.connect() as connection:
            await connection.send(
                {
                    "type": "response.create",
                    "model": "gpt-4.1",
                    "input": "Weather in Rome?",
                    "tools": [WEATHER_TOOL],
                }
            )
            raw_events = await _collect(connection)
            first = raw_events[-1]["response"]
            follow_up: list[dict[str, Any]] = [{"role": "user", "content": "Thanks"}]
            for item in first["output"]:
                if item["type"] == "function_call":
                    follow_up.insert(
                        0,
                        {
                            "type": "function_call_output",
                            "call_id": item["call_id"],
                            "output": "Sunny",
                        },
                    )
            await connection.send(
                {
                    "type": "response.create",
                    "model": "gpt-4.1",
                    "previous_response_id": first["id"],
                    "input": follow_up,
                }
            )
            second = await _collect(connection)
    for event in raw_events + second:
        strictly(event, WS_CLASSES)
    assert raw_events[-1]["type"] == "response.completed"
    assert second[-1]["type"] == "response.completed"
    assert emu.connections[0].frames[1]["previous_response_id"] == first["id"]


async def _collect(connection: Any) -> list[dict[str, Any]]:
    events = []
    while True:
        data = await connection.recv_bytes()
        event = json.loads(data)
        # The SDK's own parser accepts it too.
        assert connection.parse_event(data).type == event["type"]
        events.append(event)
        if event["type"] in (
            "response.completed",
            "response.failed",
            "response.incomplete",
            "error",
        ):
            return events


async def test_error_events_validate_in_both_shapes() -> None:
    from responses_client.emulator import SendError

    script = ScriptedModel([Reply(text="x", faults=[SendError(at=2, code="server_error")])] * 2)
    async with Emulator(script) as emu:
        client = AsyncOpenAI(base_url=emu.base_url, api_key="sk-test", max_retries=0)
        async with client:
            raw = await client.responses.with_raw_response.create(
                model="gpt-4.1", input="hi", stream=True
            )
            text = (await raw.http_response.aread()).decode()
            async with client.responses.connect() as connection:
                await connection.send(
                    {"type": "response.create", "model": "gpt-4.1", "input": "hi"}
                )
                ws_events = await _collect(connection)
    sse_error = json.loads(text.strip().split("\n")[-1][6:])
    strictly(sse_error, SSE_CLASSES)
    strictly(ws_events[-1], WS_CLASSES)
    assert sse_error["code"] == ws_events[-1]["error"]["code"] == "server_error"


async def test_default_model_tool_round_trip_with_the_official_client() -> None:
    async with Emulator(DefaultModel()) as emu:
        client = AsyncOpenAI(base_url=emu.base_url, api_key="sk-test", max_retries=0)
        async with client:
            first = await client.responses.create(
                model="gpt-4.1",
                input="What's the weather in Paris?",
                tools=[WEATHER_TOOL],
                store=True,
            )
            (call,) = first.output
            assert call.type == "function_call"
            assert json.loads(call.arguments) == {"city": "Paris", "unit": "celsius"}
            second = await client.responses.create(
                model="gpt-4.1",
                previous_response_id=first.id,
                input=[
                    {
                        "type": "function_call_output",
                        "call_id": call.call_id,
                        "output": "Sunny, 21 C",
                    }
                ],
                tools=[WEATHER_TOOL],
            )
    assert second.output_text == "The get_weather tool says: Sunny, 21 C"


ENDINGS = [
    Reply(text="partial", end="failed", error_code="rate_limit_exceeded"),
    Reply(text="cut short", end="incomplete"),
    Reply(
        text="two items", tool_calls=[CallTool("get_weather", {"city": "Oslo", "unit": "celsius"})]
    ),
    Reply(tool_calls=[CallTool("a", {}), CallTool("b", {"x": 1})], reasoning_tokens=12),
]


@pytest.mark.parametrize(
    "reply", ENDINGS, ids=["failed", "incomplete", "message+call", "two-calls"]
)
async def test_every_ending_validates_on_both_transports(reply: Reply) -> None:
    async with Emulator(ScriptedModel([reply, reply])) as emu:
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{emu.base_url}/responses",
                json={"model": "gpt-4.1", "input": "hi", "tools": [WEATHER_TOOL], "stream": True},
            )
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("hi", tools=[WEATHER_TOOL]))
            ws_events = await ws_until_terminal(ws)
    sse = sse_events(answer.text)
    for event in sse:
        strictly(event, SSE_CLASSES)
    for event in ws_events:
        strictly(event, WS_CLASSES)
    assert [e["type"] for e in sse] == [e["type"] for e in ws_events]


async def test_cancelled_ending_and_ws_error_events_validate() -> None:
    script = ScriptedModel(
        [
            HttpStatus(429, headers={"retry-after": "1"}),
            Reply(text="a b", faults=[Pause(at=3, seconds=60)]),
        ]
    )
    async with Emulator(script) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            (refused,) = await ws_until_terminal(ws)
            await ws.send(create())
            started = [json.loads(await ws.recv()) for _ in range(3)]
            await ws.send(
                json.dumps({"type": "response.cancel", "response_id": started[0]["response"]["id"]})
            )
            (ending,) = await ws_until_terminal(ws)
            await ws.send(create(previous_response_id="resp_unknown"))
            (not_found,) = await ws_until_terminal(ws)
    for event in [refused, *started, ending, not_found]:
        strictly(event, WS_CLASSES)
    assert ending["response"]["status"] == "cancelled"
