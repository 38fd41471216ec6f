"""The emulator's WebSocket endpoint: ``/v1/responses`` in the API's WebSocket mode.

One connection carries many responses. A reader task takes the client's frames in
(``response.create``, ``response.cancel``, anything else answered with an ``error``), a
sender hands each ``response.create`` to its lane (``stream_id``), and lanes stream side
by side, each serving its requests one after another. A cancel is seen at once, even
during a pause; the connection age limit closes the connection when reached.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections import ChainMap
from typing import Any

import anyio
import anyio.lowlevel

from ._asgi import ABORT_SCOPE_KEY, Receive, Scope, Send, dumps, recorded_headers, request_headers
from ._engine import (
    DropStep,
    ErrorStep,
    EventStep,
    PauseStep,
    Plan,
    RawStep,
    cancelled_events,
    steered_events,
)
from ._errors import (
    INVALID_API_KEY,
    JSON,
    WireError,
    invalid_type,
    invalid_value,
    previous_not_found,
)
from ._input import Context
from ._lanes import Connection, Ended, Gate, Lane, Steer, lane_error
from ._state import (
    ConnectionRecord,
    EmulatorState,
    ResponseRecord,
    authorized,
    decide,
    finish,
    start_response,
    track_connection,
    untrack_connection,
)
from ._steer import failed_event, owed_calls, pending_event, receive_steer

__all__ = ["WebSocketEndpoint"]

_CLIENT_EVENTS = ("response.create", "response.steer")
"""The client event types the public API lists (``response.cancel`` is served besides)."""


class WebSocketEndpoint:
    """The ASGI endpoint of WebSocket ``/v1/responses`` over one ``EmulatorState``."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        if not authorized(state, request_headers(scope)):
            await self._deny(scope, send)
            return
        await send({"type": "websocket.accept"})
        record = ConnectionRecord(index=len(state.connections), headers=recorded_headers(scope))
        state.connections.append(record)
        conn = Connection(state.clock(), Gate(lambda: state.max_active_responses, record))
        jobs_in, jobs_out = anyio.create_memory_object_stream[Any](64)
        try:
            async with anyio.create_task_group() as group:
                stop = group.cancel_scope.cancel

                async def close(code: int, reason: str) -> None:
                    with contextlib.suppress(OSError):  # the client may be gone already
                        await send({"type": "websocket.close", "code": code, "reason": reason})
                    stop()

                track_connection(state, record.index, scope.get(ABORT_SCOPE_KEY) or stop, close)
                group.start_soon(
                    self._sender, scope, send, conn, jobs_out, record, group.cancel_scope
                )
                async with jobs_in:
                    await self._receiver(receive, conn, jobs_in, record)
                group.cancel_scope.cancel()
        finally:
            untrack_connection(state, record.index)
            record.closed = True

    async def _deny(self, scope: Scope, send: Send) -> None:
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

    async def _receiver(
        self,
        receive: Receive,
        conn: Connection,
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
                refused = lane_error(conn, lane_id, record, self.state.max_stream_ids)
                if refused is None:
                    await jobs.send(frame)
                else:
                    event = refused.ws_event()
                    if isinstance(lane_id, str):
                        event["stream_id"] = lane_id
                    conn.urgent.append(dumps(event))
                    await jobs.send(None)
            elif kind == "response.cancel":
                if self._cancel(conn, frame.get("response_id"), record):
                    await jobs.send(None)
            elif kind == "response.steer":
                conn.urgent += receive_steer(self.state, conn, frame)
                await jobs.send(None)
            else:
                supported = ("response.create", "response.steer", "response.cancel")
                self._urgent(conn, invalid_value(kind, supported, "type"))
                await jobs.send(None)

    def _cancel(self, conn: Connection, target: object, record: ConnectionRecord) -> bool:
        """Act on a ``response.cancel`` as ``cancel_mode`` says; True when it queued an answer."""
        record.cancels.append(target)
        mode = self.state.cancel_mode
        lane = conn.lane_running(target)
        if mode == "reject":
            # Answered as any client event type the server does not take: the API's public
            # client events do not include response.cancel.
            self._urgent(conn, invalid_value("response.cancel", _CLIENT_EVENTS, "type"))
            return True
        if mode == "ignore":
            return False
        if mode == "silent":
            if lane is not None:
                lane.silenced = lane.current
                lane.wake.set()
            return False
        if lane is None:
            self._urgent(
                conn,
                WireError(
                    400,
                    f"No response with id '{target}' is in progress on this connection.",
                    code="response_not_found",
                    param="response_id",
                ),
            )
            return True
        lane.cancel = lane.current
        lane.wake.set()
        return False

    @staticmethod
    def _urgent(conn: Connection, error: WireError) -> None:
        conn.urgent.append(dumps(error.ws_event()))

    async def _sender(
        self,
        scope: Scope,
        send: Send,
        conn: Connection,
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
                        lane = conn.lanes[lane_id] = Lane(lane_id, lane_in)
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
        conn: Connection,
        lane: Lane,
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
                        await _text(send, dumps(lane.tag(error.ws_event())))
                        await send(
                            {
                                "type": "websocket.close",
                                "code": 1000,
                                "reason": "websocket_connection_limit_reached",
                            }
                        )
                        scope_to_cancel.cancel()
                        return
                    # One place among the active responses serves the request and the
                    # successors steering starts after it.
                    await conn.gate.enter()
                    try:
                        job: _Job | None = _Job(frame)
                        while job is not None:
                            outcome = await self._respond(scope, send, conn, lane, job, record)
                            if outcome is True:
                                scope_to_cancel.cancel()
                                return
                            job = outcome or None
                    finally:
                        conn.gate.leave()
        except OSError:
            # ASGI servers raise an OSError subclass for a send on a closed connection: the
            # client went away mid-response (a drop, a reset). Nothing left to serve.
            scope_to_cancel.cancel()

    async def _respond(
        self,
        scope: Scope,
        send: Send,
        conn: Connection,
        lane: Lane,
        job: _Job,
        record: ConnectionRecord,
    ) -> bool | _Job:
        """Serve one request; what the lane does next.

        True when the connection was dropped, the successor to serve next after a steer,
        else False.
        """
        state = self.state
        frame = job.frame
        previous: Context | None = None
        previous_id = frame.get("previous_response_id")
        if previous_id is not None:
            previous = conn.cache.get(previous_id) or state.stored.get(previous_id)
            if previous is None:
                await _text(send, dumps(lane.tag(previous_not_found(previous_id).ws_event())))
                return False
        generate = frame.get("generate", True)
        if not isinstance(generate, bool):
            await _text(send, dumps(lane.tag(invalid_type("generate", "a boolean").ws_event())))
            return False
        parent = conn.ended.get(previous_id) if isinstance(previous_id, str) else None
        queued = parent.pending if parent is not None else []
        held = ChainMap(conn.items, state.stored_items)
        decided = decide(
            state, _with_steers(frame, queued), previous, "websocket", held, generate=generate
        )
        if isinstance(decided, WireError):
            await _text(send, dumps(lane.tag(decided.ws_event())))
            return False
        if parent is not None:  # continued: no outputs owed, queued steers applied
            parent.owed, parent.pending = [], []
        plan = decided
        response = start_response(state, plan, frame, "websocket", record.index)
        response.steered_from = job.steered_from
        response.steers = [steer.id for steer in job.steers or queued]
        lane.current, lane.model, lane.tool_started = plan.response_id, frame.get("model"), False
        lane.wake = anyio.Event()
        try:
            outcome = await self._stream(scope, send, conn, lane, plan, response)
        finally:
            leftover = lane.steers
            lane.current, lane.cancel, lane.steers = None, None, []
            owed = owed_calls(response.output) if response.status == "completed" else []
            ended = conn.ended[plan.response_id] = Ended(
                response.status, lane.id, frame.get("model"), owed
            )
        if response.status in ("failed", "error"):
            _evict_parent(conn, previous_id)
        if outcome == "dropped":
            return True
        if not leftover:
            return False
        return await _settle_steers(send, lane, frame, response, ended, leftover)

    async def _stream(
        self,
        scope: Scope,
        send: Send,
        conn: Connection,
        lane: Lane,
        plan: Plan,
        response: ResponseRecord,
    ) -> str:
        """Send ``plan``'s steps: ``"dropped"``, ``"steered"`` or ``"ended"``."""
        delay = plan.delay
        first = True
        for sent, step in enumerate(plan.steps):
            if conn.urgent:
                await _flush_urgent(send, conn)
            if lane.silenced == plan.response_id:
                await anyio.sleep_forever()  # nothing more, ever: the lane is stuck
            if lane.cancel == plan.response_id:
                ending = cancelled_events(plan, sent)
                for event in ending:
                    await _text(send, dumps(lane.tag(event)))
                response.output = ending[-1]["response"]["output"]
                response.status = "cancelled"
                return "ended"
            if lane.steers and not lane.tool_started:
                ending = steered_events(plan, sent)
                for event in ending:
                    await _text(send, dumps(lane.tag(event)))
                cut = dataclasses.replace(plan, final=ending[-1]["response"])
                finish(self.state, response, cut, conn.cache, conn.items)
                return "steered"
            match step:
                case EventStep() | RawStep():
                    if delay and not first:
                        await _pause(lane, delay)
                    elif sent & 3 == 3:
                        # Let a response.cancel in, and the news of a client gone before
                        # more than a few writes go nowhere (asyncio warns from the
                        # sixth): without delays nothing else yields.
                        await anyio.lowlevel.checkpoint()
                    first = False
                    await _text(send, _frame(lane, step))
                    if isinstance(step, EventStep) and _starts_a_call(step.event):
                        lane.tool_started = True
                case PauseStep(seconds=seconds):
                    await _pause(lane, seconds)
                case ErrorStep(error=error, sequence_number=sequence):
                    event = error.ws_event()
                    event["sequence_number"] = sequence
                    await _text(send, dumps(lane.tag(event)))
                    response.status = "error"
                    return "ended"
                case DropStep():
                    response.status = "dropped"
                    abort = scope.get(ABORT_SCOPE_KEY)
                    if abort is None:
                        await send({"type": "websocket.close", "code": 1011, "reason": ""})
                    else:
                        abort()
                        await anyio.lowlevel.checkpoint()
                    return "dropped"
        finish(self.state, response, plan, conn.cache, conn.items)
        return "ended"


@dataclasses.dataclass
class _Job:
    """A request for a lane: a client's ``response.create``, or a successor.

    A successor follows a steered response (``steered_from``), carrying the input of
    ``steers``.
    """

    frame: JSON
    steered_from: str | None = None
    steers: list[Steer] = dataclasses.field(default_factory=list)


async def _settle_steers(
    send: Send,
    lane: Lane,
    frame: JSON,
    response: ResponseRecord,
    ended: Ended,
    steers: list[Steer],
) -> bool | _Job:
    """Answer the steers accepted while ``response`` streamed, now that it has ended.

    Outputs owed: the steers wait (``response.steer.pending``). Stopped by them, or
    completed as they came: the successor to serve next. Otherwise each fails.
    """
    if ended.owed:
        ended.pending += steers
        for steer in steers:
            await _text(send, dumps(pending_event(steer, ended.owed, lane.id)))
        return False
    failure = next((steer.failure for steer in steers if steer.failure), None)
    if response.status in ("completed", "incomplete") and failure is None:
        items = [item for steer in steers for item in steer.items]
        successor = {**frame, "previous_response_id": response.id, "input": items}
        successor.pop("generate", None)
        return _Job(successor, response.id, steers)
    for steer in steers:
        failed = failed_event(
            steer.previous_response_id,
            steer.input,
            failure or "response_not_active",
            lane_id=lane.id,
            steer_id=steer.id,
        )
        await _text(send, dumps(failed))
    return False


def _starts_a_call(event: JSON) -> bool:
    return event["type"] == "response.output_item.added" and event["item"]["type"] in (
        "function_call",
        "custom_tool_call",
    )


def _with_steers(frame: JSON, steers: list[Steer]) -> JSON:
    """``frame`` with the input of queued ``steers`` before its own, in submission order."""
    if not steers:
        return frame
    own = frame.get("input")
    if isinstance(own, str):
        own = [{"type": "message", "role": "user", "content": own}]
    elif own is None:
        own = []
    elif not isinstance(own, list):
        return frame  # refused as it stands
    return {**frame, "input": [item for steer in steers for item in steer.items] + own}


def _evict_parent(conn: Connection, previous_id: object) -> None:
    """Forget the cached response a failed continuation built on, as the API does.

    Its output items stay held, so a retry sending the whole context is still accepted.
    """
    if isinstance(previous_id, str):
        conn.cache.pop(previous_id, None)


async def _pause(lane: Lane, seconds: float) -> None:
    """Wait, but no longer than until news for the lane's response (a cancel) arrives."""
    with anyio.move_on_after(seconds):
        await lane.wake.wait()


def _frame(lane: Lane, step: EventStep | RawStep) -> str:
    """One text frame: an event as the lane sends it, or raw (malformed) text."""
    if isinstance(step, EventStep):
        return dumps(lane.tag(step.event))
    return step.text


async def _text(send: Send, text: str) -> None:
    await send({"type": "websocket.send", "text": text})


async def _flush_urgent(send: Send, conn: Connection) -> None:
    while conn.urgent:
        await _text(send, conn.urgent.pop(0))
