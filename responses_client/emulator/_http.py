"""The emulator's HTTP endpoint: ``POST /v1/responses``, as SSE or as one JSON answer.

It reads the body, records the request, checks the key, asks ``_state`` for a plan and
writes the plan's steps: each event as one SSE message (batched into fewer writes while
nothing asks for pacing), or the final response object when ``stream`` is not true.
Closing the stream is the HTTP way to cancel: the endpoint stops generating.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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

__all__ = ["HttpEndpoint"]

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
            HttpRequestRecord(scope["method"], scope["path"], recorded_headers(scope), body)
        )
        if scope["method"] != "POST":
            await _json(send, 405, WireError(405, "Method not allowed.").http_body())
            return
        headers = request_headers(scope)
        if not authorized(state, headers):
            error = INVALID_API_KEY if "authorization" in headers else NO_API_KEY
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
                error = previous_not_found(previous_id)
                await _json(send, 400, error.http_body())
                return
        decided = decide(state, body, previous, "http", state.stored_items)
        if isinstance(decided, WireError):
            await _json(send, decided.status, decided.http_body(), decided.headers)
            return
        record = start_response(state, decided, body, "http", None)
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
                finish(self.state, record, plan)
            group.cancel_scope.cancel()
        if dropped:
            await _drop(scope)

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
                        await _body(send, pending)
                case PauseStep(seconds=seconds):
                    await _body(send, pending)
                    await anyio.sleep(seconds)
                case ErrorStep(error=error, sequence_number=sequence):
                    pending.append(_sse(_flat_error(error, sequence)))
                    record.status = "error"
                case DropStep():
                    await _body(send, pending)
                    record.status = "dropped"
                    return True
        await _body(send, pending)
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
                    await _send_body(send, 200, text.encode(), b"application/json")
                    return
                case ErrorStep(error=error):
                    record.status = "error"
                    await _json(send, error.status, error.http_body())
                    return
                case DropStep():
                    record.status = "dropped"
                    await _drop(scope)
                    return
        finish(self.state, record, plan)
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
    await _send_body(send, status, dumps(body).encode(), b"application/json", headers)


async def _drop(scope: Scope) -> None:
    abort = scope.get(ABORT_SCOPE_KEY)
    if abort is None:
        # No transport to abort (mounted elsewhere, or in-process): fail the response the
        # way a reset connection would, so the client never sees a complete body.
        raise ConnectionResetError("the emulator dropped the connection (a scripted Drop)")
    abort()
    # Let the server notice the lost connection before the app returns.
    await anyio.lowlevel.checkpoint()
