"""The response fold: events in, ending / output / failure out (pure, no server)."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from responses_client._fold import Ending, ResponseFold, Tokens
from responses_client._items import FunctionCall, Message
from responses_client.events import Usage, parse_event


def response(status: str, output: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "status": status,
        "model": "gpt-4.1",
        "output": output,
        **extra,
    }


MESSAGE = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "Hi there", "annotations": []}],
}
CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "f",
    "arguments": "{}",
    "status": "completed",
}
USAGE = {
    "input_tokens": 10,
    "output_tokens": 5,
    "total_tokens": 15,
    "input_tokens_details": {"cached_tokens": 4},
    "output_tokens_details": {"reasoning_tokens": 2},
}


def fold(*events: dict[str, Any]) -> ResponseFold:
    state = ResponseFold()
    for event in events:
        state.apply(parse_event(json.dumps(event)))
    return state


CREATED = {"type": "response.created", "response": response("in_progress", [])}


def delta(text: str) -> dict[str, Any]:
    return {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": text,
    }


def test_completed_response_keeps_its_output_and_usage() -> None:
    state = fold(
        CREATED,
        delta("Hi "),
        delta("there"),
        {"type": "response.completed", "response": response("completed", [MESSAGE], usage=USAGE)},
    )
    assert state.ending is Ending.COMPLETED
    assert state.response_id == "resp_1"
    assert state.streamed_text == "Hi there"
    (item,) = state.output
    assert isinstance(item, Message) and item.text == "Hi there"
    assert state.tokens is not None and state.tokens.cached == 4
    assert state.function_calls() == []
    assert state.retry_reason() is None


def test_output_falls_back_to_done_items_in_output_index_order() -> None:
    done = [
        {"type": "response.output_item.done", "output_index": 1, "item": CALL},
        {"type": "response.output_item.done", "output_index": 0, "item": MESSAGE},
    ]
    state = fold(
        CREATED, *done, {"type": "response.completed", "response": response("completed", [])}
    )
    assert [type(item) for item in state.output] == [Message, FunctionCall]
    assert [call.call_id for call in state.function_calls()] == ["call_1"]


def test_events_after_the_ending_change_nothing() -> None:
    state = fold(
        CREATED,
        {"type": "response.completed", "response": response("completed", [MESSAGE])},
        delta("late"),
        {"type": "response.failed", "response": response("failed", [])},
    )
    assert state.ending is Ending.COMPLETED
    assert state.streamed_text == ""


def test_first_output_is_set_by_deltas_and_done_items_only() -> None:
    assert not fold(CREATED).first_output
    assert fold(CREATED, delta("x")).first_output
    assert fold(
        CREATED, {"type": "response.output_item.done", "output_index": 0, "item": CALL}
    ).first_output


@pytest.mark.parametrize(
    ("code", "retry"),
    [
        ("previous_response_not_found", "previous_response_not_found"),
        ("websocket_connection_limit_reached", "websocket_connection_limit_reached"),
        ("server_error", None),
        (None, None),
    ],
)
def test_error_events_end_the_response_and_classify(code: str | None, retry: str | None) -> None:
    state = fold(CREATED, {"type": "error", "code": code, "message": "boom", "param": None})
    assert state.ending is Ending.ERROR
    assert state.retry_reason() == retry
    failure = state.failure()
    assert failure.code == code and failure.response_id == "resp_1"
    assert "boom" in str(failure)


def test_websocket_error_shape_carries_status() -> None:
    state = fold(
        {
            "type": "error",
            "status": 400,
            "error": {
                "type": "invalid_request_error",
                "code": "bad",
                "message": "no",
                "param": "input",
            },
        }
    )
    failure = state.failure()
    assert (failure.status, failure.code, failure.param, failure.response_id) == (
        400,
        "bad",
        "input",
        None,
    )


def test_failed_response_names_its_error() -> None:
    failed = response("failed", [], error={"code": "server_error", "message": "model crashed"})
    state = fold(CREATED, delta("par"), {"type": "response.failed", "response": failed})
    assert state.ending is Ending.FAILED
    failure = state.failure()
    assert failure.code == "server_error" and "model crashed" in str(failure)
    assert state.streamed_text == "par"


def test_the_fold_keeps_the_output_but_not_the_response_object() -> None:
    """The response object echoes the whole request; a fold holding it would keep ~10 KB
    alive per conversation while its tools run."""
    tools = [{"type": "function", "name": f"tool_{i}", "parameters": {}} for i in range(20)]
    body = response("completed", [MESSAGE], usage=USAGE, tools=tools)
    event = parse_event(json.dumps({"type": "response.completed", "response": body}))
    response_object = event.response  # type: ignore[union-attr]
    state = ResponseFold()
    state.apply(event)
    assert state.output == list(response_object.output)
    assert state.tokens == Tokens.of(response_object.usage)
    holders = gc.get_referrers(response_object)
    assert not any(holder is state or holder is vars(state) for holder in holders)


def test_incomplete_response_ends_without_failure() -> None:
    incomplete = response("incomplete", [], incomplete_details={"reason": "max_output_tokens"})
    state = fold(CREATED, {"type": "response.incomplete", "response": incomplete})
    assert state.ending is Ending.INCOMPLETE
    assert state.incomplete_details is not None
    assert state.incomplete_details.reason == "max_output_tokens"


def test_unknown_events_are_ignored_by_the_fold() -> None:
    state = fold(CREATED, {"type": "response.future_thing", "x": 1}, delta("ok"))
    assert state.ending is None and state.streamed_text == "ok"


def test_tokens_sum_every_field_and_give_back_the_usage() -> None:
    one = Usage.model_validate(USAGE)
    tokens = Tokens.of(one)
    assert tokens is not None and Tokens.of(None) is None
    assert tokens.usage() == one
    total = tokens.plus(tokens).usage()
    assert (total.input_tokens, total.output_tokens, total.total_tokens) == (20, 10, 30)
    assert (total.cached_tokens, total.reasoning_tokens) == (8, 4)
    assert tokens.plus(None) is tokens


def test_tokens_carry_and_sum_the_other_numbers_a_server_adds() -> None:
    with_more = {
        **USAGE,
        "input_tokens_details": {"cached_tokens": 4, "audio_tokens": 3},
        "output_tokens_details": {"reasoning_tokens": 2, "text_tokens": 3},
        "cost": {"usd": 0.25, "currency": "usd"},
        "billed": True,
    }
    tokens = Tokens.of(Usage.model_validate(with_more))
    assert tokens is not None
    # Numbers come back where the server put them; text and flags, which cannot be summed
    # over rounds, are left out.
    expected = {key: value for key, value in with_more.items() if key != "billed"}
    assert tokens.usage().model_dump() == {**expected, "cost": {"usd": 0.25}}
    plain = Tokens.of(Usage.model_validate(USAGE))
    assert plain is not None and plain.more == ()
    total = tokens.plus(plain).plus(tokens).usage()
    assert (total.input_tokens, total.cached_tokens, total.reasoning_tokens) == (30, 12, 6)
    assert total.input_tokens_details.model_extra == {"audio_tokens": 6}
    assert total.output_tokens_details.model_extra == {"text_tokens": 6}
    assert total.model_extra == {"cost": {"usd": 0.5}}


def test_tokens_keep_the_first_shape_when_rounds_disagree() -> None:
    number = Tokens.of(Usage.model_validate({**USAGE, "extra": 1}))
    nested = Tokens.of(Usage.model_validate({**USAGE, "extra": {"a": 2}}))
    assert number is not None and nested is not None
    assert number.plus(nested).usage().model_extra == {"extra": 1}
    assert nested.plus(number).usage().model_extra == {"extra": {"a": 2}}


def test_a_completed_response_keeps_one_copy_of_its_output_items() -> None:
    state = fold(
        CREATED,
        {"type": "response.output_item.done", "output_index": 0, "item": CALL},
        {"type": "response.completed", "response": response("completed", [CALL])},
    )
    (call,) = state.function_calls()
    assert call.call_id == "call_1"
    assert state._done_items == {}


def test_a_completed_response_without_output_or_done_items_keeps_the_streamed_text() -> None:
    # A server that streams deltas, then completes with an empty output and no
    # output_item.done: the text the stream built is the response's output.
    deltas = [
        {"type": "response.output_text.delta", "item_id": "msg_1", "delta": d}
        for d in ("Hi ", "there")
    ]
    done = fold(
        CREATED, *deltas, {"type": "response.completed", "response": response("completed", [])}
    )
    (message,) = done.output
    assert isinstance(message, Message) and message.role == "assistant"
    assert message.text == "Hi there"
    cut = fold(CREATED, *deltas)  # no ending yet: nothing is output
    assert cut.output == []
