"""Events: every wire type parses into its model; unknown types, errors, leniency, garbage."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responses_client import events as ev
from responses_client._exceptions import RemoteProtocolError
from responses_client._items import FunctionCall, Message, OutputText, Reasoning, UnknownItem

# -- realistic payloads, shaped like the API's --------------------------------------

RESPONSE: dict[str, Any] = {
    "id": "resp_68a1c0f2",
    "object": "response",
    "created_at": 1755430130,
    "status": "in_progress",
    "background": False,
    "error": None,
    "incomplete_details": None,
    "instructions": "Be brief.",
    "max_output_tokens": None,
    "model": "gpt-4.1-2025-04-14",
    "output": [],
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "reasoning": {"effort": None, "summary": None},
    "store": False,
    "temperature": 1.0,
    "text": {"format": {"type": "text"}, "verbosity": "medium"},
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
    "truncation": "disabled",
    "usage": None,
    "user": None,
    "metadata": {},
}

MESSAGE_ITEM: dict[str, Any] = {
    "id": "msg_68a1",
    "type": "message",
    "status": "completed",
    "role": "assistant",
    "content": [{"type": "output_text", "text": "Hello world", "annotations": [], "logprobs": []}],
}
CALL_ITEM: dict[str, Any] = {
    "id": "fc_68a1",
    "type": "function_call",
    "status": "completed",
    "call_id": "call_Xy12",
    "name": "get_weather",
    "arguments": '{"city":"Paris"}',
}
COMPLETED_RESPONSE: dict[str, Any] = {
    **RESPONSE,
    "status": "completed",
    "output": [MESSAGE_ITEM, CALL_ITEM],
    "usage": {
        "input_tokens": 120,
        "input_tokens_details": {"cached_tokens": 64, "cache_write_tokens": 0},
        "output_tokens": 30,
        "output_tokens_details": {"reasoning_tokens": 8},
        "total_tokens": 150,
    },
}
ITEM = {"item_id": "msg_68a1", "output_index": 0}
TOOL = {"item_id": "ws_68a1", "output_index": 1}

# (model, payload without sequence_number); each payload also validates against the
# official openai-python types (see test_payloads_match_the_official_types).
EVENTS: list[tuple[type[ev.BaseEvent], dict[str, Any]]] = [
    # response lifecycle
    (ev.ResponseCreatedEvent, {"type": "response.created", "response": RESPONSE}),
    (
        ev.ResponseQueuedEvent,
        {"type": "response.queued", "response": {**RESPONSE, "status": "queued"}},
    ),
    (ev.ResponseInProgressEvent, {"type": "response.in_progress", "response": RESPONSE}),
    (ev.ResponseCompletedEvent, {"type": "response.completed", "response": COMPLETED_RESPONSE}),
    (
        ev.ResponseFailedEvent,
        {
            "type": "response.failed",
            "response": {
                **RESPONSE,
                "status": "failed",
                "error": {"code": "server_error", "message": "The server had an error."},
            },
        },
    ),
    (
        ev.ResponseIncompleteEvent,
        {
            "type": "response.incomplete",
            "response": {
                **RESPONSE,
                "status": "incomplete",
                "incomplete_details": {"reason": "max_output_tokens"},
            },
        },
    ),
    # output items and content parts
    (
        ev.OutputItemAddedEvent,
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**MESSAGE_ITEM, "status": "in_progress", "content": []},
        },
    ),
    (
        ev.OutputItemDoneEvent,
        {"type": "response.output_item.done", "output_index": 1, "item": CALL_ITEM},
    ),
    (
        ev.ContentPartAddedEvent,
        {
            "type": "response.content_part.added",
            **ITEM,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []},
        },
    ),
    (
        ev.ContentPartDoneEvent,
        {
            "type": "response.content_part.done",
            **ITEM,
            "content_index": 0,
            "part": {
                "type": "output_text",
                "text": "Hello world",
                "annotations": [],
                "logprobs": [],
            },
        },
    ),
    # text and refusals
    (
        ev.OutputTextDeltaEvent,
        {
            "type": "response.output_text.delta",
            **ITEM,
            "content_index": 0,
            "delta": " world",
            "logprobs": [],
            "obfuscation": "aZ3kQ9",
        },
    ),
    (
        ev.OutputTextDoneEvent,
        {
            "type": "response.output_text.done",
            **ITEM,
            "content_index": 0,
            "text": "Hello world",
            "logprobs": [],
        },
    ),
    (
        ev.OutputTextAnnotationAddedEvent,
        {
            "type": "response.output_text.annotation.added",
            **ITEM,
            "content_index": 0,
            "annotation_index": 0,
            "annotation": {
                "type": "url_citation",
                "start_index": 0,
                "end_index": 5,
                "title": "Example",
                "url": "https://example.com",
            },
        },
    ),
    (
        ev.RefusalDeltaEvent,
        {"type": "response.refusal.delta", **ITEM, "content_index": 0, "delta": "I can"},
    ),
    (
        ev.RefusalDoneEvent,
        {"type": "response.refusal.done", **ITEM, "content_index": 0, "refusal": "I can't help."},
    ),
    # function calls and custom tool calls
    (
        ev.FunctionCallArgumentsDeltaEvent,
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_68a1",
            "output_index": 1,
            "delta": '{"city"',
            "obfuscation": "Qx",
        },
    ),
    (
        ev.FunctionCallArgumentsDoneEvent,
        {
            "type": "response.function_call_arguments.done",
            "item_id": "fc_68a1",
            "output_index": 1,
            "arguments": '{"city":"Paris"}',
        },
    ),
    (
        ev.CustomToolCallInputDeltaEvent,
        {
            "type": "response.custom_tool_call_input.delta",
            "item_id": "ctc_1",
            "output_index": 0,
            "delta": "SELECT",
        },
    ),
    (
        ev.CustomToolCallInputDoneEvent,
        {
            "type": "response.custom_tool_call_input.done",
            "item_id": "ctc_1",
            "output_index": 0,
            "input": "SELECT 1",
        },
    ),
    # reasoning
    (
        ev.ReasoningSummaryPartAddedEvent,
        {
            "type": "response.reasoning_summary_part.added",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
    ),
    (
        ev.ReasoningSummaryPartDoneEvent,
        {
            "type": "response.reasoning_summary_part.done",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": "Thinking about weather."},
        },
    ),
    (
        ev.ReasoningSummaryTextDeltaEvent,
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "Thinking",
        },
    ),
    (
        ev.ReasoningSummaryTextDoneEvent,
        {
            "type": "response.reasoning_summary_text.done",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "text": "Thinking about weather.",
        },
    ),
    (
        ev.ReasoningTextDeltaEvent,
        {
            "type": "response.reasoning_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "so",
        },
    ),
    (
        ev.ReasoningTextDoneEvent,
        {
            "type": "response.reasoning_text.done",
            "item_id": "rs_1",
            "output_index": 0,
            "content_index": 0,
            "text": "so",
        },
    ),
    # audio
    (ev.AudioDeltaEvent, {"type": "response.audio.delta", "delta": "UklGRiQAAABXQVZF"}),
    (ev.AudioDoneEvent, {"type": "response.audio.done"}),
    (ev.AudioTranscriptDeltaEvent, {"type": "response.audio.transcript.delta", "delta": "Hel"}),
    (ev.AudioTranscriptDoneEvent, {"type": "response.audio.transcript.done"}),
    # built-in tools
    (ev.WebSearchCallInProgressEvent, {"type": "response.web_search_call.in_progress", **TOOL}),
    (ev.WebSearchCallSearchingEvent, {"type": "response.web_search_call.searching", **TOOL}),
    (ev.WebSearchCallCompletedEvent, {"type": "response.web_search_call.completed", **TOOL}),
    (ev.FileSearchCallInProgressEvent, {"type": "response.file_search_call.in_progress", **TOOL}),
    (ev.FileSearchCallSearchingEvent, {"type": "response.file_search_call.searching", **TOOL}),
    (ev.FileSearchCallCompletedEvent, {"type": "response.file_search_call.completed", **TOOL}),
    (
        ev.CodeInterpreterCallInProgressEvent,
        {"type": "response.code_interpreter_call.in_progress", **TOOL},
    ),
    (
        ev.CodeInterpreterCallInterpretingEvent,
        {"type": "response.code_interpreter_call.interpreting", **TOOL},
    ),
    (
        ev.CodeInterpreterCallCompletedEvent,
        {"type": "response.code_interpreter_call.completed", **TOOL},
    ),
    (
        ev.CodeInterpreterCallCodeDeltaEvent,
        {"type": "response.code_interpreter_call_code.delta", **TOOL, "delta": "print("},
    ),
    (
        ev.CodeInterpreterCallCodeDoneEvent,
        {"type": "response.code_interpreter_call_code.done", **TOOL, "code": "print(1)"},
    ),
    (
        ev.ImageGenerationCallInProgressEvent,
        {"type": "response.image_generation_call.in_progress", **TOOL},
    ),
    (
        ev.ImageGenerationCallGeneratingEvent,
        {"type": "response.image_generation_call.generating", **TOOL},
    ),
    (
        ev.ImageGenerationCallPartialImageEvent,
        {
            "type": "response.image_generation_call.partial_image",
            **TOOL,
            "partial_image_index": 0,
            "partial_image_b64": "iVBORw0KGgo=",
            "size": "1024x1024",
        },
    ),
    (
        ev.ImageGenerationCallCompletedEvent,
        {"type": "response.image_generation_call.completed", **TOOL},
    ),
    (ev.McpCallInProgressEvent, {"type": "response.mcp_call.in_progress", **TOOL}),
    (ev.McpCallCompletedEvent, {"type": "response.mcp_call.completed", **TOOL}),
    (ev.McpCallFailedEvent, {"type": "response.mcp_call.failed", **TOOL}),
    (
        ev.McpCallArgumentsDeltaEvent,
        {"type": "response.mcp_call_arguments.delta", **TOOL, "delta": '{"q"'},
    ),
    (
        ev.McpCallArgumentsDoneEvent,
        {"type": "response.mcp_call_arguments.done", **TOOL, "arguments": '{"q":"x"}'},
    ),
    (ev.McpListToolsInProgressEvent, {"type": "response.mcp_list_tools.in_progress", **TOOL}),
    (ev.McpListToolsCompletedEvent, {"type": "response.mcp_list_tools.completed", **TOOL}),
    (ev.McpListToolsFailedEvent, {"type": "response.mcp_list_tools.failed", **TOOL}),
    (
        ev.ShellCallCommandAddedEvent,
        {
            "type": "response.shell_call_command.added",
            "output_index": 0,
            "command_index": 0,
            "command": "",
        },
    ),
    (
        ev.ShellCallCommandDeltaEvent,
        {
            "type": "response.shell_call_command.delta",
            "output_index": 0,
            "command_index": 0,
            "delta": "ls -",
        },
    ),
    (
        ev.ShellCallCommandDoneEvent,
        {
            "type": "response.shell_call_command.done",
            "output_index": 0,
            "command_index": 0,
            "command": "ls -la",
        },
    ),
    (
        ev.ShellCallOutputContentDeltaEvent,
        {
            "type": "response.shell_call_output_content.delta",
            "item_id": "sh_1",
            "output_index": 0,
            "command_index": 0,
            "delta": {"stdout": "total 8\n"},
        },
    ),
    (
        ev.ShellCallOutputContentDoneEvent,
        {
            "type": "response.shell_call_output_content.done",
            "item_id": "sh_1",
            "output_index": 0,
            "command_index": 0,
            "output": [
                {"stdout": "total 8\n", "stderr": "", "outcome": {"type": "exit", "exit_code": 0}}
            ],
        },
    ),
    (
        ev.CompactionCompactingEvent,
        {"type": "response.compaction.compacting", "item_id": "cmp_1", "output_index": 0},
    ),
    # errors (SSE shape; the WebSocket shape has its own tests below)
    (
        ev.ErrorEvent,
        {
            "type": "error",
            "code": "server_error",
            "message": "The server had an error.",
            "param": None,
        },
    ),
]

# WebSocket-only events, checked against the official WebSocket server-event union.
WS_EVENTS: list[tuple[type[ev.BaseEvent], dict[str, Any]]] = [
    (
        ev.ResponseSteerAcceptedEvent,
        {
            "type": "response.steer.accepted",
            "steer": {"id": "st_1", "previous_response_id": "resp_1"},
        },
    ),
    (
        ev.ResponseSteerFailedEvent,
        {
            "type": "response.steer.failed",
            "steer": {"previous_response_id": "resp_1", "input": "also in Rome"},
            "error": {
                "type": "invalid_request_error",
                "code": "response_already_completed",
                "message": "The response already completed.",
            },
        },
    ),
    (
        ev.ResponseSteerPendingEvent,
        {
            "type": "response.steer.pending",
            "steer": {"id": "st_1", "previous_response_id": "resp_1"},
            "reason": "waiting_for_required_input",
            "required_input": [{"type": "function_call_output", "call_id": "call_1", "name": "f"}],
        },
    ),
    (
        ev.ErrorEvent,
        {
            "type": "error",
            "status": 400,
            "error": {
                "type": "invalid_request_error",
                "code": "previous_response_not_found",
                "message": "Previous response with id 'resp_1' not found.",
                "param": "previous_response_id",
            },
        },
    ),
]

ALL_EVENTS = EVENTS + WS_EVENTS


def _frame(payload: dict[str, Any], seq: int = 7) -> bytes:
    return json.dumps({**payload, "sequence_number": seq}).encode()


@pytest.mark.parametrize(
    ("model", "payload"),
    ALL_EVENTS,
    ids=[f"{p['type']}-{i}" for i, (_, p) in enumerate(ALL_EVENTS)],
)
def test_every_event_parses_into_its_model(
    model: type[ev.BaseEvent], payload: dict[str, Any]
) -> None:
    event = ev.parse_event(_frame(payload))
    assert type(event) is model
    assert event.type == payload["type"]
    assert event.sequence_number == 7
    # Every field of the payload is readable under its wire name, declared or not.
    dumped = event.model_dump(mode="json", exclude_none=True)
    for key, value in payload.items():
        if isinstance(value, (str, int)) and key != "error":
            assert dumped[key] == value, key


def test_the_table_covers_every_known_type() -> None:
    assert {p["type"] for _, p in ALL_EVENTS} == set(ev.SERVER_EVENT_TYPES)
    assert set(ev.SERVER_EVENT_TYPES.values()) == {m for m, _ in ALL_EVENTS}


def _official_types(union: Any) -> set[str]:
    members = typing.get_args(typing.get_args(union)[0])
    return {typing.get_args(m.model_fields["type"].annotation)[0] for m in members}


@pytest.mark.conformance
def test_every_official_event_type_is_known() -> None:
    from openai.types.responses.response_stream_event import ResponseStreamEvent
    from openai.types.responses.responses_server_event import ResponsesServerEvent

    official = _official_types(ResponseStreamEvent) | _official_types(ResponsesServerEvent)
    assert official - set(ev.SERVER_EVENT_TYPES) == set()


@pytest.mark.conformance
@pytest.mark.parametrize(("model", "payload"), ALL_EVENTS, ids=[p["type"] for _, p in ALL_EVENTS])
def test_payloads_match_the_official_types(
    model: type[ev.BaseEvent], payload: dict[str, Any]
) -> None:
    """The payloads above are real shapes: openai-python's own models accept them."""
    from openai.types.responses.response_stream_event import ResponseStreamEvent
    from openai.types.responses.responses_server_event import ResponsesServerEvent
    from pydantic import TypeAdapter

    union = ResponsesServerEvent if (model, payload) in WS_EVENTS else ResponseStreamEvent
    official = TypeAdapter(union).validate_python({**payload, "sequence_number": 7})
    assert official.type == payload["type"]


# -- fields that carry meaning ------------------------------------------------------


def test_text_delta_fields() -> None:
    event = ev.parse_event(_frame(EVENTS[10][1]))
    assert isinstance(event, ev.OutputTextDeltaEvent)
    assert (event.item_id, event.output_index, event.content_index) == ("msg_68a1", 0, 0)
    assert event.delta == " world"
    assert event.logprobs == []
    assert event.obfuscation == "aZ3kQ9"


def test_completed_response_is_typed() -> None:
    event = ev.parse_event(_frame({"type": "response.completed", "response": COMPLETED_RESPONSE}))
    assert isinstance(event, ev.ResponseCompletedEvent)
    response = event.response
    assert response.id == "resp_68a1c0f2"
    assert response.status == "completed"
    assert response.model == "gpt-4.1-2025-04-14"
    message, call = response.output
    assert isinstance(message, Message)
    assert isinstance(call, FunctionCall)
    assert call.to_wire() == CALL_ITEM
    assert response.output_text == "Hello world"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (120, 30)
    assert response.usage.total_tokens == 150
    assert response.usage.cached_tokens == 64
    assert response.usage.reasoning_tokens == 8
    assert response.tool_choice == "auto"  # type: ignore[attr-defined]  # kept as an extra


def test_output_text_skips_other_items_and_parts() -> None:
    response = ev.Response.model_validate(
        {
            "id": "resp_1",
            "output": [
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [
                        {"type": "output_text", "text": "A"},
                        {"type": "refusal", "refusal": "no"},
                    ],
                },
                {"type": "web_search_call", "id": "ws_1"},
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "B"}],
                },
            ],
        }
    )
    assert isinstance(response.output[0], Reasoning)
    assert isinstance(response.output[2], UnknownItem)
    assert response.output_text == "AB"


def test_failed_and_incomplete_details() -> None:
    failed = ev.parse_event(_frame(EVENTS[4][1]))
    incomplete = ev.parse_event(_frame(EVENTS[5][1]))
    assert isinstance(failed, ev.ResponseFailedEvent)
    assert failed.response.error == ev.ResponseError(
        code="server_error", message="The server had an error."
    )
    assert isinstance(incomplete, ev.ResponseIncompleteEvent)
    assert incomplete.response.incomplete_details is not None
    assert incomplete.response.incomplete_details.reason == "max_output_tokens"


def test_item_events_carry_typed_items_and_parts() -> None:
    done = ev.parse_event(_frame(EVENTS[7][1]))
    part = ev.parse_event(_frame(EVENTS[9][1]))
    assert isinstance(done, ev.OutputItemDoneEvent)
    assert isinstance(done.item, FunctionCall)
    assert done.item.arguments == '{"city":"Paris"}'
    assert isinstance(part, ev.ContentPartDoneEvent)
    assert isinstance(part.part, OutputText)
    assert part.part.text == "Hello world"


# -- errors: both shapes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "code", "message", "param", "status"),
    [
        (
            {
                "type": "error",
                "code": "rate_limit_exceeded",
                "message": "Slow down.",
                "param": None,
                "sequence_number": 3,
            },
            "rate_limit_exceeded",
            "Slow down.",
            None,
            None,
        ),
        (
            WS_EVENTS[3][1],
            "previous_response_not_found",
            "Previous response with id 'resp_1' not found.",
            "previous_response_id",
            400,
        ),
        (
            {
                "type": "error",
                "status": 400,
                "error": {
                    "type": "invalid_request_error",
                    "code": "websocket_connection_limit_reached",
                    "message": "Connection limit reached (60 minutes).",
                },
            },
            "websocket_connection_limit_reached",
            "Connection limit reached (60 minutes).",
            None,
            400,
        ),
        ({"type": "error", "error": "upstream timeout"}, None, "upstream timeout", None, None),
        ({"type": "error", "code": 500, "message": None}, "500", "", None, None),
        ({"type": "error"}, None, "", None, None),
    ],
)
def test_error_shapes(
    payload: dict[str, Any], code: str | None, message: str, param: str | None, status: int | None
) -> None:
    event = ev.parse_event(json.dumps(payload))
    assert isinstance(event, ev.ErrorEvent)
    assert (event.code, event.message, event.param, event.status) == (code, message, param, status)


def test_ws_error_keeps_nested_object() -> None:
    event = ev.parse_event(json.dumps(WS_EVENTS[3][1]))
    assert isinstance(event, ev.ErrorEvent)
    assert event.error is not None
    assert event.error.type == "invalid_request_error"
    assert event.error.code == "previous_response_not_found"


# -- unknown types, leniency ------------------------------------------------------------


def test_unknown_type_becomes_unknown_event() -> None:
    raw = {
        "type": "response.hologram.delta",
        "item_id": "h_1",
        "delta": {"x": [1, 2]},
        "sequence_number": 9,
    }
    event = ev.parse_event(json.dumps(raw))
    assert isinstance(event, ev.UnknownEvent)
    assert event.type == "response.hologram.delta"
    assert event.raw == raw
    assert not ev.is_terminal(event)


def test_unknown_type_with_any_payload_is_not_an_error() -> None:
    event = ev.parse_event(b'{"type": "", "response": 5}')
    assert isinstance(event, ev.UnknownEvent)
    assert event.raw == {"type": "", "response": 5}


@pytest.mark.parametrize(
    ("frame", "check"),
    [
        # No sequence_number, output_index, content_index, logprobs or obfuscation.
        (
            {"type": "response.output_text.delta", "item_id": "m", "delta": "x"},
            lambda e: (
                (e.sequence_number, e.output_index, e.content_index, e.logprobs, e.obfuscation)
                == (None, None, None, None, None)
            ),
        ),
        # A response with nothing but its id.
        (
            {"type": "response.created", "response": {"id": "resp_1"}},
            lambda e: (e.response.output, e.response.usage, e.response.status) == ([], None, None),
        ),
        # Usage details null or missing read as 0.
        (
            {
                "type": "response.completed",
                "response": {
                    "id": "r",
                    "usage": {"input_tokens": 5, "output_tokens": 2, "input_tokens_details": None},
                },
            },
            lambda e: (
                (
                    e.response.usage.cached_tokens,
                    e.response.usage.reasoning_tokens,
                    e.response.usage.total_tokens,
                )
                == (0, 0, 0)
            ),
        ),
        # New fields are kept.
        (
            {
                "type": "response.output_text.delta",
                "item_id": "m",
                "delta": "x",
                "stream_id": "lane-1",
            },
            lambda e: e.stream_id == "lane-1",
        ),
        # An output item of a type the SDK does not know.
        (
            {"type": "response.output_item.added", "item": {"type": "computer_call", "id": "cu_1"}},
            lambda e: (
                isinstance(e.item, UnknownItem)
                and e.item.to_wire() == {"type": "computer_call", "id": "cu_1"}
            ),
        ),
    ],
)
def test_leniency(frame: dict[str, Any], check: Any) -> None:
    assert check(ev.parse_event(json.dumps(frame)))


# -- malformed frames -------------------------------------------------------------------


MALFORMED: list[tuple[str | bytes, str]] = [
    (b"", "not valid JSON"),
    (b"{", "not valid JSON"),
    (b"data: {}", "not valid JSON"),
    (b"\xff\xfe{}", "not valid JSON"),
    ('{"type": "x", "t": "\ud800"}', "not valid Unicode"),
    (b"[1, 2]", "not a JSON object but an array"),
    (b'"response.completed"', "not a JSON object but a string"),
    (b"null", "not a JSON object but null"),
    (b"42", "not a JSON object but a number"),
    (b"true", "not a JSON object but a boolean"),
    (b"{}", "no string 'type'"),
    (b'{"type": 5}', "no string 'type'"),
    (b'{"type": null}', "no string 'type'"),
    (b'{"type": {"a": 1}}', "no string 'type'"),
    (
        b'{"type": "response.output_text.delta", "item_id": "m"}',
        "invalid 'response.output_text.delta' event: field 'delta': Field required",
    ),
    (
        b'{"type": "response.output_text.delta", "item_id": 5, "delta": "x"}',
        "field 'item_id': Input should be a valid string",
    ),
    (
        b'{"type": "response.output_text.delta", "item_id": "m", "delta": "x", '
        b'"output_index": "first"}',
        "field 'output_index'",
    ),
    # Compact, as the API writes them: text deltas take their own model's validator.
    (
        b'{"type":"response.output_text.delta","item_id":"m"}',
        "invalid 'response.output_text.delta' event: field 'delta': Field required",
    ),
    (
        b'{"type":"response.output_text.delta","item_id":"m","delta":7}',
        "field 'delta': Input should be a valid string",
    ),
    (b'{"type":"response.output_text.delta","item_id":"m",', "not valid JSON"),
    (b'{"type":"response.output_text.delta"}\xff', "not valid JSON"),
    (b'{"type": "response.function_call_arguments.done", "item_id": "fc"}', "field 'arguments'"),
    (b'{"type": "response.completed"}', "invalid 'response.completed' event: field 'response'"),
    (b'{"type": "response.completed", "response": {}}', "field 'response.id'"),
    (
        b'{"type": "response.completed", "response": {"id": "r", "output": '
        b'[{"type": "function_call", "call_id": "c", "name": "f"}]}}',
        "field 'response.output.0.arguments'",
    ),
    (
        b'{"type": "response.output_item.added", "item": {"type": "message", '
        b'"role": "assistant", "content": [{"type": "output_text"}]}}',
        "field 'item.content.0.text'",
    ),
    (b'{"type": "response.output_item.done", "item": {"type": 7}}', "field 'item.type'"),
    (b'{"type": "response.output_item.done", "item": [1]}', "field 'item'"),
    (
        b'{"type": "response.content_part.added", "item_id": "m", "part": {"type": "refusal"}}',
        "field 'part.refusal'",
    ),
    (b'{"type": "error", "error": [1]}', "invalid 'error' event: field 'error'"),
    (b'{"type": "error", "message": 5}', "field 'message'"),
    (
        b'{"type": "response.completed", "response": '
        b'{"id": "r", "usage": {"input_tokens": "many"}}}',
        "field 'response.usage.input_tokens'",
    ),
]


@pytest.mark.parametrize(("frame", "needle"), MALFORMED)
def test_malformed_frames_raise_remote_protocol_error(frame: str | bytes, needle: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        ev.parse_event(frame)
    assert needle in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__
    assert len(info.value.data) <= 200


@pytest.mark.parametrize(
    ("frame", "kind"),
    [
        (
            '{"type":"response.output_text.delta","item_id":"m","delta":"x"}',
            ev.OutputTextDeltaEvent,
        ),
        (
            '{"type":"response.output_text.delta","item_id":"m","delta":"é","extra":[1]}',
            ev.OutputTextDeltaEvent,
        ),
        # The last "type" key counts, for the union: the prefix alone decides nothing.
        (
            '{"type":"response.output_text.delta","item_id":"m","type":"response.output_text.done",'
            '"text":"x"}',
            ev.OutputTextDoneEvent,
        ),
        # The same for a tag read off any frame's start, not only a text delta's.
        (
            '{"type":"response.output_item.added","output_index":0,'
            '"item":{"type":"message","id":"m","role":"assistant","content":[]},'
            '"type":"response.output_text.done","item_id":"m","text":"x"}',
            ev.OutputTextDoneEvent,
        ),
        # A tag the SDK does not know at the start, a known one last.
        (
            '{"type":"response.hologram.delta","type":"response.output_text.done",'
            '"item_id":"m","text":"x"}',
            ev.OutputTextDoneEvent,
        ),
        # Not first: the tag is found in the object.
        ('{"item_id":"m","text":"x","type":"response.output_text.done"}', ev.OutputTextDoneEvent),
    ],
)
def test_compact_bytes_and_text_give_the_same_event(frame: str, kind: type[ev.BaseEvent]) -> None:
    from_bytes = ev.parse_event(frame.encode())
    assert from_bytes == ev.parse_event(frame.replace(",", ", "))
    spaced = frame.replace('{"type":', '{ "type" : ').replace(",", ", ")
    assert from_bytes == ev.parse_event(spaced.encode())
    assert from_bytes == ev.parse_event(frame.encode())  # the type's validator now compiled
    assert type(from_bytes) is kind


def test_error_excerpt_is_bounded() -> None:
    frame = json.dumps({"type": "response.output_text.delta", "item_id": 1, "delta": "x" * 1000})
    with pytest.raises(RemoteProtocolError) as info:
        ev.parse_event(frame)
    assert info.value.data == frame[:200]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(), st.text(st.characters(codec=None, exclude_categories=[]))))
def test_arbitrary_input_raises_only_remote_protocol_error(data: str | bytes) -> None:
    try:
        event = ev.parse_event(data)
    except RemoteProtocolError:
        return
    assert isinstance(event.type, str)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(ev.SERVER_EVENT_TYPES) + ["response.future"]),
    st.dictionaries(
        st.sampled_from(
            [
                "item_id",
                "delta",
                "response",
                "item",
                "part",
                "output_index",
                "error",
                "text",
                "code",
            ]
        ),
        _JSON,
        max_size=5,
    ),
)
def test_known_types_with_arbitrary_fields_raise_only_remote_protocol_error(
    kind: str, fields: dict[str, Any]
) -> None:
    try:
        event = ev.parse_event(json.dumps({**fields, "type": kind}))
    except RemoteProtocolError as exc:
        assert kind in str(exc)
        return
    assert event.type == kind


# -- terminal events, client events ------------------------------------------------------


def test_terminal_types() -> None:
    assert ev.TERMINAL_TYPES == {"response.completed", "response.failed", "response.incomplete"}
    for model, payload in ALL_EVENTS:
        event = ev.parse_event(_frame(payload))
        assert ev.is_terminal(event) is (payload["type"] in ev.TERMINAL_TYPES), model


def test_ending_types_are_the_terminal_types_and_error() -> None:
    assert ev.ENDING_TYPES == ev.TERMINAL_TYPES | {"error"}
    for model, payload in ALL_EVENTS:
        event = ev.parse_event(_frame(payload))
        ends = ev.is_terminal(event) or isinstance(event, ev.ErrorEvent)
        assert (event.type in ev.ENDING_TYPES) is ends, model


def test_client_events() -> None:
    result = ev.ToolResultEvent(
        call_id="call_1", name="get_weather", arguments="{}", output="Sunny"
    )
    retry = ev.RetryEvent(attempt=2, reason="connection_dropped")
    assert result.type == "client.tool.result"
    assert result.error is None
    assert retry.type == "client.retry"
    assert (retry.attempt, retry.reason) == (2, "connection_dropped")
    assert not ev.is_terminal(retry)
    # The API never sends them: a server frame with such a type is unknown, not trusted.
    assert isinstance(ev.parse_event(result.model_dump_json()), ev.UnknownEvent)


def test_events_are_immutable() -> None:
    event = ev.parse_event(_frame(EVENTS[10][1]))
    with pytest.raises(ValueError):
        event.delta = "changed"  # type: ignore[misc,union-attr]


def test_event_round_trips_through_json() -> None:
    for model, payload in ALL_EVENTS:
        event = ev.parse_event(_frame(payload))
        again = ev.parse_event(event.model_dump_json())
        assert again == event, model
