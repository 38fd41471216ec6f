"""The cancel state machine: what goes out, and when the connection is clean again."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from responses_client._cancel import (
    CONNECTION_LIMIT,
    PHASE_TYPES,
    STEER_ANSWER_TYPES,
    CancelState,
    Frame,
    Phase,
    Verdict,
    peek,
)
from responses_client.events import ENDING_TYPES, SERVER_EVENT_TYPES, parse_event

# Each step is ("begin",) / ("cancel",) / ("observe", type, id) / ("reset",), followed by
# the id the step must return (the response.cancel to send now), or None.
Step = tuple[tuple[str, ...], str | None]

CASES: dict[str, tuple[list[Step], Phase]] = {
    "nothing in flight: cancel sends nothing": (
        [(("cancel",), None)],
        Phase.IDLE,
    ),
    "a response runs to its end": (
        [
            (("begin",), None),
            (("observe", "response.created", "r1"), None),
            (("observe", "response.output_text.delta", ""), None),
            (("observe", "response.completed", "r1"), None),
        ],
        Phase.IDLE,
    ),
    "cancel after response.created goes out at once, once": (
        [
            (("begin",), None),
            (("observe", "response.created", "r1"), None),
            (("cancel",), "r1"),
            (("cancel",), None),
            (("observe", "response.output_text.delta", ""), None),
        ],
        Phase.CREATED,
    ),
    "cancel before response.created waits for the id": (
        [
            (("begin",), None),
            (("cancel",), None),
            (("observe", "response.created", "r2"), "r2"),
            (("observe", "response.output_text.delta", ""), None),
        ],
        Phase.CREATED,
    ),
    "an error reply to a cancel is not the end": (
        [
            (("begin",), None),
            (("observe", "response.created", "r1"), None),
            (("cancel",), "r1"),
            (("observe", "error", ""), None),
        ],
        Phase.CREATED,
    ),
    "the drain ends on response.incomplete": (
        [
            (("begin",), None),
            (("observe", "response.created", "r1"), None),
            (("cancel",), "r1"),
            (("observe", "response.incomplete", "r1"), None),
        ],
        Phase.IDLE,
    ),
    "the drain ends on response.failed": (
        [
            (("begin",), None),
            (("cancel",), None),
            (("observe", "response.created", "r1"), "r1"),
            (("observe", "response.failed", "r1"), None),
        ],
        Phase.IDLE,
    ),
    "an error before response.created ends a refused request": (
        [
            (("begin",), None),
            (("cancel",), None),
            (("observe", "error", ""), None),
        ],
        Phase.IDLE,
    ),
    "an error of a created, uncancelled response ends it": (
        [
            (("begin",), None),
            (("observe", "response.created", "r1"), None),
            (("observe", "error", ""), None),
        ],
        Phase.IDLE,
    ),
    "unparsable frames change nothing": (
        [
            (("begin",), None),
            (("observe", "", ""), None),
            (("cancel",), None),
            (("observe", "", ""), None),
        ],
        Phase.SENT,
    ),
    "a lost connection forgets the response": (
        [
            (("begin",), None),
            (("observe", "response.created", "r1"), None),
            (("reset",), None),
            (("cancel",), None),
        ],
        Phase.IDLE,
    ),
    "events while idle are ignored": (
        [
            (("observe", "response.created", "r9"), None),
            (("observe", "response.completed", "r9"), None),
        ],
        Phase.IDLE,
    ),
}


def run(state: CancelState, step: tuple[str, ...]) -> str | None:
    match step:
        case ("begin",):
            state.begin()
            return None
        case ("cancel",):
            return state.cancel()
        case ("reset",):
            state.reset()
            return None
        case ("observe", event_type, response_id):
            return state.observe(event_type or None, response_id or None)
    raise AssertionError(step)


@pytest.mark.parametrize("name", list(CASES))
def test_cancel_state_machine(name: str) -> None:
    steps, final = CASES[name]
    state = CancelState()
    for step, expected in steps:
        assert run(state, step) == expected, (name, step)
    assert state.phase is final
    assert state.in_flight is (final is not Phase.IDLE)


def test_a_second_request_while_one_is_in_flight_is_refused() -> None:
    state = CancelState()
    state.begin()
    with pytest.raises(ValueError, match="still in flight"):
        state.begin()


def test_after_a_drain_the_next_response_starts_clean() -> None:
    state = CancelState()
    state.begin()
    state.observe("response.created", "r1")
    assert state.cancel() == "r1"
    state.observe("response.incomplete", "r1")
    state.begin()
    state.observe("response.created", "r2")
    assert (state.response_id, state.cancel_requested, state.cancel_sent) == ("r2", False, False)


def test_a_cancel_that_crossed_the_end_expects_a_late_error_reply() -> None:
    state = CancelState()
    state.begin()
    state.observe("response.created", "r1")
    assert state.cancel() == "r1"
    state.observe("response.completed", "r1", "completed")
    assert not state.in_flight
    assert state.late_replies == ["r1"]
    # The next request's own errors are not mistaken for the reply...
    assert not state.stale_reply("previous_response_not_found", "previous_response_id")
    # ...but the reply to the cancel is dropped, once.
    assert state.stale_reply("response_not_found", "response_id")
    assert not state.stale_reply("response_not_found", "response_id")


@pytest.mark.parametrize(
    ("ending", "expected"),
    [
        (("response.incomplete", "cancelled"), []),
        (("response.completed", "completed"), ["r1"]),
        (("response.failed", "failed"), ["r1"]),
    ],
)
def test_late_replies_are_expected_only_when_the_cancel_did_not_take(
    ending: tuple[str, str], expected: list[str]
) -> None:
    state = CancelState()
    state.begin()
    state.cancel()
    assert state.observe("response.created", "r1") == "r1"
    state.observe(ending[0], "r1", ending[1])
    assert state.late_replies == expected


def test_an_error_reply_during_the_drain_means_no_late_reply() -> None:
    state = CancelState()
    state.begin()
    state.observe("response.created", "r1")
    state.cancel()
    state.observe("error")
    state.observe("response.completed", "r1", "completed")
    assert (state.in_flight, state.late_replies) == (False, [])


def test_without_a_cancel_no_error_is_stale() -> None:
    assert not CancelState().stale_reply("response_not_found", "response_id")


def test_a_new_connection_expects_no_late_reply() -> None:
    state = CancelState(late_replies=["r1", "r2"])
    state.forget_connection()
    assert not state.stale_reply("response_not_found", "response_id")
    assert not state.stale_reply(None, None, "No response with id 'r1' is in progress.")


def _crossed(*response_ids: str) -> CancelState:
    """A state whose cancels of ``response_ids`` each crossed their response's end."""
    state = CancelState()
    for response_id in response_ids:
        state.begin()
        state.observe("response.created", response_id)
        assert state.cancel() == response_id
        state.observe("response.completed", response_id, "completed")
    return state


def test_a_late_reply_is_also_known_by_the_cancelled_id_in_its_message() -> None:
    # A server may answer with neither the param nor the code the emulator uses; the
    # message naming the cancelled response is enough.
    state = _crossed("resp_a", "resp_b")
    assert not state.stale_reply("invalid_request_error", None, "Something else went wrong.")
    assert state.stale_reply(None, None, "Response 'resp_b' cannot be cancelled: completed.")
    assert state.late_replies == ["resp_a"]
    assert state.stale_reply("conflict", None, "resp_a is not in progress")
    assert not state.stale_reply(None, None, "resp_a is not in progress")


@pytest.mark.parametrize(
    ("code", "param"),
    [("previous_response_not_found", None), (None, "previous_response_id")],
)
def test_an_error_about_the_next_requests_chain_is_never_a_late_reply(
    code: str | None, param: str | None
) -> None:
    # The next request may chain from the cancelled response itself: its refusal names
    # that id, and must reach the caller.
    state = _crossed("resp_a")
    assert not state.stale_reply(code, param, "Previous response with id 'resp_a' not found.")
    assert state.late_replies == ["resp_a"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            '{"type":"response.created","response":{"id":"resp_1","status":"in_progress"}}',
            Frame("response.created", "resp_1", "in_progress"),
        ),
        (
            b'{"type":"response.output_text.delta","delta":"x"}',
            Frame("response.output_text.delta"),
        ),
        ('{"type":"response.completed","response":{"id":7}}', Frame("response.completed")),
        (
            '{"type":"error","status":400,"error":{"code":"response_not_found",'
            '"param":"response_id","message":"m"}}',
            Frame("error", code="response_not_found", param="response_id", message="m"),
        ),
        (
            '{"type":"error","code":"server_error","param":null,"message":"boom"}',
            Frame("error", code="server_error", message="boom"),
        ),
        ('{"type": 3}', Frame()),
        ('{"type": "response.output_text.delta", "delta": ', Frame()),
        ("[1, 2]", Frame()),
        (b"\xff\xfe", Frame()),
        ('{"type":"error","response":"x","error":"y"}', Frame("error")),
    ],
)
def test_peek(data: str | bytes, expected: Frame) -> None:
    assert peek(data) == expected


# -- what a frame means: on_frame's verdicts --------------------------------------------

CREATED = Frame("response.created", "r1", "in_progress")
COMPLETED = Frame("response.completed", "r1", "completed")
CANCELLED = Frame("response.incomplete", "r1", "cancelled")
DELTA = Frame("response.output_text.delta")
SERVER_ERROR = Frame("error", code="server_error", message="boom")
LIMIT = Frame("error", code=CONNECTION_LIMIT, message="Responses websocket connection limit")
CANCEL_REPLY = Frame("error", code="response_not_found", param="response_id")
NAMED_REPLY = Frame("error", message="Response 'r1' has already completed.")
CHAIN_ERROR = Frame("error", code="previous_response_not_found", param="previous_response_id")


def _setup(name: str) -> CancelState:
    """A state in one of the situations a frame can arrive in."""
    state = CancelState()
    if name == "idle":
        return state
    state.begin()
    if name == "pending cancel":
        state.cancel()
    if name in {"created", "cancel sent", "cancel crossed the end"}:
        state.observe("response.created", "r1")
    if name in {"cancel sent", "cancel crossed the end"}:
        assert state.cancel() == "r1"
    if name == "cancel crossed the end":
        state.observe("response.completed", "r1", "completed")
        state.begin()  # the next request is on its way when the late reply comes
    return state


# (situation, frame read, verdict, phase after, late replies still expected)
VERDICTS: list[tuple[str, Frame, Verdict, Phase, list[str]]] = [
    ("sent", CREATED, Verdict.KEEP, Phase.CREATED, []),
    ("pending cancel", CREATED, Verdict.SEND_CANCEL, Phase.CREATED, []),
    ("created", DELTA, Verdict.KEEP, Phase.CREATED, []),
    ("created", COMPLETED, Verdict.KEEP, Phase.IDLE, []),
    ("sent", SERVER_ERROR, Verdict.KEEP, Phase.IDLE, []),
    ("created", SERVER_ERROR, Verdict.KEEP, Phase.IDLE, []),
    ("sent", LIMIT, Verdict.CLOSE, Phase.IDLE, []),
    ("idle", LIMIT, Verdict.CLOSE, Phase.IDLE, []),
    ("cancel sent", CANCEL_REPLY, Verdict.KEEP, Phase.CREATED, []),
    ("cancel sent", CANCELLED, Verdict.KEEP, Phase.IDLE, []),
    ("cancel sent", COMPLETED, Verdict.KEEP, Phase.IDLE, ["r1"]),
    ("cancel crossed the end", CANCEL_REPLY, Verdict.DROP, Phase.SENT, []),
    ("cancel crossed the end", NAMED_REPLY, Verdict.DROP, Phase.SENT, []),
    ("cancel crossed the end", CHAIN_ERROR, Verdict.KEEP, Phase.IDLE, ["r1"]),
    ("cancel crossed the end", SERVER_ERROR, Verdict.KEEP, Phase.IDLE, ["r1"]),
    ("sent", Frame(), Verdict.KEEP, Phase.SENT, []),
]


@pytest.mark.parametrize(
    ("situation", "frame", "verdict", "phase", "late"),
    VERDICTS,
    ids=[f"{row[0]}: {row[1].type} {row[1].code or ''}".strip() for row in VERDICTS],
)
def test_on_frame(
    situation: str, frame: Frame, verdict: Verdict, phase: Phase, late: list[str]
) -> None:
    state = _setup(situation)
    assert state.on_frame(frame) is verdict
    assert (state.phase, state.late_replies) == (phase, late)
    if verdict is Verdict.SEND_CANCEL:
        assert (state.response_id, state.cancel_sent) == ("r1", True)


@pytest.mark.parametrize("situation", ["idle", "sent", "pending cancel", "created", "cancel sent"])
def test_frames_of_other_types_change_nothing(situation: str) -> None:
    # The transport feeds on_frame only PHASE_TYPES: every other type must be a no-op.
    for event_type in sorted(set(SERVER_EVENT_TYPES) - PHASE_TYPES):
        state = _setup(situation)
        before = replace(state, late_replies=list(state.late_replies))
        assert state.on_frame(Frame(event_type, "r1", "completed")) is Verdict.KEEP
        assert state == before, event_type


def test_phase_types_are_the_ending_types_response_created_and_the_steer_answers() -> None:
    assert PHASE_TYPES == ENDING_TYPES | STEER_ANSWER_TYPES | {"response.created"}


RESPONSE = {"id": "resp_1", "object": "response", "status": "in_progress", "output": []}


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "response.created", "response": RESPONSE},
        {"type": "response.queued", "response": RESPONSE},
        {"type": "response.in_progress", "response": RESPONSE},
        {"type": "response.completed", "response": {**RESPONSE, "status": "completed"}},
        {"type": "response.failed", "response": {**RESPONSE, "status": "failed"}},
        {"type": "response.incomplete", "response": {**RESPONSE, "status": "cancelled"}},
        {"type": "response.output_text.delta", "item_id": "m", "delta": "x"},
        {"type": "error", "code": "server_error", "param": None, "message": "boom"},
        {
            "type": "error",
            "status": 400,
            "error": {"code": "response_not_found", "param": "response_id", "message": "m"},
        },
        {"type": "response.hologram.delta", "response": RESPONSE, "code": "x"},
    ],
    ids=lambda payload: str(payload["type"]),
)
def test_frame_of_an_event_reads_what_peek_reads_of_its_text(payload: dict[str, object]) -> None:
    text = json.dumps(payload)
    assert Frame.of(parse_event(text)) == peek(text)


# -- steering: a request stays in flight while a steer may still bring a successor ---------


def _steer_frame(kind: str, steer_id: str = "s1") -> Frame:
    return Frame(f"response.steer.{kind}", steer_id=steer_id)


def _created(response_id: str) -> Frame:
    return Frame("response.created", response_id)


def _running() -> CancelState:
    state = CancelState()
    state.begin()
    state.on_frame(_created("r1"))
    return state


STEER_CASES: dict[str, tuple[list[Frame], Phase]] = {
    "accepted, steered end, successor created: in flight with the successor": (
        [_steer_frame("accepted"), Frame("response.incomplete", "r1"), _created("r2")],
        Phase.CREATED,
    ),
    "the successor's end ends the request": (
        [
            _steer_frame("accepted"),
            Frame("response.incomplete", "r1"),
            _created("r2"),
            Frame("response.completed", "r2"),
        ],
        Phase.IDLE,
    ),
    "unanswered at the end: the answer is still owed": (
        [Frame("response.completed", "r1")],
        Phase.STEERED,
    ),
    "failed after the end: nothing owed any more": (
        [Frame("response.completed", "r1"), _steer_frame("failed", "")],
        Phase.IDLE,
    ),
    "pending after the end: the next response.create carries it on": (
        [_steer_frame("accepted"), Frame("response.completed", "r1"), _steer_frame("pending")],
        Phase.IDLE,
    ),
    "an accepted steer failing later (same id) ends it too": (
        [_steer_frame("accepted"), Frame("response.incomplete", "r1"), _steer_frame("failed")],
        Phase.IDLE,
    ),
    "an error while the successor is owed ends the request": (
        [_steer_frame("accepted"), Frame("response.incomplete", "r1"), Frame("error")],
        Phase.IDLE,
    ),
}


@pytest.mark.parametrize("name", STEER_CASES)
def test_steer_phases(name: str) -> None:
    frames, phase = STEER_CASES[name]
    state = _running()
    assert state.steer() == "r1"  # names the response in flight
    for frame in frames:
        assert state.on_frame(frame) is Verdict.KEEP
    assert state.phase is phase


def test_a_steer_before_response_created_goes_out_when_it_arrives() -> None:
    state = CancelState()
    state.begin()
    assert state.steer() is None
    assert state.on_frame(_created("r1")) is Verdict.SEND_STEER
    assert state.steers_sent() == 1 and state.response_id == "r1"
    assert state.steers_unanswered == 1 and state.steers_waiting == 0


def test_a_cancel_drops_the_steers_waiting_for_an_id() -> None:
    state = CancelState()
    state.begin()
    state.steer()
    state.cancel()
    assert state.on_frame(_created("r1")) is Verdict.SEND_CANCEL
    state.on_frame(Frame("response.incomplete", "r1", "cancelled"))
    assert state.phase is Phase.IDLE


def test_a_cancel_while_the_successor_is_owed_goes_out_when_it_is_created() -> None:
    state = _running()
    state.steer()
    state.on_frame(_steer_frame("accepted"))
    state.on_frame(Frame("response.incomplete", "r1"))
    assert state.cancel() is None  # no id yet
    assert state.on_frame(_created("r2")) is Verdict.SEND_CANCEL
    assert state.response_id == "r2" and state.cancel_sent


def test_peek_reads_a_steer_answer_s_id() -> None:
    raw = {"type": "response.steer.accepted", "steer": {"id": "s9", "previous_response_id": "r"}}
    assert peek(json.dumps(raw)).steer_id == "s9"
    assert Frame.of(parse_event(json.dumps({**raw, "sequence_number": 1}))).steer_id == "s9"


def test_steers_asked_for_before_the_request_was_written_wait_for_its_response() -> None:
    state = CancelState()
    state.begin(steers=2)
    assert state.on_frame(_created("r1")) is Verdict.SEND_STEER
    assert state.steers_sent() == 2 and state.steers_unanswered == 2
