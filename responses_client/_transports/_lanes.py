"""Many conversations on one WebSocket: each on a lane (``stream_id``) of a shared connection.

The Responses API's WebSocket mode runs the requests of a connection in lanes: a
``response.create`` may carry a ``stream_id``; the requests of one lane run first in,
first out, lanes run side by side, and every event of a named lane echoes its id. A
:class:`ConnectionPool` opens connections as its conversations need them and gives each
conversation a lane of its own. The conversation's transport (:class:`LaneTransport`) is
the WebSocket transport reading and writing through its lane instead of a connection of
its own: the same framing, cancel, drain, timeouts and planner. What differs:

- **Routing.** A shared connection hands each message to the lane whose ``stream_id`` it
  echoes. A message without one goes to the lane whose response it names: a steer answer
  by its ``steer.previous_response_id``, an ``error`` answering a ``response.cancel`` by
  the id in its message, else the lane still owed an answer to a cancel. A frame that is
  not JSON belongs to no lane anyone can tell: every lane with a response in flight gets
  it (and fails that response with ``RemoteProtocolError``, to be retried).
- **Limits.** At most ``lanes_per_connection`` lanes on a connection over its life (the
  server takes at most 32 distinct named ids per connection); the id of a lane whose
  conversation let go of it is reused; another connection opens when every one is full.
  The server runs at most 16 responses of a connection at a time and queues the rest, so
  the default of 16 lanes per connection never makes one conversation wait for another's.
- **Age.** A connection older than ``max_connection_age`` takes no new lane. Each of its
  lanes moves to another connection at its next turn boundary (the turn's first request
  then carries the full context: the new connection knows no earlier response), and the
  old connection closes when its last lane has left.
- **Faults.** A dropped connection ends the stream of every lane in flight with
  ``ConnectionClosed``; each conversation's turn retries with the full context on another
  connection, its history exactly once. A lane abandoned while its response still streams
  (a drain or a read that timed out, a response the server never ends) is retired, not
  the connection: its id is never used again, whatever still comes for it is dropped, and
  its conversation goes on in a new lane. A response the server never ends still holds
  one of the connection's running places, so the connection takes no new lane and its
  other lanes move at their next turn boundary, as for age; no turn in flight is
  disturbed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
from pydantic_core import from_json
from websockets.protocol import State

from .._cancel import CancelState
from .._config import Config
from .._exceptions import InputError, ResponsesError
from .._request_size import WEBSOCKET_RECEIVE_LIMIT, WEBSOCKET_REQUEST_LIMIT
from ._ws import Connection, Inbox, connect, wire_logger
from .base import close_soon
from .websocket import Link, WebSocketTransport

__all__ = ["ConnectionPool", "LaneTransport"]

logger = logging.getLogger("responses_client.websocket")

MAX_LANES = 32
"""The server's limit of distinct named ``stream_id`` values on one connection."""
MAX_ACTIVE = 16
"""Responses the server runs at once on one connection (it queues the others)."""
_ID_ROOM = 300
"""Bytes a ``stream_id`` adds to a frame, at most (``,"stream_id":"…"`` of 256 chars)."""


class _SharedConnection(Connection):
    """A connection whose messages go to its lanes (``_Socket.route``), not to one reader."""

    __slots__ = ("socket",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.socket: _Socket | None = None
        """Set once the handshake succeeded; nothing is delivered before."""

    def _deliver(self, message: bytes) -> None:
        assert self.socket is not None  # data frames come only after the handshake
        self.socket.route(message)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.socket is not None:  # None: the handshake failed
            self.socket.lost()


class _Messages(list[bytes]):
    """A lane's queue of messages: a list, popped from the front.

    Speed trick, guarded by bench/scale.py (memory per idle conversation on lanes): an
    empty deque holds a 64-slot block (over 600 bytes), an empty list about 56 bytes, and
    most lanes are idle. A lane holds at most ``max_queue`` messages before its
    connection pauses, so taking from the front of a list stays cheap.
    """

    __slots__ = ()

    def popleft(self) -> bytes:
        return self.pop(0)


class _Lane(Inbox):
    """One conversation's lane of a shared connection: its own queue of messages."""

    __slots__ = ("loop", "socket", "stream_id", "cancel_state", "steering")

    def __init__(self, socket: _Socket, stream_id: str, cancel_state: CancelState) -> None:
        self.reset_inbox(socket.connection.high_water, _Messages())
        self.loop = socket.connection.loop
        self.socket = socket
        self.stream_id = stream_id
        self.cancel_state = cancel_state
        """The lane's transport's response in flight (which frames without an id are its)."""
        # A list, not a set: it is nearly always empty (56 bytes, a set 216), and every
        # lane holds one while it idles (bench/scale.py measures memory per conversation).
        self.steering: list[str] = []
        """Ids of the responses this lane sent ``response.steer`` for (few, distinct)."""

    @property
    def state(self) -> State:
        """The connection's state while the lane is on it; ``CLOSED`` once it left."""
        if self.socket.lanes.get(self.stream_id) is not self:
            return State.CLOSED
        return self.socket.connection.protocol.state

    async def send(self, message: str) -> None:
        await self.socket.connection.send(message)

    def owns(self, response_id: str) -> bool:
        """Whether a frame naming ``response_id`` (and no ``stream_id``) is this lane's."""
        state = self.cancel_state
        return (
            response_id == state.response_id
            or response_id in state.late_replies
            or response_id in self.steering
        )

    def _pause_reading(self) -> None:
        self.socket.pause()

    def _resume_reading(self) -> None:
        self.socket.resume()

    def _closed_error(self) -> BaseException | None:
        protocol = self.socket.connection.protocol
        return protocol.close_exc if protocol.state is State.CLOSED else None


class _Socket:
    """One shared connection, its lanes by ``stream_id``, and the ids it has used."""

    def __init__(
        self, pool: ConnectionPool, connection: _SharedConnection, opened: float, limit: int
    ) -> None:
        self.pool = pool
        self.connection = connection
        self.opened = opened
        self.limit = limit
        self.lanes: dict[str, _Lane] = {}
        self.free_ids: list[str] = []
        """Ids used before whose lanes were let go of cleanly: the server lane is idle."""
        self.used = 0
        """Distinct ids used on this connection so far (the server counts them)."""
        self.retiring = False
        """Set when the connection must take no new request (too old, or the server said)."""
        self._paused = 0

    @property
    def open(self) -> bool:
        return self.connection.protocol.state is State.OPEN

    def has_room(self, now: float, max_age: float) -> bool:
        if self.retiring or not self.open:
            return False
        if now - self.opened >= max_age:
            self.retiring = True
            return False
        return bool(self.free_ids) or self.used < self.limit

    def add_lane(self, cancel_state: CancelState) -> _Lane:
        if self.free_ids:
            stream_id = self.free_ids.pop()
        else:
            self.used += 1
            stream_id = f"lane-{self.used}"
        lane = self.lanes[stream_id] = _Lane(self, stream_id, cancel_state)
        return lane

    def remove_lane(self, lane: _Lane, *, retire: bool) -> None:
        """Let go of ``lane``; ``retire``: its server lane may still be busy, never reuse it."""
        if self.lanes.get(lane.stream_id) is not lane:
            return
        del self.lanes[lane.stream_id]
        if lane.reading_paused:
            lane.reading_paused = False
            self.resume()
        lane.wake_closed()
        if retire:
            # Its response may never end: the server keeps it among the connection's
            # running ones. Take no new lane here; the others move at their next turn.
            self.retiring = True
        else:
            self.free_ids.append(lane.stream_id)
        if not self.lanes and (self.retiring or not self.open):
            self.pool._forget(self)

    # -- what the connection reads ------------------------------------------------------

    def route(self, message: bytes) -> None:
        """Hand one message to its lane (see the module docstring)."""
        try:
            # No string cache: ids and text rarely repeat, and pydantic-core's cache is
            # process-wide (bench/scale.py measures memory per idle conversation).
            frame = from_json(message, cache_strings=False)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            logger.warning("a frame that is not a JSON object on a shared connection")
            for waiting in self.lanes.values():
                if waiting.cancel_state.in_flight:
                    waiting.put(message)
            return
        stream_id = frame.get("stream_id")
        lane = self.lanes.get(stream_id) if isinstance(stream_id, str) else self._owner(frame)
        if lane is None:
            logger.debug("dropped a %s no lane is waiting for", frame.get("type"))
            return
        lane.put(message)

    def _owner(self, frame: dict[str, Any]) -> _Lane | None:
        """The lane a frame without ``stream_id`` is meant for, if any can be told."""
        for response_id in _named_ids(frame):
            for lane in self.lanes.values():
                if lane.owns(response_id):
                    return lane
        if frame.get("type") == "error":
            # An answer to a response.cancel that names nothing: the oldest lane owed one.
            for lane in self.lanes.values():
                state = lane.cancel_state
                if state.cancel_sent or state.late_replies:
                    return lane
        return None

    def lost(self) -> None:
        """The connection dropped: every lane's reader wakes and sees it closed."""
        for lane in list(self.lanes.values()):
            lane.wake_closed()
        self.pool._forget(self)

    def pause(self) -> None:
        self._paused += 1
        if self._paused == 1:
            self.connection.transport.pause_reading()

    def resume(self) -> None:
        self._paused -= 1
        if self._paused == 0 and self.open:
            self.connection.transport.resume_reading()


def _named_ids(frame: dict[str, Any]) -> Iterator[str]:
    """Response ids a frame without ``stream_id`` names: a steer's, or an error's message."""
    steer = frame.get("steer")
    if isinstance(steer, dict):
        named = steer.get("previous_response_id")
        if isinstance(named, str):
            yield named
    error = frame.get("error")
    message = error.get("message") if isinstance(error, dict) else frame.get("message")
    if isinstance(message, str):
        yield from (word.strip("'\".,()") for word in message.split() if "resp" in word)


class ConnectionPool:
    """WebSocket connections shared by many conversations, each on a lane of its own.

    Make one with ``client.connection()`` and pass it to ``client.conversation(...,
    connection=pool)``; every conversation made so gets a lane of a shared connection, its
    own planner and its own cancel state. The pool opens a connection when every open one
    is full, so 1,000 conversations need about 1,000 / ``lanes_per_connection`` sockets
    instead of 1,000. Close it (``aclose()``, ``async with``, or by closing its client)
    when its conversations are done.
    """

    def __init__(
        self,
        config: Config,
        *,
        lanes_per_connection: int = MAX_ACTIVE,
        open_timeout: float = 10.0,
        read_timeout: float | None = None,
        drain_timeout: float = 5.0,
        send_timeout: float = 5.0,
        max_connection_age: float = 55 * 60.0,
        max_queue: int = 64,
        max_size: int = WEBSOCKET_RECEIVE_LIMIT,
        ping_interval: float | None = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create the pool; nothing connects until a conversation's first turn.

        Args:
            config: Where to connect and the handshake headers (``client.config``).
            lanes_per_connection: Lanes (conversations) per connection, 1 to 32 (the
                server's limit of named ids per connection). Above 16, the server queues
                the responses beyond its 16 running ones on a connection.
            open_timeout: Seconds for each connection's handshakes.
            read_timeout: Seconds the server may stay silent while a lane's response
                streams (then that lane is retired and its turn retried); ``None`` waits.
            drain_timeout: Seconds a cancelled response of a lane may take to end before
                the lane is retired instead.
            send_timeout: Seconds a ``response.cancel`` or close may take.
            max_connection_age: Seconds after which a connection takes no new request:
                its lanes move to a new one at their next turn (the server ends
                connections at 60 minutes).
            max_queue: Messages each lane buffers unread before the connection stops
                reading (a lane nobody reads holds up its connection's other lanes).
            max_size: Largest frame accepted, in bytes.
            ping_interval: Seconds between keepalive pings; ``None`` turns them off.
            clock: Monotonic seconds, for the connections' age.
        """
        if not 1 <= lanes_per_connection <= MAX_LANES:
            raise InputError(f"lanes_per_connection must be between 1 and {MAX_LANES}")
        self._config = config
        self._limit = lanes_per_connection
        self._open_timeout = open_timeout
        self._lane_options: dict[str, Any] = {
            "read_timeout": read_timeout,
            "drain_timeout": drain_timeout,
            "send_timeout": send_timeout,
            "max_connection_age": max_connection_age,
            "max_queue": max_queue,
            "max_size": max_size,
            "ping_interval": ping_interval,
            "clock": clock,
        }
        self._max_age = max_connection_age
        self._clock = clock
        self._sockets: list[_Socket] = []
        self._lock = anyio.Lock()
        self._closed = False
        self.connects = 0
        """Connections opened so far."""
        secrets = tuple(s for s in (config.api_key,) if s)
        self._wire_logger = wire_logger(secrets)

    def __repr__(self) -> str:
        url = self._config.responses_websocket_url
        return f"ConnectionPool(url={url!r}, connections={len(self._sockets)}, lanes={self.lanes})"

    @property
    def connections(self) -> int:
        """Connections open now."""
        return len(self._sockets)

    @property
    def lanes(self) -> int:
        """Lanes held now, over every connection."""
        return sum(len(socket.lanes) for socket in self._sockets)

    def transport(self) -> LaneTransport:
        """A transport on a lane of this pool, for one conversation."""
        if self._closed:
            raise ResponsesError("the connection pool is closed")
        return LaneTransport(self, self._config, **self._lane_options)

    async def _attach(self, cancel_state: CancelState) -> _Lane:
        if self._closed:
            raise ResponsesError("the connection pool is closed")
        async with self._lock:
            now = self._clock()
            for socket in self._sockets:
                if socket.has_room(now, self._max_age):
                    return socket.add_lane(cancel_state)
            socket = await self._open()
            return socket.add_lane(cancel_state)

    async def _open(self) -> _Socket:
        connection = await connect(
            self._config.responses_websocket_url,
            headers=self._config.headers(),
            logger=self._wire_logger,
            open_timeout=self._open_timeout,
            close_timeout=self._lane_options["send_timeout"],
            ping_interval=self._lane_options["ping_interval"],
            max_queue=self._lane_options["max_queue"],
            max_size=self._lane_options["max_size"],
            connection_class=_SharedConnection,
        )
        assert isinstance(connection, _SharedConnection)
        socket = _Socket(self, connection, self._clock(), self._limit)
        connection.socket = socket
        self._sockets.append(socket)
        self.connects += 1
        logger.debug("opened shared connection %d", self.connects)
        return socket

    def _forget(self, socket: _Socket) -> None:
        if socket in self._sockets:
            self._sockets.remove(socket)
        if socket.open:
            # Its last lane left a connection that takes no more requests: close it (with
            # the closing handshake) in a task of its own; nobody waits for it.
            close_soon(socket.connection.close)

    async def aclose(self) -> None:
        """Close every connection; the pool's conversations cannot run turns after this."""
        self._closed = True
        sockets, self._sockets = self._sockets, []
        for socket in sockets:
            with (
                anyio.CancelScope(shield=True),
                anyio.move_on_after(self._lane_options["send_timeout"]) as limit,
            ):
                await socket.connection.close()
            if limit.cancelled_caught:
                socket.connection.transport.abort()

    async def __aenter__(self) -> ConnectionPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class LaneTransport(WebSocketTransport):
    """The WebSocket transport of one conversation of a :class:`ConnectionPool`.

    Made by ``pool.transport()`` (``client.conversation(connection=pool)`` does it). It
    behaves as ``WebSocketTransport`` does, through a lane of a shared connection: see the
    module docstring for what differs.
    """

    max_request_bytes = WEBSOCKET_REQUEST_LIMIT - _ID_ROOM
    """The server's frame limit, less room for the ``stream_id`` each frame carries."""

    def __init__(self, pool: ConnectionPool, config: Config, **options: Any) -> None:
        super().__init__(config, **options)
        self._pool = pool

    def __repr__(self) -> str:
        lane = self._ws.stream_id if isinstance(self._ws, _Lane) else None
        return f"LaneTransport(lane={lane!r}, epoch={self._epoch})"

    def _addressed(self, ws: Link, frame: dict[str, Any]) -> dict[str, Any]:
        assert isinstance(ws, _Lane)
        frame["stream_id"] = ws.stream_id
        return frame

    def _usable(self, ws: Link | None) -> bool:
        if not isinstance(ws, _Lane) or ws.state is not State.OPEN:
            return False
        # A connection taking no new lane still carries the tool rounds of a turn on it.
        return (self._mid_turn or not ws.socket.retiring) and self._young(ws.socket.opened)

    async def _open(self) -> Link:
        return await self._pool._attach(self._state)

    async def _connection_ended(self, ws: Link) -> None:
        assert isinstance(ws, _Lane)
        ws.socket.retiring = True
        await self._discard(ws)

    async def _discard(self, ws: Link) -> None:
        assert isinstance(ws, _Lane)
        busy = self._ws is ws and self._state.in_flight
        self._lost(ws)
        ws.socket.remove_lane(ws, retire=busy)

    async def aclose(self) -> None:
        ws = self._ws
        if (
            isinstance(ws, _Lane)
            and ws.loop is asyncio.get_running_loop()
            and self._state.in_flight
        ):
            response_id = self._state.cancel()
            if response_id is not None:
                await self._send_cancel(ws, response_id)
        await super().aclose()
