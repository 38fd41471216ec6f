"""The emulator's ASGI app: ``POST /v1/responses`` (SSE or JSON) and WebSocket ``/v1/responses``.

The endpoints are raw ASGI callables routed by Starlette, so each event costs one
``json.dumps`` and one ``send``, and nothing else. The protocol decisions live in
``_engine``; this module only moves them onto the wire and records what arrived.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import time
from collections import ChainMap
from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectSendStream
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from ._engine import (
    DROP,
    ERROR,
    EVENT,
    JSON,
    PAUSE,
    RAW,
    Context,
    HttpStatus,
    Ids,
    Plan,
    WireError,
    cancelled_events,
    count_tokens,
    invalid_type,
    plan_response,
    resolve_input,
    status_error,
)
from ._models import DefaultModel, Model, ModelRequest, ScriptExhausted

__all__ = [
    "ABORT_SCOPE_KEY",
    "ConnectionRecord",
    "EmulatorState",
    "HttpRequestRecord",
    "ResponseRecord",
    "create_app",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ABORT_SCOPE_KEY = "responses_client.emulator.abort"
"""Scope key under which a server may put a callable that drops the connection abruptly.

``responses_client.emulator.Emulator`` sets it (uvicorn's transport ``abort``).
Without it, a scripted drop raises ``ConnectionResetError`` in the HTTP endpoint (the
server then cuts the body; ``httpx.ASGITransport`` re-raises it to the client), and
closes a WebSocket with code 1011.
"""

# Batch SSE events into one write while nothing asks for pacing: the bytes on the wire
# are the same, and long streams cost far fewer sends.
_SSE_BATCH = 64


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
    """

    index: int
    headers: dict[str, str]
    frames: list[Any] = field(default_factory=list)
    closed: bool = False


@dataclass
class ResponseRecord:
    """One response the emulator started, with the context the model saw.

    Attributes:
        id: The ``resp_`` id.
        transport: ``"http"`` or ``"websocket"``.
        connection: The WebSocket connection's index (``None`` over HTTP).
        request: The request body or ``response.create`` frame.
        resolved_input: The full input the model saw: the previous response's resolved
            input and output (through ``previous_response_id``), then the new input.
        instructions: The request's instructions.
        output: The output items sent (final ones; partial after a cancel).
        status: ``"in_progress"`` while streaming, then the response's final status
            (``"cancelled"`` also when an HTTP client closed the stream early), or
            ``"dropped"``, ``"error"``, ``"malformed"`` when a scripted fault cut it.
    """

    id: str
    transport: str
    connection: int | None
    request: Any
    resolved_input: list[dict[str, Any]]
    instructions: Any
    output: list[dict[str, Any]] = field(default_factory=list)
    status: str = "in_progress"


class EmulatorState:
    """Configuration, stored responses and records shared by the app's endpoints.

    Attributes:
        model: Who decides each reply.
        api_keys: Accepted bearer keys; ``None`` accepts any request.
        connection_max_age: Seconds a WebSocket connection may serve ``response.create``.
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
        clock: Callable[[], float] = time.monotonic,
        seed: int = 0,
    ) -> None:
        self.model: Model = model if model is not None else DefaultModel()
        self.api_keys = None if api_keys is None else [k.encode() for k in api_keys]
        self.connection_max_age = connection_max_age
        self.clock = clock
        self.ids = Ids(seed)
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

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        """Whether the request carries one of the accepted bearer keys."""
        if self.api_keys is None:
            return True
        value = headers.get("authorization", "")
        if not value.startswith("Bearer "):
            return False
        given = value[7:].strip().encode()
        return any(hmac.compare_digest(given, key) for key in self.api_keys)

    def _decide(
        self,
        body: Mapping[str, Any],
        previous: Context | None,
        transport: str,
        held: Mapping[str, JSON] | None = None,
    ) -> Plan | WireError:
        """Validate, ask the model and plan; errors come back as values."""
        try:
            resolved = resolve_input(body, previous, held)
        except WireError as error:
            return error
        tools = body.get("tools")
        instructions = body.get("instructions")
        request = ModelRequest(
            body=body,
            input=resolved,
            instructions=instructions if isinstance(instructions, str) else None,
            tools=tools if isinstance(tools, list) else [],
            transport=transport,
        )
        try:
            reply = self.model.reply(request)
        except ScriptExhausted as exhausted:
            return WireError(500, str(exhausted), type="server_error", code="server_error")
        if isinstance(reply, HttpStatus):
            return status_error(reply)
        cached = count_tokens(previous.input + previous.output) if previous else 0
        return plan_response(
            body=body,
            reply=reply,
            resolved_input=resolved,
            cached_tokens=cached,
            ids=self.ids,
            now=time.time(),
        )

    def _record(self, plan: Plan, body: Any, transport: str, conn: int | None) -> ResponseRecord:
        """Add the record of a response about to be sent."""
        record = ResponseRecord(
            id=plan.response_id,
            transport=transport,
            connection=conn,
            request=body,
            resolved_input=plan.resolved_input,
            instructions=body.get("instructions"),
        )
        self.responses.append(record)
        return record


def _headers(scope: Scope) -> dict[str, str]:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    if "authorization" in headers:
        headers["authorization"] = "Bearer <redacted>"
    return headers


def _raw_headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _sse(event: Mapping[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {_dumps(event)}\n\n".encode()


def _flat_error(error: WireError, sequence: int) -> dict[str, Any]:
    return {
        "type": "error",
        "code": error.code,
        "message": error.message,
        "param": error.param,
        "sequence_number": sequence,
    }


_UNAUTHORIZED = WireError(
    401,
    "Incorrect API key provided. You can find your API key at "
    "https://platform.openai.com/account/api-keys.",
    code="invalid_api_key",
)
_NO_KEY = WireError(
    401,
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
)


def _finish(
    state: EmulatorState, record: ResponseRecord, plan: Plan, conn: _Connection | None
) -> None:
    final = plan.final
    if final is None:
        return
    record.output = final["output"]
    record.status = final["status"]
    if final["status"] in ("completed", "incomplete"):
        context = Context(plan.resolved_input, final["output"])
        items = {item["id"]: item for item in final["output"] if "id" in item}
        if conn is not None:
            conn.cache[plan.response_id] = context
            conn.items.update(items)
        if record.request.get("store") is True:
            state.stored[plan.response_id] = context
            state.stored_items.update(items)


# -- HTTP ---------------------------------------------------------------------------


class _HttpEndpoint:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send_raw: Send) -> None:
        state = self.state
        request_id = state.ids.request().encode()

        async def send(message: Message) -> None:
            # Every answer carries an x-request-id, as the API's do.
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-request-id", request_id)]
            await send_raw(message)

        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        state.http_requests.append(
            HttpRequestRecord(scope["method"], scope["path"], _headers(scope), body)
        )
        if scope["method"] != "POST":
            await _json(send, 405, WireError(405, "Method not allowed.").http_body())
            return
        headers = _raw_headers(scope)
        if not state._authorized(headers):
            error = _UNAUTHORIZED if "authorization" in headers else _NO_KEY
            await _json(send, 401, error.http_body())
            return
        if not isinstance(body, dict):
            error = WireError(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                "payload.)",
            )
            await _json(send, 400, error.http_body())
            return
        previous: Context | None = None
        previous_id = body.get("previous_response_id")
        if previous_id is not None:
            previous = state.stored.get(previous_id)
            if previous is None:
                error = _not_found(previous_id)
                await _json(send, 400, error.http_body())
                return
        decided = state._decide(body, previous, "http", state.stored_items)
        if isinstance(decided, WireError):
            await _json(send, decided.status, decided.http_body(), decided.headers)
            return
        record = state._record(decided, body, "http", None)
        if body.get("stream") is True:
            await self._stream(scope, receive, send, decided, record)
        else:
            await self._whole(scope, send, decided, record)

    async def _stream(
        self, scope: Scope, receive: Receive, send: Send, plan: Plan, record: ResponseRecord
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                ],
            }
        )
        dropped = False
        async with anyio.create_task_group() as group:
            # The client closing the stream is the HTTP way to cancel: stop generating.
            group.start_soon(_watch_disconnect, receive, group.cancel_scope, record)
            dropped = await self._send_steps(send, plan, record)
            if not dropped:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                _finish(self.state, record, plan, None)
            group.cancel_scope.cancel()
        if dropped:
            await _drop(scope)

    async def _send_steps(self, send: Send, plan: Plan, record: ResponseRecord) -> bool:
        """Send the plan's steps as SSE; True when a scripted drop ends it."""
        delay = plan.delay
        pending: list[bytes] = []
        first = True
        for kind, payload in plan.steps:
            if kind == EVENT or kind == RAW:
                if delay and not first:
                    await anyio.sleep(delay)
                first = False
                if kind == EVENT:
                    pending.append(_sse(payload))
                else:
                    pending.append(f"data: {payload}\n\n".encode())
                if delay or len(pending) >= _SSE_BATCH:
                    await _body(send, pending)
            elif kind == PAUSE:
                await _body(send, pending)
                await anyio.sleep(payload)
            elif kind == ERROR:
                error, sequence = payload
                pending.append(_sse(_flat_error(error, sequence)))
                record.status = "error"
            elif kind == DROP:
                await _body(send, pending)
                record.status = "dropped"
                return True
        await _body(send, pending)
        return False

    async def _whole(self, scope: Scope, send: Send, plan: Plan, record: ResponseRecord) -> None:
        first = True
        for kind, payload in plan.steps:
            if kind == EVENT and plan.delay:
                if not first:
                    await anyio.sleep(plan.delay)
                first = False
            elif kind == PAUSE:
                await anyio.sleep(payload)
            elif kind == RAW:
                record.status = "malformed"
                await _send_body(send, 200, payload.encode(), b"application/json")
                return
            elif kind == ERROR:
                error = payload[0]
                record.status = "error"
                await _json(send, error.status, error.http_body())
                return
            elif kind == DROP:
                record.status = "dropped"
                await _drop(scope)
                return
        _finish(self.state, record, plan, None)
        await _json(send, 200, plan.final)


async def _watch_disconnect(
    receive: Receive, scope: anyio.CancelScope, record: ResponseRecord
) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            if record.status == "in_progress":
                record.status = "cancelled"
            scope.cancel()
            return


async def _body(send: Send, pending: list[bytes]) -> None:
    if pending:
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        await send({"type": "http.response.body", "body": data, "more_body": True})


async def _send_body(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    headers: Mapping[str, str] | None = None,
) -> None:
    raw_headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    for name, value in (headers or {}).items():
        raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _json(
    send: Send, status: int, body: Any, headers: Mapping[str, str] | None = None
) -> None:
    await _send_body(send, status, _dumps(body).encode(), b"application/json", headers)


async def _drop(scope: Scope) -> None:
    abort = scope.get(ABORT_SCOPE_KEY)
    if abort is None:
        # No transport to abort (mounted elsewhere, or in-process): fail the response the
        # way a reset connection would, so the client never sees a complete body.
        raise ConnectionResetError("the emulator dropped the connection (a scripted Drop)")
    abort()
    # Let the server notice the lost connection before the app returns.
    await anyio.lowlevel.checkpoint()


def _not_found(previous_id: object) -> WireError:
    return WireError(
        400,
        f"Previous response with id '{previous_id}' not found.",
        code="previous_response_not_found",
        param="previous_response_id",
    )


# -- WebSocket ------------------------------------------------------------------------


class _Lane:
    """One ``stream_id`` of a WebSocket connection: its requests run one after another.

    Requests without a ``stream_id`` share the connection's default lane (``id`` is
    ``None``), and their events carry no ``stream_id``.
    """

    def __init__(self, lane_id: str | None, jobs: MemoryObjectSendStream[JSON]) -> None:
        self.id = lane_id
        self.jobs = jobs
        """Where the connection's reader queues this lane's ``response.create`` frames."""
        self.current: str | None = None
        self.cancel: str | None = None
        self.cancelled = anyio.Event()

    def tag(self, event: JSON) -> JSON:
        """``event`` as this lane sends it: echoing its ``stream_id``, if it has one."""
        return event if self.id is None else {**event, "stream_id": self.id}


class _Connection:
    """The state of one WebSocket connection."""

    def __init__(self, opened: float) -> None:
        self.opened = opened
        self.cache: dict[str, Context] = {}
        self.items: dict[str, JSON] = {}
        """The output items of this connection's responses, by id."""
        self.lanes: dict[str | None, _Lane] = {}
        self.urgent: list[str] = []

    def lane_running(self, response_id: object) -> _Lane | None:
        """The lane whose response in progress has this id."""
        if response_id is None:
            return None
        return next((lane for lane in self.lanes.values() if lane.current == response_id), None)


class _WebSocketEndpoint:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        if not state._authorized(_raw_headers(scope)):
            await self._deny(scope, send)
            return
        await send({"type": "websocket.accept"})
        record = ConnectionRecord(index=len(state.connections), headers=_headers(scope))
        state.connections.append(record)
        conn = _Connection(state.clock())
        jobs_in, jobs_out = anyio.create_memory_object_stream[Any](64)
        try:
            async with anyio.create_task_group() as group:
                stop = group.cancel_scope.cancel

                async def close(code: int, reason: str) -> None:
                    with contextlib.suppress(OSError):  # the client may be gone already
                        await send({"type": "websocket.close", "code": code, "reason": reason})
                    stop()

                state._live[record.index] = (scope.get(ABORT_SCOPE_KEY) or stop, close)
                group.start_soon(
                    self._sender, scope, send, conn, jobs_out, record, group.cancel_scope
                )
                async with jobs_in:
                    await self._receiver(receive, conn, jobs_in, record)
                group.cancel_scope.cancel()
        finally:
            state._live.pop(record.index, None)
            record.closed = True

    async def _deny(self, scope: Scope, send: Send) -> None:
        if "websocket.http.response" in scope.get("extensions", {}):
            body = _dumps(_UNAUTHORIZED.http_body()).encode()
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": "invalid_api_key"})

    async def _receiver(
        self,
        receive: Receive,
        conn: _Connection,
        jobs: anyio.abc.ObjectSendStream[Any],
        record: ConnectionRecord,
    ) -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode("utf-8", "replace")
            try:
                frame = json.loads(text)
            except ValueError:
                record.frames.append(text)
                self._urgent(
                    conn, WireError(400, "Invalid JSON in WebSocket message.", code="invalid_json")
                )
                await jobs.send(None)
                continue
            record.frames.append(frame)
            kind = frame.get("type") if isinstance(frame, dict) else None
            if kind == "response.create":
                lane_id = frame.get("stream_id")
                if lane_id is None or isinstance(lane_id, str):
                    await jobs.send(frame)
                else:
                    self._urgent(conn, invalid_type("stream_id", "a string"))
                    await jobs.send(None)
            elif kind == "response.cancel":
                target = frame.get("response_id")
                lane = conn.lane_running(target)
                if lane is not None:
                    lane.cancel = target
                    lane.cancelled.set()
                else:
                    self._urgent(
                        conn,
                        WireError(
                            400,
                            f"No response with id '{target}' is in progress on this connection.",
                            code="response_not_found",
                            param="response_id",
                        ),
                    )
                    await jobs.send(None)
            else:
                self._urgent(
                    conn,
                    _invalid_type_error(kind),
                )
                await jobs.send(None)

    @staticmethod
    def _urgent(conn: _Connection, error: WireError) -> None:
        conn.urgent.append(_dumps(error.ws_event()))

    async def _sender(
        self,
        scope: Scope,
        send: Send,
        conn: _Connection,
        jobs: anyio.abc.ObjectReceiveStream[Any],
        record: ConnectionRecord,
        scope_to_cancel: anyio.CancelScope,
    ) -> None:
        """Hand each ``response.create`` to its lane; lanes run side by side."""
        async with jobs, anyio.create_task_group() as lanes:
            try:
                async for frame in jobs:
                    try:
                        await _flush_urgent(send, conn)
                    except OSError:
                        scope_to_cancel.cancel()
                        return
                    if frame is None:
                        continue
                    lane_id = frame.get("stream_id")
                    lane = conn.lanes.get(lane_id)
                    if lane is None:
                        lane_in, lane_out = anyio.create_memory_object_stream[JSON](64)
                        lane = conn.lanes[lane_id] = _Lane(lane_id, lane_in)
                        lanes.start_soon(
                            self._serve_lane,
                            scope,
                            send,
                            conn,
                            lane,
                            lane_out,
                            record,
                            scope_to_cancel,
                        )
                    await lane.jobs.send(frame)
            finally:
                for lane in conn.lanes.values():
                    lane.jobs.close()  # each lane serves what it holds, then ends

    async def _serve_lane(
        self,
        scope: Scope,
        send: Send,
        conn: _Connection,
        lane: _Lane,
        jobs: anyio.abc.ObjectReceiveStream[JSON],
        record: ConnectionRecord,
        scope_to_cancel: anyio.CancelScope,
    ) -> None:
        state = self.state
        try:
            async with jobs:
                async for frame in jobs:
                    await _flush_urgent(send, conn)
                    max_age = state.connection_max_age
                    if max_age is not None and state.clock() - conn.opened >= max_age:
                        error = WireError(
                            400,
                            "Responses websocket connection limit reached "
                            f"({max_age:g} seconds). "
                            "Create a new websocket connection to continue.",
                            code="websocket_connection_limit_reached",
                        )
                        await _text(send, _dumps(lane.tag(error.ws_event())))
                        await send(
                            {
                                "type": "websocket.close",
                                "code": 1000,
                                "reason": "websocket_connection_limit_reached",
                            }
                        )
                        scope_to_cancel.cancel()
                        return
                    if await self._respond(scope, send, conn, lane, frame, record):
                        scope_to_cancel.cancel()
                        return
        except OSError:
            # ASGI servers raise an OSError subclass for a send on a closed connection: the
            # client went away mid-response (a drop, a reset). Nothing left to serve.
            scope_to_cancel.cancel()

    async def _respond(
        self,
        scope: Scope,
        send: Send,
        conn: _Connection,
        lane: _Lane,
        frame: dict[str, Any],
        record: ConnectionRecord,
    ) -> bool:
        """Serve one ``response.create``; True when the connection was dropped."""
        state = self.state
        previous: Context | None = None
        previous_id = frame.get("previous_response_id")
        if previous_id is not None:
            previous = conn.cache.get(previous_id) or state.stored.get(previous_id)
            if previous is None:
                await _text(send, _dumps(lane.tag(_not_found(previous_id).ws_event())))
                return False
        held = ChainMap(conn.items, state.stored_items)
        decided = state._decide(frame, previous, "websocket", held)
        if isinstance(decided, WireError):
            await _text(send, _dumps(lane.tag(decided.ws_event())))
            return False
        plan = decided
        response = state._record(plan, frame, "websocket", record.index)
        lane.current = plan.response_id
        lane.cancelled = anyio.Event()
        delay = plan.delay
        first = True
        try:
            for sent, (kind, payload) in enumerate(plan.steps):
                if conn.urgent:
                    await _flush_urgent(send, conn)
                if lane.cancel == plan.response_id:
                    ending = cancelled_events(plan, sent)
                    for event in ending:
                        await _text(send, _dumps(lane.tag(event)))
                    response.output = ending[-1]["response"]["output"]
                    response.status = "cancelled"
                    return False
                if kind == EVENT or kind == RAW:
                    if delay and not first:
                        await _pause(lane, delay)
                    elif sent & 3 == 3:
                        # Let a response.cancel in, and the news of a client gone before
                        # more than a few writes go nowhere (asyncio warns from the sixth):
                        # without delays nothing else yields.
                        await anyio.lowlevel.checkpoint()
                    first = False
                    await _text(send, _dumps(lane.tag(payload)) if kind == EVENT else payload)
                elif kind == PAUSE:
                    await _pause(lane, payload)
                elif kind == ERROR:
                    error, sequence = payload
                    event = error.ws_event()
                    event["sequence_number"] = sequence
                    await _text(send, _dumps(lane.tag(event)))
                    response.status = "error"
                    return False
                elif kind == DROP:
                    response.status = "dropped"
                    abort = scope.get(ABORT_SCOPE_KEY)
                    if abort is None:
                        await send({"type": "websocket.close", "code": 1011, "reason": ""})
                    else:
                        abort()
                        await anyio.lowlevel.checkpoint()
                    return True
            _finish(state, response, plan, conn)
            return False
        finally:
            lane.current = None
            lane.cancel = None


async def _pause(lane: _Lane, seconds: float) -> None:
    """Wait, but no longer than until a ``response.cancel`` arrives."""
    with anyio.move_on_after(seconds):
        await lane.cancelled.wait()


def _invalid_type_error(kind: object) -> WireError:
    return WireError(
        400,
        f"Invalid value: '{kind}'. Supported values are: 'response.create' and 'response.cancel'.",
        code="invalid_value",
        param="type",
    )


async def _text(send: Send, text: str) -> None:
    await send({"type": "websocket.send", "text": text})


async def _flush_urgent(send: Send, conn: _Connection) -> None:
    while conn.urgent:
        await _text(send, conn.urgent.pop(0))


# -- the app --------------------------------------------------------------------------


def create_app(
    model: Model | None = None,
    *,
    api_keys: Collection[str] | None = None,
    connection_max_age: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    seed: int = 0,
    state: EmulatorState | None = None,
) -> Starlette:
    """Build the emulator as an ASGI app, to mount in your own app or call in-process.

    Routes: ``POST /v1/responses`` (SSE when ``stream`` is true, else the JSON response)
    and WebSocket ``/v1/responses``. The app's ``state.emulator`` is its
    ``EmulatorState`` (records and stored responses).

    Args:
        model: Who answers; ``DefaultModel`` when ``None``.
        api_keys: Accepted bearer keys; ``None`` accepts every request.
        connection_max_age: Seconds after which a WebSocket ``response.create`` gets the
            ``websocket_connection_limit_reached`` error and the connection closes.
        clock: Monotonic clock for the connection age (tests may inject their own).
        seed: Seed for the deterministic ids.
        state: Use this state instead of building one (the other arguments are then
            ignored).

    Returns:
        A Starlette app.
    """
    if state is None:
        state = EmulatorState(
            model, api_keys=api_keys, connection_max_age=connection_max_age, clock=clock, seed=seed
        )
    app = Starlette(
        routes=[
            Route("/v1/responses", _HttpEndpoint(state)),
            WebSocketRoute("/v1/responses", _WebSocketEndpoint(state)),
        ]
    )
    app.state.emulator = state
    return app
