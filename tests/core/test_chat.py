"""Chat-style dicts -> items: the rules of seed 001, and the errors for dicts that fit none."""

from __future__ import annotations

import json
from typing import Any

import pytest

from responses_client import FunctionCall, FunctionCallOutput, InputError, InputImage, Message
from responses_client._chat import items_from_message

# -- seed 001: chat-style dicts -> Responses input items --------------------------

IMAGE = "https://example.com/cat.png"

CHAT_RULES: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
    (
        "system becomes developer",
        {"role": "system", "content": "Be brief."},
        [{"type": "message", "role": "developer", "content": "Be brief."}],
    ),
    (
        "developer stays developer",
        {"role": "developer", "content": "Be brief."},
        [{"type": "message", "role": "developer", "content": "Be brief."}],
    ),
    (
        "user text",
        {"role": "user", "content": "Hi"},
        [{"type": "message", "role": "user", "content": "Hi"}],
    ),
    (
        "user text part becomes input_text",
        {"role": "user", "content": [{"type": "text", "text": "Look"}]},
        [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Look"}]}],
    ),
    (
        "image_url object with detail",
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": IMAGE, "detail": "low"}}],
        },
        [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_image", "image_url": IMAGE, "detail": "low"}],
            }
        ],
    ),
    (
        "image_url object without detail defaults to auto",
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": IMAGE}}]},
        [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_image", "image_url": IMAGE, "detail": "auto"}],
            }
        ],
    ),
    (
        "image_url as a plain string",
        {"role": "user", "content": [{"type": "image_url", "image_url": IMAGE}]},
        [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_image", "image_url": IMAGE, "detail": "auto"}],
            }
        ],
    ),
    (
        "unknown part types pass through unchanged",
        {
            "role": "user",
            "content": [{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}],
        },
        [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
                ],
            }
        ],
    ),
    (
        "a part type nobody knows passes through unchanged",
        {"role": "user", "content": [{"type": "hologram", "frames": [1, 2]}]},
        [
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "hologram", "frames": [1, 2]}],
            }
        ],
    ),
    (
        "system multimodal content converts too",
        {"role": "system", "content": [{"type": "text", "text": "Rules"}]},
        [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "Rules"}],
            }
        ],
    ),
    (
        "assistant without tool calls",
        {"role": "assistant", "content": "Hello!"},
        [{"type": "message", "role": "assistant", "content": "Hello!"}],
    ),
    (
        "assistant text parts become output_text",
        {"role": "assistant", "content": [{"type": "text", "text": "Hello!"}]},
        [
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hello!", "annotations": []}],
            }
        ],
    ),
    (
        "assistant tool_calls become function_call items",
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "get_time", "arguments": "{}"},
                },
            ],
        },
        [
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city":"Paris"}',
            },
            {"type": "function_call", "call_id": "call_2", "name": "get_time", "arguments": "{}"},
        ],
    ),
    (
        "assistant text alongside tool_calls is kept first",
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [
                {"id": "call_1", "function": {"name": "get_weather", "arguments": "{}"}},
            ],
        },
        [
            {"type": "message", "role": "assistant", "content": "Let me check."},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": "{}",
            },
        ],
    ),
    (
        "tool call arguments given as a dict are JSON-encoded",
        {
            "role": "assistant",
            "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": {"a": 1}}}],
        },
        [{"type": "function_call", "call_id": "c", "name": "f", "arguments": '{"a": 1}'}],
    ),
    (
        "tool call without arguments gets an empty string",
        {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f"}}]},
        [{"type": "function_call", "call_id": "c", "name": "f", "arguments": ""}],
    ),
    (
        "custom tool call becomes custom_tool_call",
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "c", "type": "custom", "custom": {"name": "sql", "input": "SELECT 1"}}
            ],
        },
        [{"type": "custom_tool_call", "call_id": "c", "name": "sql", "input": "SELECT 1"}],
    ),
    (
        "empty tool_calls list means a plain assistant message",
        {"role": "assistant", "content": "Done.", "tool_calls": []},
        [{"type": "message", "role": "assistant", "content": "Done."}],
    ),
    (
        "tool message becomes function_call_output",
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"},
        [{"type": "function_call_output", "call_id": "call_1", "output": "Sunny"}],
    ),
    (
        "tool content that is a dict is JSON-encoded",
        {"role": "tool", "tool_call_id": "call_1", "content": {"temp": 21}},
        [{"type": "function_call_output", "call_id": "call_1", "output": '{"temp": 21}'}],
    ),
    (
        "tool content as text parts is joined",
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": [{"type": "text", "text": "Sun"}, {"type": "text", "text": "ny"}],
        },
        [{"type": "function_call_output", "call_id": "call_1", "output": "Sunny"}],
    ),
    (
        "tool content None is an empty string",
        {"role": "tool", "tool_call_id": "call_1", "content": None},
        [{"type": "function_call_output", "call_id": "call_1", "output": ""}],
    ),
    (
        "tool content that is a number becomes its text",
        {"role": "tool", "tool_call_id": "call_1", "content": 42},
        [{"type": "function_call_output", "call_id": "call_1", "output": "42"}],
    ),
    (
        "chat-only fields are dropped",
        {"role": "user", "content": "Hi", "name": "alice"},
        [{"type": "message", "role": "user", "content": "Hi"}],
    ),
    # Responses-style dicts are taken as they are.
    (
        "responses-style easy message with input_text parts",
        {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
        [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}],
    ),
    (
        "responses-style typed message keeps system and extra fields",
        {"type": "message", "role": "system", "content": "x", "phase": "commentary"},
        [{"type": "message", "role": "system", "content": "x", "phase": "commentary"}],
    ),
    (
        "responses-style function_call",
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}", "id": "fc_1"},
        [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}", "id": "fc_1"}],
    ),
    (
        "responses-style function_call_output",
        {"type": "function_call_output", "call_id": "c", "output": "ok"},
        [{"type": "function_call_output", "call_id": "c", "output": "ok"}],
    ),
    (
        "responses-style reasoning",
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"},
        [{"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"}],
    ),
    (
        "responses-style unknown item type",
        {"type": "item_reference", "id": "msg_1"},
        [{"type": "item_reference", "id": "msg_1"}],
    ),
]


@pytest.mark.parametrize(
    ("message", "expected"), [(m, e) for _, m, e in CHAT_RULES], ids=[n for n, _, _ in CHAT_RULES]
)
def test_chat_rules(message: dict[str, Any], expected: list[dict[str, Any]]) -> None:
    items = items_from_message(message)
    assert [item.to_wire() for item in items] == expected


def test_chat_rules_give_typed_items() -> None:
    (call,) = items_from_message(
        {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f"}}]}
    )
    (output,) = items_from_message({"role": "tool", "tool_call_id": "c", "content": "x"})
    (image,) = items_from_message(
        {"role": "user", "content": [{"type": "image_url", "image_url": IMAGE}]}
    )
    assert isinstance(call, FunctionCall)
    assert isinstance(output, FunctionCallOutput)
    assert isinstance(image, Message)
    assert isinstance(image.content, tuple)
    assert isinstance(image.content[0], InputImage)


def test_input_is_not_changed() -> None:
    message = {"role": "system", "content": [{"type": "text", "text": "x"}]}
    before = json.dumps(message)
    items_from_message(message)
    assert json.dumps(message) == before


CHAT_ERRORS: list[tuple[Any, str]] = [
    ({"content": "Hi"}, "neither 'role' nor 'type'"),
    ({"role": "narrator", "content": "Hi"}, "unknown role 'narrator'"),
    ({"role": "user", "content": 5}, "content must be a string or a list"),
    ({"role": "user"}, "not NoneType"),
    ({"role": "user", "content": ["hi"]}, "content part 0 must be a dict"),
    ({"role": "user", "content": [{"text": "hi"}]}, "content part 0 has no string 'type'"),
    ({"role": "user", "content": [{"type": "text"}]}, "no string 'text'"),
    ({"role": "user", "content": [{"type": "image_url"}]}, "('image_url') has no url"),
    ({"role": "user", "content": [{"type": "image_url", "image_url": {}}]}, "has no url"),
    (
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": IMAGE, "detail": "x"}}],
        },
        "content.0.detail",
    ),
    ({"role": "tool", "content": "x"}, "no string 'tool_call_id'"),
    ({"role": "tool", "tool_call_id": 7, "content": "x"}, "no string 'tool_call_id'"),
    ({"role": "assistant", "tool_calls": "call"}, "'tool_calls' must be a list"),
    ({"role": "assistant", "tool_calls": ["call"]}, "tool call 0 must be a dict"),
    ({"role": "assistant", "tool_calls": [{"function": {"name": "f"}}]}, "no string 'id'"),
    ({"role": "assistant", "tool_calls": [{"id": "c"}]}, "no 'function.name'"),
    ({"role": "assistant", "tool_calls": [{"id": "c", "type": "custom"}]}, "'custom.name'"),
    ({"type": 3}, "'type' must be a string"),
    (
        {"type": "function_call", "call_id": "c", "name": "f"},
        "'function_call' item: field 'arguments'",
    ),
    ({"type": "function_call_output", "output": "x"}, "field 'call_id'"),
    ({"type": "message", "content": "x"}, "field 'role'"),
    ({"type": "reasoning", "summary": []}, "field 'id'"),
    ("hello", "must be a dict, not str"),
]


@pytest.mark.parametrize(("message", "needle"), CHAT_ERRORS)
def test_chat_errors(message: Any, needle: str) -> None:
    with pytest.raises(InputError) as info:
        items_from_message(message)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


# -- Responses body -> Chat Completions body --------------------------------------

from responses_client import LocalProtocolError  # noqa: E402
from responses_client._chat import chat_body, messages_from_items  # noqa: E402

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": True,
}

HISTORY: list[dict[str, Any]] = [
    {"type": "message", "role": "developer", "content": "Use metric."},
    {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is this?"},
            {"type": "input_image", "image_url": IMAGE, "detail": "low"},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            {"type": "input_file", "file_id": "file-1", "filename": "a.pdf"},
        ],
    },
    {"type": "reasoning", "id": "rs_1", "summary": []},
    {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Let me look."}],
    },
    {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": '{"city":"P"}'},
    {"type": "function_call", "call_id": "c2", "name": "get_weather", "arguments": '{"city":"R"}'},
    {"type": "function_call_output", "call_id": "c1", "output": "Sunny"},
    {
        "type": "function_call_output",
        "call_id": "c2",
        "output": [{"type": "input_text", "text": "Rain"}],
    },
    {"type": "function_call", "call_id": "c3", "name": "get_weather", "arguments": "{}"},
]

HISTORY_MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "developer", "content": "Use metric."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": IMAGE, "detail": "low"}},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            {"type": "file", "file": {"file_id": "file-1", "filename": "a.pdf"}},
        ],
    },
    {
        "role": "assistant",
        "content": "Let me look.",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"P"}'},
            },
            {
                "id": "c2",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"R"}'},
            },
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "Sunny"},
    {"role": "tool", "tool_call_id": "c2", "content": "Rain"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c3", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
        ],
    },
]


def test_chat_body_carries_the_history_as_messages() -> None:
    body = {"model": "m", "instructions": "Be brief.", "input": HISTORY, "store": False}
    chat = chat_body(body)
    assert chat["messages"] == HISTORY_MESSAGES
    assert chat["stream"] is True and chat["stream_options"] == {"include_usage": True}
    assert "store" not in chat and "input" not in chat and "instructions" not in chat


def test_chat_body_writes_tools_nested_and_maps_settings() -> None:
    body = {
        "model": "m",
        "input": [],
        "tools": [WEATHER_TOOL],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "parallel_tool_calls": True,
        "temperature": 0.2,
        "top_p": 0.9,
        "service_tier": "flex",
        "max_output_tokens": 100,
        "reasoning": {"effort": "low"},
        "seed": 7,
        "frequency_penalty": 0.5,
        "presence_penalty": 0.1,
        "store": True,
    }
    chat = chat_body(body)
    assert chat["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather.",
                "parameters": WEATHER_TOOL["parameters"],
                "strict": True,
            },
        }
    ]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    expected = {
        "parallel_tool_calls": True,
        "temperature": 0.2,
        "top_p": 0.9,
        "service_tier": "flex",
        "max_completion_tokens": 100,
        "reasoning_effort": "low",
        "seed": 7,
        "frequency_penalty": 0.5,
        "presence_penalty": 0.1,
        "store": True,
    }
    assert {key: chat[key] for key in expected} == expected
    assert "max_tokens" not in chat and "reasoning" not in chat
    legacy = chat_body(body, max_tokens_field="max_tokens", include_usage=False)
    assert legacy["max_tokens"] == 100 and "max_completion_tokens" not in legacy
    assert "stream_options" not in legacy


def test_developer_messages_go_out_as_user_for_servers_without_the_role() -> None:
    items = [{"type": "message", "role": "developer", "content": "Rules."}]
    assert messages_from_items(items, developer_role=False) == [
        {"role": "user", "content": "Rules."}
    ]
    assert messages_from_items(items)[0]["role"] == "developer"


def test_an_assistant_refusal_goes_back_as_refusal() -> None:
    items = [
        {"type": "message", "role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]}
    ]
    assert messages_from_items(items) == [{"role": "assistant", "content": None, "refusal": "No."}]


def test_chat_items_round_trip_through_the_import() -> None:
    # What chat_body writes, items_from_message reads back as the same items.
    items = [item for message in HISTORY_MESSAGES[1:] for item in items_from_message(message)]
    assert messages_from_items([item.to_wire() for item in items]) == HISTORY_MESSAGES[1:]


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"model": "m", "input": [], "previous_response_id": "resp_1"}, "previous_response_id"),
        ({"model": "m", "input": [], "tools": [{"type": "web_search"}]}, "function tools only"),
        ({"model": "m", "input": [{"type": "image_generation_call", "id": "x"}]}, "no Chat"),
        (
            {
                "model": "m",
                "input": [
                    {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_image", "file_id": "f"}],
                    }
                ],
            },
            "file_id",
        ),
        (
            {
                "model": "m",
                "input": [{"type": "message", "role": "user", "content": [{"type": "video"}]}],
            },
            "'video' content part",
        ),
    ],
)
def test_what_the_chat_wire_cannot_carry_is_a_local_protocol_error(
    body: dict[str, Any], match: str
) -> None:
    with pytest.raises(LocalProtocolError, match=match):
        chat_body(body)


# -- chat messages that carry no content (issue 13, item 9) ---------------------------


def test_a_refusal_only_assistant_message_becomes_a_refusal_part() -> None:
    (item,) = items_from_message({"role": "assistant", "content": None, "refusal": "No."})
    assert item.to_wire()["content"] == [{"type": "refusal", "refusal": "No."}]


def test_a_refusal_beside_text_keeps_both_in_order() -> None:
    (item,) = items_from_message({"role": "assistant", "content": "Sorry.", "refusal": "No."})
    assert [part["type"] for part in item.to_wire()["content"]] == ["output_text", "refusal"]


def test_an_assistant_message_with_no_content_and_no_calls_adds_nothing() -> None:
    assert items_from_message({"role": "assistant", "content": None}) == []


def test_a_tool_call_only_assistant_message_with_content_none_is_its_calls() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    items = items_from_message({"role": "assistant", "content": None, "tool_calls": [call]})
    assert [item.to_wire()["type"] for item in items] == ["function_call"]


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ({"file_id": "file-1"}, {"type": "input_file", "file_id": "file-1"}),
        (
            {"file_data": "data:application/pdf;base64,AAA", "filename": "a.pdf"},
            {
                "type": "input_file",
                "file_data": "data:application/pdf;base64,AAA",
                "filename": "a.pdf",
            },
        ),
    ],
)
def test_chat_file_parts_become_input_file_parts(
    file: dict[str, str], expected: dict[str, str]
) -> None:
    (item,) = items_from_message({"role": "user", "content": [{"type": "file", "file": file}]})
    assert item.to_wire()["content"] == [expected]


def test_a_file_part_without_a_file_is_refused_by_index() -> None:
    with pytest.raises(InputError, match="content part 0 .'file'. has no file_id"):
        items_from_message({"role": "user", "content": [{"type": "file", "file": {}}]})
