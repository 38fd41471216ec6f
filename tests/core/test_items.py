"""Items: server items, wire forms, digests, immutability."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from responses_client import (
    FunctionCall,
    FunctionCallOutput,
    InputAudio,
    InputFile,
    InputImage,
    InputText,
    Message,
    OutputText,
    Reasoning,
    Refusal,
    RemoteProtocolError,
    UnknownItem,
    UnknownPart,
)
from responses_client._chat import items_from_message
from responses_client._items import canonical_json, parse_item

IMAGE = "https://example.com/cat.png"

# -- server items -------------------------------------------------------------------

SERVER_ITEMS: list[tuple[type[Any], dict[str, Any]]] = [
    (
        Message,
        {
            "type": "message",
            "id": "msg_1",
            "status": "completed",
            "role": "assistant",
            "phase": "final_answer",
            "content": [
                {
                    "type": "output_text",
                    "text": "See [1].",
                    "annotations": [
                        {
                            "type": "url_citation",
                            "start_index": 4,
                            "end_index": 7,
                            "url": "https://example.com",
                            "title": "Example",
                        }
                    ],
                    "logprobs": [],
                },
                {"type": "refusal", "refusal": "No."},
            ],
        },
    ),
    (
        FunctionCall,
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
            "status": "completed",
            "namespace": "weather",
        },
    ),
    (
        Reasoning,
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "Thinking."}],
            "encrypted_content": "gAAAAB",
            "content": [{"type": "reasoning_text", "text": "hmm"}],
            "status": "completed",
        },
    ),
    (
        UnknownItem,
        {
            "type": "web_search_call",
            "id": "ws_1",
            "status": "completed",
            "action": {"type": "search", "query": "weather", "sources": [{"url": "u"}]},
        },
    ),
    (
        UnknownItem,
        {
            "type": "mcp_call",
            "id": "mcp_1",
            "server_label": "deepwiki",
            "name": "ask",
            "arguments": "{}",
            "output": "answer",
        },
    ),
    (
        FunctionCallOutput,
        {
            "type": "function_call_output",
            "call_id": "call_1",
            "output": [{"type": "input_text", "text": "ok"}],
        },
    ),
]


@pytest.mark.parametrize(("cls", "wire"), SERVER_ITEMS, ids=[w["type"] for _, w in SERVER_ITEMS])
def test_server_item_round_trip(cls: type[Any], wire: dict[str, Any]) -> None:
    item = parse_item(wire)
    assert type(item) is cls
    assert item.to_wire() == wire
    assert parse_item(item.to_wire()) == item


def test_server_message_parts_are_typed() -> None:
    item = parse_item(SERVER_ITEMS[0][1])
    assert isinstance(item, Message)
    assert isinstance(item.content, tuple)
    text, refusal = item.content
    assert isinstance(text, OutputText)
    assert text.annotations[0]["type"] == "url_citation"
    assert isinstance(refusal, Refusal)
    assert refusal.refusal == "No."


def test_unknown_part_keeps_fields() -> None:
    item = parse_item(
        {"type": "message", "role": "assistant", "content": [{"type": "audio", "id": "a1"}]}
    )
    assert isinstance(item, Message)
    assert isinstance(item.content, tuple)
    part = item.content[0]
    assert isinstance(part, UnknownPart)
    assert part.type == "audio"
    assert item.to_wire()["content"] == [{"type": "audio", "id": "a1"}]


SERVER_ERRORS: list[tuple[Any, str]] = [
    ([1, 2], "not a JSON object but list"),
    ({"id": "x"}, "no string 'type'"),
    ({"type": None}, "no string 'type'"),
    (
        {"type": "function_call", "call_id": "c", "name": "f"},
        "'function_call' item: field 'arguments'",
    ),
    ({"type": "function_call", "call_id": 1, "name": "f", "arguments": ""}, "field 'call_id'"),
    ({"type": "message", "role": "robot", "content": "x"}, "'message' item: field 'role'"),
    (
        {"type": "message", "role": "assistant", "content": [{"type": "output_text"}]},
        "field 'content.0.text': Field required",
    ),
    ({"type": "message", "role": "assistant", "content": 7}, "field 'content'"),
    ({"type": "reasoning", "summary": []}, "'reasoning' item: field 'id'"),
]


@pytest.mark.parametrize(("data", "needle"), SERVER_ERRORS)
def test_server_item_errors(data: Any, needle: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        parse_item(data)
    assert needle in str(info.value)
    assert info.value.__cause__ is None  # no pydantic error leaks into the chain


# -- wire form, digest, immutability ------------------------------------------------


def test_constructors() -> None:
    assert Message.user("hi").to_wire() == {"type": "message", "role": "user", "content": "hi"}
    assert Message.developer("rules").role == "developer"
    assert Message.assistant("ok").role == "assistant"
    parts = Message.user([InputText(text="a"), InputImage(image_url=IMAGE)])
    assert parts.to_wire()["content"] == [
        {"type": "input_text", "text": "a"},
        {"type": "input_image", "image_url": IMAGE, "detail": "auto"},
    ]
    out = FunctionCallOutput(call_id="c", output="42")
    assert out.to_wire() == {"type": "function_call_output", "call_id": "c", "output": "42"}


def test_other_parts_wire_forms() -> None:
    file = InputFile(file_id="file_1", filename="a.pdf")
    audio = InputAudio(input_audio={"data": "AAAA", "format": "wav"})  # type: ignore[arg-type]
    message = Message.user([file, audio])
    assert message.to_wire()["content"] == [
        {"type": "input_file", "file_id": "file_1", "filename": "a.pdf"},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
    ]


@pytest.mark.parametrize(
    ("message", "text"),
    [
        (Message.user("plain"), "plain"),
        (
            Message.user([InputText(text="a"), InputImage(image_url=IMAGE), InputText(text="b")]),
            "ab",
        ),
        (
            Message.assistant([OutputText(text="x"), Refusal(refusal="no"), OutputText(text="y")]),
            "xy",
        ),
        (Message.user([]), ""),
    ],
)
def test_message_text(message: Message, text: str) -> None:
    assert message.text == text


def test_to_wire_gives_a_new_dict_each_time_that_changes_nothing() -> None:
    import hashlib

    item = FunctionCall(call_id="c", name="f", arguments="{}")
    digest = item.digest
    wire = item.to_wire()
    assert item.to_wire() == wire and item.to_wire() is not wire
    wire["name"] = "changed"
    assert item.to_wire()["name"] == "f"
    assert item.digest == digest == hashlib.sha256(canonical_json(item.to_wire())).digest()


def test_digest_is_sha256_of_canonical_wire_json() -> None:
    import hashlib

    item = FunctionCall(call_id="c", name="f", arguments='{"b":1,"a":2}')
    expected = hashlib.sha256(
        b'{"arguments":"{\\"b\\":1,\\"a\\":2}","call_id":"c","name":"f","type":"function_call"}'
    ).digest()
    assert item.digest == expected
    assert canonical_json({"b": [1, {"d": 1, "c": "é"}], "a": None}) == (
        '{"a":null,"b":[1,{"c":"é","d":1}]}'.encode()
    )


def test_equal_items_have_equal_digests() -> None:
    built = Message.user([InputText(text="hi")])
    (imported,) = items_from_message({"role": "user", "content": [{"type": "text", "text": "hi"}]})
    parsed = parse_item(
        {"content": [{"text": "hi", "type": "input_text"}], "role": "user", "type": "message"}
    )
    assert built == imported == parsed
    assert built.digest == imported.digest == parsed.digest


@pytest.mark.parametrize(
    "other",
    [
        Message.user("hi!"),
        Message.developer("hi"),
        Message.user([InputText(text="hi")]),
        Message(role="user", content="hi", id="msg_1"),
        FunctionCallOutput(call_id="c", output="hi"),
    ],
)
def test_different_items_have_different_digests(other: Message | FunctionCallOutput) -> None:
    assert Message.user("hi").digest != other.digest


def test_digest_is_stable_across_runs() -> None:
    # A fixed value: a change here means every stored prefix digest changes meaning.
    assert Message.user("hi").digest.hex() == (
        __import__("hashlib").sha256(b'{"content":"hi","role":"user","type":"message"}').hexdigest()
    )


def test_items_are_immutable() -> None:
    item = FunctionCall(call_id="c", name="f", arguments="{}")
    with pytest.raises(ValidationError):
        item.name = "g"  # type: ignore[misc]
    message = Message.user([InputText(text="a")])
    assert isinstance(message.content, tuple)
    with pytest.raises(ValidationError):
        message.content[0].text = "b"  # type: ignore[union-attr]


def test_model_copy_with_update_recomputes_wire_and_digest() -> None:
    item = Message.user("hi")
    old_digest = item.digest
    changed = item.model_copy(update={"content": "bye"})
    assert changed.to_wire()["content"] == "bye"
    assert changed.digest != old_digest
    assert item.to_wire()["content"] == "hi"


def test_copies_and_unpickled_items_keep_equality_and_digest() -> None:
    import copy
    import pickle

    item = FunctionCall(call_id="c", name="f", arguments="{}")
    digest, wire = item.digest, item.to_wire()
    for twin in (item.model_copy(), copy.deepcopy(item), pickle.loads(pickle.dumps(item))):
        assert twin == item
        assert twin.digest == digest
        assert twin.to_wire() == wire


def test_unknown_item_round_trip_keeps_every_field() -> None:
    wire = {"type": "image_generation_call", "id": "ig_1", "result": "iVBO", "status": "completed"}
    item = parse_item(wire)
    assert isinstance(item, UnknownItem)
    assert item.type == "image_generation_call"
    assert item.to_wire() == wire


def test_items_from_the_wire_share_their_status_and_tool_name_strings() -> None:
    # Every idle conversation's history holds many of these (bench/scale.py).
    wire = (
        '{"type":"function_call","call_id":"c%d","name":"get_weather","arguments":"{}",'
        '"status":"completed"}'
    )
    first, second = (parse_item(json.loads(wire % n)) for n in (1, 2))  # strings of their own
    assert isinstance(first, FunctionCall) and isinstance(second, FunctionCall)
    assert first.status is second.status and first.name is second.name
    assert first.to_wire()["status"] == "completed"
