"""The turn machine: every retry, tool-round and interrupt rule, as tables (no server).

Each case feeds the machine what happened (a response's events, a transport fault, tool
outcomes, an interrupt) and compares the actions it answers with the expected ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from responses_client import (
    APIConnectionError,
    APITimeoutError,
    ConnectionClosed,
    RemoteProtocolError,
    ResponseFailedError,
    RetryAfterOutputError,
    RetryPolicy,
    SteerFailedError,
    ToolError,
)
from responses_client._exceptions import status_error
from responses_client._fold import Ending
from responses_client._items import Item, parse_item
from responses_client._planner import Plan
from responses_client._steer import SteerAnswer, settle
from responses_client._turn import (
    Action,
    Emit,
    Fail,
    Finish,
    Forget,
    Keep,
    Remember,
    RunTools,
    Send,
    TurnMachine,
    Wait,
)
from responses_client.events import parse_event

from .test_fold import CALL, MESSAGE, USAGE, response

BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
"""The policy's delays in these tests: easy to tell apart from a server's Retry-After."""


def delays() -> Iterator[float]:
    return iter(BACKOFF)


def machine(
    *, max_retries: int = 2, max_tool_rounds: int = 2, retry_after_output: bool = True
) -> TurnMachine:
    turn = TurnMachine(
        retry=RetryPolicy(max_retries=max_retries, delays=delays),
        max_tool_rounds=max_tool_rounds,
        retry_after_output=retry_after_output,
    )
    assert turn.start(100.0) == [Send(full_context=False)]
    return turn


def plan(input_len: int = 1) -> Plan:
    return Plan(None, 0, "no previous response", input_len, b"digest", 1, b"key")


def call(n: int) -> dict[str, Any]:
    return {**CALL, "id": f"fc_{n}", "call_id": f"call_{n}"}


CREATED = {"type": "response.created", "response": response("in_progress", [])}
DELTA = {
    "type": "response.output_text.delta",
    "item_id": "msg_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "Hi",
}
COMPLETED = {"type": "response.completed", "response": response("completed", [MESSAGE])}
CALLS = {"type": "response.completed", "response": response("completed", [call(1), call(2)])}
INCOMPLETE = {
    "type": "response.incomplete",
    "response": response("incomplete", [], incomplete_details={"reason": "max_output_tokens"}),
}
FAILED = {
    "type": "response.failed",
    "response": response("failed", [], error={"code": "server_error", "message": "boom"}),
}


def error(code: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": "m", "param": None}


def respond(turn: TurnMachine, *events: dict[str, Any], yielded: bool = False) -> list[Action]:
    """Send one request whose stream carries ``events``, then report that it ended."""
    fold = turn.sending(plan(), 1)
    for event in events:
        fold.apply(parse_event(json.dumps(event)))
    return turn.stream_ended(yielded=yielded)


@dataclass(frozen=True)
class Outcome:
    call_id: str
    name: str = "f"
    arguments: str = "{}"
    output: str = "ok"
    error: str | None = None


def kinds(actions: list[Action]) -> list[str]:
    """The actions in short: class name and the one field that tells cases apart."""
    out = []
    for action in actions:
        match action:
            case Send(full_context=full):
                out.append(f"Send(full={full})")
            case Wait(seconds=seconds):
                out.append(f"Wait({seconds})")
            case Forget(reason=reason):
                out.append(f"Forget({reason})")
            case Emit(event=event):
                out.append(f"Emit({event.type})")
            case Fail(error=error_):
                out.append(f"Fail({type(error_).__name__})")
            case Finish(status=status):
                out.append(f"Finish({status})")
            case Remember() | Keep() | RunTools():
                out.append(type(action).__name__)
    return out


# -- how a response's stream ended ------------------------------------------------------

ENDINGS = [
    ("completed, no calls", [CREATED, DELTA, COMPLETED], ["Remember", "Keep", "Finish(completed)"]),
    ("completed with calls", [CREATED, CALLS], ["RunTools"]),
    (
        "incomplete",
        [CREATED, INCOMPLETE],
        ["Forget(response not kept)", "Finish(incomplete)"],
    ),
    ("failed", [CREATED, FAILED], ["Forget(response not kept)", "Fail(ResponseFailedError)"]),
    (
        "error that is not worth a retry",
        [CREATED, error("invalid_request_error")],
        ["Forget(response not kept)", "Fail(ResponseFailedError)"],
    ),
    (
        "server forgot the previous response",
        [error("previous_response_not_found")],
        ["Forget(server forgot)", "Send(full=True)"],
    ),
    (
        "connection reached its age limit",
        [CREATED, error("websocket_connection_limit_reached")],
        ["Forget(connection changed)", "Send(full=True)"],
    ),
    (
        "no terminal event (an interrupt broke the stream)",
        [CREATED, DELTA],
        ["Finish(interrupted)"],
    ),
]


@pytest.mark.parametrize(
    ("events", "expected"), [c[1:] for c in ENDINGS], ids=[c[0] for c in ENDINGS]
)
def test_what_follows_the_end_of_a_response(
    events: list[dict[str, Any]], expected: list[str]
) -> None:
    assert kinds(respond(machine(), *events)) == expected


def test_incomplete_reports_why() -> None:
    (_, finish) = respond(machine(), CREATED, INCOMPLETE)
    assert finish == Finish("incomplete", "max_output_tokens")


def test_a_response_sent_without_history_is_not_remembered() -> None:
    turn = machine()
    turn.sending(plan(input_len=0), 0)  # instructions as the only input
    for event in (CREATED, COMPLETED):
        turn.fold.apply(parse_event(json.dumps(event)))
    assert kinds(turn.stream_ended(yielded=True)) == [
        "Forget(no previous response)",
        "Keep",
        "Finish(completed)",
    ]


# -- faults of the transport -------------------------------------------------------------


def retried(wait: float) -> list[str]:
    return ["Forget(connection changed)", f"Wait({wait})", "Send(full=True)"]


FAULTS = [
    ("refused connection", APIConnectionError("refused"), retried(0.5)),
    ("timeout", APITimeoutError("slow"), retried(0.5)),
    ("WebSocket closed", ConnectionClosed("gone", code=1006), retried(0.5)),
    ("429 without header", status_error(429, {}), retried(0.5)),
    ("429 with Retry-After", status_error(429, {}, headers={"Retry-After": "3"}), retried(3.0)),
    (
        "503, retry-after-ms",
        status_error(503, {}, headers={"retry-after-ms": "250"}),
        retried(0.25),
    ),
    ("above the cap", status_error(500, {}, headers={"retry-after": "3600"}), retried(60.0)),
    ("408", status_error(408, {}), retried(0.5)),
    ("409", status_error(409, {}), retried(0.5)),
    ("400", status_error(400, {}), ["Fail(BadRequestError)"]),
    ("401", status_error(401, {}), ["Fail(AuthenticationError)"]),
    ("404", status_error(404, {}), ["Fail(NotFoundError)"]),
    ("422", status_error(422, {}), ["Fail(UnprocessableEntityError)"]),
    ("malformed data", RemoteProtocolError("bad json"), ["Fail(RemoteProtocolError)"]),
]


@pytest.mark.parametrize(("fault", "expected"), [c[1:] for c in FAULTS], ids=[c[0] for c in FAULTS])
def test_what_follows_a_fault_before_any_event(fault: Exception, expected: list[str]) -> None:
    turn = machine()
    turn.sending(plan(), 1)
    assert kinds(turn.stream_failed(fault, yielded=False)) == expected


RETRIES_AFTER_OUTPUT = [
    (True, ["Forget(connection changed)", "Emit(client.retry)", "Wait(0.5)", "Send(full=True)"]),
    (False, ["Forget(connection changed)", "Fail(RetryAfterOutputError)"]),
]


@pytest.mark.parametrize(("allowed", "expected"), RETRIES_AFTER_OUTPUT, ids=["allowed", "refused"])
def test_a_fault_after_output_reached_the_caller(allowed: bool, expected: list[str]) -> None:
    turn = machine(retry_after_output=allowed)
    turn.sending(plan(), 1)
    actions = turn.stream_failed(APIConnectionError("dropped"), yielded=True)
    assert kinds(actions) == expected
    if allowed:
        (emit,) = [a for a in actions if isinstance(a, Emit)]
        assert (emit.event.attempt, emit.event.reason) == (2, "connection_dropped")  # type: ignore[attr-defined]
    else:
        (fail,) = [a for a in actions if isinstance(a, Fail)]
        assert isinstance(fail.error, RetryAfterOutputError)
        assert isinstance(fail.error.__cause__, APIConnectionError)


@pytest.mark.parametrize("max_retries", [0, 1, 2, 5])
def test_a_request_goes_out_at_most_max_retries_plus_one_times(max_retries: int) -> None:
    turn = machine(max_retries=max_retries)
    sends = 1  # start() sent the first
    waits = []
    fault = APIConnectionError("refused")
    while True:
        turn.sending(plan(), 1)
        actions = turn.stream_failed(fault, yielded=False)
        waits += [a.seconds for a in actions if isinstance(a, Wait)]
        if isinstance(actions[-1], Fail):
            assert actions[-1].error is fault  # the last fault, as it came
            break
        assert isinstance(actions[-1], Send)
        sends += 1
    assert sends == max_retries + 1
    assert waits == list(BACKOFF[:max_retries])  # the policy's delays, in order


def test_error_code_retries_share_the_budget_with_faults() -> None:
    turn = machine(max_retries=2)
    assert kinds(respond(turn, error("previous_response_not_found")))[-1] == "Send(full=True)"
    turn.sending(plan(), 1)
    assert (
        kinds(turn.stream_failed(APIConnectionError("x"), yielded=False))[-1] == "Send(full=True)"
    )
    assert kinds(respond(turn, error("previous_response_not_found"))) == [
        "Forget(server forgot)",
        "Fail(ResponseFailedError)",
    ]


def test_each_round_of_a_turn_has_its_own_budget() -> None:
    turn = machine(max_retries=1)
    turn.sending(plan(), 1)
    assert (
        kinds(turn.stream_failed(APIConnectionError("x"), yielded=False))[-1] == "Send(full=True)"
    )
    assert kinds(respond(turn, CREATED, CALLS)) == ["RunTools"]
    turn.tools_ran([Outcome("call_1"), Outcome("call_2")])
    turn.sending(plan(), 1)
    # A fresh round: its first fault is retried again.
    assert (
        kinds(turn.stream_failed(APIConnectionError("x"), yielded=False))[-1] == "Send(full=True)"
    )


# -- tool rounds ------------------------------------------------------------------------


def test_tool_outcomes_are_emitted_kept_with_the_calls_then_the_next_round_goes() -> None:
    turn = machine()
    (run,) = respond(turn, CREATED, CALLS)
    assert isinstance(run, RunTools)
    assert [c.call_id for c in run.calls] == ["call_1", "call_2"]
    actions = turn.tools_ran([Outcome("call_1", output="a"), Outcome("call_2", error="boom")])
    assert kinds(actions) == [
        "Emit(client.tool.result)",
        "Emit(client.tool.result)",
        "Remember",
        "Keep",
        "Send(full=False)",
    ]
    (keep,) = [a for a in actions if isinstance(a, Keep)]
    assert [item.to_wire()["type"] for item in keep.items] == [
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]


TOOL_ROUNDS = [
    (1, ["Forget(response not kept)", "Fail(ToolError)"]),
    (2, ["RunTools"]),
]


@pytest.mark.parametrize(("max_tool_rounds", "second"), TOOL_ROUNDS, ids=["over", "within"])
def test_max_tool_rounds_bounds_the_rounds_of_calls(
    max_tool_rounds: int, second: list[str]
) -> None:
    turn = machine(max_tool_rounds=max_tool_rounds)
    assert kinds(respond(turn, CREATED, CALLS)) == ["RunTools"]
    turn.tools_ran([Outcome("call_1"), Outcome("call_2")])
    actions = respond(turn, CREATED, CALLS)
    assert kinds(actions) == second
    if isinstance(actions[-1], Fail):
        assert isinstance(actions[-1].error, ToolError)
        assert "max_tool_rounds" in str(actions[-1].error)


# -- interrupts -------------------------------------------------------------------------


def fault_after_output(turn: TurnMachine) -> list[Action]:
    turn.sending(plan(), 1)
    return turn.stream_failed(APIConnectionError("x"), yielded=True)


INTERRUPTS = [
    ("while streaming", lambda t: respond(t, CREATED, DELTA, COMPLETED)),
    ("then a fault", lambda t: fault_after_output(t)),
    ("while tools run", lambda t: t.tools_ran(None)),
    ("after tools ran", lambda t: t.tools_ran([Outcome("call_1")])),
]  # fmt: skip


@pytest.mark.parametrize("report", [c[1] for c in INTERRUPTS], ids=[c[0] for c in INTERRUPTS])
def test_an_interrupt_finishes_the_turn_as_interrupted(report: Any) -> None:
    turn = machine()
    turn.interrupt()
    assert turn.stopping()
    assert kinds(report(turn)) == ["Finish(interrupted)"]


def test_a_cancelled_tool_run_finishes_as_interrupted_even_without_a_flag() -> None:
    turn = machine()
    respond(turn, CREATED, CALLS)
    assert kinds(turn.tools_ran(None)) == ["Finish(interrupted)"]


# -- the result -------------------------------------------------------------------------


def test_result_counts_rounds_retries_items_and_tokens() -> None:
    turn = machine()
    turn.sending(plan(), 1)
    turn.stream_failed(APIConnectionError("x"), yielded=False)
    calls = {**CALLS, "response": {**CALLS["response"], "usage": USAGE}}
    respond(turn, CREATED, calls)
    turn.tools_ran([Outcome("call_1"), Outcome("call_2")])
    turn.first_output = 101.5
    done = {**COMPLETED, "response": {**COMPLETED["response"], "usage": USAGE}}
    finish = respond(turn, CREATED, DELTA, done)[-1]
    assert isinstance(finish, Finish)
    result = turn.result(finish, now=103.0)
    assert (result.status, result.text) == ("completed", "Hi there")
    assert (result.stats.rounds, result.stats.retries, result.stats.items_sent) == (2, 1, 3)
    assert result.stats.time_to_first_token == 1.5 and result.stats.duration == 3.0
    assert result.usage is not None and result.usage.input_tokens == 20
    assert [item.to_wire()["type"] for item in result.output] == [
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
        "message",
    ]


def test_an_interrupted_result_has_the_streamed_text_and_what_it_cost() -> None:
    turn = machine()
    turn.interrupt()
    cut = {**INCOMPLETE, "response": {**INCOMPLETE["response"], "usage": USAGE}}
    finish = respond(turn, CREATED, DELTA, cut)[-1]
    assert isinstance(finish, Finish)
    result = turn.result(finish, now=100.0)
    assert (result.status, result.text, result.output) == ("interrupted", "Hi", ())
    assert result.usage is not None and result.usage.total_tokens == 15
    assert result.stats.time_to_first_token is None


def test_failures_carry_the_server_detail() -> None:
    (_, fail) = respond(machine(), CREATED, FAILED)
    assert isinstance(fail, Fail) and isinstance(fail.error, ResponseFailedError)
    assert fail.error.code == "server_error"


# -- steering -------------------------------------------------------------------------------

STEER = {"type": "message", "role": "user", "content": "make it short"}


def steer_items() -> list[Item]:
    return [parse_item(STEER)]


def rid(n: int) -> dict[str, Any]:
    return {"id": f"resp_{n}"}


def created(n: int) -> dict[str, Any]:
    return {"type": "response.created", "response": {**response("in_progress", []), **rid(n)}}


def done_item(item: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return {"type": "response.output_item.done", "output_index": index, "item": item}


def steered(n: int, output: list[dict[str, Any]]) -> dict[str, Any]:
    details = {"reason": "steered"}
    body = {**response("incomplete", output, incomplete_details=details), **rid(n)}
    return {"type": "response.incomplete", "response": body}


def completed(n: int, output: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "response.completed", "response": {**response("completed", output), **rid(n)}}


def accepted(steer_id: str = "steer_1", parent: int = 1) -> dict[str, Any]:
    steer = {"id": steer_id, "previous_response_id": f"resp_{parent}"}
    return {"type": "response.steer.accepted", "steer": steer}


def pending(steer_id: str = "steer_1", parent: int = 1) -> dict[str, Any]:
    steer = {"id": steer_id, "previous_response_id": f"resp_{parent}"}
    stubs = [{"type": "function_call_output", "call_id": "call_1"}]
    return {
        "type": "response.steer.pending",
        "steer": steer,
        "reason": "waiting_for_required_input",
        "required_input": stubs,
    }


def failed(code: str, steer_id: str | None = None) -> dict[str, Any]:
    steer: dict[str, Any] = {"previous_response_id": "resp_1", "input": "make it short"}
    if steer_id:
        steer["id"] = steer_id
    error_ = {"type": "invalid_request_error", "code": code, "message": "no"}
    return {"type": "response.steer.failed", "steer": steer, "error": error_}


SECOND = {**MESSAGE, "id": "msg_2", "content": [{"type": "output_text", "text": "Short."}]}


def pump(turn: TurnMachine, *events: dict[str, Any], the_plan: Plan | None = None) -> list[Action]:
    """What ``Conversation._run_turn`` does with one stream: the fold follows the machine's."""
    fold = turn.sending(the_plan or plan(), 1)
    for event in events:
        fold.apply(parse_event(json.dumps(event)))
        if fold.ending is not None:
            fold = turn.fold
            if fold.ending is Ending.ERROR:
                break
    return turn.stream_ended(yielded=True)


def kept(actions: list[Action]) -> list[dict[str, Any]]:
    return [
        item.to_wire() for action in actions if isinstance(action, Keep) for item in action.items
    ]


def test_a_steered_response_s_successor_is_the_next_round_of_the_same_stream() -> None:
    turn = machine()
    turn.steer_sent(steer_items())
    partial = {**MESSAGE, "content": [{"type": "output_text", "text": "Hi th"}]}
    actions = pump(
        turn,
        created(1),
        DELTA,
        accepted(),
        done_item(partial),
        steered(1, [partial]),
        created(2),
        done_item(SECOND),
        completed(2, [SECOND]),
    )
    assert kinds(actions) == ["Keep", "Remember", "Keep", "Finish(completed)"]
    # The steered response's finished items, the steer, then the successor's output: what
    # the server built the successor from, then what it said.
    assert kept(actions) == [
        parse_item(partial).to_wire(),
        STEER,
        parse_item(SECOND).to_wire(),
    ]
    remember = next(a for a in actions if isinstance(a, Remember))
    assert remember.response_id == "resp_2"
    assert remember.plan.input_len == 1 + 2  # the input, then the partial message and the steer
    assert (
        remember.plan.input_digest
        == plan().extended([parse_item(partial), *steer_items()]).input_digest
    )
    result = turn.result(Finish("completed"), 101.0)
    assert result.response_id == "resp_2" and result.text == "Short."
    assert result.stats.rounds == 2
    assert [i.to_wire() for i in result.output] == kept(actions)


def test_a_steered_response_s_function_calls_are_left_out_and_the_successor_not_remembered() -> (
    None
):
    turn = machine()
    turn.steer_sent(steer_items())
    actions = pump(
        turn, created(1), accepted(), steered(1, [CALL]), created(2), completed(2, [SECOND])
    )
    assert kinds(actions) == ["Keep", "Forget(no previous response)", "Keep", "Finish(completed)"]
    assert kept(actions) == [STEER, parse_item(SECOND).to_wire()]


def test_a_response_completed_before_the_steer_keeps_its_output_and_its_successor_follows() -> None:
    turn = machine()
    turn.steer_sent(steer_items())
    actions = pump(
        turn, created(1), accepted(), completed(1, [MESSAGE]), created(2), completed(2, [SECOND])
    )
    assert kept(actions) == [parse_item(MESSAGE).to_wire(), STEER, parse_item(SECOND).to_wire()]
    assert kinds(actions)[-1] == "Finish(completed)"


def test_a_pending_steer_goes_between_the_calls_and_their_outputs_and_is_not_sent_again() -> None:
    turn = machine()
    turn.steer_sent(steer_items())
    actions = pump(turn, created(1), accepted(), completed(1, [CALL]), pending())
    assert kinds(actions) == ["RunTools"]
    actions = turn.tools_ran([Outcome("call_1", output="42")])
    assert kinds(actions) == ["Emit(client.tool.result)", "Remember", "Keep", "Send(full=False)"]
    assert kept(actions) == [
        parse_item(CALL).to_wire(),
        STEER,
        {"type": "function_call_output", "call_id": "call_1", "output": "42"},
    ]
    remember = next(a for a in actions if isinstance(a, Remember))
    # The server holds the call and the steer after the input: the next request sends only
    # the output.
    assert [i.to_wire() for i in remember.output] == [parse_item(CALL).to_wire(), STEER]


RESTART_CASES = [
    ("steering_not_supported", True),
    ("response_not_active", True),
    ("response_already_completed", True),
    ("invalid_input", False),
    ("too_many_pending_steers", False),
]


@pytest.mark.parametrize(("code", "restarts"), RESTART_CASES)
def test_a_steer_the_server_fails_restarts_or_is_dropped_by_its_code(
    code: str, restarts: bool
) -> None:
    turn = machine()
    turn.steer_sent(steer_items())
    fold = turn.sending(plan(), 1)
    for event in (created(1), DELTA, failed(code)):
        fold.apply(parse_event(json.dumps(event)))
    assert turn.stopping() is restarts  # the pump cuts the response at once
    if not restarts:
        return
    actions = turn.stream_ended(yielded=True)  # cut before its end
    assert kinds(actions) == ["Emit(client.steer.restart)", "Keep", "Send(full=False)"]
    restart = actions[0]
    assert isinstance(restart, Emit) and getattr(restart.event, "reason", None) == code
    assert kept(actions) == [STEER]
    assert not turn.stopping()


def test_a_steer_failed_after_the_response_completed_starts_a_new_round_after_it() -> None:
    turn = machine()
    turn.steer_sent(steer_items())
    actions = pump(turn, created(1), completed(1, [MESSAGE]), failed("response_already_completed"))
    assert kinds(actions) == ["Remember", "Keep", "Keep", "Send(full=False)"]
    assert kept(actions) == [parse_item(MESSAGE).to_wire(), STEER]


LOCAL_CASES = [
    ("a response streams: it is cut", True, "restarted"),
    ("no response streams (tools run): the next round carries it", False, "queued"),
]


@pytest.mark.parametrize(
    ("streaming", "outcome"), [c[1:] for c in LOCAL_CASES], ids=[c[0] for c in LOCAL_CASES]
)
def test_a_steer_the_sdk_applies_itself(streaming: bool, outcome: str) -> None:
    turn = machine()
    if streaming:
        turn.sending(plan(), 1).apply(parse_event(json.dumps(created(1))))
        assert turn.steer_locally(steer_items(), reason="unsupported") == outcome
        actions = turn.stream_ended(yielded=True)
        assert kinds(actions) == ["Emit(client.steer.restart)", "Keep", "Send(full=False)"]
        assert kept(actions) == [STEER]
        return
    assert kinds(pump(turn, created(1), completed(1, [CALL]))) == ["RunTools"]
    assert turn.steer_locally(steer_items(), reason="unsupported") == outcome
    actions = turn.tools_ran([Outcome("call_1")])
    assert kept(actions)[-1] == STEER  # after the outputs, before the next request
    assert kinds(actions)[-1] == "Send(full=False)"


def test_a_steer_the_transport_could_not_send_is_taken_back() -> None:
    turn = machine()
    turn.sending(plan(), 1).apply(parse_event(json.dumps(created(1))))
    ticket = turn.steer_sent(steer_items())
    assert turn.steer_locally(steer_items(), reason="response_not_active", ticket=ticket) == (
        "restarted"
    )
    assert not turn.steers.sent


ANSWERS = [
    ("accepted", [accepted()], SteerAnswer("accepted")),
    ("failed for good", [failed("invalid_input")], SteerAnswer("failed", "invalid_input", "no")),
    ("failed, restarted", [failed("steering_not_supported")], SteerAnswer("restarted")),
    ("accepted, then failed: answered once", [accepted(), failed("x", "steer_1")], None),
]


@pytest.mark.parametrize(
    ("events", "answer"), [c[1:] for c in ANSWERS], ids=[c[0] for c in ANSWERS]
)
def test_the_first_answer_to_each_steer_is_recorded_for_its_sender(
    events: list[dict[str, Any]], answer: SteerAnswer | None
) -> None:
    turn = machine()
    told: list[int] = []
    turn.on_steer_answer = lambda: told.append(1)
    ticket = turn.steer_sent(steer_items())
    fold = turn.sending(plan(), 1)
    for event in (created(1), *events):
        fold.apply(parse_event(json.dumps(event)))
    if answer is None:
        assert turn.steers.answers == {ticket: SteerAnswer("accepted")}
        return
    assert turn.steers.answers == {ticket: answer} and told


def test_a_steer_whose_stream_ended_unanswered_is_answered_sent() -> None:
    turn = machine()
    ticket = turn.steer_sent(steer_items())
    turn.sending(plan(), 1).apply(parse_event(json.dumps(created(1))))
    turn.interrupt()
    turn.stream_ended(yielded=True)
    assert turn.steers.answers == {ticket: SteerAnswer("sent")}
    assert settle(SteerAnswer("sent")) == "sent"
    with pytest.raises(SteerFailedError) as caught:
        settle(SteerAnswer("failed", "invalid_input", "bad"))
    assert caught.value.code == "invalid_input"


def test_an_interrupt_during_the_successor_keeps_what_the_successor_was_made_from() -> None:
    turn = machine()
    turn.steer_sent(steer_items())
    fold = turn.sending(plan(), 1)
    for event in (created(1), accepted(), steered(1, []), created(2), DELTA):
        fold.apply(parse_event(json.dumps(event)))
        if fold.ending is not None:
            fold = turn.fold
    turn.interrupt()
    actions = turn.stream_ended(yielded=True)
    assert kinds(actions) == ["Keep", "Finish(interrupted)"]
    assert kept(actions) == [STEER]


def test_a_warm_up_keeps_nothing_and_remembers_its_response() -> None:
    turn = TurnMachine(retry=RetryPolicy(), max_tool_rounds=1, retry_after_output=True, warmup=True)
    turn.start(0.0)
    actions = pump(turn, created(7), completed(7, []), the_plan=plan(0))
    assert kinds(actions) == ["Remember", "Finish(completed)"]
    assert isinstance(actions[0], Remember) and actions[0].response_id == "resp_7"
    assert actions[0].output == ()


def test_a_warm_up_a_server_generated_output_for_is_not_remembered() -> None:
    turn = TurnMachine(retry=RetryPolicy(), max_tool_rounds=1, retry_after_output=True, warmup=True)
    turn.start(0.0)
    actions = pump(turn, created(7), completed(7, [MESSAGE]))
    assert kinds(actions) == ["Forget(response not kept)", "Finish(completed)"]


def test_a_successor_the_server_failed_to_make_is_made_by_the_sdk() -> None:
    # Accepted, the response stopped for the steer, then the successor failed.
    turn = machine()
    turn.steer_sent(steer_items())
    partial = {**MESSAGE, "status": "incomplete"}
    actions = pump(
        turn,
        created(1),
        accepted(),
        steered(1, [partial]),
        failed("successor_creation_failed", "steer_1"),
    )
    assert kinds(actions) == ["Keep", "Send(full=False)"]
    assert kept(actions) == [parse_item(partial).to_wire(), STEER]
    assert turn.steers.answers == {1: SteerAnswer("accepted")}  # steer() had its answer
