"""The emulator's pure core: request and script in, ordered wire events out.

Nothing here touches a socket, a clock or the event loop. The server part (``_state`` and
the endpoints) feeds it a checked request body, the input the model saw (``_input``), the
model's ``Reply`` (``_script``) and the time, and gets back a ``Plan``: the ordered steps
to put on the wire (events with their ``sequence_number`` already set, pauses, raw
malformed frames, a drop, an error), each step a small frozen value matched with ``match``.

Everything is plain JSON-ready dicts, written from the API's documented shapes, so the
emulator is an independent check of the client's decoding and not a mirror of it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import JSON, WireError
from ._item_events import call_events, chunks, message_events, reasoning_events
from ._script import Drop, Malformed, Pause, Reply, SendError, SendUnknown

__all__ = [
    "DropStep",
    "ErrorStep",
    "EventStep",
    "Ids",
    "PauseStep",
    "Plan",
    "RawStep",
    "Step",
    "cancelled_events",
    "steered_events",
    "count_tokens",
    "plan_response",
    "plan_warmup",
]

# -- ids -------------------------------------------------------------------------


class Ids:
    """Deterministic, realistic-looking ids (``resp_…``, ``msg_…``, ``fc_…``, ``call_…``).

    The same seed gives the same ids in the same order, so tests can be reproducible.
    """

    def __init__(self, seed: int = 0) -> None:
        self._seed = seed
        self._counter = 0

    def _digest(self) -> str:
        self._counter += 1
        return hashlib.sha256(f"{self._seed}:{self._counter}".encode()).hexdigest()

    def response(self) -> str:
        """A new ``resp_`` id."""
        return "resp_" + self._digest()[:48]

    def message(self) -> str:
        """A new ``msg_`` item id."""
        return "msg_" + self._digest()[:48]

    def function_call(self) -> str:
        """A new ``fc_`` item id."""
        return "fc_" + self._digest()[:48]

    def request(self) -> str:
        """A new ``req_`` id for the ``x-request-id`` header."""
        return "req_" + self._digest()[:32]

    def call(self) -> str:
        """A new ``call_`` id for a function call."""
        return "call_" + self._digest()[:24]

    def reasoning(self) -> str:
        """A new ``rs_`` item id."""
        return "rs_" + self._digest()[:48]

    def steer(self) -> str:
        """A new ``steer_`` id for an accepted steering submission."""
        return "steer_" + self._digest()[:32]


# -- token accounting ------------------------------------------------------------


def _text_of(value: object) -> int:
    """Characters of text in an item, part or string (structure costs nothing)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_text_of(v) for v in value)
    if isinstance(value, dict):
        return sum(
            _text_of(v)
            for k, v in value.items()
            if k in ("content", "text", "output", "arguments", "name", "summary")
        )
    return 0


def count_tokens(items: Sequence[JSON], instructions: object = None) -> int:
    """A plausible token count: about four characters a token, plus a few per item."""
    chars = _text_of(list(items)) + (len(instructions) if isinstance(instructions, str) else 0)
    return (chars + 3) // 4 + 4 * len(items) + (4 if instructions else 0)


# -- steps: what goes on the wire, in order -------------------------------------


@dataclass(frozen=True, slots=True)
class EventStep:
    """Send ``event``, a JSON object whose ``sequence_number`` is already set."""

    event: JSON


@dataclass(frozen=True, slots=True)
class RawStep:
    """Send ``text`` as a frame, verbatim (malformed on purpose)."""

    text: str


@dataclass(frozen=True, slots=True)
class PauseStep:
    """Wait ``seconds`` before the next step."""

    seconds: float


@dataclass(frozen=True, slots=True)
class DropStep:
    """Drop the connection abruptly; nothing follows."""


@dataclass(frozen=True, slots=True)
class ErrorStep:
    """Send ``error`` as the wire's error event, numbered ``sequence_number``; the end."""

    error: WireError
    sequence_number: int


Step = EventStep | RawStep | PauseStep | DropStep | ErrorStep
"""One step of a ``Plan``."""


@dataclass
class Plan:
    """The steps of one response, and what the server keeps of it.

    Attributes:
        response_id: The ``resp_`` id.
        steps: What to put on the wire, in order (see ``Step``).
        delay: Seconds between consecutive events.
        resolved_input: The full input the model saw.
        final: The response object of the terminal event (``None`` when a fault cuts the
            stream before it).
        skeleton: The in-progress response object (``response.created``), used to build a
            cancellation's ending.
    """

    response_id: str
    steps: list[Step]
    delay: float
    resolved_input: list[JSON]
    final: JSON | None
    skeleton: JSON


def _tools_echo(tools: object) -> list[JSON]:
    echoed: list[JSON] = []
    for tool in tools if isinstance(tools, list) else ():
        if isinstance(tool, dict) and tool.get("type") == "function":
            echoed.append(
                {
                    "type": "function",
                    "name": tool["name"],
                    "description": tool.get("description"),
                    "parameters": tool.get("parameters"),
                    "strict": tool.get("strict", True),
                }
            )
        elif isinstance(tool, dict):
            echoed.append(dict(tool))
    return echoed


def _response_object(body: Mapping[str, Any], response_id: str, created_at: int) -> JSON:
    text = body.get("text")
    reasoning = body.get("reasoning")
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": "in_progress",
        "background": False,
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": body["model"],
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": reasoning
        if isinstance(reasoning, dict)
        else {"effort": None, "summary": None},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": body.get("service_tier", "default"),
        "temperature": body.get("temperature", 1.0),
        "text": text
        if isinstance(text, dict)
        else {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": _tools_echo(body.get("tools")),
        "top_logprobs": body.get("top_logprobs", 0),
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": None,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
        # Fields recent API versions return; null when the request did not use the feature.
        "access_programs": None,
        "conversation": None,
        "image": None,
        "input_transformations": None,
        "moderation": None,
        "prompt": None,
        "prompt_cache_diagnostics": None,
        "prompt_cache_options": None,
        "prompt_cache_retention": None,
        "tool_usage": None,
    }


def _usage(input_tokens: int, cached: int, output_tokens: int, reasoning: int) -> JSON:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }


def _failure_message(code: str) -> str:
    if code == "rate_limit_exceeded":
        return "Rate limit reached while generating the response. Please try again."
    return "The model failed to generate a response."


def plan_response(
    *,
    body: Mapping[str, Any],
    reply: Reply,
    resolved_input: list[JSON],
    cached_tokens: int,
    ids: Ids,
    now: float,
    seal: Callable[[str, list[JSON]], str] | None = None,
) -> Plan:
    """Turn a validated request and the model's reply into the response's wire steps.

    Args:
        body: The request (already checked by ``resolve_input``).
        reply: What the model answers, with its faults.
        resolved_input: The full input the model saw.
        cached_tokens: Input tokens to report as cached (the carried-over context).
        ids: Where new ids come from.
        now: The current Unix time, for ``created_at`` / ``completed_at``.
        seal: Makes a reasoning item's ``encrypted_content`` (when the request includes
            ``reasoning.encrypted_content``); ``None`` leaves it out.

    Returns:
        The plan; sequence numbers count from 0 over every event sent.
    """
    response_id = ids.response()
    created_at = int(now)
    skeleton = _response_object(body, response_id, created_at)
    # "incomplete" replies mark their last item incomplete, like a max_output_tokens cut.
    cut = reply.end == "incomplete"

    output: list[JSON] = []
    item_events: list[JSON] = []
    if reply.reasoning:
        include = body.get("include")
        sealing = isinstance(include, list) and "reasoning.encrypted_content" in include
        thought = reasoning_events(
            ids.reasoning(), chunks(reply.reasoning), seal if sealing else None
        )
        output.append(thought[-1]["item"])
        item_events += thought
    items_total = len(output) + (1 if reply.text else 0) + len(reply.tool_calls)
    if reply.text:
        status = "incomplete" if cut and items_total == len(output) + 1 else "completed"
        message = message_events(ids.message(), len(output), chunks(reply.text), status)
        output.append(message[-1]["item"])
        item_events += message
    for call in reply.tool_calls:
        arguments = (
            call.arguments
            if isinstance(call.arguments, str)
            else json.dumps(call.arguments, separators=(",", ":"))
        )
        item = {
            "id": ids.function_call(),
            "type": "function_call",
            "status": "completed",
            "arguments": arguments,
            "call_id": call.call_id or ids.call(),
            "name": call.name,
        }
        index = len(output)
        status = "incomplete" if cut and index == items_total - 1 else "completed"
        streamed = call_events(item, index, status)
        output.append(streamed[-1]["item"])
        item_events += streamed

    input_tokens = count_tokens(resolved_input, body.get("instructions"))
    output_tokens = count_tokens(output) + reply.reasoning_tokens if output else 0
    usage = _usage(
        input_tokens, min(cached_tokens, input_tokens), output_tokens, reply.reasoning_tokens
    )
    final = {**skeleton, "output": output, "usage": usage}
    if reply.end == "completed":
        final["status"] = "completed"
        final["completed_at"] = created_at
        terminal = "response.completed"
    elif reply.end == "failed":
        final["status"] = "failed"
        final["error"] = {
            "code": reply.error_code,
            "message": reply.error_message or _failure_message(reply.error_code),
        }
        terminal = "response.failed"
    else:
        final["status"] = "incomplete"
        final["incomplete_details"] = {"reason": "max_output_tokens"}
        terminal = "response.incomplete"

    events: list[JSON] = [
        {"type": "response.created", "response": skeleton},
        {"type": "response.in_progress", "response": skeleton},
        *item_events,
        {"type": terminal, "response": final},
    ]
    return _apply_faults(response_id, events, reply, resolved_input, final, skeleton)


def plan_warmup(
    *, body: Mapping[str, Any], resolved_input: list[JSON], ids: Ids, now: float
) -> Plan:
    """The answer to a ``generate: false`` request: the state prepared, no output.

    ``response.created`` then ``response.completed`` with an empty ``output`` and zero
    usage (the model is not asked, so nothing was computed or billed).
    """
    response_id = ids.response()
    created_at = int(now)
    skeleton = _response_object(body, response_id, created_at)
    final = {
        **skeleton,
        "status": "completed",
        "completed_at": created_at,
        "usage": _usage(0, 0, 0, 0),
    }
    steps: list[Step] = [
        EventStep({"type": "response.created", "response": skeleton, "sequence_number": 0}),
        EventStep({"type": "response.completed", "response": final, "sequence_number": 1}),
    ]
    return Plan(response_id, steps, 0.0, resolved_input, final, skeleton)


def _fault_error(fault: SendError) -> WireError:
    return WireError(
        fault.status,
        fault.message or _failure_message(fault.code),
        type="server_error" if fault.status >= 500 else "invalid_request_error",
        code=fault.code,
    )


def _apply_faults(
    response_id: str,
    events: list[JSON],
    reply: Reply,
    resolved_input: list[JSON],
    final: JSON,
    skeleton: JSON,
) -> Plan:
    """Number the events and weave the reply's faults in; a fault past the end is moot."""
    before: dict[int, list[Malformed | SendUnknown | SendError | Pause]] = {}
    drop_after: int | None = None
    for fault in reply.faults:
        match fault:
            case Drop(after=after):
                drop_after = after if drop_after is None else min(drop_after, after)
            case Malformed() | SendUnknown() | SendError() | Pause():
                before.setdefault(fault.at, []).append(fault)

    steps: list[Step] = []

    def plan(reached_final: bool) -> Plan:
        return Plan(
            response_id=response_id,
            steps=steps,
            delay=reply.delay,
            resolved_input=resolved_input,
            final=final if reached_final else None,
            skeleton=skeleton,
        )

    sequence = 0
    for index, event in enumerate(events):
        for fault in before.get(index, ()):
            match fault:
                case SendUnknown(type=kind):
                    note = "an event type this client may not know"
                    steps.append(
                        EventStep({"type": kind, "note": note, "sequence_number": sequence})
                    )
                    sequence += 1
                case Malformed(data=data):
                    steps.append(RawStep(data))
                case Pause(seconds=seconds):
                    steps.append(PauseStep(seconds))
                case SendError():
                    steps.append(ErrorStep(_fault_error(fault), sequence))
                    return plan(reached_final=False)
        event["sequence_number"] = sequence
        sequence += 1
        steps.append(EventStep(event))
        if drop_after is not None and index >= drop_after:
            steps.append(DropStep())
            return plan(reached_final=index == len(events) - 1)
    return plan(reached_final=True)


def _sent_so_far(plan: Plan, sent: int) -> tuple[list[JSON], list[JSON], int]:
    """What ``sent`` steps of ``plan`` put out: items finished, items begun, next number.

    The items begun but not finished are as far as they went, marked ``incomplete``.
    """
    done: list[JSON] = []
    begun: dict[str, JSON] = {}
    sequence = 0
    for step in plan.steps[:sent]:
        if not isinstance(step, EventStep):
            continue
        event = step.event
        sequence = event["sequence_number"] + 1
        kind = event["type"]
        if kind == "response.output_item.added":
            begun[event["item"]["id"]] = {**event["item"], "status": "incomplete"}
        elif kind == "response.output_item.done":
            done.append(event["item"])
            begun.pop(event["item"]["id"], None)
        elif kind == "response.content_part.added" and event["item_id"] in begun:
            begun[event["item_id"]]["content"] = [dict(event["part"])]
        elif kind == "response.output_text.delta" and event["item_id"] in begun:
            begun[event["item_id"]]["content"][-1]["text"] += event["delta"]
        elif kind == "response.reasoning_summary_part.added" and event["item_id"] in begun:
            item = begun[event["item_id"]]
            item["summary"] = [*item["summary"], dict(event["part"])]
        elif kind == "response.reasoning_summary_text.delta" and event["item_id"] in begun:
            begun[event["item_id"]]["summary"][-1]["text"] += event["delta"]
        elif kind == "response.function_call_arguments.delta" and event["item_id"] in begun:
            begun[event["item_id"]]["arguments"] += event["delta"]
    return done, list(begun.values()), sequence


def _cut_short(plan: Plan, output: list[JSON], changes: JSON) -> JSON:
    input_tokens = count_tokens(plan.resolved_input, plan.skeleton.get("instructions"))
    output_tokens = count_tokens(output) if output else 0
    return {
        **plan.skeleton,
        "output": output,
        "usage": _usage(input_tokens, 0, output_tokens, 0),
        **changes,
    }


def cancelled_events(plan: Plan, sent: int) -> list[JSON]:
    """The ending of a response cancelled after ``sent`` steps went out.

    The emulator ends a cancelled response with ``response.incomplete`` whose response
    has ``status: "cancelled"``; its output holds only the items already finished
    (``response.output_item.done`` sent). Usage counts that output.

    Args:
        plan: The plan being sent.
        sent: How many of ``plan.steps`` were sent.

    Returns:
        The terminal event, with the next ``sequence_number``.
    """
    done, _, sequence = _sent_so_far(plan, sent)
    response = _cut_short(plan, done, {"status": "cancelled"})
    return [{"type": "response.incomplete", "response": response, "sequence_number": sequence}]


def steered_events(plan: Plan, sent: int) -> list[JSON]:
    """The ending of a response steered after ``sent`` steps went out.

    ``response.incomplete`` with ``incomplete_details.reason`` ``"steered"``; its output
    holds the items finished, then the item in progress as far as it was sent, marked
    ``incomplete``. Usage counts that output.

    Returns:
        The terminal event, with the next ``sequence_number``.
    """
    done, begun, sequence = _sent_so_far(plan, sent)
    changes = {"status": "incomplete", "incomplete_details": {"reason": "steered"}}
    response = _cut_short(plan, done + begun, changes)
    return [{"type": "response.incomplete", "response": response, "sequence_number": sequence}]
