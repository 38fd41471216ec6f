"""History between the Responses shape and the Realtime shape (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from responses_client._exceptions import InputError
from responses_client._items import FunctionCall, FunctionCallOutput, Message
from responses_client.realtime._history import to_realtime, to_responses

TO_REALTIME: dict[str, tuple[Any, dict[str, Any]]] = {
    "chat user string": (
        {"role": "user", "content": "Hi"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
    ),
    "chat system becomes system": (
        {"role": "system", "content": "Be brief."},
        {
            "type": "message",
            "role": "system",
            "content": [{"type": "input_text", "text": "Be brief."}],
        },
    ),
    "assistant item": (
        Message.assistant("Hello."),
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hello."}],
        },
    ),
    "function call": (
        FunctionCall(call_id="c1", name="f", arguments="{}"),
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
    ),
    "function call output": (
        FunctionCallOutput(call_id="c1", output="42"),
        {"type": "function_call_output", "call_id": "c1", "output": "42"},
    ),
}


@pytest.mark.parametrize(("entry", "expected"), TO_REALTIME.values(), ids=TO_REALTIME)
def test_to_realtime(entry: Any, expected: dict[str, Any]) -> None:
    assert to_realtime([entry]) == [expected]


def test_chat_tool_calls_become_function_calls() -> None:
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    }
    assert to_realtime([message]) == [
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
    ]


def test_a_bad_dict_is_an_input_error() -> None:
    with pytest.raises(InputError):
        to_realtime([{"role": "robot", "content": "?"}])


def test_to_responses_keeps_text_transcripts_and_calls_and_drops_the_unfinished() -> None:
    items = [
        {
            "id": "u",
            "type": "message",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": "Hello"}],
        },
        {
            "id": "a",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_audio", "transcript": "Hi."}],
        },
        {
            "id": "s",
            "type": "message",
            "role": "system",
            "content": [{"type": "input_text", "text": "Rules"}],
        },
        {
            "id": "f",
            "type": "function_call",
            "call_id": "c",
            "name": "g",
            "arguments": "{}",
            "status": "completed",
        },
        {"id": "o", "type": "function_call_output", "call_id": "c", "output": "x"},
        {"id": "p", "type": "message", "role": "assistant", "status": "in_progress", "content": []},
        {"id": "m", "type": "mcp_call"},
    ]
    assert to_responses(items) == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hi."}],
        },
        {
            "type": "message",
            "role": "developer",
            "content": [{"type": "input_text", "text": "Rules"}],
        },
        {"type": "function_call", "call_id": "c", "name": "g", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "x"},
    ]


def test_round_trip_keeps_the_text() -> None:
    start = [Message.user("One"), Message.assistant("Two")]
    assert to_realtime(to_responses(to_realtime(start))) == to_realtime(start)
