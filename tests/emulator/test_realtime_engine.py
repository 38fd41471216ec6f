"""The emulator's Realtime engine, pure: client events in, server events out."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect

from responses_client.emulator import CallTool, Emulator, Reply, ScriptedModel
from responses_client.emulator._engine import EventStep, Ids
from responses_client.emulator._realtime_engine import FRAME_MS, RealtimeEngine, ResponseRun

from ..realtime.conftest import silence, speech


def engine(*replies: Reply) -> RealtimeEngine:
    return RealtimeEngine(ScriptedModel(list(replies)), Ids(0), "gpt-realtime")


def feed(target: RealtimeEngine, event: dict[str, Any]) -> list[dict[str, Any]]:
    return target.handle(json.dumps(event))


def append(target: RealtimeEngine, pcm: bytes) -> list[dict[str, Any]]:
    return feed(
        target, {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}
    )


def drain(
    target: RealtimeEngine, run: ResponseRun, count: int | None = None
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while count is None or len(out) < count:
        step = target.next_step(run)
        if step is None:
            break
        assert isinstance(step, EventStep)
        out.append(step.event)
    return out


def vad(**settings: Any) -> dict[str, Any]:
    detection = {"type": "server_vad", "create_response": False, **settings}
    return {
        "type": "session.update",
        "session": {"type": "realtime", "audio": {"input": {"turn_detection": detection}}},
    }


def types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


# -- VAD ------------------------------------------------------------------------------

VAD_CASES = {
    "defaults: start moved back by the padding, stop after the silence": (
        {},
        [silence(1000), speech(400), silence(400)],
        1000 - 300,
        1400,
    ),
    "no padding": ({"prefix_padding_ms": 0}, [silence(500), speech(200), silence(300)], 500, 700),
    "longer silence needed: a short pause does not end the turn": (
        {"silence_duration_ms": 500, "prefix_padding_ms": 0},
        [speech(200), silence(300), speech(200), silence(600)],
        0,
        700,
    ),
}


@pytest.mark.parametrize(("settings", "chunks", "start", "end"), VAD_CASES.values(), ids=VAD_CASES)
def test_server_vad_follows_its_settings(
    settings: dict[str, Any], chunks: list[bytes], start: int, end: int
) -> None:
    target = engine()
    feed(target, vad(**settings))
    out: list[dict[str, Any]] = []
    for chunk in chunks:
        out += append(target, chunk)
    assert types(out)[:3] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
    ]
    assert out[0]["audio_start_ms"] == start
    assert out[1]["audio_end_ms"] == end
    assert out[0]["item_id"] == out[1]["item_id"] == out[2]["item_id"]


def test_quiet_audio_under_the_threshold_is_not_speech() -> None:
    target = engine()
    feed(target, vad(threshold=0.9))
    assert append(target, speech(500, amplitude=2000) + silence(500)) == []


def test_vad_creates_a_response_by_default() -> None:
    target = engine(Reply(text="Hi"))
    out = append(target, speech(300) + silence(300))
    assert "input_audio_buffer.committed" in types(out)
    assert target.run is not None


def test_manual_turns_need_a_commit() -> None:
    target = engine()
    feed(
        target,
        {
            "type": "session.update",
            "session": {"type": "realtime", "audio": {"input": {"turn_detection": None}}},
        },
    )
    assert append(target, speech(300) + silence(300)) == []
    assert types(feed(target, {"type": "input_audio_buffer.commit"}))[:2] == [
        "input_audio_buffer.committed",
        "conversation.item.added",
    ]


def test_g711_input_is_heard_at_8_khz() -> None:
    from responses_client.realtime import audio

    target = engine()
    feed(
        target,
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcmu"},
                        "turn_detection": {
                            "type": "server_vad",
                            "create_response": False,
                            "prefix_padding_ms": 0,
                        },
                    }
                },
            },
        },
    )
    tone = audio.ulaw_encode(audio.resample(silence(200) + speech(300) + silence(300), 24000, 8000))
    out = feed(
        target, {"type": "input_audio_buffer.append", "audio": base64.b64encode(tone).decode()}
    )
    assert out[0]["audio_start_ms"] == 200


# -- responses, cancel, truncate ----------------------------------------------------------


def start(target: RealtimeEngine) -> ResponseRun:
    assert feed(target, {"type": "response.create"}) == []
    assert target.run is not None
    return target.run


def test_audio_follows_the_text_and_its_transcript() -> None:
    target = engine(Reply(text="Hi there"))
    events = drain(target, start(target))
    deltas = [e for e in events if e["type"] == "response.output_audio.delta"]
    # "Hi" 2 chars -> 120 ms -> 6 frames; " there" 6 chars -> 360 ms -> 18 frames.
    assert len(deltas) == 24
    assert target.audio_ms[deltas[0]["item_id"]] == 24 * FRAME_MS
    assert len(base64.b64decode(deltas[0]["delta"])) == 2 * 24 * FRAME_MS
    assert events[-1]["response"]["status"] == "completed"
    assert (
        events[-1]["response"]["usage"]["output_token_details"]["audio_tokens"]
        == 24 * FRAME_MS // 50
    )


def test_text_modality_sends_text_deltas() -> None:
    target = engine(Reply(text="Hi there"))
    feed(target, {"type": "response.create", "response": {"output_modalities": ["text"]}})
    assert target.run is not None
    events = drain(target, target.run)
    assert [e["delta"] for e in events if e["type"] == "response.output_text.delta"] == [
        "Hi",
        " there",
    ]


def test_second_response_while_one_runs_is_refused() -> None:
    target = engine(Reply(text="Hi"))
    start(target)
    (error,) = feed(target, {"type": "response.create", "event_id": "evt_9"})
    assert error["error"]["code"] == "conversation_already_has_active_response"
    assert error["error"]["event_id"] == "evt_9"


def test_cancel_ends_the_run_with_a_cancelled_response_done() -> None:
    target = engine(Reply(text="Hello there", tool_calls=[CallTool("f")]))
    run = start(target)
    drain(target, run, 6)
    out = feed(target, {"type": "response.cancel"})
    assert out[-1]["response"]["status"] == "cancelled"
    assert out[-1]["response"]["status_details"] == {
        "type": "cancelled",
        "reason": "client_cancelled",
    }
    assert target.next_step(run) is None
    (again,) = feed(target, {"type": "response.cancel"})
    assert again["error"]["code"] == "response_cancel_not_active"


TRUNCATE = {
    "within the audio": (100, "conversation.item.truncated"),
    "exactly all of it": (120, "conversation.item.truncated"),
    "beyond the audio generated": (140, "invalid_value"),
}


@pytest.mark.parametrize(("end", "expected"), TRUNCATE.values(), ids=TRUNCATE)
def test_truncate_is_checked_against_the_audio_generated(end: int, expected: str) -> None:
    target = engine(Reply(text="Hello there"))
    run = start(target)
    events = drain(target, run, 11)  # up to 6 audio deltas: 120 ms
    item_id = next(e["item_id"] for e in events if e["type"] == "response.output_audio.delta")
    assert target.audio_ms[item_id] == 120
    (answer,) = feed(
        target,
        {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": end,
        },
    )
    assert (answer["type"] if answer["type"] != "error" else answer["error"]["code"]) == expected


def test_truncate_of_an_item_without_audio_or_unknown_is_an_error() -> None:
    target = engine(Reply(text="Hello"))
    run = start(target)
    events = drain(target, run, 3)
    item_id = events[1]["item"]["id"]
    (no_audio,) = feed(
        target,
        {
            "type": "conversation.item.truncate",
            "item_id": item_id,
            "content_index": 0,
            "audio_end_ms": 0,
        },
    )
    (unknown,) = feed(
        target,
        {
            "type": "conversation.item.truncate",
            "item_id": "nope",
            "content_index": 0,
            "audio_end_ms": 0,
        },
    )
    assert no_audio["error"]["code"] == "invalid_value"
    assert unknown["error"]["code"] == "item_truncate_invalid_item_id"


# -- session and malformed input --------------------------------------------------------------

ERRORS = {
    "session.update without session.type": (
        {"type": "session.update", "session": {}},
        "missing_required_parameter",
        "session.type",
    ),
    "session.type other than realtime": (
        {"type": "session.update", "session": {"type": "transcription"}},
        "invalid_value",
        "session.type",
    ),
    "an unknown client event": ({"type": "response.audio.delta"}, "invalid_value", "type"),
    "retrieve of an unknown item": (
        {"type": "conversation.item.retrieve", "item_id": "x"},
        "item_retrieve_invalid_item_id",
        "item_id",
    ),
    "delete of an unknown item": (
        {"type": "conversation.item.delete", "item_id": "x"},
        "item_delete_invalid_item_id",
        "item_id",
    ),
    "commit of an empty buffer": (
        {"type": "input_audio_buffer.commit"},
        "input_audio_buffer_commit_empty",
        None,
    ),
}


@pytest.mark.parametrize(("event", "code", "param"), ERRORS.values(), ids=ERRORS)
def test_bad_client_events_get_the_api_s_error(
    event: dict[str, Any], code: str, param: str | None
) -> None:
    (error,) = feed(engine(), event)
    assert error["type"] == "error"
    assert (error["error"]["code"], error["error"]["param"]) == (code, param)


def test_not_json_is_an_error_not_a_crash() -> None:
    (error,) = engine().handle("{nope")
    assert error["error"]["code"] == "invalid_json"


def test_session_update_merges_and_answers_the_whole_session() -> None:
    target = engine()
    (updated,) = feed(
        target,
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "instructions": "Hi",
                "audio": {"output": {"voice": "marin"}},
            },
        },
    )
    assert updated["type"] == "session.updated"
    assert updated["session"]["instructions"] == "Hi"
    assert updated["session"]["audio"]["output"] == {
        "format": {"type": "audio/pcm", "rate": 24000},
        "voice": "marin",
        "speed": 1.0,
    }


def test_items_can_be_created_after_a_given_item_retrieved_and_deleted() -> None:
    target = engine()
    first = feed(
        target,
        {
            "type": "conversation.item.create",
            "item": {"id": "a", "type": "message", "role": "user", "content": []},
        },
    )
    feed(
        target,
        {
            "type": "conversation.item.create",
            "item": {"id": "c", "type": "message", "role": "user", "content": []},
        },
    )
    between = feed(
        target,
        {
            "type": "conversation.item.create",
            "previous_item_id": "a",
            "item": {"id": "b", "type": "message", "role": "user", "content": []},
        },
    )
    assert first[0]["previous_item_id"] is None
    assert between[0]["previous_item_id"] == "a"
    assert [item["id"] for item in target.items] == ["a", "b", "c"]
    assert (
        feed(target, {"type": "conversation.item.retrieve", "item_id": "b"})[0]["item"]["id"] == "b"
    )
    assert (
        feed(target, {"type": "conversation.item.delete", "item_id": "b"})[0]["type"]
        == "conversation.item.deleted"
    )
    assert [item["id"] for item in target.items] == ["a", "c"]


# -- the endpoint --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_beta_header_gets_beta_api_shape_disabled_and_a_close() -> None:
    async with Emulator() as emu:
        url = emu.base_url.replace("http", "ws", 1) + "/realtime?model=gpt-realtime"
        async with connect(url, additional_headers={"OpenAI-Beta": "realtime=v1"}) as ws:
            error = json.loads(await ws.recv())
            await ws.wait_closed()
    assert error["error"]["code"] == "beta_api_shape_disabled"
    assert ws.protocol.close_code == 1008  # (Connection.close_code came in websockets 15)


@pytest.mark.anyio
async def test_every_client_event_is_recorded() -> None:
    async with Emulator() as emu:
        url = emu.base_url.replace("http", "ws", 1) + "/realtime?model=gpt-realtime"
        async with connect(url) as ws:
            await ws.recv()
            await ws.send('{"type": "input_audio_buffer.clear"}')
            await ws.send("not json")
            assert json.loads(await ws.recv())["type"] == "input_audio_buffer.cleared"
            assert json.loads(await ws.recv())["error"]["code"] == "invalid_json"
    assert emu.connections[0].frames == [{"type": "input_audio_buffer.clear"}, "not json"]
