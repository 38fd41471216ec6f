"""The Responses API over one persistent WebSocket: ``wss://…/v1/responses``.

A thin pump over the WebSocket plumbing of ``_ws``: it writes ``response.create`` frames,
reads text messages, and parses each into its event model with ``events.parse_event``.
What it decides itself is connection life:

- **One connection per transport** (one transport per conversation), opened on the first
  ``stream()`` and reused across turns, so the server's connection-local cache of earlier
  responses makes ``previous_response_id`` work without ``store=true``.
- **Reconnects.** A dropped connection raises ``ConnectionClosed`` and the next ``stream()``
  connects again (a new ``epoch``: the server forgot every earlier response), waiting the
  delays of an injected generator between failed attempts. A connection is replaced before
  a request when it is older than ``max_connection_age`` (the server closes it at 60
  minutes), and dropped when the server answers ``websocket_connection_limit_reached``.
- **Cancel and drain** (the phases, and what each frame means for them, live in the pure
  ``_cancel`` module). Leaving a stream early sends ``response.cancel`` — at once when the
  response id is known, when ``response.created`` arrives otherwise — and the next
  ``stream()`` reads and drops the old response's events up to its terminal event before it
  writes ``response.create``. A drain that takes longer than ``drain_timeout`` closes the
  connection instead.
- **Steering.** ``steer()`` sends ``response.steer`` naming the response in flight (once
  ``response.created`` names it, when it has not yet, even when the request is still
  waiting for a connection or a drain), and the stream reads on past a
  steered response's end while a steer may still bring its successor: the request ends
  when ``_cancel.CancelState`` says nothing is in flight any more. On a lane, the steered
  id joins the lane's ``steering`` set, by which the shared connection routes answers
  that carry no ``stream_id``.
- **Bounded buffering.** The connection (``websockets``' own, with a message queue of its
  own for speed: see ``_ws.Connection``) stops reading the socket while ``max_queue``
  messages wait unread (so a slow consumer pushes back on the server through TCP instead
  of growing memory); ``websockets`` refuses a message larger than ``max_size`` bytes. The
  loop yields to other tasks at least every ``yield_every`` events, so a fast server
  cannot starve them.

The API key goes into the handshake's ``Authorization`` header and nowhere else:
``websockets`` logs handshake headers at DEBUG, so it is given a logger that redacts them
(``_ws.RedactingLogger``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any, Protocol

import anyio
import anyio.lowlevel
import websockets
from websockets.protocol import State

from .._cancel import CONNECTION_LIMIT, PHASE_TYPES, CancelState, Frame, Verdict, peek
from .._config import Config
from .._exceptions import APITimeoutError, LocalProtocolError, ResponsesError
from .._request_size import WEBSOCKET_RECEIVE_LIMIT, WEBSOCKET_REQUEST_LIMIT
from ..events import ResponseCompletedEvent, ServerEvent, UnknownEvent, parse_event
from ._ws import Connection, Messages, closed_error, connect, wire_logger

__all__ = ["Link", "WebSocketTransport"]

logger = logging.getLogger("responses_client.websocket")


class Link(Protocol):
    """What the transport reads and writes through: its own connection, or a lane of one.

    ``_ws.Connection`` is one; so is a lane of a shared connection (``_lanes``).
    """

    messages: Messages
    """Whole messages not yet taken, oldest first."""

    @property
    def state(self) -> State:
        """``State.OPEN`` while it can carry requests."""
        ...

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop it belongs to."""
        ...

    def take(self) -> bytes:
        """The oldest queued message (``messages`` is not empty)."""
        ...

    async def receive(self, timeout: float | None = None) -> bytes | None:
        """The next message; ``None`` when ``interrupt()`` ended the wait."""
        ...

    def interrupt(self) -> None:
        """End a ``receive()`` waiting now."""
        ...

    def disarm(self) -> None:
        """Stop the timer of timed waits while nobody waits (the next one arms it again)."""
        ...

    async def send(self, message: str) -> None:
        """Write one text message."""
        ...


class WebSocketTransport:
    """One persistent WebSocket connection carrying a conversation's responses.

    The server keeps the responses of a connection in a connection-local cache, so every
    request may carry ``previous_response_id``; ``epoch`` changes with every new connection
    (and already reads as the next one while no usable connection is open, so that a
    request planned now does not refer to a response the next connection will not know).
    """

    name = "websocket"
    max_request_bytes = WEBSOCKET_REQUEST_LIMIT  # the largest frame the server takes

    def __init__(
        self,
        config: Config,
        *,
        open_timeout: float = 10.0,
        read_timeout: float | None = None,
        drain_timeout: float = 5.0,
        send_timeout: float = 5.0,
        max_connection_age: float = 55 * 60.0,
        max_queue: int = 64,
        max_size: int = WEBSOCKET_RECEIVE_LIMIT,
        ping_interval: float | None = 20.0,
        yield_every: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create the transport; nothing connects until the first ``stream()``.

        Args:
            config: Where to connect (``config.responses_websocket_url``) and the
                handshake headers (``client.config``).
            open_timeout: Seconds for the TCP, TLS and WebSocket handshakes together.
            read_timeout: Seconds the server may stay silent while a response streams (the
                wait for each event); then the connection is dropped and the stream raises
                ``APITimeoutError``, which the conversation retries like a drop. ``None``
                waits for as long as the server takes.
            drain_timeout: Seconds to wait for a cancelled response to end before the
                connection is closed instead.
            send_timeout: Seconds a ``response.cancel`` or close may take during cleanup.
            max_connection_age: Seconds after which the connection is replaced before the
                next request (the server ends connections at 60 minutes).
            max_queue: Messages the connection buffers unread before it stops reading the
                socket (it resumes at a quarter); with ``max_size`` this bounds the
                receive buffer.
            max_size: Largest frame accepted, in bytes (a larger one closes the connection
                with 1009, which surfaces as ``ConnectionClosed``).
            ping_interval: Seconds between keepalive pings; ``None`` turns them off.
            yield_every: Events after which the stream yields to the event loop even when
                frames are ready.
            clock: Monotonic seconds, for the connection's age.

        A ``stream()`` connects at most once: a refused or failed handshake raises a typed
        error (``APIStatusError`` with the answer's headers, ``APIConnectionError``), and
        whether to try again is the conversation's decision (its ``RetryPolicy``).
        """
        self._config = config
        self._open_timeout = open_timeout
        self._read_timeout = read_timeout
        self._drain_timeout = drain_timeout
        self._send_timeout = send_timeout
        self._max_age = max_connection_age
        self._max_queue = max_queue
        self._max_size = max_size
        self._ping_interval = ping_interval
        self._yield_every = max(1, yield_every)
        self._clock = clock
        secrets = tuple(s for s in (config.api_key,) if s)
        self._wire_logger = wire_logger(secrets)

        self._ws: Link | None = None
        self._connected_at = 0.0
        self._epoch = 0
        self._state = CancelState()
        self._mid_turn = False
        """Whether the last response asked for tool outputs (the turn is not over)."""
        self._waiting_steers: list[list[dict[str, Any]]] = []
        """Steer inputs asked for before the response had an id (``CancelState.steer``)."""
        self._opening = False
        """Whether a stream is getting ready to write its ``response.create``."""
        self._streams = 0
        """Streams started; a stream older than the last one may not read any more."""
        self._stop = False
        self._scope: anyio.CancelScope | None = None
        self._closed = False
        self.bytes_sent = 0
        """Bytes of every frame written (``response.create`` and ``response.cancel``)."""
        self.connects = 0
        """Connections opened so far."""

    def __repr__(self) -> str:
        url = self._config.responses_websocket_url
        return f"WebSocketTransport(url={url!r}, epoch={self._epoch})"

    @property
    def epoch(self) -> int:
        """The connection's number; the next one's while no usable connection is open."""
        if self._usable(self._ws):
            return self._epoch
        return self._epoch + 1

    def supports_previous_response(self, *, store: bool) -> bool:
        """Always: the server keeps this connection's responses, stored or not."""
        del store
        return True

    @property
    def connected(self) -> bool:
        """Whether a connection is open now."""
        return self._ws is not None and self._ws.state is State.OPEN

    @property
    def holds_connection(self) -> bool:
        """Whether a connection is open now (``connected``)."""
        return self.connected

    # -- one response ---------------------------------------------------------------

    async def stream(
        self, body: Mapping[str, Any]
    ) -> AsyncGenerator[ServerEvent | UnknownEvent, None]:
        """Write ``response.create`` and yield the response's events (see ``Transport``)."""
        if self._closed:
            raise ResponsesError("the WebSocket transport is closed")
        if self._ws is not None and self._ws.loop is not asyncio.get_running_loop():
            raise ResponsesError(
                "this conversation's WebSocket connection belongs to another event loop "
                "(one that has ended, or another thread's): make the Client and its "
                "conversations inside the loop that uses them"
            )
        frame = {"type": "response.create", **body}
        frame.pop("stream", None)
        refers_back = body.get("previous_response_id") is not None
        # This generator lives as long as the response: keep neither the request nor its
        # encoding (each may be large) alive while waiting for the server.
        del body
        self._streams += 1
        mine = self._streams
        self._stop = False
        self._waiting_steers.clear()
        self._opening = True
        ws: Link | None = None
        try:
            with anyio.CancelScope() as scope:
                self._scope = scope
                ws = await self._ready(keep_old=refers_back)
                steering = _steering(ws)
                if steering is not None:
                    steering.clear()  # the last request, drained, owes no steer answer
                await self._send_create(ws, _text(self._addressed(ws, frame)))
            del frame
            self._scope = None
            if ws is None or scope.cancelled_caught or self._stop:
                return
            count = 0
            yield_every = self._yield_every
            messages = ws.messages
            take = ws.take
            parse = parse_event
            phase_types = PHASE_TYPES
            state = self._state
            created = False
            event: ServerEvent | UnknownEvent | None = None
            while True:
                # This runs once per event. Queued messages are taken without awaiting;
                # only an empty queue waits, and ``cancel()`` ends that wait.
                if messages:
                    raw = take()
                else:
                    # Nothing queued: drop the last event before waiting (it may hold a
                    # whole response object, and many connections may be waiting at once).
                    event = None
                    try:
                        received = await ws.receive(self._read_timeout)
                    except websockets.ConnectionClosed as exc:
                        self._lost(ws)
                        raise closed_error(exc) from None
                    except TimeoutError:
                        await self._discard(ws)  # what it may still send, nobody will read
                        raise APITimeoutError(
                            f"no event from the server for {self._read_timeout} s"
                        ) from None
                    if received is None or self._stopping():
                        return
                    raw = received
                event = parse(raw)
                ended = False
                event_type = event.type
                if not created:  # until this request's response opens
                    if not self._is_ours(event):
                        continue
                    created = event_type == "response.created"
                if event_type in phase_types:  # one set lookup for the many events that are not
                    verdict = state.on_frame(Frame.of(event))
                    if verdict is Verdict.DROP:
                        continue
                    if verdict is Verdict.CLOSE:
                        logger.info("the server ended the connection: %s", CONNECTION_LIMIT)
                        await self._connection_ended(ws)
                    elif verdict is Verdict.SEND_STEER:
                        await self._send_waiting_steers(ws)
                    # SEND_CANCEL means cancel() came: the stream stops after this event,
                    # and its cleanup below sends the cancel. A response that ended while a
                    # steer was owed leaves the request in flight: its successor follows.
                    ended = not state.in_flight
                    if ended:
                        self._mid_turn = _asks_for_tools(event)
                yield event
                if ended or self._stop:
                    return
                if self._streams != mine:
                    raise LocalProtocolError("a newer stream() took over this connection")
                count += 1
                if count == yield_every:
                    count = 0
                    await anyio.lowlevel.checkpoint()
                    if self._stopping():
                        return
        finally:
            self._scope = None
            self._opening = False
            if ws is not None and self._streams == mine:
                ws.disarm()  # the next read may be a long way off
            if ws is not None and self._streams == mine and self._state.in_flight:
                # Left before the terminal event: abandon the response. The drain before
                # the next response.create reads what it still sends.
                response_id = self._state.cancel()
                if response_id is not None:
                    await self._send_cancel(ws, response_id)

    def _is_ours(self, event: ServerEvent | UnknownEvent) -> bool:
        """Whether an event read before ``response.created`` may belong to this request.

        The server opens every response with ``response.created``; a known event of a
        response before it is a late one of the previous response (a server that goes on
        after its terminal event) and must not reach this request's caller. An ``error``
        answers this request; a type this SDK does not know is passed on.
        """
        if event.type in ("response.created", "error") or isinstance(event, UnknownEvent):
            return True
        logger.debug("dropped a %s that came after its response had ended", event.type)
        return False

    def _stopping(self) -> bool:
        # A method, not the attribute: mypy keeps ``_stop`` narrowed across awaits.
        return self._stop

    def _interrupt(self) -> None:
        """Make a ``stream()`` waiting in another task stop now.

        ``cancel()`` must end a wait that could last as long as the server is silent: the
        connection's ``receive()`` returns ``None`` when interrupted, and a connect, send or
        drain in progress runs in a cancel scope that is cancelled.
        """
        if self._scope is not None:
            self._scope.cancel()
        if self._ws is not None:
            self._ws.interrupt()

    async def steer(self, input: list[dict[str, Any]]) -> bool:
        """Steer the response in flight with ``input`` (see ``base.Steerable``)."""
        ws, state = self._ws, self._state
        if self._opening and not self._stop:
            # The request is on its way (a connect, or a drain before it): the steer goes
            # out when its response.created names the response.
            self._waiting_steers.append(input)
            return True
        if ws is None or self._stop or not state.in_flight or state.cancel_requested:
            return False
        target = state.steer()
        if target is None:
            self._waiting_steers.append(input)  # sent when response.created names it
        else:
            await self._send_steer(ws, target, input)
        return True

    async def _send_waiting_steers(self, ws: Link) -> None:
        waiting, self._waiting_steers = self._waiting_steers, []
        self._state.steers_sent()
        target = self._state.response_id
        assert target is not None  # the id that just arrived
        for input in waiting:
            await self._send_steer(ws, target, input)

    async def _send_steer(self, ws: Link, target: str, input: list[dict[str, Any]]) -> None:
        steering = _steering(ws)
        if steering is not None and target not in steering:
            steering.append(target)  # a lane routes answers without stream_id by this id
        frame = {"type": "response.steer", "previous_response_id": target, "input": input}
        await self._send_control(ws, frame)

    async def cancel(self) -> None:
        """Stop the stream in flight and cancel its response; safe from any task."""
        self._stop = True
        self._waiting_steers.clear()
        self._interrupt()
        ws = self._ws
        response_id = self._state.cancel()
        if ws is not None and response_id is not None:
            await self._send_cancel(ws, response_id)

    # -- connection life ----------------------------------------------------------------

    def _addressed(self, ws: Link, frame: dict[str, Any]) -> dict[str, Any]:
        """``frame`` as it goes out through ``ws`` (a lane adds its ``stream_id``)."""
        del ws
        return frame

    def _usable(self, ws: Link | None) -> bool:
        return ws is not None and ws.state is State.OPEN and self._young(self._connected_at)

    def _young(self, opened: float) -> bool:
        """Whether a connection opened then may carry the next request.

        Connections are replaced at turn boundaries: when the last response asked for
        tools, the turn goes on (its outputs continue that response on this connection)
        for up to ``_TURN_GRACE`` seconds past ``max_connection_age``.
        """
        age = self._clock() - opened
        return age < self._max_age or (self._mid_turn and age < self._max_age + _TURN_GRACE)

    async def _ready(self, *, keep_old: bool) -> Link:
        """A connection with nothing in flight: the current one, drained, or a new one.

        An old connection is kept when the request refers to a response (it was planned
        against this connection's epoch); the server's own limit is minutes later.
        """
        ws = self._ws
        if ws is not None and not self._usable(ws):
            if ws.state is State.OPEN and keep_old:
                pass
            else:
                logger.info("replacing the WebSocket connection (closed or too old)")
                await self._discard(ws)
                ws = None
        if ws is not None and self._state.in_flight:
            ws = await self._drain(ws)
        if ws is None:
            ws = await self._connect()
        return ws

    async def _connect(self) -> Link:
        """Open a connection: one attempt (sending again is the turn machine's decision)."""
        ws = await self._open()
        self._ws = ws
        self._epoch += 1
        self.connects += 1
        self._connected_at = self._clock()
        self._state.forget_connection()
        logger.debug("connected (epoch %d)", self._epoch)
        return ws

    async def _open(self) -> Link:
        """A connection of this transport's own."""
        return await connect(
            self._config.responses_websocket_url,
            headers=self._config.headers(),
            logger=self._wire_logger,
            open_timeout=self._open_timeout,
            close_timeout=self._send_timeout,
            ping_interval=self._ping_interval,
            max_queue=self._max_queue,
            max_size=self._max_size,
        )

    async def _send_create(self, ws: Link, payload: str) -> None:
        # Shielded: a frame cut in half by a cancel would break the connection.
        self._state.begin(steers=len(self._waiting_steers))
        self._opening = False
        with anyio.CancelScope(shield=True):
            try:
                await ws.send(payload)
            except websockets.ConnectionClosed as exc:
                self._lost(ws)
                raise closed_error(exc) from None
        self.bytes_sent += len(payload)

    async def _send_cancel(self, ws: Link, response_id: str) -> None:
        await self._send_control(ws, {"type": "response.cancel", "response_id": response_id})

    async def _send_control(self, ws: Link, frame: Mapping[str, Any]) -> None:
        """Write a frame about a response in flight (a cancel, a steer), shielded.

        A connection that takes longer than ``send_timeout`` to take it is dropped.
        """
        payload = _text(frame)
        with anyio.CancelScope(shield=True), anyio.move_on_after(self._send_timeout) as limit:
            try:
                await ws.send(payload)
            except websockets.ConnectionClosed:
                self._lost(ws)
                return
            self.bytes_sent += len(payload)
        if limit.cancelled_caught:
            await self._discard(ws)

    async def _drain(self, ws: Link) -> Link | None:
        """Read and drop the abandoned response's events; ``None`` if the connection went."""
        state = self._state
        response_id = state.cancel()
        if response_id is not None:
            await self._send_cancel(ws, response_id)
        dropped = 0
        with anyio.move_on_after(self._drain_timeout):
            try:
                while state.in_flight and self._ws is ws:
                    raw = await ws.receive()
                    if raw is None:  # interrupted: the cancelled scope ends the drain
                        continue
                    dropped += 1
                    verdict = state.on_frame(peek(raw))
                    if verdict is Verdict.DROP:
                        continue
                    if verdict is Verdict.SEND_CANCEL:
                        assert state.response_id is not None  # the id that just arrived
                        await self._send_cancel(ws, state.response_id)
                    if dropped % self._yield_every == 0:
                        await anyio.lowlevel.checkpoint()
            except websockets.ConnectionClosed:
                self._lost(ws)
        if self._ws is not ws:
            return None
        if state.in_flight:
            logger.warning(
                "the cancelled response did not end within %.1f s; reconnecting",
                self._drain_timeout,
            )
            await self._discard(ws)
            return None
        logger.debug("drained %d events of a cancelled response", dropped)
        return ws

    def _lost(self, ws: Link) -> None:
        """The peer closed or dropped ``ws``: forget it (its responses are gone too)."""
        if self._ws is ws:
            self._ws = None
            self._state.forget_connection()

    async def _connection_ended(self, ws: Link) -> None:
        """The server takes no more requests on ``ws``'s connection: let go of it."""
        await self._discard(ws)

    async def _discard(self, ws: Link) -> None:
        """Close ``ws`` ourselves, without waiting longer than ``send_timeout``."""
        assert isinstance(ws, Connection)  # what ``_open`` makes
        busy = self._ws is ws and self._state.in_flight
        self._lost(ws)
        if busy:
            # The server is still sending a response nobody will read; its answer to a
            # close frame would queue behind it, and behind a paused reader (max_queue
            # frames unread) it never arrives. Cut the connection instead.
            ws.transport.abort()
            # The socket closes in a callback of the next loop iteration: wait for it, so
            # the connection is gone when this returns.
            with anyio.CancelScope(shield=True), anyio.move_on_after(self._send_timeout):
                await ws.wait_closed()
            return
        with anyio.CancelScope(shield=True), anyio.move_on_after(self._send_timeout) as limit:
            await ws.close()
        if limit.cancelled_caught:
            ws.transport.abort()

    async def aclose(self) -> None:
        """Stop a stream in flight and close the connection; idempotent."""
        self._closed = True
        ws = self._ws
        if ws is not None and ws.loop is not asyncio.get_running_loop():
            # Its loop has ended (or is another thread's): nothing can be sent on it from
            # here, and its socket went with that loop.
            self._lost(ws)
            return
        self._stop = True
        self._interrupt()
        if ws is not None:
            await self._discard(ws)


def _steering(ws: Link) -> list[str] | None:
    """A lane's list of the response ids it steered (``_lanes._Lane.steering``), if any."""
    steering = getattr(ws, "steering", None)
    return steering if isinstance(steering, list) else None


_TURN_GRACE = 4 * 60.0
"""Seconds past ``max_connection_age`` (55 min) a turn may go on (the server's limit: 60)."""


def _asks_for_tools(event: ServerEvent | UnknownEvent) -> bool:
    """Whether a response's last event leaves tool outputs owed: its turn goes on."""
    return isinstance(event, ResponseCompletedEvent) and any(
        item.type == "function_call" for item in event.response.output
    )


def _text(frame: Mapping[str, Any]) -> str:
    """A client frame's JSON text; all ASCII, so its length is its size in bytes.

    Sent as ``str``, which every supported ``websockets`` sends as a text frame (bytes
    would need ``send(..., text=True)``, which only websockets 14 and later take).
    """
    return json.dumps(frame, separators=(",", ":"))
