"""WebSocket plumbing that any wire over ``websockets`` needs and none of them decides.

The Responses WebSocket transport is built on it (and the Realtime session will be):

- :func:`connect` opens one connection, once, with the SDK's options, and turns every way
  the opening can fail into the SDK's exception tree;
- :class:`Connection` is ``websockets``' client connection with a bounded message queue of
  its own and a ``receive()`` that another task can interrupt;
- :class:`RedactingLogger` is the logger handed to ``websockets``, which logs handshake
  headers at DEBUG: secret header values, and any value holding a secret, become ``***``;
- :func:`closed_error` maps a closed connection to ``ConnectionClosed`` with its code.

What goes in a message and what a message means is the wire's own business; so are
retries, cancel and the connection's age.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.datastructures import Headers
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import Event, State

from .._exceptions import APIConnectionError, APITimeoutError, ConnectionClosed, status_error

__all__ = [
    "Connection",
    "Inbox",
    "Messages",
    "RedactingLogger",
    "closed_error",
    "connect",
    "wire_logger",
]

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
"""Handshake headers whose values are never logged, whatever they hold."""


if TYPE_CHECKING:
    _Adapter = logging.LoggerAdapter[logging.Logger]
else:
    _Adapter = logging.LoggerAdapter


class RedactingLogger(_Adapter):
    """The logger handed to ``websockets``: secret header values become ``***``.

    ``websockets`` logs each handshake header as ``("> %s: %s", name, value)`` at DEBUG;
    any argument that holds a secret is replaced too, whatever the message.
    """

    def __init__(self, target: logging.Logger, secrets: tuple[str, ...]) -> None:
        super().__init__(target, {})
        self._secrets = secrets

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Log like ``Logger.log``, with secrets among ``args`` replaced by ``***``."""
        if not self.isEnabledFor(level):
            return
        if len(args) == 2 and isinstance(args[0], str) and args[0].lower() in _SECRET_HEADERS:
            args = (args[0], "***")
        elif self._secrets:
            args = tuple(self._clean(arg) for arg in args)
        super().log(level, msg, *args, **kwargs)

    def _clean(self, arg: object) -> object:
        text = arg if isinstance(arg, str) else None
        if text is None and isinstance(arg, bytes | bytearray):
            text = bytes(arg).decode("utf-8", "replace")
        if text is None or not any(secret in text for secret in self._secrets):
            return arg
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


@functools.lru_cache(maxsize=16)
def wire_logger(secrets: tuple[str, ...]) -> RedactingLogger:
    """The logger ``websockets`` gets (``responses_client.wire``), hiding ``secrets``.

    One per set of secrets, shared by every connection that uses them: it holds nothing
    else, and a thousand conversations need not hold a thousand (bench/scale.py).
    """
    return RedactingLogger(logging.getLogger("responses_client.wire"), secrets)


class Messages(Protocol):
    """A first-in, first-out queue of whole messages (``collections.deque`` is one)."""

    def append(self, message: bytes, /) -> None: ...

    def popleft(self) -> bytes: ...

    def __len__(self) -> int: ...


class Inbox:
    """Whole messages waiting for one reader, oldest first, and the reader's wait.

    The bounded queue behind :class:`Connection` (one per connection) and behind each lane
    of a shared connection (``_lanes``). A subclass has a ``loop`` and says how to pause
    and resume the reading that fills it, and when it is closed for good. ``receive()``
    waits for a message, can be ended from another task (``interrupt()``) and can be
    timed; reading pauses while ``high_water`` messages wait unread and resumes when a
    quarter remain.
    """

    __slots__ = (
        "messages",
        "high_water",
        "reading_paused",
        "_reader",
        "_wait_started",
        "_watchdog",
    )

    messages: Messages
    """Whole data messages, oldest first, not yet taken by ``take`` or ``receive``."""
    high_water: int
    """Queued messages at which reading pauses (``connect``'s ``max_queue``)."""
    reading_paused: bool
    """Whether reading is paused because ``high_water`` messages wait."""
    loop: asyncio.AbstractEventLoop
    _reader: asyncio.Future[bool] | None
    _wait_started: float
    _watchdog: asyncio.TimerHandle | None

    def reset_inbox(self, high_water: int, messages: Messages | None = None) -> None:
        self.messages = deque() if messages is None else messages
        self.high_water = high_water
        self.reading_paused = False
        self._reader = None
        self._wait_started = 0.0
        self._watchdog = None

    # What a subclass provides.

    def _pause_reading(self) -> None:
        raise NotImplementedError

    def _resume_reading(self) -> None:
        raise NotImplementedError

    def _closed_error(self) -> BaseException | None:
        """The exception ``receive()`` raises once every message was taken, if closed."""
        raise NotImplementedError

    # The queue.

    def put(self, message: bytes) -> None:
        """Queue one whole message for the reader."""
        messages = self.messages
        messages.append(message)
        if len(messages) >= self.high_water and not self.reading_paused:
            self.reading_paused = True
            self._pause_reading()
        self._wake(False)

    def _wake(self, interrupted: bool) -> None:
        reader = self._reader
        if reader is not None and not reader.done():
            reader.set_result(interrupted)

    def take(self) -> bytes:
        """The oldest queued message; the caller checked that ``messages`` is not empty."""
        message = self.messages.popleft()
        if self.reading_paused and len(self.messages) <= self.high_water // 4:
            self.reading_paused = False
            self._resume_reading()
        return message

    async def receive(self, timeout: float | None = None) -> bytes | None:
        """The next message, waiting for it; ``None`` if ``interrupt()`` ended the wait.

        Args:
            timeout: Seconds one wait for a message may last (``None``: no limit).

        Raises:
            websockets.ConnectionClosed: The connection closed and every message was taken
                (or what the subclass says instead).
            TimeoutError: No message came within ``timeout``.
        """
        while not self.messages:
            error = self._closed_error()
            if error is not None:
                raise error
            reader = self.loop.create_future()
            self._reader = reader
            if timeout is not None:
                self._watch_wait(timeout)
            try:
                if await reader:
                    return None
            finally:
                self._reader = None
        return self.take()

    def _watch_wait(self, timeout: float) -> None:
        """Make the wait that starts now fail after ``timeout`` seconds.

        A timer per wait would cost a ``call_later`` and a cancel for nearly every message
        (the queue is often empty between two); one watchdog instead wakes at most once per
        ``timeout`` and re-arms for the wait in progress (guarded by bench/ws_throughput.py).
        """
        self._wait_started = self.loop.time()
        if self._watchdog is None:
            self._watchdog = self.loop.call_later(timeout, self._watch, timeout)

    def _watch(self, timeout: float) -> None:
        self._watchdog = None
        reader = self._reader
        if reader is None or reader.done():
            return  # nobody waits: the next wait arms it again
        waited = self.loop.time() - self._wait_started
        if waited >= timeout:
            reader.set_exception(TimeoutError(f"no message within {timeout} s"))
        else:
            self._watchdog = self.loop.call_later(timeout - waited, self._watch, timeout)

    def disarm(self) -> None:
        """No timed wait comes soon (a response ended): stop the watchdog if none waits.

        Otherwise an idle reader would keep its timer (a handle, its arguments and a copy
        of the context) scheduled for up to ``timeout`` seconds, for each of the many
        connections or lanes that may idle at once (bench/scale.py measures memory per
        idle conversation). The next timed wait arms it again.
        """
        watchdog = self._watchdog
        if watchdog is not None and self._reader is None:
            watchdog.cancel()
            self._watchdog = None

    def interrupt(self) -> None:
        """End a ``receive()`` waiting now (from another task); queued messages stay."""
        self._wake(True)

    def wake_closed(self) -> None:
        """The source is gone: wake the reader (it sees ``_closed_error``), stop the timer."""
        self._wake(False)
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None


class Connection(Inbox, ClientConnection):
    """``websockets``' client connection with a message queue of its own (an :class:`Inbox`).

    Speed trick, guarded by bench/ws_throughput.py (and bench/ws_latency.py, which times
    ``take``). ``recv()`` hands each message through an assembler and a future-based queue
    built for any number of concurrent readers; a wire has one reader, so data frames skip
    all of that: ``process_event`` appends each message's bytes to a deque and wakes the
    reader if it waits. It preserves what ``recv()`` gives: whole messages in order
    (fragments joined), the closing exception once every message was taken, and a bounded
    buffer: reading the socket pauses while ``high_water`` messages are queued and resumes
    when a quarter remain. Handshake, control frames (ping, pong, close), keepalive, limits
    and the closing handshake stay with ``websockets``.

    A connection shared by lanes hands each message to ``_deliver``'s override instead
    (``_lanes.SharedConnection``).

    It relies on hooks ``websockets`` does not document as public: ``process_event``
    (called with every frame after the handshake), ``connection_lost``, ``protocol.state``
    and ``protocol.close_exc``, and the asyncio ``transport`` it reads from.
    tests/transports/test_ws_plumbing.py pins each of them; run it against every
    supported ``websockets`` version (>= 13) before widening the range.
    """

    # No per-connection ``__dict__`` for these: many connections may stay open at once
    # (bench/scale.py measures memory per idle conversation).
    __slots__ = ("_parts",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reset_inbox(64)
        self._parts: list[bytes] | None = None

    def forget_handshake(self) -> None:
        """Drop the opening handshake's headers, the API key's among them.

        ``websockets`` keeps the request and the response for the connection's life and
        nothing reads them after the handshake. The response stays, without its headers:
        ``process_event`` tells the handshake response from later frames by its presence.
        """
        self.request = None
        if self.response is not None:
            self.response = Response(
                self.response.status_code, self.response.reason_phrase, Headers()
            )

    def process_event(self, event: Event) -> None:
        """Queue data messages; hand anything else (handshake, control) to ``websockets``."""
        if isinstance(event, Frame):
            opcode = event.opcode
            if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
                if event.fin:
                    self._deliver(_as_bytes(event.data))
                else:
                    self._parts = [_as_bytes(event.data)]
                return
            if opcode is Opcode.CONT and self._parts is not None:
                self._parts.append(_as_bytes(event.data))
                if event.fin:
                    self._deliver(b"".join(self._parts))
                    self._parts = None
                return
        super().process_event(event)

    def _deliver(self, message: bytes) -> None:
        self.put(message)

    def _pause_reading(self) -> None:
        self.transport.pause_reading()

    def _resume_reading(self) -> None:
        self.transport.resume_reading()

    def _closed_error(self) -> BaseException | None:
        protocol = self.protocol
        return protocol.close_exc if protocol.state is State.CLOSED else None

    def connection_lost(self, exc: Exception | None) -> None:
        """Let ``websockets`` record the loss, then wake the reader: it sees the state."""
        super().connection_lost(exc)
        self.wake_closed()


def _as_bytes(data: Any) -> bytes:
    # ``Frame.data`` is bytes in websockets 13 and may be a bytearray or memoryview later.
    return data if type(data) is bytes else bytes(data)


async def connect(
    url: str,
    *,
    headers: Mapping[str, str],
    logger: RedactingLogger,
    open_timeout: float,
    close_timeout: float,
    ping_interval: float | None,
    max_queue: int,
    max_size: int,
    connection_class: type[Connection] = Connection,
) -> Connection:
    """Open one connection to ``url`` (one attempt: retrying is the caller's decision).

    Args:
        url: The ``ws://`` or ``wss://`` URL.
        headers: Extra handshake headers (``Authorization`` and the like).
        logger: Where ``websockets`` logs; it sees the handshake headers.
        open_timeout: Seconds for the TCP, TLS and WebSocket handshakes together.
        close_timeout: Seconds the closing handshake may take.
        ping_interval: Seconds between keepalive pings; ``None`` turns them off.
        max_queue: Messages queued unread before reading the socket pauses.
        max_size: Largest message accepted, in bytes (a larger one closes with 1009).
        connection_class: The ``Connection`` (sub)class to make.

    Returns:
        The open connection, its handshake headers already forgotten.

    Raises:
        APIStatusError: The server refused the handshake with an HTTP status (the
            subclass for the status, with the body's message and ``x-request-id``).
        APITimeoutError: The handshakes took longer than ``open_timeout``.
        APIConnectionError: No connection: refused, unreachable, TLS, a handshake that
            is not a WebSocket's, or a URL ``websockets`` does not take.
    """
    try:
        opened = await ws_connect(
            url,
            additional_headers=headers,
            open_timeout=open_timeout,
            close_timeout=close_timeout,
            ping_interval=ping_interval,
            max_queue=max_queue,
            max_size=max_size,
            compression=None,
            logger=logger,
            create_connection=connection_class,
        )
    except websockets.InvalidStatus as exc:
        response = exc.response
        raise status_error(
            response.status_code,
            _body(bytes(response.body)),
            request_id=response.headers.get("x-request-id"),
            headers=dict(response.headers.raw_items()),
        ) from None
    except TimeoutError:
        raise APITimeoutError(f"timed out connecting to {url}") from None
    except (OSError, EOFError, websockets.InvalidHandshake, websockets.InvalidURI) as exc:
        # EOFError: a server that closed before its HTTP answer, as websockets 14 reports
        # it (later versions wrap it in InvalidMessage).
        raise APIConnectionError(f"could not connect to {url}: {exc}") from None
    assert isinstance(opened, connection_class)  # made by create_connection
    opened.high_water = max_queue
    opened.forget_handshake()
    return opened


def closed_error(exc: websockets.ConnectionClosed) -> ConnectionClosed:
    """The SDK's ``ConnectionClosed`` for ``websockets``', with the close code and reason."""
    # The peer's close frame when one came; ours when we closed first (a message above
    # max_size, a protocol violation by the server) and no answer arrived.
    close = exc.rcvd if exc.rcvd is not None else exc.sent
    if close is None:
        return ConnectionClosed("the WebSocket connection dropped without a close frame")
    detail = f"{close.code} {close.reason}".strip()
    who = "" if close is exc.rcvd else " by the client"
    return ConnectionClosed(
        f"the WebSocket connection was closed{who} ({detail})", code=close.code, reason=close.reason
    )


def _body(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
