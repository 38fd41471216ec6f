"""The session protocol: barge-in arithmetic, cancel states, tools, the items mirror."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from responses_client._tools import ToolOutcome
from responses_client.realtime import events as ev
from responses_client.realtime._protocol import Emit, RunTools, Send, SessionProtocol


def created(response_id: str = "r1") -> ev.ResponseCreatedEvent:
    return ev.ResponseCreatedEvent(response=ev.RealtimeResponse(id=response_id))


def done(
    response_id: str = "r1", status: str = "completed", output: list[dict[str, Any]] | None = None
) -> ev.ResponseDoneEvent:
    response = ev.RealtimeResponse.model_validate(
        {"id": response_id, "status": status, "output": output or []}
    )
    return ev.ResponseDoneEvent(response=response)


def audio(ms: int, item_id: str = "a1", response_id: str = "r1") -> ev.OutputAudioDeltaEvent:
    data = base64.b64encode(b"\x00" * (48 * ms)).decode()
    return ev.OutputAudioDeltaEvent(response_id=response_id, item_id=item_id, delta=data)


def sent(actions: list[Any]) -> list[dict[str, Any]]:
    return [action.event for action in actions if isinstance(action, Send)]


def emitted(actions: list[Any]) -> list[Any]:
    return [action.event for action in actions if isinstance(action, Emit)]


# (generated ms, played ms, response still active, expected truncate or None)
BARGE_IN = {
    "played less than generated: cut at played": (400, 150, True, 150),
    "played more than generated: cut at generated": (200, 350, True, 200),
    "nothing played yet: cut at 0": (300, 0, True, 0),
    "all generated and played: nothing to cut": (200, 200, False, None),
    "done but not all played: cut at played": (500, 120, False, 120),
}


@pytest.mark.parametrize(("generated", "played", "active", "cut"), BARGE_IN.values(), ids=BARGE_IN)
def test_barge_in_truncates_at_min_of_played_and_generated(
    generated: int, played: int, active: bool, cut: int | None
) -> None:
    proto = SessionProtocol()
    proto.request_response(0.0)
    proto.feed(created(), 0.0)
    proto.feed(audio(generated), 0.1)
    if not active:
        proto.feed(done(), 0.2)
    proto.played(played)
    actions = proto.interrupt(0.5)
    truncates = [e for e in sent(actions) if e["type"] == "conversation.item.truncate"]
    cancels = [e for e in sent(actions) if e["type"] == "response.cancel"]
    assert truncates == ([] if cut is None else [ev.item_truncate("a1", cut)])
    assert cancels == ([ev.response_cancel("r1")] if active else [])
    (stop,) = emitted(actions)
    assert stop == ev.PlaybackStopEvent(item_id="a1", audio_end_ms=cut, reason="interrupt")


def test_barge_in_truncates_an_item_once() -> None:
    proto = SessionProtocol()
    proto.feed(created(), 0.0)
    proto.feed(audio(300), 0.0)
    proto.played(100)
    first = sent(proto.interrupt(0.5))
    proto.feed(audio(100), 0.0)  # late deltas of the cut item
    second = sent(proto.interrupt(0.5))
    assert [e["type"] for e in first] == ["response.cancel", "conversation.item.truncate"]
    assert second == []


def test_barge_in_before_any_audio_truncates_nothing() -> None:
    proto = SessionProtocol()
    proto.request_response(0.0)
    proto.feed(created(), 0.0)
    actions = proto.interrupt(0.5)
    assert sent(actions) == [ev.response_cancel("r1")]
    assert emitted(actions)[0].audio_end_ms is None


def test_speech_started_barges_in_only_while_something_plays() -> None:
    proto = SessionProtocol()
    started = ev.SpeechStartedEvent(item_id="u1", audio_start_ms=0)
    assert proto.feed(started, 0.0) == []
    proto.feed(created(), 0.0)
    proto.feed(audio(100), 0.0)
    stop = emitted(proto.feed(started, 0.0))
    assert stop[0].reason == "speech_started"


CLOCK = {
    "mid-answer: cut where real-time playback is": (0.25, True, 250),
    "clock beyond the audio while generating: cut at generated": (2.0, True, 400),
    "answer done and all of it heard: nothing to cut": (2.0, False, None),
}


@pytest.mark.parametrize(("at", "active", "cut"), CLOCK.values(), ids=CLOCK)
def test_without_played_reports_playback_runs_in_real_time_from_the_first_delta(
    at: float, active: bool, cut: int | None
) -> None:
    proto = SessionProtocol()
    proto.feed(created(), 10.0)
    proto.feed(audio(400), 10.0)  # first delta at t = 10 s
    if not active:
        proto.feed(done(), 10.1)
    truncates = [
        e for e in sent(proto.interrupt(10.0 + at)) if e["type"] == "conversation.item.truncate"
    ]
    assert truncates == ([] if cut is None else [ev.item_truncate("a1", cut)])


def test_played_is_monotonic_and_per_item() -> None:
    proto = SessionProtocol()
    proto.feed(created(), 0.0)
    proto.feed(audio(300, item_id="a1"), 0.0)
    proto.played(200)
    proto.played(50)
    assert proto.audio["a1"].played_ms == 200
    proto.played(10, item_id="nope")  # unknown item: ignored
    assert "nope" not in proto.audio


# -- cancel ---------------------------------------------------------------------------


def test_cancel_before_response_created_goes_out_when_the_id_arrives() -> None:
    proto = SessionProtocol()
    proto.request_response(0.0)
    assert proto.cancel() == []
    assert sent(proto.feed(created("r9"), 0.0)) == [ev.response_cancel("r9")]


def test_cancel_twice_sends_once() -> None:
    proto = SessionProtocol()
    proto.feed(created(), 0.0)
    assert sent(proto.cancel()) == [ev.response_cancel("r1")]
    assert proto.cancel() == []


def test_cancel_after_response_done_sends_nothing() -> None:
    proto = SessionProtocol()
    proto.feed(created(), 0.0)
    proto.feed(done(), 0.0)
    assert proto.cancel() == []
    assert not proto.response_active


def test_cancel_not_active_is_benign_other_errors_are_not() -> None:
    proto = SessionProtocol()
    benign = ev.ErrorEvent(error=ev.ErrorDetail(code="response_cancel_not_active"))
    other = ev.ErrorEvent(error=ev.ErrorDetail(code="conversation_already_has_active_response"))
    assert proto.is_benign(benign)
    assert not proto.is_benign(other)


# -- tools ------------------------------------------------------------------------------

CALLS = [
    {"type": "function_call", "id": "f1", "call_id": "c1", "name": "a", "arguments": "{}"},
    {"type": "message", "id": "m1", "role": "assistant", "content": []},
    {"type": "function_call", "id": "f2", "call_id": "c2", "name": "b", "arguments": '{"x":1}'},
]


def test_completed_response_runs_all_its_calls_at_once() -> None:
    proto = SessionProtocol()
    proto.feed(created(), 0.0)
    runs = [a for a in proto.feed(done(output=CALLS), 0.0) if isinstance(a, RunTools)]
    assert len(runs) == 1
    assert [(c.call_id, c.name, c.arguments) for c in runs[0].calls] == [
        ("c1", "a", "{}"),
        ("c2", "b", '{"x":1}'),
    ]


@pytest.mark.parametrize("status", ["cancelled", "failed", "incomplete"])
def test_calls_of_an_unfinished_response_never_run(status: str) -> None:
    proto = SessionProtocol()
    proto.feed(created(), 0.0)
    assert not [
        a for a in proto.feed(done(status=status, output=CALLS), 0.0) if isinstance(a, RunTools)
    ]


def test_tool_outputs_are_items_then_one_response_create() -> None:
    proto = SessionProtocol()
    outcomes = [
        ToolOutcome("c1", "a", "{}", "1", None, 0.0),
        ToolOutcome("c2", "b", "{}", "Error: boom", "boom", 0.0),
    ]
    actions = proto.tool_outputs(outcomes, 1.0)
    assert sent(actions) == [
        ev.item_create({"type": "function_call_output", "call_id": "c1", "output": "1"}),
        ev.item_create({"type": "function_call_output", "call_id": "c2", "output": "Error: boom"}),
        ev.response_create(),
    ]
    assert [e.error for e in emitted(actions)] == [None, "boom"]
    assert proto.response_active


# -- figures ----------------------------------------------------------------------------


def test_figures_count_first_audio_from_the_end_of_speech() -> None:
    proto = SessionProtocol()
    proto.feed(ev.SpeechStoppedEvent(item_id="u1", audio_end_ms=900), 10.0)
    proto.feed(created(), 10.1)
    proto.feed(audio(100), 10.25)
    proto.feed(audio(100), 10.3)
    proto.played(150)
    (figures,) = emitted(proto.feed(done(), 10.4))
    assert figures.first_audio_s == pytest.approx(0.25)
    assert (figures.audio_ms_generated, figures.audio_ms_played) == (200, 150)


def test_figures_count_played_up_to_the_cut() -> None:
    proto = SessionProtocol()
    proto.request_response(0.0)
    proto.feed(created(), 0.0)
    proto.feed(audio(400), 0.1)
    proto.played(100)
    proto.interrupt(0.5)
    proto.played(300)  # the app's clock ran on after the cut
    (figures,) = emitted(proto.feed(done(status="cancelled"), 0.2))
    assert (figures.status, figures.audio_ms_played) == ("cancelled", 100)
    assert figures.first_audio_s == pytest.approx(0.1)


def test_pcmu_deltas_count_8_bytes_per_ms() -> None:
    proto = SessionProtocol(output_format="audio/pcmu")
    proto.feed(created(), 0.0)
    proto.feed(
        ev.OutputAudioDeltaEvent(
            response_id="r1", item_id="a1", delta=base64.b64encode(b"\xff" * 160).decode()
        ),
        0.0,
    )
    assert proto.audio["a1"].generated_ms == 20


# -- the items mirror ----------------------------------------------------------------------


def item(item_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": item_id, "type": "message", **fields}


def added(item_id: str, previous: str | None, **fields: Any) -> ev.ConversationItemAddedEvent:
    return ev.ConversationItemAddedEvent(item=item(item_id, **fields), previous_item_id=previous)


MIRROR = {
    "appended in order": ([added("a", None), added("b", "a"), added("c", "b")], ["a", "b", "c"]),
    "inserted after its previous item": (
        [added("a", None), added("c", "a"), added("b", "a")],
        ["a", "b", "c"],
    ),
    "done replaces in place": (
        [
            added("a", None),
            added("b", "a"),
            ev.ConversationItemDoneEvent(item=item("a", status="completed")),
        ],
        ["a", "b"],
    ),
    "deleted goes": (
        [added("a", None), added("b", "a"), ev.ConversationItemDeletedEvent(item_id="a")],
        ["b"],
    ),
    "after an unseen item: at the end": ([added("a", None), added("b", "zz")], ["a", "b"]),
}


@pytest.mark.parametrize(("events", "order"), MIRROR.values(), ids=MIRROR)
def test_items_mirror_the_server(events: list[Any], order: list[str]) -> None:
    proto = SessionProtocol()
    for event in events:
        proto.feed(event, 0.0)
    assert list(proto.items) == order


def test_done_item_and_truncation_are_recorded() -> None:
    proto = SessionProtocol()
    proto.feed(added("a", None), 0.0)
    proto.feed(ev.ConversationItemDoneEvent(item=item("a", status="completed")), 0.0)
    proto.feed(ev.ConversationItemTruncatedEvent(item_id="a", audio_end_ms=120), 0.0)
    proto.feed(ev.ConversationItemRetrievedEvent(item=item("zz")), 0.0)
    assert proto.items["a"]["status"] == "completed"
    assert proto.items["a"]["audio_end_ms"] == 120
    assert list(proto.items) == ["a", "zz"]
