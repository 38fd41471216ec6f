"""Steering over WebSocket: ``response.steer`` checked, answered and queued.

A steer names a response of the connection. While it streams (and has not started a
function call), the steer is accepted and the lane stops the response at its next step
(``response.incomplete``, reason ``steered``) and starts the successor carrying the steer's
input. Once a function call has started, or after the response completed with function
calls whose outputs are owed, the steer is accepted and waits (``response.steer.pending``
with the ``required_input`` stubs) for the ``response.create`` that answers the calls, whose
input it then precedes. Everything else is a ``response.steer.failed``.

Every steer event is a stream of one event: its ``sequence_number`` is 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._asgi import dumps
from ._errors import JSON, missing
from ._lanes import Connection, Steer
from ._state import EmulatorState

__all__ = [
    "accepted_event",
    "failed_event",
    "owed_calls",
    "pending_event",
    "receive_steer",
    "steer_message",
    "steer_input_items",
]

_FIELDS = ("type", "previous_response_id", "input")
_MESSAGE_FIELDS = ("type", "role", "content")
_PARTS = ("input_text", "input_image", "input_file")


def owed_calls(output: Sequence[JSON]) -> list[JSON]:
    """The ``required_input`` stubs for the function calls of a completed response."""
    return [
        {"type": "function_call_output", "call_id": item["call_id"], "name": item["name"]}
        for item in output
        if item.get("type") == "function_call"
    ]


def steer_input_items(value: object) -> list[JSON] | str:
    """The steer input as user message items, or why it is not valid steering input."""
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        return "Steering input must be a string or a non-empty array of user messages."
    items: list[JSON] = []
    for index, item in enumerate(value):
        where = f"input[{index}]"
        if not isinstance(item, dict) or item.get("type", "message") != "message":
            return f"{where}: steering accepts only messages with the 'user' role."
        if item.get("role") != "user":
            return f"{where}.role: steering accepts only messages with the 'user' role."
        extra = [name for name in item if name not in _MESSAGE_FIELDS]
        if extra:
            return f"{where}: unknown field '{extra[0]}' (a message takes type, role, content)."
        content = item.get("content")
        if isinstance(content, list):
            for number, part in enumerate(content):
                if not isinstance(part, dict) or part.get("type") not in _PARTS:
                    return (
                        f"{where}.content[{number}]: expected an input_text, input_image or "
                        "input_file part."
                    )
        elif not isinstance(content, str):
            return f"{where}.content: expected a string or an array of content parts."
        items.append({"type": "message", "role": "user", "content": content})
    return items


def _tag(event: JSON, lane_id: str | None) -> JSON:
    if lane_id is not None:
        event["stream_id"] = lane_id
    return event


def accepted_event(steer: Steer, lane_id: str | None) -> JSON:
    """``response.steer.accepted`` for ``steer``."""
    event = {
        "type": "response.steer.accepted",
        "steer": {"id": steer.id, "previous_response_id": steer.previous_response_id},
        "sequence_number": 0,
    }
    return _tag(event, lane_id)


def pending_event(steer: Steer, owed: list[JSON], lane_id: str | None) -> JSON:
    """``response.steer.pending``: ``steer`` waits for the outputs ``owed``."""
    event = {
        "type": "response.steer.pending",
        "steer": {"id": steer.id, "previous_response_id": steer.previous_response_id},
        "reason": "waiting_for_required_input",
        "required_input": [dict(stub) for stub in owed],
        "sequence_number": 0,
    }
    return _tag(event, lane_id)


_MESSAGES = {
    "response_not_found": "No response with id '{id}' is available on this connection.",
    "response_already_completed": (
        "Response '{id}' completed and is no longer accepting steering input."
    ),
    "response_not_active": "Response '{id}' is no longer accepting steering input.",
    "steering_not_supported": "Steering is not supported for model '{model}'.",
    "too_many_pending_steers": (
        "Too much steering input is pending for response '{id}' (at most {limit})."
    ),
    "successor_creation_failed": "The successor of response '{id}' could not be created.",
}


def steer_message(code: str, target: str, **details: object) -> str:
    """The message of a ``response.steer.failed`` with ``code`` for response ``target``."""
    template = _MESSAGES.get(code, "Steering input could not be committed ({code}).")
    return template.format(id=target, code=code, **details)


def failed_event(
    target: str,
    value: object,
    code: str,
    *,
    lane_id: str | None = None,
    steer_id: str | None = None,
    message: str | None = None,
) -> JSON:
    """``response.steer.failed``: ``value`` (the input as sent) returned with ``code``."""
    if message is None:
        message = steer_message(code, target)
    steer: JSON = {"previous_response_id": target, "input": value}
    if steer_id is not None:
        steer["id"] = steer_id
    event = {
        "type": "response.steer.failed",
        "steer": steer,
        "error": {
            "type": "invalid_request_error",
            "code": code,
            "message": message,
        },
        "sequence_number": 0,
    }
    return _tag(event, lane_id)


def _supported(state: EmulatorState, model: object) -> bool:
    steering = state.steering
    if isinstance(steering, bool):
        return steering
    return model in steering


def receive_steer(state: EmulatorState, conn: Connection, frame: JSON) -> list[str]:
    """Act on a ``response.steer`` frame; the answers to send at once, as text frames.

    An accepted steer for a streaming response is queued on its lane (which stops the
    response and starts the successor), or on the connection's record of the ended
    response it waits for.
    """
    target = frame.get("previous_response_id")
    if not isinstance(target, str) or not target:
        return [dumps(missing("previous_response_id").ws_event())]
    if "input" not in frame:
        return [dumps(missing("input").ws_event())]
    value = frame["input"]
    lane = conn.lane_running(target)
    ended = conn.ended.get(target) if lane is None else None
    lane_id = lane.id if lane is not None else ended.lane if ended is not None else None

    def fail(code: str, message: str | None = None, **details: object) -> list[str]:
        if message is None:
            message = steer_message(code, target, **details)
        return [dumps(failed_event(target, value, code, lane_id=lane_id, message=message))]

    unknown = [name for name in frame if name not in _FIELDS]
    if unknown:
        return fail("invalid_input", f"Unknown parameter: '{unknown[0]}'.")
    items = steer_input_items(value)
    if isinstance(items, str):
        return fail("invalid_input", items)
    model = lane.model if lane is not None else ended.model if ended is not None else None
    scripted = state.steer_failures.pop(0) if state.steer_failures else None
    if scripted is not None and not (
        scripted == "successor_creation_failed" and lane is not None and not lane.tool_started
    ):
        return fail(scripted, model=model, limit=state.max_pending_steers)
    if lane is None and ended is None:
        return fail("response_not_found")
    if not _supported(state, model):
        return fail("steering_not_supported", model=model)
    queue = lane.steers if lane is not None else ended.pending if ended is not None else []
    if lane is None and ended is not None:
        if ended.status != "completed":
            return fail("response_not_active")
        if not ended.owed:
            return fail("response_already_completed")
    if len(queue) >= state.max_pending_steers:
        return fail("too_many_pending_steers", limit=state.max_pending_steers)
    # A successor that cannot be created fails after acceptance, once the response stopped.
    steer = Steer(state.ids.steer(), target, value, items, failure=scripted)
    queue.append(steer)
    answers = [dumps(accepted_event(steer, lane_id))]
    if lane is not None:
        if not lane.tool_started:
            lane.wake.set()  # stop at the next step, even in a pause
    elif ended is not None:
        answers.append(dumps(pending_event(steer, ended.owed, lane_id)))
    return answers
