"""The Realtime event catalogue: GA wire names, parsing, and the client event builders."""

from __future__ import annotations

import base64
import json
import typing
from typing import Any

import pytest
from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent
from pydantic import TypeAdapter

from responses_client._exceptions import RemoteProtocolError
from responses_client.realtime import events as ev

OPENAI_SERVER = TypeAdapter(RealtimeServerEvent)
OPENAI_CLIENT = TypeAdapter(RealtimeClientEvent)


def _openai_server_types() -> set[str]:
    members = typing.get_args(typing.get_args(RealtimeServerEvent)[0])
    return {typing.get_args(m.model_fields["type"].annotation)[0] for m in members}


def test_the_catalogue_has_exactly_openai_python_s_server_types() -> None:
    assert set(ev.SERVER_EVENT_TYPES) == _openai_server_types()


def test_no_beta_name_is_known() -> None:
    beta = {"response.audio.delta", "response.audio_transcript.delta", "response.text.delta"}
    assert not beta & set(ev.SERVER_EVENT_TYPES)


SAMPLES: list[dict[str, Any]] = [
    {"type": "session.created", "event_id": "e1", "session": {"type": "realtime"}},
    {
        "type": "input_audio_buffer.speech_started",
        "event_id": "e",
        "item_id": "i",
        "audio_start_ms": 5,
    },
    {
        "type": "response.output_audio_transcript.delta",
        "event_id": "e",
        "response_id": "r",
        "item_id": "i",
        "output_index": 0,
        "content_index": 0,
        "delta": "hi",
    },
    {
        "type": "response.done",
        "event_id": "e",
        "response": {
            "id": "r",
            "status": "completed",
            "output": [],
            "usage": {
                "total_tokens": 9,
                "input_tokens": 4,
                "output_tokens": 5,
                "input_token_details": {"audio_tokens": 3, "text_tokens": 1, "cached_tokens": 2},
                "output_token_details": {"audio_tokens": 4, "text_tokens": 1},
            },
        },
    },
    {
        "type": "error",
        "event_id": "e",
        "error": {"type": "invalid_request_error", "code": "x", "message": "m"},
    },
]


@pytest.mark.parametrize("raw", SAMPLES, ids=lambda raw: raw["type"])
def test_known_types_parse_to_their_model(raw: dict[str, Any]) -> None:
    event = ev.parse_event(json.dumps(raw))
    assert type(event) is ev.SERVER_EVENT_TYPES[raw["type"]]
    assert event.type == raw["type"]


def test_usage_splits_text_audio_and_cached() -> None:
    event = ev.parse_event(json.dumps(SAMPLES[3]))
    assert isinstance(event, ev.ResponseDoneEvent)
    usage = event.response.usage
    assert usage is not None
    got = (usage.input_audio_tokens, usage.input_text_tokens, usage.cached_tokens)
    assert got == (3, 1, 2)
    assert (usage.output_audio_tokens, usage.output_text_tokens) == (4, 1)


def test_audio_delta_exposes_decoded_pcm() -> None:
    audio = bytes(range(10))
    raw = {
        "type": "response.output_audio.delta",
        "event_id": "e",
        "response_id": "r",
        "item_id": "i",
        "output_index": 0,
        "content_index": 0,
        "delta": base64.b64encode(audio).decode(),
    }
    event = ev.parse_event(json.dumps(raw).encode())
    assert isinstance(event, ev.OutputAudioDeltaEvent)
    assert event.pcm == audio


def test_audio_delta_that_is_not_base64_is_a_protocol_error() -> None:
    event = ev.OutputAudioDeltaEvent(response_id="r", item_id="i", delta="***")
    with pytest.raises(RemoteProtocolError, match="not base64"):
        _ = event.pcm


def test_unknown_type_is_kept_raw() -> None:
    event = ev.parse_event('{"type": "response.future_thing", "x": 1}')
    assert isinstance(event, ev.UnknownEvent)
    assert event.raw == {"type": "response.future_thing", "x": 1}


def test_extra_fields_are_kept() -> None:
    event = ev.parse_event('{"type":"input_audio_buffer.cleared","event_id":"e","new":1}')
    assert event.model_extra == {"new": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1]", "not a JSON object"),
        ('{"type": 3}', "no string 'type'"),
        (
            '{"type": "response.output_audio.delta", "event_id": "e"}',
            "invalid 'response.output_audio.delta'",
        ),
    ],
)
def test_malformed_messages_are_protocol_errors(data: str, message: str) -> None:
    with pytest.raises(RemoteProtocolError, match=message):
        ev.parse_event(data)


BUILT = [
    ev.session_update({"output_modalities": ["audio"]}),
    ev.audio_append(base64.b64encode(b"\x00\x00").decode()),
    ev.audio_commit(),
    ev.audio_clear(),
    ev.output_audio_clear(),
    ev.item_create(
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}, "p"
    ),
    ev.item_retrieve("i", event_id="rci_i"),
    ev.item_delete("i"),
    ev.item_truncate("i", 120),
    ev.response_create({"output_modalities": ["text"]}),
    ev.response_cancel("r"),
]


@pytest.mark.parametrize("event", BUILT, ids=lambda event: event["type"])
def test_built_client_events_validate_against_openai_python(event: dict[str, Any]) -> None:
    parsed = OPENAI_CLIENT.validate_python(event)
    assert parsed.type == event["type"]


def test_builders_cover_every_client_type() -> None:
    members = typing.get_args(typing.get_args(RealtimeClientEvent)[0])
    expected = {typing.get_args(m.model_fields["type"].annotation)[0] for m in members}
    assert {event["type"] for event in BUILT} == expected


def test_session_update_always_says_realtime() -> None:
    assert ev.session_update({})["session"]["type"] == "realtime"
    assert ev.session_update({"type": "transcription"})["session"]["type"] == "transcription"
