"""The emulator's ``POST /v1/chat/completions``: openai-python consumes it, every chunk
validates strictly against openai-python's ``ChatCompletionChunk`` (no undeclared field),
input is checked the API's way, and the same scripts and faults drive it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI, BadRequestError, RateLimitError
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from responses_client.emulator import (
    CallTool,
    Emulator,
    HttpStatus,
    Malformed,
    Reply,
    ScriptedModel,
    SendError,
)
from responses_client.emulator import create_app as create_emulator_app

from ._wire import parse_sse
from .test_conformance import undeclared

pytestmark = pytest.mark.anyio

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
TEXT = Reply(text="Sunny and warm.")
TWO_CALLS = Reply(
    tool_calls=[
        CallTool("get_weather", {"city": "Paris"}),
        CallTool("get_weather", {"city": "Rome"}),
    ]
)
USER = [{"role": "user", "content": "Weather in Paris and Rome?"}]


def strict_chunk(data: dict[str, Any]) -> ChatCompletionChunk:
    chunk = ChatCompletionChunk.model_validate(data)
    assert undeclared(chunk) == [], undeclared(chunk)
    for name, info in ChatCompletionChunk.model_fields.items():
        if info.is_required():
            assert name in data, name
    return chunk


async def raw_stream(client: httpx.AsyncClient, body: dict[str, Any]) -> list[str]:
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return [data for _, data in parse_sse(response.text)]


@pytest.fixture
def script() -> ScriptedModel:
    return ScriptedModel([])


@pytest.fixture
async def http(script: ScriptedModel) -> Any:
    app = create_emulator_app(script)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


@pytest.mark.parametrize("reply", [TEXT, TWO_CALLS], ids=["text", "parallel calls"])
async def test_every_chunk_validates_against_openai_python(
    http: httpx.AsyncClient, script: ScriptedModel, reply: Reply
) -> None:
    script.add(reply)
    body = {
        "model": "gpt-4.1",
        "messages": USER,
        "tools": [TOOL],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    data = await raw_stream(http, body)
    assert data[-1] == "[DONE]"
    chunks = [strict_chunk(json.loads(one)) for one in data[:-1]]
    assert len({chunk.id for chunk in chunks}) == 1
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finish == ["tool_calls" if reply.tool_calls else "stop"]


async def test_without_include_usage_no_usage_chunk(
    http: httpx.AsyncClient, script: ScriptedModel
) -> None:
    script.add(TEXT)
    data = await raw_stream(http, {"model": "m", "messages": USER, "stream": True})
    chunks = [strict_chunk(json.loads(one)) for one in data[:-1]]
    assert all(chunk.usage is None for chunk in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


@pytest.mark.parametrize("include", [None, True, False])
async def test_chunks_carry_obfuscation_unless_turned_off(
    http: httpx.AsyncClient, script: ScriptedModel, include: bool | None
) -> None:
    script.add(Reply(text="one two three four"))
    options: dict[str, Any] = {"include_usage": True}
    if include is not None:
        options["include_obfuscation"] = include
    body = {"model": "m", "messages": USER, "stream": True, "stream_options": options}
    chunks = [json.loads(one) for one in (await raw_stream(http, body))[:-1]]
    with_choice = [chunk for chunk in chunks if chunk["choices"]]
    paddings = [chunk.get("obfuscation") for chunk in with_choice]
    if include is False:
        assert paddings == [None] * len(with_choice)
    else:
        assert all(isinstance(p, str) and p for p in paddings)
        assert len(set(paddings)) > 1  # its length varies, as the API's does
    assert "obfuscation" not in chunks[-1]  # the usage chunk has no delta to pad


async def test_openai_python_streams_text_and_parallel_calls() -> None:
    script = ScriptedModel([TEXT, TWO_CALLS])
    async with Emulator(script) as emulator:
        client = AsyncOpenAI(base_url=emulator.base_url, api_key="sk-test")
        stream = await client.chat.completions.create(
            model="gpt-4.1",
            messages=USER,
            stream=True,
            stream_options={"include_usage": True},  # type: ignore[arg-type]
        )
        text = ""
        usage = None
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
            usage = chunk.usage or usage
        assert text == "Sunny and warm."
        assert (
            usage is not None
            and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
        )
        stream = await client.chat.completions.create(
            model="gpt-4.1",
            messages=USER,
            tools=[TOOL],
            stream=True,  # type: ignore[arg-type,list-item]
        )
        calls: dict[int, list[str]] = {}
        names: dict[int, str] = {}
        async for chunk in stream:
            for call in chunk.choices[0].delta.tool_calls or () if chunk.choices else ():
                calls.setdefault(call.index, []).append(call.function.arguments or "")  # type: ignore[union-attr]
                if call.function and call.function.name:
                    names[call.index] = call.function.name
        assert names == {0: "get_weather", 1: "get_weather"}
        assert [json.loads("".join(calls[i])) for i in (0, 1)] == [
            {"city": "Paris"},
            {"city": "Rome"},
        ]
        await client.close()


async def test_openai_python_non_streaming_create() -> None:
    script = ScriptedModel([TEXT, TWO_CALLS])
    async with Emulator(script) as emulator:
        client = AsyncOpenAI(base_url=emulator.base_url, api_key="sk-test")
        completion = await client.chat.completions.create(model="gpt-4.1", messages=USER)  # type: ignore[arg-type]
        assert completion.choices[0].message.content == "Sunny and warm."
        assert completion.choices[0].finish_reason == "stop"
        calls = await client.chat.completions.create(model="gpt-4.1", messages=USER, tools=[TOOL])  # type: ignore[arg-type,list-item]
        assert calls.choices[0].finish_reason == "tool_calls"
        assert [c.function.arguments for c in calls.choices[0].message.tool_calls or ()] == [  # type: ignore[union-attr]
            '{"city":"Paris"}',
            '{"city":"Rome"}',
        ]
        await client.close()
        raw = emulator.state.http_requests[-1]
        assert raw.path == "/v1/chat/completions" and raw.body["tools"] == [TOOL]
    for record in emulator.state.responses:
        assert record.transport == "chat" and record.status == "completed"
    assert emulator.state.responses[1].output[1]["arguments"] == '{"city":"Rome"}'
    ChatCompletion.model_validate(completion.model_dump())


TOOL_CALL_MESSAGE = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": "{}"},
        },
        {
            "id": "call_2",
            "type": "function",
            "function": {"name": "get_weather", "arguments": "{}"},
        },
    ],
}


@pytest.mark.parametrize(
    ("messages", "param", "message"),
    [
        ([], "messages", "empty array"),
        ([{"content": "x"}], "messages.[0].role", "Missing required parameter"),
        ([{"role": "robot", "content": "x"}], "messages.[0].role", "Invalid value: 'robot'"),
        ([{"role": "user", "content": 3}], "messages.[0].content", "expected a string or an array"),
        (
            [{"role": "user", "content": [{"type": "video"}]}],
            "messages.[0].content.[0].type",
            "Invalid value",
        ),
        (
            [
                *USER,
                TOOL_CALL_MESSAGE,
                {"role": "tool", "tool_call_id": "call_1", "content": "x"},
                *USER,
            ],
            "messages.[1].role",
            "call_2",
        ),
        (
            [*USER, {"role": "tool", "tool_call_id": "call_9", "content": "x"}],
            "messages.[1].role",
            "preceeding",
        ),
    ],
)
async def test_invalid_messages_are_400_in_the_api_shape(
    http: httpx.AsyncClient, script: ScriptedModel, messages: list[Any], param: str, message: str
) -> None:
    response = await http.post("/v1/chat/completions", json={"model": "m", "messages": messages})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and message in error["message"]
    assert error["type"] == "invalid_request_error"


async def test_answered_tool_calls_reach_the_model_as_items(
    http: httpx.AsyncClient, script: ScriptedModel
) -> None:
    script.add(TEXT)
    messages = [
        {"role": "system", "content": "Be brief."},
        *USER,
        TOOL_CALL_MESSAGE,
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "Rain"}]},
    ]
    response = await http.post("/v1/chat/completions", json={"model": "m", "messages": messages})
    assert response.status_code == 200
    (record,) = http.app.state.emulator.responses  # type: ignore[attr-defined]
    assert record.instructions == "Be brief."
    assert [item["type"] for item in record.resolved_input] == [
        "message",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]
    assert record.resolved_input[-1]["output"] == "Rain"


async def test_faults_drive_the_chat_wire(http: httpx.AsyncClient, script: ScriptedModel) -> None:
    script.add(Reply(text="a b c", faults=[Malformed(at=1)]))
    data = await raw_stream(http, {"model": "m", "messages": USER, "stream": True})
    assert data[1] == Malformed(at=1).data
    script.add(Reply(text="a b c", faults=[SendError(at=2, code="server_error")]))
    data = await raw_stream(http, {"model": "m", "messages": USER, "stream": True})
    assert json.loads(data[-1])["error"]["code"] == "server_error" and "[DONE]" not in data
    script.add(HttpStatus(429, headers={"retry-after": "2"}))
    response = await http.post("/v1/chat/completions", json={"model": "m", "messages": USER})
    assert response.status_code == 429 and response.headers["retry-after"] == "2"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    script.add(Reply(text="cut", end="incomplete"))
    data = await raw_stream(http, {"model": "m", "messages": USER, "stream": True})
    assert json.loads(data[-2])["choices"][0]["finish_reason"] == "length"


async def test_openai_python_raises_the_status_errors() -> None:
    script = ScriptedModel([HttpStatus(429)])
    async with Emulator(script) as emulator:
        client = AsyncOpenAI(base_url=emulator.base_url, api_key="sk-test", max_retries=0)
        with pytest.raises(RateLimitError):
            await client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
        with pytest.raises(BadRequestError):
            await client.chat.completions.create(model="m", messages=[])
        await client.close()


CALL = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": USER}, "model"),
        ({"model": 3, "messages": USER}, "model"),
        ({"model": "m"}, "messages"),
        ({"model": "m", "messages": {"role": "user"}}, "messages"),
        ({"model": "m", "messages": USER, "stream": "yes"}, "stream"),
        (
            {"model": "m", "messages": USER, "stream_options": {"include_usage": True}},
            "stream_options",
        ),
        (
            {"model": "m", "messages": USER, "max_tokens": 5, "max_completion_tokens": 5},
            "max_tokens",
        ),
        ({"model": "m", "messages": ["hi"]}, "messages.[0]"),
        ({"model": "m", "messages": [{"role": "user"}]}, "messages.[0].content"),
        (
            {"model": "m", "messages": [{"role": "tool", "content": "x"}]},
            "messages.[0].tool_call_id",
        ),
        ({"model": "m", "messages": [{"role": "assistant"}]}, "messages.[0].content"),
        (
            {"model": "m", "messages": [{"role": "assistant", "tool_calls": "f"}]},
            "messages.[0].tool_calls",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "assistant", "tool_calls": [{"type": "function"}]}],
            },
            "messages.[0].tool_calls.[0].id",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "assistant", "tool_calls": [{**CALL, "type": "x"}]}],
            },
            "messages.[0].tool_calls.[0].type",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "assistant", "tool_calls": [{**CALL, "function": {}}]}],
            },
            "messages.[0].tool_calls.[0].function.name",
        ),
        (
            {
                "model": "m",
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [{**CALL, "function": {"name": "f", "arguments": {}}}],
                    }
                ],
            },
            "messages.[0].tool_calls.[0].function.arguments",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]},
            "messages.[0].content.[0].text",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            },
            "messages.[0].content.[0].image_url.url",
        ),
        (
            {
                "model": "m",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": "u", "detail": "max"}}
                        ],
                    }
                ],
            },
            "messages.[0].content.[0].image_url.detail",
        ),
        (
            {
                "model": "m",
                "messages": [
                    {"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}
                ],
            },
            "messages.[0].content.[0].input_audio.data",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": [{"type": "file"}]}]},
            "messages.[0].content.[0].file",
        ),
        ({"model": "m", "messages": USER, "tools": {}}, "tools"),
        ({"model": "m", "messages": USER, "tools": [{"type": "web_search"}]}, "tools[0].type"),
        (
            {"model": "m", "messages": USER, "tools": [{"type": "function", "function": {}}]},
            "tools[0].function.name",
        ),
    ],
)
async def test_every_invalid_field_is_named_in_the_400(
    http: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    response = await http.post("/v1/chat/completions", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


async def test_every_part_type_reaches_the_model(
    http: httpx.AsyncClient, script: ScriptedModel
) -> None:
    script.add(TEXT)
    content = [
        {"type": "text", "text": "Look:"},
        {"type": "image_url", "image_url": {"url": "https://x/cat.png"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        {"type": "file", "file": {"file_id": "file-1"}},
    ]
    messages = [
        {"role": "user", "content": content},
        {"role": "assistant", "content": None, "refusal": "No."},
        {"role": "user", "content": "Please?"},
    ]
    tools = [TOOL, {"type": "custom", "custom": {"name": "grammar"}}]
    response = await http.post(
        "/v1/chat/completions", json={"model": "m", "messages": messages, "tools": tools}
    )
    assert response.status_code == 200
    (record,) = http.app.state.emulator.responses  # type: ignore[attr-defined]
    assert [part["type"] for part in record.resolved_input[0]["content"]] == [
        "input_text",
        "input_image",
        "input_audio",
        "input_file",
    ]
    assert record.resolved_input[1]["content"] == [{"type": "refusal", "refusal": "No."}]


async def test_a_non_streamed_answer_carries_the_faults_too(
    http: httpx.AsyncClient, script: ScriptedModel
) -> None:
    script.add(Reply(text="a b", faults=[Malformed(at=1)]))
    response = await http.post("/v1/chat/completions", json={"model": "m", "messages": USER})
    assert response.status_code == 200 and response.text == Malformed(at=1).data
    script.add(Reply(text="a b", faults=[SendError(at=1, code="server_error")]))
    response = await http.post("/v1/chat/completions", json={"model": "m", "messages": USER})
    assert response.status_code == 500 and response.json()["error"]["code"] == "server_error"
    script.add(Reply(text="a b", end="failed", error_code="server_error"))
    response = await http.post("/v1/chat/completions", json={"model": "m", "messages": USER})
    assert response.status_code == 500
    records = http.app.state.emulator.responses  # type: ignore[attr-defined]
    assert [record.status for record in records] == ["malformed", "error", "error"]
