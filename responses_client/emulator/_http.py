"""The emulator's HTTP endpoint: ``POST /v1/responses``, as SSE or as one JSON answer.

It reads the body, records the request, checks the key, asks ``_state`` for a plan and
writes the plan's steps: each event as one SSE message (batched into fewer writes while
nothing asks for pacing), or the final response object when ``stream`` is not true.
Closing the stream is the HTTP way to cancel: the endpoint stops generating.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio
import anyio.lowlevel

from ._asgi import (
    ABORT_SCOPE_KEY,
    Message,
    Receive,
    Scope,
    Send,
    dumps,
    recorded_headers,
    request_headers,
)
from ._engine import DropStep, ErrorStep, EventStep, PauseStep, Plan, RawStep
from ._errors import INVALID_API_KEY, NO_API_KEY, WireError, previous_not_found
from ._input import Context
from ._state import (
    EmulatorState,
    HttpRequestRecord,
    ResponseRecord,
    authorized,
    decide,
    finish,
    start_response,
)

__all__ = [
    "HttpEndpoint",
    "accept_request",
    "drop_connection",
    "send_body",
    "send_chunk",
    "send_json",
    "serve_stream",
    "watch_disconnect",
    "with_request_id",
]

# Batch SSE events into one write while nothing asks for pacing: the bytes on the wire
# are the same, and long streams cost far fewer sends.
_SSE_BATCH = 64


def _sse(event: Mapping[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {dumps(event)}\n\n".encode()


def _sse_frame(step: EventStep | RawStep) -> bytes:
    """One SSE message: an event with its ``event:`` line, or raw (malformed) data."""
    if isinstance(step, EventStep):
        return _sse(step.event)
    return f"data: {step.text}\n\n".encode()


def _flat_error(error: WireError, sequence: int) -> dict[str, Any]:
    return {
        "type": "error",
        "code": error.code,
        "message": error.message,
        "param": error.param,
        "sequence_number": sequence,
    }


class HttpEndpoint:
    """The ASGI endpoint of ``POST /v1/responses`` over one ``EmulatorState``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send_raw: Send) -> None:
        state = self.state
        send = with_request_id(state, send_raw)
        body = await accept_request(state, scope, receive, send)
        if body is None:
            return
        previous: Context | None = None
        previous_id = body.get("previous_response_id")
        if previous_id is not None:
            previous = state.stored.get(previous_id)
            if previous is None:
                error = previous_not_found(previous_id)
                await send_json(send, 400, error.http_body())
                return
        decided = decide(state, body, previous, "http", state.stored_items)
        if isinstance(decided, WireError):
            await send_json(send, decided.status, decided.http_body(), decided.headers)
            return
        record = start_response(state, decided, body, "http", None)
        if body.get("stream") is True:
            await self._stream(scope, receive, send, decided, record)
        else:
            await self._whole(scope, send, decided, record)

    async def _stream(
        self, scope: Scope, receive: Receive, send: Send, plan: Plan, record: ResponseRecord
    ) -> None:
        await serve_stream(
            scope,
            receive,
            send,
            record,
            lambda: self._send_steps(send, plan, record),
            lambda: finish(self.state, record, plan),
        )

    async def _send_steps(self, send: Send, plan: Plan, record: ResponseRecord) -> bool:
        """Send the plan's steps as SSE; True when a scripted drop ends it."""
        delay = plan.delay
        pending: list[bytes] = []
        first = True
        for step in plan.steps:
            match step:
                case EventStep() | RawStep():
                    if delay and not first:
                        await anyio.sleep(delay)
                    first = False
                    pending.append(_sse_frame(step))
                    if delay or len(pending) >= _SSE_BATCH:
                        await send_chunk(send, pending)
                case PauseStep(seconds=seconds):
                    await send_chunk(send, pending)
                    await anyio.sleep(seconds)
                case ErrorStep(error=error, sequence_number=sequence):
                    pending.append(_sse(_flat_error(error, sequence)))
                    record.status = "error"
                case DropStep():
                    await send_chunk(send, pending)
                    record.status = "dropped"
                    return True
        await send_chunk(send, pending)
        return False

    async def _whole(self, scope: Scope, send: Send, plan: Plan, record: ResponseRecord) -> None:
        first = True
        for step in plan.steps:
            match step:
                case EventStep():
                    if plan.delay and not first:
                        await anyio.sleep(plan.delay)
                    first = False
                case PauseStep(seconds=seconds):
                    await anyio.sleep(seconds)
                case RawStep(text=text):
                    record.status = "malformed"
                    await send_body(send, 200, text.encode(), b"application/json")
                    return
                case ErrorStep(error=error):
                    record.status = "error"
                    await send_json(send, error.status, error.http_body())
                    return
                case DropStep():
                    record.status = "dropped"
                    await drop_connection(scope)
                    return
        finish(self.state, record, plan)
        await send_json(send, 200, plan.final)


def with_request_id(state: EmulatorState, send_raw: Send) -> Send:
    """``send_raw`` with an ``x-request-id`` header on the answer, as the API's carry."""
    request_id = state.ids.request().encode()

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message["headers"], (b"x-request-id", request_id)]
        await send_raw(message)

    return send


async def accept_request(
    state: EmulatorState, scope: Scope, receive: Receive, send: Send
) -> dict[str, Any] | None:
    """Read and record a request; its JSON body when it is an authorized POST of an object.

    Otherwise the error answer (405, 401, 400) is sent and the result is ``None``.
    """
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    raw = b"".join(chunks)
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = None
    state.http_requests.append(
        HttpRequestRecord(scope["method"], scope["path"], recorded_headers(scope), body)
    )
    if scope["method"] != "POST":
        await send_json(send, 405, WireError(405, "Method not allowed.").http_body())
        return None
    headers = request_headers(scope)
    if not authorized(state, headers):
        error = INVALID_API_KEY if "authorization" in headers else NO_API_KEY
        await send_json(send, 401, error.http_body())
        return None
    if not isinstance(body, dict):
        error = WireError(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means "
            "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
            "payload.)",
        )
        await send_json(send, 400, error.http_body())
        return None
    return body


async def serve_stream(
    scope: Scope,
    receive: Receive,
    send: Send,
    record: ResponseRecord,
    send_steps: Callable[[], Awaitable[bool]],
    finished: Callable[[], None],
) -> None:
    """Answer with an event stream: ``send_steps`` writes it (True: a scripted drop).

    The client closing the stream is the HTTP way to cancel: generating stops, and the
    record says ``cancelled``. A stream sent to its end is closed and ``finished`` runs.
    """
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
        group.start_soon(watch_disconnect, receive, group.cancel_scope, record)
        dropped = await send_steps()
        if not dropped:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            finished()
        group.cancel_scope.cancel()
    if dropped:
        await drop_connection(scope)


async def watch_disconnect(
    receive: Receive, scope: anyio.CancelScope, record: ResponseRecord
) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            if record.status == "in_progress":
                record.status = "cancelled"
            scope.cancel()
            return


async def send_chunk(send: Send, pending: list[bytes]) -> None:
    if pending:
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        await send({"type": "http.response.body", "body": data, "more_body": True})


async def send_body(
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


async def send_json(
    send: Send, status: int, body: Any, headers: Mapping[str, str] | None = None
) -> None:
    await send_body(send, status, dumps(body).encode(), b"application/json", headers)


async def drop_connection(scope: Scope) -> None:
    abort = scope.get(ABORT_SCOPE_KEY)
    if abort is None:
        # No transport to abort (mounted elsewhere, or in-process): fail the response the
        # way a reset connection would, so the client never sees a complete body.
        raise ConnectionResetError("the emulator dropped the connection (a scripted Drop)")
    abort()
    # Let the server notice the lost connection before the app returns.
    await anyio.lowlevel.checkpoint()
