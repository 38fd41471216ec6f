"""The emulator's state: configuration, stored responses, open connections and records.

One ``EmulatorState`` is shared by the app's endpoints (``_http``, ``_websocket``). The
functions below are the endpoints' only way to change it: check a key, decide a response
(validate, ask the model, plan), record it, keep what it leaves for a later
``previous_response_id``, and track the open WebSocket connections.
"""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._engine import Ids, Plan, count_tokens, plan_response, plan_warmup
from ._errors import JSON, WireError, status_error
from ._input import Context, resolve_input
from ._models import DefaultModel, Model, ModelRequest, ScriptExhausted
from ._reasoning import Sealer
from ._script import HttpStatus, Reply

__all__ = [
    "CANCEL_MODES",
    "CancelMode",
    "ConnectionRecord",
    "EmulatorState",
    "HttpRequestRecord",
    "ResponseRecord",
    "ask_model",
    "authorized",
    "decide",
    "finish",
    "start_response",
    "track_connection",
    "untrack_connection",
]


CancelMode = Literal["honour", "reject", "ignore", "silent"]
"""How the WebSocket endpoint treats ``response.cancel`` (see ``Emulator.cancel_mode``)."""

CANCEL_MODES: tuple[CancelMode, ...] = ("honour", "reject", "ignore", "silent")


@dataclass
class HttpRequestRecord:
    """One HTTP request the emulator received.

    Attributes:
        method: The HTTP method.
        path: The request path.
        headers: The request headers, lower-cased, with ``authorization`` redacted.
        body: The parsed JSON body (``None`` when it was not JSON).
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class ConnectionRecord:
    """One WebSocket connection and every frame the client sent on it.

    Attributes:
        index: 0 for the first connection the emulator accepted, then 1, 2, …
        headers: The handshake headers, lower-cased, ``authorization`` redacted.
        frames: Each client frame, parsed from JSON (the raw text when it was not JSON).
        closed: Whether the connection has ended.
        stream_ids: The named lanes (``stream_id``) the connection used, in order of first
            use (the default lane is not one of them).
        peak_active: The most responses that were active at once on the connection.
        cancels: The ``response_id`` of each ``response.cancel`` received, in order,
            whatever ``cancel_mode`` did with it.
    """

    index: int
    headers: dict[str, str]
    frames: list[Any] = field(default_factory=list)
    closed: bool = False
    stream_ids: list[str] = field(default_factory=list)
    peak_active: int = 0
    cancels: list[Any] = field(default_factory=list)


@dataclass
class ResponseRecord:
    """One response the emulator started, with the context the model saw.

    Attributes:
        id: The ``resp_`` id.
        transport: ``"http"``, ``"websocket"``, ``"chat"`` (``POST /v1/chat/completions``)
            or ``"realtime"``.
        connection: The WebSocket connection's index (``None`` over HTTP).
        request: The request body or ``response.create`` frame.
        resolved_input: The full input the model saw: the previous response's resolved
            input and output (through ``previous_response_id``), then the new input.
        instructions: The request's instructions.
        output: The output items sent (final ones; partial after a cancel).
        status: ``"in_progress"`` while streaming, then the response's final status
            (``"cancelled"`` also when an HTTP client closed the stream early), or
            ``"dropped"``, ``"error"``, ``"malformed"`` when a scripted fault cut it.
        stream_id: The WebSocket lane it was served on (``None``: the default lane, or
            not over WebSocket).
        warmup: Whether it was a warm-up (``generate: false`` over WebSocket): the state
            prepared, the model not asked, no output.
        steered_from: For the successor the server started after steering a response,
            that response's id.
        steers: The ids of the steers whose input this response carries (a successor's,
            or the queued steers prepended to a continuation's input), in order.
        restored_reasoning: The ids of the input reasoning items whose
            ``encrypted_content`` verified (restored without the server holding them).
    """

    id: str
    transport: str
    connection: int | None
    request: Any
    resolved_input: list[dict[str, Any]]
    instructions: Any
    output: list[dict[str, Any]] = field(default_factory=list)
    status: str = "in_progress"
    stream_id: str | None = None
    warmup: bool = False
    steered_from: str | None = None
    steers: list[str] = field(default_factory=list)
    restored_reasoning: list[str] = field(default_factory=list)


class EmulatorState:
    """Configuration, stored responses and records shared by the app's endpoints.

    Attributes:
        model: Who decides each reply.
        api_keys: Accepted bearer keys; ``None`` accepts any request.
        connection_max_age: Seconds a WebSocket connection may serve ``response.create``.
        max_active_responses: Responses one WebSocket connection serves at once; later
            requests wait, first come first served.
        max_stream_ids: Distinct named lanes one WebSocket connection may use.
        cancel_mode: What a WebSocket ``response.cancel`` does (``CANCEL_MODES``).
        steering: Whether ``response.steer`` is supported: for every model, none, or the
            models named.
        max_pending_steers: Steers one response may have waiting at once.
        steer_failures: Codes the next steers fail with, one each, first first.
        http_requests: Every HTTP request received, in order.
        connections: Every WebSocket connection accepted, in order.
        responses: Every response started, in order.
    """

    def __init__(
        self,
        model: Model | None = None,
        *,
        api_keys: Collection[str] | None = None,
        connection_max_age: float | None = None,
        max_active_responses: int = 16,
        max_stream_ids: int = 32,
        cancel_mode: CancelMode = "honour",
        steering: bool | Collection[str] = True,
        max_pending_steers: int = 4,
        clock: Callable[[], float] = time.monotonic,
        seed: int = 0,
    ) -> None:
        self.model: Model = model if model is not None else DefaultModel()
        self.api_keys = None if api_keys is None else [k.encode() for k in api_keys]
        self.connection_max_age = connection_max_age
        self.max_active_responses = max_active_responses
        self.max_stream_ids = max_stream_ids
        self.cancel_mode: CancelMode = cancel_mode
        self.steering = steering
        self.max_pending_steers = max_pending_steers
        self.steer_failures: list[str] = []
        self.sealer = Sealer()
        """Seals and checks reasoning ``encrypted_content`` (a secret per emulator)."""
        self.clock = clock
        self.ids = Ids(seed)
        self.transcripts: deque[str] = deque()
        """What users say to the Realtime endpoint, in order: each committed user audio
        takes the next as its transcript (``Emulator.transcripts``)."""
        self.stored: dict[str, Context] = {}
        self.stored_items: dict[str, JSON] = {}
        """The output items of stored responses (``store: true``), by id."""
        self.http_requests: list[HttpRequestRecord] = []
        self.connections: list[ConnectionRecord] = []
        self.responses: list[ResponseRecord] = []
        # Open WebSocket connections: how to cut each one, and how to close it cleanly.
        self._live: dict[int, tuple[Callable[[], None], Callable[[int, str], Awaitable[None]]]] = {}

    def drop_connections(self) -> int:
        """Cut every open WebSocket connection now, as a network failure would.

        Under ``Emulator`` the connections are aborted (no close frame); elsewhere their
        handlers stop and the server closes them. Returns how many were cut.
        """
        live = list(self._live.values())
        self._live.clear()
        for cut, _ in live:
            cut()
        return len(live)

    async def close_connections(self, code: int = 1001, reason: str = "going away") -> int:
        """Close every open WebSocket connection with a close frame (``code``, ``reason``).

        Returns how many were closed.
        """
        live = list(self._live.values())
        self._live.clear()
        for _, close in live:
            await close(code, reason)
        return len(live)


def track_connection(
    state: EmulatorState,
    index: int,
    cut: Callable[[], None],
    close: Callable[[int, str], Awaitable[None]],
) -> None:
    """Note an open WebSocket connection: how to cut it, and how to close it cleanly."""
    state._live[index] = (cut, close)


def untrack_connection(state: EmulatorState, index: int) -> None:
    """Forget a WebSocket connection that has ended (or was cut or closed already)."""
    state._live.pop(index, None)


def authorized(state: EmulatorState, headers: Mapping[str, str]) -> bool:
    """Whether the request carries one of the accepted bearer keys."""
    if state.api_keys is None:
        return True
    value = headers.get("authorization", "")
    if not value.startswith("Bearer "):
        return False
    given = value[7:].strip().encode()
    return any(hmac.compare_digest(given, key) for key in state.api_keys)


def decide(
    state: EmulatorState,
    body: Mapping[str, Any],
    previous: Context | None,
    transport: str,
    held: Mapping[str, JSON] | None = None,
    *,
    generate: bool = True,
) -> Plan | WireError:
    """Validate, ask the model and plan; errors come back as values.

    With ``generate`` false (a warm-up), the input is checked and resolved but the model is
    not asked: the plan has no output.
    """
    try:
        resolved = resolve_input(body, previous, held, state.sealer.opens)
    except WireError as error:
        return error
    if not generate:
        return plan_warmup(body=body, resolved_input=resolved, ids=state.ids, now=time.time())
    tools = body.get("tools")
    instructions = body.get("instructions")
    request = ModelRequest(
        body=body,
        input=resolved,
        instructions=instructions if isinstance(instructions, str) else None,
        tools=tools if isinstance(tools, list) else [],
        transport=transport,
    )
    reply = ask_model(state, request)
    if isinstance(reply, WireError):
        return reply
    cached = count_tokens(previous.input + previous.output) if previous else 0
    return plan_response(
        body=body,
        reply=reply,
        resolved_input=resolved,
        cached_tokens=cached,
        ids=state.ids,
        now=time.time(),
        seal=state.sealer.seal,
    )


def ask_model(state: EmulatorState, request: ModelRequest) -> Reply | WireError:
    """The model's reply, or the error answer it stands for (a status, an empty script)."""
    try:
        reply = state.model.reply(request)
    except ScriptExhausted as exhausted:
        return WireError(500, str(exhausted), type="server_error", code="server_error")
    if isinstance(reply, HttpStatus):
        return status_error(reply)
    return reply


def start_response(
    state: EmulatorState, plan: Plan, body: Any, transport: str, conn: int | None
) -> ResponseRecord:
    """Add the record of a response about to be sent."""
    record = ResponseRecord(
        id=plan.response_id,
        transport=transport,
        connection=conn,
        request=body,
        resolved_input=plan.resolved_input,
        instructions=body.get("instructions"),
        stream_id=body.get("stream_id"),
        warmup=body.get("generate") is False,
        restored_reasoning=_restored(body.get("input")),
    )
    state.responses.append(record)
    return record


def _restored(value: object) -> list[str]:
    """The ids of the input reasoning items carrying ``encrypted_content``.

    The input was checked first, so each of them verified.
    """
    if not isinstance(value, list):
        return []
    return [
        item.get("id", "")
        for item in value
        if isinstance(item, dict)
        and item.get("type") == "reasoning"
        and item.get("encrypted_content") is not None
    ]


def finish(
    state: EmulatorState,
    record: ResponseRecord,
    plan: Plan,
    cache: dict[str, Context] | None = None,
    items: dict[str, JSON] | None = None,
) -> None:
    """Record a response that was sent to its end, and keep what it leaves.

    A completed or incomplete response can be built on: its context and output items go
    to the connection's ``cache`` and ``items`` (over WebSocket), and to the state's
    stored ones when the request said ``store: true``.
    """
    final = plan.final
    if final is None:
        return
    record.output = final["output"]
    record.status = final["status"]
    if final["status"] in ("completed", "incomplete"):
        context = Context(plan.resolved_input, final["output"])
        kept = {item["id"]: item for item in final["output"] if "id" in item}
        if cache is not None:
            cache[plan.response_id] = context
        if items is not None:
            items.update(kept)
        if record.request.get("store") is True:
            state.stored[plan.response_id] = context
            state.stored_items.update(kept)
