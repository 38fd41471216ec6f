"""The one seam between the turn loop and the network: the public ``Transport`` protocol.

A transport sends one response request at a time and yields the server's events for it,
already parsed. It owns connection life (connect, reconnect, close) and how a response in
flight is cancelled; it knows nothing of conversations, tools or retries. It says what its
wire allows (``supports_previous_response``, ``epoch``) and the conversation plans by it.
The built-in ones are in ``responses_client.transports``; any object with these members
works, the way httpx takes any ``AsyncBaseTransport``.

Contract for ``stream(body)``:

- ``body`` is the request body without transport keys (no ``stream``, no ``type``): the
  transport adds what its wire needs.
- It yields every event of the response, the terminal one included
  (``response.completed`` / ``response.failed`` / ``response.incomplete``, or an ``error``
  event), then stops. Nothing of the next response is ever read.
- It makes **one attempt**: it raises ``APIStatusError`` (with the response ``headers``) for
  HTTP error answers, ``APIConnectionError`` / ``ConnectionClosed`` when the connection
  fails or drops, and ``RemoteProtocolError`` for malformed data, and never sends the
  request again itself: that is the turn machine's decision, so ``max_retries`` counts
  every attempt. After any of these the transport is still usable: the next ``stream()``
  reconnects if it must (and ``epoch`` then changes).
- Closing the iterator before the terminal event (``aclose()``, ``break`` then ``aclose()``,
  task cancellation) cancels the response on the server. ``cancel()`` does the same from
  another task and makes the iterator stop promptly. Either way, the transport makes sure no
  event of the cancelled response reaches a later ``stream()``.

A transport whose wire can steer a running response (the Responses WebSocket) is also
``Steerable``. Its ``stream()`` then yields the steer answers in order, and does not stop
at the terminal event of a response while a steer it sent may still bring a successor:
the successor's events follow on the same stream, up to its own end (and a ``cancel()``
meanwhile cancels the successor). It also takes a body with ``generate: false`` (a
warm-up: the request's state is prepared, nothing is generated).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, Callable, Coroutine, Mapping
from typing import Any, Protocol, runtime_checkable

from ..events import ServerEvent, UnknownEvent

__all__ = ["Steerable", "Transport", "close_soon"]


class Transport(Protocol):
    """What the conversation needs from a way of reaching the server."""

    @property
    def name(self) -> str:
        """A short name for logs and stats: ``"sse"`` or ``"websocket"``."""
        ...

    def supports_previous_response(self, *, store: bool) -> bool:
        """Whether a request may continue an earlier response with ``previous_response_id``.

        The conversation asks before every request. The WebSocket transport answers True:
        its server keeps a connection-local cache of the responses it produced. Over HTTP
        only stored responses can be referred to, so the SSE transport answers ``store``.
        A wire without the parameter answers False, and every request carries the whole
        history.
        """
        ...

    @property
    def holds_connection(self) -> bool:
        """Whether ``aclose()`` would close something now (an open socket, a read).

        A conversation dropped while this is True warns ``ResourceWarning``, like an
        unclosed file.
        """
        ...

    @property
    def epoch(self) -> int:
        """A number that changes whenever the server may have forgotten earlier responses.

        The WebSocket transport bumps it on every new connection; a response remembered in an
        older epoch must not be referred to.
        """
        ...

    @property
    def bytes_sent(self) -> int:
        """Bytes of request bodies written so far (for stats and benchmarks)."""
        ...

    def stream(self, body: Mapping[str, Any]) -> AsyncGenerator[ServerEvent | UnknownEvent, None]:
        """Send one response request and yield its events; see the module docstring."""
        ...

    async def cancel(self) -> None:
        """Cancel the response in flight, if any; idempotent, safe from another task."""
        ...

    async def aclose(self) -> None:
        """Close connections for good; idempotent."""
        ...


@runtime_checkable
class Steerable(Protocol):
    """What a transport adds when its wire can steer a response in flight (see above)."""

    async def steer(self, input: list[dict[str, Any]]) -> bool:
        """Send ``response.steer`` with ``input`` (user messages, as wire dicts).

        It names the response in flight, or waits for its id; safe from another task.

        Returns:
            Whether it was sent (or will be): False when no response is in flight, or it
            is being cancelled. The answer comes in the stream, not here.
        """
        ...


# Closes started by ``close_soon``, kept until done (a task nobody references may be
# collected before it runs).
_closing: set[Any] = set()


def close_soon(close: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``close()`` on the running event loop without waiting; nothing without one.

    For what nobody will await: a conversation dropped unclosed (its ``__del__`` closes
    its transport), a shared connection whose last lane left (``_lanes``).
    """
    # asyncio is not imported at import time (it costs about 25 ms); a running loop
    # implies it was imported by someone.
    running = sys.modules.get("asyncio")
    try:
        loop = running.get_running_loop() if running is not None else None
    except RuntimeError:
        loop = None
    if loop is None:
        return  # no loop to close it on: the process is ending
    task = loop.create_task(close())
    _closing.add(task)
    task.add_done_callback(_closing.discard)
