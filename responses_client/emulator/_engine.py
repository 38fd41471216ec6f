"""The emulator's pure core: request in, wire events out.

Nothing here touches a socket, a clock or the event loop. The server part (``_app``) feeds
it a request body, the context a ``previous_response_id`` points at, the model's reply and
the time, and gets back a ``Plan``: the ordered steps to put on the wire (events with
their ``sequence_number`` already set, pauses, raw malformed frames, a drop, an error).

Everything is plain JSON-ready dicts, written from the API's documented shapes, so the
emulator is an independent check of the client's decoding and not a mirror of it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "DROP",
    "ERROR",
    "EVENT",
    "PAUSE",
    "RAW",
    "Context",
    "Drop",
    "ErrorEvent",
    "Fault",
    "HttpStatus",
    "Ids",
    "Malformed",
    "Pause",
    "Plan",
    "Reply",
    "ToolCall",
    "UnknownEvent",
    "WireError",
    "cancelled_events",
    "count_tokens",
    "invalid_type",
    "plan_response",
    "resolve_input",
    "status_error",
]

JSON = dict[str, Any]

# -- what a model decides ---------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    """A function call the model makes.

    Attributes:
        name: The function's name, as declared in the request's ``tools``.
        arguments: The arguments: a mapping (sent as compact JSON) or a ready JSON string
            (sent verbatim, so a test can send arguments that are not valid JSON).
        call_id: The ``call_id``; generated (``call_…``) when ``None``.
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    call_id: str | None = None


@dataclass(frozen=True)
class Drop:
    """Drop the connection abruptly right after event ``after`` (0-based) was sent.

    No terminal event follows; over WebSocket no close frame is sent, over HTTP the chunked
    body is left unterminated (when served by ``Emulator``; see the how-to).
    """

    after: int


@dataclass(frozen=True)
class Malformed:
    """Send a frame that is not valid JSON just before event ``at`` (0-based).

    The stream then goes on as planned: the malformed frame takes no ``sequence_number``.
    """

    at: int
    data: str = '{"type": "response.output_text.delta", "delta": '


@dataclass(frozen=True)
class UnknownEvent:
    """Insert an event of a type the API does not (yet) send, before event ``at``."""

    at: int
    type: str = "response.emulator_future_event"


@dataclass(frozen=True)
class ErrorEvent:
    """Send an ``error`` event in place of event ``at`` and end the stream there.

    Over SSE the error is flat (``code``, ``message``, ``param``, ``sequence_number``); over
    WebSocket it is nested under ``error`` with a ``status``.
    """

    at: int
    code: str = "server_error"
    message: str | None = None
    status: int = 500


@dataclass(frozen=True)
class Pause:
    """Wait ``seconds`` before event ``at`` (on top of the reply's ``delay``)."""

    at: int
    seconds: float


Fault = Drop | Malformed | UnknownEvent | ErrorEvent | Pause
"""One planned misbehaviour of a reply."""


@dataclass(frozen=True)
class Reply:
    """One planned reply of a model: text and/or function calls, timing and faults.

    Attributes:
        text: The assistant message: a string (split into word-sized deltas) or the exact
            sequence of deltas. ``None`` or ``""`` means no message item.
        tool_calls: Function calls, each its own output item after the message.
        delay: Seconds to wait between consecutive events (0: as fast as possible).
        end: How the response ends: ``"completed"``, ``"failed"`` (``response.failed``
            with ``error_code``) or ``"incomplete"`` (``max_output_tokens``).
        error_code: The ``response.error.code`` of a ``"failed"`` ending.
        error_message: Its message (a default is written from the code).
        faults: Misbehaviour to inject, positioned by event index (see each fault).
        reasoning_tokens: Reported in ``usage.output_tokens_details.reasoning_tokens``.
    """

    text: str | Sequence[str] | None = None
    tool_calls: Sequence[ToolCall] = ()
    delay: float = 0.0
    end: Literal["completed", "failed", "incomplete"] = "completed"
    error_code: str = "server_error"
    error_message: str | None = None
    faults: Sequence[Fault] = ()
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class HttpStatus:
    """Refuse the request with an HTTP error status before any event (e.g. 429, 503).

    Over HTTP this is the status, ``headers`` and the API's error body. Over WebSocket it
    is an ``error`` event carrying ``status`` and the headers; the connection stays open.

    Attributes:
        status: The HTTP status.
        headers: Extra response headers, e.g. ``{"retry-after": "1"}``.
        code: The error body's ``code``; a default fits the status.
        message: The error body's ``message``; a default fits the status.
    """

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    code: str | None = None
    message: str | None = None


# -- errors on the wire -----------------------------------------------------------


class WireError(Exception):
    """An API error answer: the HTTP status plus the ``error`` object's fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def error(self) -> JSON:
        """The ``error`` object: ``type``, ``code``, ``message``, ``param``."""
        return {"type": self.type, "code": self.code, "message": self.message, "param": self.param}

    def http_body(self) -> JSON:
        """The HTTP error body, ``{"error": {...}}``."""
        return {"error": self.error()}

    def ws_event(self) -> JSON:
        """The WebSocket ``error`` event (nested shape, with ``status``)."""
        error = self.error()
        if self.headers:
            error["headers"] = self.headers
        return {"type": "error", "status": self.status, "error": error}


_STATUS_DEFAULTS: Mapping[int, tuple[str, str, str]] = {
    400: ("invalid_request_error", "invalid_request", "The request was invalid."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "not_found", "Not found."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again in 1s.",
    ),
    500: ("server_error", "server_error", "The server had an error processing your request."),
    502: ("server_error", "server_error", "Bad gateway."),
    503: ("server_error", "server_error", "The server is overloaded or not ready yet."),
}


def status_error(reply: HttpStatus) -> WireError:
    """The ``WireError`` a scripted ``HttpStatus`` stands for."""
    default_type, default_code, default_message = _STATUS_DEFAULTS.get(
        reply.status,
        ("server_error" if reply.status >= 500 else "invalid_request_error", None, "Error."),
    )
    return WireError(
        reply.status,
        reply.message or default_message,
        type=default_type,
        code=reply.code or default_code,
        headers=reply.headers,
    )


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


# -- input validation and resolution --------------------------------------------

_ROLES = ("user", "assistant", "system", "developer")
_INPUT_PARTS = ("input_text", "input_image", "input_file", "input_audio")
_ASSISTANT_PARTS = ("output_text", "refusal")
# Every input item type the API takes, in the order the API's reference lists them. The
# emulator checks the fields of messages, function calls and function call outputs; the
# others it takes as they come (no model here runs hosted tools), and an ``item_reference``
# stands for an item the server holds.
_ITEM_TYPES = (
    "message",
    "file_search_call",
    "computer_call",
    "computer_call_output",
    "web_search_call",
    "function_call",
    "function_call_output",
    "tool_search_call",
    "tool_search_output",
    "additional_tools",
    "reasoning",
    "compaction",
    "image_generation_call",
    "code_interpreter_call",
    "local_shell_call",
    "local_shell_call_output",
    "shell_call",
    "shell_call_output",
    "apply_patch_call",
    "apply_patch_call_output",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "mcp_call",
    "custom_tool_call_output",
    "custom_tool_call",
    "compaction_trigger",
    "item_reference",
    "program",
    "program_output",
)


def _supported(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _invalid_value(value: object, supported: Sequence[str], param: str) -> WireError:
    return WireError(
        400,
        f"Invalid value: '{value}'. Supported values are: {_supported(supported)}.",
        code="invalid_value",
        param=param,
    )


def _missing(param: str) -> WireError:
    return WireError(
        400,
        f"Missing required parameter: '{param}'.",
        code="missing_required_parameter",
        param=param,
    )


def invalid_type(param: str, expected: str) -> WireError:
    return WireError(
        400,
        f"Invalid type for '{param}': expected {expected}.",
        code="invalid_type",
        param=param,
    )


def _check_message(item: Mapping[str, Any], where: str) -> None:
    role = item.get("role")
    if role not in _ROLES:
        if role is None:
            raise _missing(f"{where}.role")
        raise _invalid_value(role, ("assistant", "system", "developer", "user"), f"{where}.role")
    content = item.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise invalid_type(f"{where}.content", "a string or an array of content parts")
    allowed = _ASSISTANT_PARTS if role == "assistant" else _INPUT_PARTS
    for index, part in enumerate(content):
        part_where = f"{where}.content[{index}]"
        if not isinstance(part, dict):
            raise invalid_type(part_where, "an object")
        if part.get("type") not in allowed:
            raise _invalid_value(part.get("type"), allowed, f"{part_where}.type")
        if part["type"] in ("input_text", "output_text") and not isinstance(part.get("text"), str):
            raise _missing(f"{part_where}.text")


def _item_type(item: Mapping[str, Any]) -> object:
    """An input item's type; without one, a message (with a role) or a reference (an id)."""
    kind = item.get("type")
    if kind is None:
        return "message" if "role" in item else "item_reference" if "id" in item else None
    return kind


def _check_item(item: object, where: str) -> None:
    if not isinstance(item, dict):
        raise invalid_type(where, "an object")
    kind = _item_type(item)
    if kind not in _ITEM_TYPES:
        raise _invalid_value(kind, _ITEM_TYPES, f"{where}.type")
    if kind == "item_reference":
        if not isinstance(item.get("id"), str):
            raise _missing(f"{where}.id")
    elif kind == "message":
        _check_message(item, where)
    elif kind == "function_call":
        for name in ("call_id", "name", "arguments"):
            if not isinstance(item.get(name), str):
                raise _missing(f"{where}.{name}")
    elif kind == "function_call_output":
        if not isinstance(item.get("call_id"), str):
            raise _missing(f"{where}.call_id")
        if "output" not in item:
            raise _missing(f"{where}.output")


@dataclass(frozen=True)
class Context:
    """What a finished response leaves for a later ``previous_response_id``.

    Attributes:
        input: The resolved input the model saw (earlier context included).
        output: The response's output items.
    """

    input: list[JSON]
    output: list[JSON]


def resolve_input(
    body: Mapping[str, Any], previous: Context | None, held: Mapping[str, JSON] | None = None
) -> list[JSON]:
    """Validate a request body and return the full input the model sees.

    Args:
        body: The ``POST /v1/responses`` body or the ``response.create`` frame.
        previous: The context ``previous_response_id`` refers to (already looked up by
            the caller, who raises ``previous_response_not_found`` when it is missing).
        held: The output items the server still holds, by id (stored responses, and over
            WebSocket the connection's cache). With ``store`` not true, an input item
            carrying any other id is refused with the API's 404, as the API does; an
            ``item_reference`` stands for the held item it names (a 404 when none is).

    Returns:
        ``previous.input + previous.output + new input``, each input item a dict, each
        ``item_reference`` replaced by the item it names.

    Raises:
        WireError: 400 with the API's message, ``param`` and ``code``.
    """
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _missing("model")
    raw = body.get("input")
    new: list[JSON]
    if raw is None:
        new = []
    elif isinstance(raw, str):
        new = [{"type": "message", "role": "user", "content": raw}]
    elif isinstance(raw, list):
        held = held or {}
        new = []
        for index, item in enumerate(raw):
            _check_item(item, f"input[{index}]")
            if _item_type(item) == "item_reference":
                referenced = held.get(item["id"])
                if referenced is None:
                    raise WireError(404, f"Item with id '{item['id']}' not found.", param="input")
                new.append(referenced)
                continue
            if body.get("store") is not True and "id" in item and item["id"] not in held:
                raise WireError(
                    404,
                    f"Item with id '{item['id']}' not found. Items are not persisted when "
                    "`store` is set to false. Try again with `store` set to true, or remove "
                    "this item from your input.",
                    param="input",
                )
            new.append(item)
    else:
        raise invalid_type("input", "a string or an array of input items")
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid_type("tools", "an array")
        for index, tool in enumerate(tools):
            if not isinstance(tool, dict) or not tool.get("type"):
                raise _missing(f"tools[{index}].type")
            if tool["type"] == "function" and not isinstance(tool.get("name"), str):
                raise _missing(f"tools[{index}].name")
    resolved = [*previous.input, *previous.output, *new] if previous else list(new)
    _check_tool_outputs(resolved)
    return resolved


def _check_tool_outputs(items: Sequence[JSON]) -> None:
    calls: list[str] = []
    outputs: set[str] = set()
    for item in items:
        kind = item.get("type")
        if kind == "function_call":
            calls.append(item["call_id"])
        elif kind == "function_call_output":
            call_id = item["call_id"]
            if call_id not in calls:
                raise WireError(
                    400,
                    f"No tool call found for function call output with call_id {call_id}.",
                    param="input",
                )
            outputs.add(call_id)
    for call_id in calls:
        if call_id not in outputs:
            raise WireError(
                400, f"No tool output found for function call {call_id}.", param="input"
            )


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
            if k in ("content", "text", "output", "arguments", "name")
        )
    return 0


def count_tokens(items: Sequence[JSON], instructions: object = None) -> int:
    """A plausible token count: about four characters a token, plus a few per item."""
    chars = _text_of(list(items)) + (len(instructions) if isinstance(instructions, str) else 0)
    return (chars + 3) // 4 + 4 * len(items) + (4 if instructions else 0)


# -- planning ---------------------------------------------------------------------

EVENT = 0
"""Step kind: ``(EVENT, event_dict)``: send the event."""
RAW = 1
"""Step kind: ``(RAW, text)``: send the text as a frame, verbatim (malformed on purpose)."""
PAUSE = 2
"""Step kind: ``(PAUSE, seconds)``: wait."""
DROP = 3
"""Step kind: ``(DROP, None)``: drop the connection abruptly."""
ERROR = 4
"""Step kind: ``(ERROR, (WireError, sequence_number))``: send an error event; the end."""

Step = tuple[int, Any]

_WORDS = re.compile(r"\s*\S+|\s+$")
_OBFUSCATION = tuple(hashlib.md5(str(i).encode()).hexdigest()[: 3 + i % 12] for i in range(16))


def _chunks(text: str | Sequence[str]) -> list[str]:
    if isinstance(text, str):
        return _WORDS.findall(text) or ([text] if text else [])
    return list(text)


def _argument_chunks(arguments: str) -> list[str]:
    return [arguments[i : i + 8] for i in range(0, len(arguments), 8)] or [""]


@dataclass
class Plan:
    """The steps of one response, and what the server keeps of it.

    Attributes:
        response_id: The ``resp_`` id.
        steps: ``(kind, payload)`` tuples; see ``EVENT`` and the other kinds.
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


def _message_events(item_id: str, index: int, chunks: list[str], status: str) -> list[JSON]:
    text = "".join(chunks)
    events: list[JSON] = [
        {
            "type": "response.output_item.added",
            "output_index": index,
            "item": {
                "id": item_id,
                "type": "message",
                "status": "in_progress",
                "content": [],
                "role": "assistant",
            },
        },
        {
            "type": "response.content_part.added",
            "item_id": item_id,
            "output_index": index,
            "content_index": 0,
            "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
        },
    ]
    for n, chunk in enumerate(chunks):
        events.append(
            {
                "type": "response.output_text.delta",
                "item_id": item_id,
                "output_index": index,
                "content_index": 0,
                "delta": chunk,
                "logprobs": [],
                "obfuscation": _OBFUSCATION[n & 15],
            }
        )
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
    events += [
        {
            "type": "response.output_text.done",
            "item_id": item_id,
            "output_index": index,
            "content_index": 0,
            "text": text,
            "logprobs": [],
        },
        {
            "type": "response.content_part.done",
            "item_id": item_id,
            "output_index": index,
            "content_index": 0,
            "part": part,
        },
        {
            "type": "response.output_item.done",
            "output_index": index,
            "item": {
                "id": item_id,
                "type": "message",
                "status": status,
                "content": [part],
                "role": "assistant",
            },
        },
    ]
    return events


def _call_events(item: JSON, index: int, status: str) -> list[JSON]:
    item_id = item["id"]
    arguments = item["arguments"]
    events: list[JSON] = [
        {
            "type": "response.output_item.added",
            "output_index": index,
            "item": {**item, "status": "in_progress", "arguments": ""},
        }
    ]
    for n, chunk in enumerate(_argument_chunks(arguments)):
        events.append(
            {
                "type": "response.function_call_arguments.delta",
                "item_id": item_id,
                "output_index": index,
                "delta": chunk,
                "obfuscation": _OBFUSCATION[n & 15],
            }
        )
    events += [
        {
            "type": "response.function_call_arguments.done",
            "item_id": item_id,
            "output_index": index,
            "arguments": arguments,
        },
        {
            "type": "response.output_item.done",
            "output_index": index,
            "item": {**item, "status": status},
        },
    ]
    return events


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
) -> Plan:
    """Turn a validated request and the model's reply into the response's wire steps.

    Args:
        body: The request (already checked by ``resolve_input``).
        reply: What the model answers, with its faults.
        resolved_input: The full input the model saw.
        cached_tokens: Input tokens to report as cached (the carried-over context).
        ids: Where new ids come from.
        now: The current Unix time, for ``created_at`` / ``completed_at``.

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
    items_total = (1 if reply.text else 0) + len(reply.tool_calls)
    if reply.text:
        chunks = _chunks(reply.text)
        status = "incomplete" if cut and items_total == 1 else "completed"
        message_events = _message_events(ids.message(), 0, chunks, status)
        output.append(message_events[-1]["item"])
        item_events += message_events
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
        call_events = _call_events(item, index, status)
        output.append(call_events[-1]["item"])
        item_events += call_events

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


def _apply_faults(
    response_id: str,
    events: list[JSON],
    reply: Reply,
    resolved_input: list[JSON],
    final: JSON,
    skeleton: JSON,
) -> Plan:
    before: dict[int, list[Step]] = {}
    drop_after: int | None = None
    for fault in reply.faults:
        if isinstance(fault, Drop):
            drop_after = fault.after if drop_after is None else min(drop_after, fault.after)
        elif isinstance(fault, Malformed):
            before.setdefault(fault.at, []).append((RAW, fault.data))
        elif isinstance(fault, UnknownEvent):
            before.setdefault(fault.at, []).append(
                (EVENT, {"type": fault.type, "note": "an event type this client may not know"})
            )
        elif isinstance(fault, Pause):
            before.setdefault(fault.at, []).append((PAUSE, fault.seconds))
        else:
            error = WireError(
                fault.status,
                fault.message or _failure_message(fault.code),
                type="server_error" if fault.status >= 500 else "invalid_request_error",
                code=fault.code,
            )
            before.setdefault(fault.at, []).append((ERROR, error))

    steps: list[Step] = []
    sequence = 0
    reached_final = True
    for index, event in enumerate(events):
        stop = False
        for kind, payload in before.get(index, ()):
            if kind == EVENT:
                steps.append((EVENT, {**payload, "sequence_number": sequence}))
                sequence += 1
            elif kind == ERROR:
                steps.append((ERROR, (payload, sequence)))
                stop = True
                break
            else:
                steps.append((kind, payload))
        if stop:
            reached_final = False
            break
        event["sequence_number"] = sequence
        sequence += 1
        steps.append((EVENT, event))
        if drop_after is not None and index >= drop_after:
            steps.append((DROP, None))
            reached_final = index == len(events) - 1
            break
    return Plan(
        response_id=response_id,
        steps=steps,
        delay=reply.delay,
        resolved_input=resolved_input,
        final=final if reached_final else None,
        skeleton=skeleton,
    )


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
    output: list[JSON] = []
    sequence = 0
    for kind, payload in plan.steps[:sent]:
        if kind == EVENT:
            sequence = payload["sequence_number"] + 1
            if payload["type"] == "response.output_item.done":
                output.append(payload["item"])
    input_tokens = count_tokens(plan.resolved_input, plan.skeleton.get("instructions"))
    output_tokens = count_tokens(output) if output else 0
    response = {
        **plan.skeleton,
        "status": "cancelled",
        "output": output,
        "usage": _usage(input_tokens, 0, output_tokens, 0),
    }
    return [{"type": "response.incomplete", "response": response, "sequence_number": sequence}]
