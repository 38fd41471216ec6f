"""The emulator's pure engine and models: request in, steps out, no sockets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from responses_client.emulator import (
    CallTool,
    DefaultModel,
    Drop,
    HttpStatus,
    Malformed,
    ModelRequest,
    Pause,
    Reply,
    ScriptedModel,
    ScriptExhausted,
    SendError,
    SendUnknown,
)
from responses_client.emulator._engine import (
    DropStep,
    ErrorStep,
    EventStep,
    Ids,
    PauseStep,
    Plan,
    RawStep,
    cancelled_events,
    count_tokens,
    plan_response,
)
from responses_client.emulator._errors import WireError, status_error
from responses_client.emulator._input import Context, resolve_input

BODY: dict[str, Any] = {"model": "gpt-4.1", "input": "hi"}


def plan(reply: Reply, **body: Any) -> Plan:
    request = {**BODY, **body}
    resolved = resolve_input(request, None)
    return plan_response(
        body=request, reply=reply, resolved_input=resolved, cached_tokens=0, ids=Ids(), now=1000.5
    )


def events(result: Plan) -> list[dict[str, Any]]:
    return [step.event for step in result.steps if isinstance(step, EventStep)]


def event_types(result: Plan) -> list[str]:
    return [event["type"] for event in events(result)]


# -- validation ------------------------------------------------------------------------

GOOD_INPUTS: list[Any] = [
    "plain text",
    [{"role": "user", "content": "x"}],
    [{"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "x"}]}],
    [{"role": "system", "content": "x"}, {"role": "assistant", "content": "y"}],
    [{"role": "assistant", "content": [{"type": "output_text", "text": "y"}]}],
    [
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"},
    ],
    [
        {
            "role": "user",
            "content": [{"type": "input_image", "image_url": "data:,", "detail": "auto"}],
        }
    ],
]


@pytest.mark.parametrize("value", GOOD_INPUTS)
def test_valid_inputs_resolve(value: Any) -> None:
    resolved = resolve_input({**BODY, "input": value}, None)
    assert len(resolved) == (1 if isinstance(value, str) else len(value))


BAD_INPUTS: list[tuple[Any, str | None, str]] = [
    ([{"role": "bot", "content": "x"}], "invalid_value", "input[0].role"),
    ([{"type": "message", "content": "x"}], "missing_required_parameter", "input[0].role"),
    (
        [{"role": "user", "content": [{"type": "output_text", "text": "x"}]}],
        "invalid_value",
        "input[0].content[0].type",
    ),
    (
        [{"role": "user", "content": [{"type": "input_text"}]}],
        "missing_required_parameter",
        "input[0].content[0].text",
    ),
    ([{"role": "user", "content": 5}], "invalid_type", "input[0].content"),
    ([{"type": "chat_message"}], "invalid_value", "input[0].type"),
    (["just a string"], "invalid_type", "input[0]"),
    (
        [{"type": "function_call", "call_id": "c", "name": "f"}],
        "missing_required_parameter",
        "input[0].arguments",
    ),
    (
        [{"type": "function_call_output", "call_id": "c"}],
        "missing_required_parameter",
        "input[0].output",
    ),
    (42, "invalid_type", "input"),
]


@pytest.mark.parametrize(("value", "code", "param"), BAD_INPUTS)
def test_invalid_inputs_raise_the_api_error(value: Any, code: str, param: str) -> None:
    with pytest.raises(WireError) as caught:
        resolve_input({**BODY, "input": value}, None)
    assert (caught.value.status, caught.value.code, caught.value.param) == (400, code, param)


def test_tool_output_rule_spans_the_previous_context() -> None:
    call = {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"}
    previous = Context(input=[{"role": "user", "content": "x"}], output=[call])
    with pytest.raises(WireError, match=r"^No tool output found for function call call_1\.$"):
        resolve_input({**BODY, "input": [{"role": "user", "content": "and?"}]}, previous)
    output = {"type": "function_call_output", "call_id": "call_1", "output": "done"}
    resolved = resolve_input({**BODY, "input": [output]}, previous)
    assert resolved == [*previous.input, call, output]


def test_missing_model_and_bad_tools() -> None:
    with pytest.raises(WireError, match="'model'"):
        resolve_input({"input": "x"}, None)
    with pytest.raises(WireError) as caught:
        resolve_input({**BODY, "tools": [{"type": "function"}]}, None)
    assert caught.value.param == "tools[0].name"


def test_wire_error_shapes() -> None:
    error = WireError(
        429, "slow", type="requests", code="rate_limit_exceeded", headers={"retry-after": "1"}
    )
    assert error.http_body() == {
        "error": {
            "type": "requests",
            "code": "rate_limit_exceeded",
            "message": "slow",
            "param": None,
        }
    }
    assert error.ws_event()["status"] == 429
    assert error.ws_event()["error"]["headers"] == {"retry-after": "1"}


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        (429, "requests", "rate_limit_exceeded"),
        (503, "server_error", "server_error"),
        (418, "invalid_request_error", None),
    ],
)
def test_status_error_defaults(status: int, kind: str, code: str | None) -> None:
    error = status_error(HttpStatus(status))
    assert (error.status, error.type, error.code) == (status, kind, code)
    assert error.message


# -- planning ----------------------------------------------------------------------------


def test_text_plan_order_and_sequence_numbers() -> None:
    result = plan(Reply(text="one two three"))
    types = event_types(result)
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 3,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert all(isinstance(step, EventStep) for step in result.steps)
    sequence = [event["sequence_number"] for event in events(result)]
    assert sequence == list(range(len(sequence)))
    deltas = [e["delta"] for e in events(result) if e["type"] == "response.output_text.delta"]
    assert deltas == ["one", " two", " three"]
    assert result.final is not None
    assert result.final["created_at"] == 1000 and result.final["completed_at"] == 1000


def test_calls_follow_the_message_with_their_own_output_index() -> None:
    result = plan(
        Reply(text="x", tool_calls=[CallTool("a", {"n": 1}), CallTool("b", '{"raw"', "call_b")])
    )
    assert result.final is not None
    output = result.final["output"]
    assert [item["type"] for item in output] == ["message", "function_call", "function_call"]
    assert json.loads(output[1]["arguments"]) == {"n": 1}
    assert output[2]["arguments"] == '{"raw"' and output[2]["call_id"] == "call_b"
    done = [e for e in events(result) if e["type"] == "response.function_call_arguments.done"]
    assert [p["output_index"] for p in done] == [1, 2]


def test_usage_is_consistent_and_counts_cached_context() -> None:
    request = {**BODY, "input": "a" * 400}
    resolved = resolve_input(request, None)
    result = plan_response(
        body=request,
        reply=Reply(text="b" * 40),
        resolved_input=resolved,
        cached_tokens=50,
        ids=Ids(),
        now=0,
    )
    assert result.final is not None
    usage = result.final["usage"]
    assert usage["input_tokens"] == count_tokens(resolved) >= 100
    assert usage["input_tokens_details"]["cached_tokens"] == 50
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


@pytest.mark.parametrize(
    ("end", "terminal", "status"),
    [
        ("completed", "response.completed", "completed"),
        ("failed", "response.failed", "failed"),
        ("incomplete", "response.incomplete", "incomplete"),
    ],
)
def test_endings(end: Any, terminal: str, status: str) -> None:
    result = plan(Reply(text="x", end=end))
    assert event_types(result)[-1] == terminal
    assert result.final is not None and result.final["status"] == status


def test_faults_are_placed_by_event_index() -> None:
    reply = Reply(
        text="a b",
        faults=[Malformed(at=1), SendUnknown(at=2), Pause(at=3, seconds=0.5), Drop(after=5)],
    )
    result = plan(reply)
    kinds = [type(step) for step in result.steps]
    assert kinds == [
        *[EventStep, RawStep, EventStep, EventStep, EventStep],
        *[PauseStep, EventStep, EventStep, EventStep, DropStep],
    ]
    assert result.steps[1] == RawStep(Malformed(at=1).data)
    assert result.steps[5] == PauseStep(0.5)
    unknown = result.steps[3]
    assert isinstance(unknown, EventStep)
    assert unknown.event["type"] == "response.emulator_future_event"
    assert [e["sequence_number"] for e in events(result)] == list(range(7))
    assert result.final is None


def test_error_fault_replaces_the_rest() -> None:
    result = plan(Reply(text="a b", faults=[SendError(at=2, code="server_error")]))
    assert [type(step) for step in result.steps] == [EventStep, EventStep, ErrorStep]
    last = result.steps[-1]
    assert isinstance(last, ErrorStep)
    assert (last.error.code, last.sequence_number) == ("server_error", 2)
    assert result.final is None


def test_cancelled_events_keep_finished_items_only() -> None:
    result = plan(Reply(text="a", tool_calls=[CallTool("f")]))
    first_done = next(
        i
        for i, step in enumerate(result.steps)
        if isinstance(step, EventStep) and step.event["type"] == "response.output_item.done"
    )
    (ending,) = cancelled_events(result, first_done + 2)
    assert ending["type"] == "response.incomplete"
    assert ending["response"]["status"] == "cancelled"
    assert [item["type"] for item in ending["response"]["output"]] == ["message"]
    assert ending["sequence_number"] == first_done + 2
    (early,) = cancelled_events(result, 1)
    assert early["response"]["output"] == [] and early["sequence_number"] == 1


def test_ids_are_deterministic_and_look_real() -> None:
    first, second = Ids(seed=7), Ids(seed=7)
    assert [first.response(), first.message(), first.call()] == [
        second.response(),
        second.message(),
        second.call(),
    ]
    assert Ids(seed=8).response() != Ids(seed=7).response()
    assert len(Ids().response()) == len("resp_") + 48


# -- models --------------------------------------------------------------------------------

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "days", "unit"],
    },
}


def ask(items: list[dict[str, Any]], tools: list[dict[str, Any]] = [WEATHER]) -> Reply:  # noqa: B006
    request = ModelRequest(body={}, input=items, instructions=None, tools=tools, transport="http")
    return DefaultModel().reply(request)


@pytest.mark.parametrize(
    ("message", "arguments"),
    [
        (
            "What's the weather in Paris for 3 days?",
            {"city": "Paris", "days": 3, "unit": "celsius"},
        ),
        ("get_weather please, Tokyo", {"city": "Tokyo", "days": 1, "unit": "celsius"}),
        ("weather near Lima", {"city": "Lima", "days": 1, "unit": "celsius"}),
    ],
)
def test_default_model_calls_a_matching_tool(message: str, arguments: dict[str, Any]) -> None:
    reply = ask([{"role": "user", "content": message}])
    (call,) = reply.tool_calls
    assert call.name == "get_weather" and call.arguments == arguments


def test_default_model_answers_without_a_matching_tool() -> None:
    reply = ask([{"role": "user", "content": [{"type": "input_text", "text": "Tell me a joke"}]}])
    assert not reply.tool_calls
    assert isinstance(reply.text, str) and "Tell me a joke" in reply.text


def test_default_model_uses_the_tool_output() -> None:
    items = [
        {"role": "user", "content": "weather in Rome"},
        {"type": "function_call", "call_id": "c", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "Sunny"},
    ]
    assert ask(items).text == "The get_weather tool says: Sunny"


def test_default_model_greets_an_empty_conversation() -> None:
    assert ask([]).text == "Hello! How can I help you today?"


def test_scripted_model_queue_then_and_exhaustion() -> None:
    request = ModelRequest(body={}, input=[], instructions=None, tools=[], transport="websocket")
    script = ScriptedModel(["one", HttpStatus(503)])
    assert script.reply(request) == Reply(text="one")
    assert script.reply(request) == HttpStatus(503)
    with pytest.raises(ScriptExhausted, match="ran out after 2 replies"):
        script.reply(request)
    fallback = ScriptedModel([], then=DefaultModel())
    assert fallback.reply(request) == Reply(text="Hello! How can I help you today?")
    assert fallback.remaining == 0 and len(fallback.used) == 1
