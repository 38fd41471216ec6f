"""The emulator's Chat Completions endpoint: ``POST /v1/chat/completions``, streamed or not.

It reads, records and checks the request like ``POST /v1/responses`` (``_http``), checks
the body the API's way (``_chat_input``), asks the same model and writes the plan of
``_chat_engine``: each chunk as one SSE ``data:`` line, then ``data: [DONE]``; or the
``chat.completion`` object when ``stream`` is not true. The same faults apply: pauses,
drops, malformed data, an ``{"error": ...}`` object mid-stream, HTTP statuses with headers.
Each answer is recorded as a ``ResponseRecord`` with ``transport="chat"``, its input the
Responses-style items the messages stand for.
"""

from __future__ import annotations

import time

import anyio

from ._asgi import Receive, Scope, Send, dumps
from ._chat_engine import chat_error, plan_chat
from ._chat_input import check_chat_request
from ._engine import DropStep, ErrorStep, EventStep, PauseStep, Plan, RawStep
from ._errors import WireError
from ._http import (
    accept_request,
    drop_connection,
    send_body,
    send_chunk,
    send_json,
    serve_stream,
    with_request_id,
)
from ._models import ModelRequest
from ._state import EmulatorState, ResponseRecord, ask_model

__all__ = ["ChatEndpoint"]

_DONE = b"data: [DONE]\n\n"


class ChatEndpoint:
    """The ASGI endpoint of ``POST /v1/chat/completions`` over one ``EmulatorState``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send_raw: Send) -> None:
        state = self.state
        send = with_request_id(state, send_raw)
        body = await accept_request(state, scope, receive, send)
        if body is None:
            return
        try:
            request = check_chat_request(body)
        except WireError as error:
            await send_json(send, error.status, error.http_body())
            return
        reply = ask_model(
            state,
            ModelRequest(
                body=body,
                input=request.input,
                instructions=request.instructions,
                tools=request.tools,
                transport="chat",
            ),
        )
        if isinstance(reply, WireError):
            await send_json(send, reply.status, reply.http_body(), reply.headers)
            return
        plan = plan_chat(body=body, request=request, reply=reply, ids=state.ids, now=time.time())
        record = ResponseRecord(
            id=plan.response_id,
            transport="chat",
            connection=None,
            request=body,
            resolved_input=plan.resolved_input,
            instructions=request.instructions,
        )
        state.responses.append(record)
        if request.stream:
            await self._stream(scope, receive, send, plan, record)
        else:
            await self._whole(scope, send, plan, record)

    async def _stream(
        self, scope: Scope, receive: Receive, send: Send, plan: Plan, record: ResponseRecord
    ) -> None:
        await serve_stream(
            scope,
            receive,
            send,
            record,
            lambda: _send_steps(send, plan, record),
            lambda: _finish(record, plan),
        )

    async def _whole(self, scope: Scope, send: Send, plan: Plan, record: ResponseRecord) -> None:
        for step in plan.steps:
            match step:
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
                case EventStep():
                    pass
        _finish(record, plan)
        await send_json(send, 200, plan.final)


async def _send_steps(send: Send, plan: Plan, record: ResponseRecord) -> bool:
    """Send the plan's chunks as SSE data lines; True when a scripted drop ends it."""
    pending: list[bytes] = []
    first = True
    for step in plan.steps:
        match step:
            case EventStep(event=chunk):
                if plan.delay and not first:
                    await anyio.sleep(plan.delay)
                first = False
                pending.append(f"data: {dumps(chunk)}\n\n".encode())
                if plan.delay:
                    await send_chunk(send, pending)
            case RawStep(text=text):
                pending.append(f"data: {text}\n\n".encode())
            case PauseStep(seconds=seconds):
                await send_chunk(send, pending)
                await anyio.sleep(seconds)
            case ErrorStep(error=error):
                pending.append(f"data: {dumps(chat_error(error))}\n\n".encode())
                record.status = "error"
                await send_chunk(send, pending)
                return False
            case DropStep():
                await send_chunk(send, pending)
                record.status = "dropped"
                return True
    pending.append(_DONE)
    await send_chunk(send, pending)
    return False


def _finish(record: ResponseRecord, plan: Plan) -> None:
    """Record a chat answer sent to its end (the plan's skeleton holds its output)."""
    if plan.final is None:
        return
    record.output = plan.skeleton["output"]
    record.status = plan.skeleton["status"]
