"""The emulator's WebSocket endpoint ``/v1/realtime``: the Realtime API (GA).

What to answer is the pure ``_realtime_engine``'s decision; this module moves the
frames. A reader task feeds each client message to the engine and queues what it
returns; each response the engine plans is streamed by a task of its own, one step at
a time, pacing the reply's ``delay``; a single writer sends everything queued, in the
order the engine decided it, so a ``response.done`` of a cancel never overtakes a delta
planned before it. Every client message is recorded on the connection's
``ConnectionRecord``.

A connection that sends ``OpenAI-Beta: realtime=v1`` gets the ``error`` the API sends
since the beta shape was turned off (``beta_api_shape_disabled``) and is closed.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any
from urllib.parse import parse_qs

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from ._asgi import ABORT_SCOPE_KEY, Receive, Scope, Send, dumps, recorded_headers, request_headers
from ._engine import DropStep, EventStep, PauseStep, RawStep, Step
from ._errors import INVALID_API_KEY, WireError
from ._realtime_engine import RealtimeEngine, ResponseRun, error_event
from ._state import (
    ConnectionRecord,
    EmulatorState,
    ResponseRecord,
    authorized,
    track_connection,
    untrack_connection,
)

__all__ = ["RealtimeEndpoint"]

BETA_DISABLED = WireError(
    400,
    "The Realtime API beta shape is no longer supported: remove the "
    "'OpenAI-Beta: realtime=v1' header and use the GA events.",
    code="beta_api_shape_disabled",
)
"""The answer to a connection that asks for the beta protocol."""


class RealtimeEndpoint:
    """The ASGI endpoint of WebSocket ``/v1/realtime`` over one ``EmulatorState``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        headers = request_headers(scope)
        if not authorized(state, headers):
            await _deny(scope, send)
            return
        await send({"type": "websocket.accept"})
        record = ConnectionRecord(index=len(state.connections), headers=recorded_headers(scope))
        state.connections.append(record)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        model_name = (query.get("model") or ["gpt-realtime"])[0]
        engine = RealtimeEngine(state.model, state.ids, model_name, state.transcripts)
        if "realtime=v1" in headers.get("openai-beta", ""):
            await send(
                {
                    "type": "websocket.send",
                    "text": dumps(error_event(BETA_DISABLED, engine.event_id())),
                }
            )
            await send(
                {"type": "websocket.close", "code": 1008, "reason": "beta_api_shape_disabled"}
            )
            record.closed = True
            return
        queue_in, queue_out = anyio.create_memory_object_stream[Step](math.inf)
        try:
            async with anyio.create_task_group() as group:
                stop = group.cancel_scope.cancel

                async def close(code: int, reason: str) -> None:
                    with contextlib.suppress(OSError):
                        await send({"type": "websocket.close", "code": code, "reason": reason})
                    stop()

                cut = scope.get(ABORT_SCOPE_KEY) or stop
                track_connection(state, record.index, cut, close)
                group.start_soon(_writer, send, queue_out, cut, stop)
                for event in engine.opening():
                    queue_in.send_nowait(EventStep(event))
                await _reader(receive, engine, queue_in, record, group, state)
                stop()
        finally:
            queue_in.close()
            queue_out.close()
            record.closed = True
            untrack_connection(state, record.index)


async def _deny(scope: Scope, send: Send) -> None:
    if "websocket.http.response" in scope.get("extensions", {}):
        body = dumps(INVALID_API_KEY.http_body()).encode()
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


async def _reader(
    receive: Receive,
    engine: RealtimeEngine,
    queue: MemoryObjectSendStream[Step],
    record: ConnectionRecord,
    group: anyio.abc.TaskGroup,
    state: EmulatorState,
) -> None:
    streaming: set[int] = set()
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            data = message.get("bytes") or b""
            text = data.decode("utf-8", "replace")
        try:
            record.frames.append(json.loads(text))
        except ValueError:
            record.frames.append(text)
        for event in engine.handle(text):
            queue.send_nowait(EventStep(event))
        run = engine.run
        if run is not None and id(run) not in streaming:
            streaming.add(id(run))
            response = ResponseRecord(
                id=run.id,
                transport="realtime",
                connection=record.index,
                request=record.frames[-1],
                resolved_input=run.model_input,
                instructions=run.instructions,
            )
            state.responses.append(response)
            group.start_soon(_stream, engine, run, queue, response)


async def _stream(
    engine: RealtimeEngine,
    run: ResponseRun,
    queue: MemoryObjectSendStream[Step],
    response: ResponseRecord,
) -> None:
    try:
        await _pump(engine, run, queue)
    finally:
        response.output = run.output
        response.status = run.status


async def _pump(
    engine: RealtimeEngine, run: ResponseRun, queue: MemoryObjectSendStream[Step]
) -> None:
    first = True
    while True:
        if not first and run.delay:
            await anyio.sleep(run.delay)
        first = False
        # Taken right before it is queued: a cancel between two steps ends the run here.
        step = engine.next_step(run)
        if step is None:
            return
        if isinstance(step, PauseStep):
            await anyio.sleep(step.seconds)
            continue
        queue.send_nowait(step)
        if isinstance(step, DropStep):
            return


async def _writer(
    send: Send,
    queue: anyio.abc.ObjectReceiveStream[Step],
    cut: Any,
    stop: Any,
) -> None:
    async for step in queue:
        match step:
            case EventStep(event=event):
                await send({"type": "websocket.send", "text": dumps(event)})
            case RawStep(text=text):
                await send({"type": "websocket.send", "text": text})
            case DropStep():
                cut()
                stop()
                return
            case _:
                pass
