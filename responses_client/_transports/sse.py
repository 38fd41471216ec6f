"""Server-sent events over HTTP: ``POST {base_url}/responses`` with ``"stream": true``.

A thin pump: bytes from httpx go into the pure ``SSEDecoder``; each message's data goes, as
bytes, to ``parse_event``; the events go to the caller. It makes one attempt per
``stream()``: a failure to connect or an HTTP error status is raised as a typed error, and
sending again is the turn machine's decision.

Buffering is bounded by pulling: the socket is read only when the caller asks for the next
event, so a slow consumer holds at most one read chunk and one partial message, and the
server is held back by TCP. The stream yields to the event loop every ``_YIELD_EVERY``
events so a fast server cannot starve other tasks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import Any, Literal

import anyio
import anyio.lowlevel
import httpx

from .._config import Config
from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    RemoteProtocolError,
    status_error,
)
from .._sse import SSEDecoder
from ..events import TERMINAL_TYPES, ServerEvent, UnknownEvent, parse_event

__all__ = ["SSETransport"]

logger = logging.getLogger("responses_client.sse")

_DONE = b"[DONE]"
"""The data some OpenAI-compatible servers send after the last event."""

_COMMON_EVENT = "response.output_text.delta"
"""The event most messages carry; the decoder cuts runs of them out in one pass."""

_LAST_TYPES = TERMINAL_TYPES | {"error"}
"""After an event of these types the response sends nothing more."""

_YIELD_EVERY = 64
"""Events after which the stream lets other tasks run, even when more bytes are buffered."""


class _ShutdownOnCancel:
    """Ends a read in progress by shutting its socket down; costs nothing per read.

    An anyio cancel scope around each read costs 4–12 µs, and a server flushes each event
    as a chunk of its own, so each event would pay it. Over HTTP/1.1 a cancel closes the
    connection anyway: shutting the socket down wakes the read with an error that ``_read``
    turns into the end of the stream.
    """

    __slots__ = ("_shutdown",)

    def __init__(self, shutdown: Callable[[int], object]) -> None:
        self._shutdown = shutdown

    def __enter__(self) -> _ShutdownOnCancel:
        return self

    def __exit__(self, *exc_info: object) -> Literal[False]:
        return False  # errors go on to ``_read``'s handlers

    def cancel(self) -> None:
        with contextlib.suppress(OSError):  # already closed
            self._shutdown(socket.SHUT_RDWR)


def _interrupter(response: httpx.Response) -> _ShutdownOnCancel | None:
    """How to end a read of this response from another task without a scope per read.

    Only for HTTP/1.1, where the connection carries this response alone; an HTTP/2
    connection is shared, and a custom transport may have no socket at all.
    """
    if response.http_version != "HTTP/1.1":
        return None
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    # A socket.socket, or asyncio's TransportSocket wrapper, which lets shutdown through.
    shutdown = getattr(sock, "shutdown", None)
    return _ShutdownOnCancel(shutdown) if callable(shutdown) else None


class SSETransport:
    """One HTTP request per response, sharing the client's connection pool.

    Over HTTP the server can refer to earlier responses only when they were stored
    (``store=true``), and ``epoch`` never changes.
    """

    name = "sse"
    epoch = 0

    def supports_previous_response(self, *, store: bool) -> bool:
        """Only stored responses can be referred to over HTTP."""
        return store

    @property
    def holds_connection(self) -> bool:
        """Whether a response is being read (the connection pool is the client's)."""
        return self._response is not None

    def __init__(self, http: httpx.AsyncClient, config: Config, *, url: str | None = None) -> None:
        """Create the transport.

        Args:
            http: The httpx client to send with (not closed by this transport); a
                ``Client``'s is ``client.http_client``.
            config: Where to send and how to authenticate (``client.config``).
            url: The endpoint to POST to; ``config.responses_url`` when ``None``.
        """
        self._http = http
        self._config = config
        self._url = url or config.responses_url
        self._response: httpx.Response | None = None
        self._interrupter: _ShutdownOnCancel | None = None
        self._read_scope: anyio.CancelScope | _ShutdownOnCancel | None = None
        self._cancelled = False
        self.bytes_sent = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self._url!r})"

    async def stream(
        self, body: Mapping[str, Any]
    ) -> AsyncGenerator[ServerEvent | UnknownEvent, None]:
        """Send the request and yield its events (see ``Transport.stream``)."""
        payload = json.dumps({**body, "stream": True}, separators=(",", ":")).encode()
        async with self._event_stream(payload) as chunks:
            if chunks is None:
                return
            decoder = SSEDecoder(common_event=_COMMON_EVENT)
            unyielded = 0
            feed = decoder.feed_data
            chunk: bytes | None = None
            data: bytes | None = None
            event: ServerEvent | UnknownEvent | None = None
            while True:
                chunk = await self._read(chunks)
                if self._cancelled:
                    return
                for data in feed(chunk) if chunk is not None else decoder.flush_data():
                    try:
                        event = parse_event(data)
                    except RemoteProtocolError:
                        if data == _DONE:  # not JSON: rare enough for the failure path
                            return
                        raise
                    yield event
                    if event.type in _LAST_TYPES:
                        return
                    unyielded += 1
                    if unyielded == _YIELD_EVERY:
                        # Reads of buffered bytes do not suspend: without this, a fast
                        # server could keep every other task waiting for a whole read.
                        unyielded = 0
                        await anyio.lowlevel.checkpoint()
                if chunk is None:
                    raise RemoteProtocolError(
                        "the event stream ended before the response did "
                        "(no response.completed, response.failed, response.incomplete or error)"
                    )
                # Nothing of this chunk lives on while the next read waits: a conversation
                # waiting on the server would keep it (a chunk is up to 64 KiB, and the
                # last event may be a response.created holding the whole response).
                chunk = data = event = None

    @contextlib.asynccontextmanager
    async def _event_stream(self, payload: bytes) -> AsyncIterator[AsyncIterator[bytes] | None]:
        """POST ``payload`` and hold the event stream open: its body's chunks, for ``_read``.

        ``None`` when ``cancel()`` ran while the request was in flight. Shared by the
        transports that speak SSE over this pump (``ChatTransport`` too).
        """
        self._cancelled = False
        response = await self._open(payload)
        if self._cancel_requested():
            # cancel() ran while the request was in flight, before there was a read to
            # stop: close now instead of waiting for events nobody wants.
            await response.aclose()
            yield None
            return
        self._response = response
        self._interrupter = _interrupter(response)
        chunks = response.aiter_bytes()
        try:
            content_type = response.headers.get("content-type", "")
            if not content_type.startswith("text/event-stream"):
                raise RemoteProtocolError(
                    "expected an event stream (text/event-stream) but the server answered "
                    f"HTTP {response.status_code} with content type {content_type or 'none'!r}",
                    data=await response.aread(),
                )
            yield chunks
        finally:
            self._response = self._interrupter = None
            close_chunks = getattr(chunks, "aclose", None)  # an async generator in httpx
            if close_chunks is not None:
                await close_chunks()
            await response.aclose()

    async def _read(self, chunks: AsyncIterator[bytes]) -> bytes | None:
        """The next chunk of the body, or ``None`` at its end or when cancelled.

        ``cancel()`` from another task ends a read that would otherwise wait for the server:
        it shuts the socket down (see ``_ShutdownOnCancel``), or, where there is no socket
        of this response's own, cancels the scope the read waits in.
        """
        with self._interrupter or anyio.CancelScope() as scope:
            self._read_scope = scope
            try:
                return await chunks.__anext__()
            except StopAsyncIteration:
                return None
            except httpx.TimeoutException as exc:
                if self._cancelled:
                    return None
                raise APITimeoutError("timed out reading the event stream") from exc
            except (httpx.TransportError, httpx.StreamError) as exc:
                if self._cancelled:
                    return None
                raise APIConnectionError(f"the event stream broke: {_describe(exc)}") from exc
            finally:
                self._read_scope = None
        return None

    async def _open(self, payload: bytes) -> httpx.Response:
        """POST once; a 2xx answer, else the typed error (sending again is the turn's call)."""
        headers = {
            **self._config.headers(),
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
        }
        request = self._http.build_request("POST", self._url, content=payload, headers=headers)
        self.bytes_sent += len(payload)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            url = self._url
            raise APITimeoutError(f"timed out connecting to {url}") from exc
        except httpx.TransportError as exc:
            url = self._url
            raise APIConnectionError(f"could not reach {url}: {_describe(exc)}") from exc
        if response.status_code >= 400:
            raise await _status_error(response)
        return response

    def _cancel_requested(self) -> bool:
        # A call, not the attribute: type checkers would keep a narrowed value across awaits.
        return self._cancelled

    async def cancel(self) -> None:
        """Stop the response in flight: over HTTP, closing the stream is the cancel.

        A read in progress ends at once; the stream's own iterator then closes the
        response (closing it from here could race the reader).
        """
        self._cancelled = True
        if self._read_scope is not None:
            self._read_scope.cancel()

    async def aclose(self) -> None:
        """Close the stream in flight; the shared httpx client belongs to ``Client``."""
        await self.cancel()
        if self._response is not None:
            await self._response.aclose()


async def _status_error(response: httpx.Response) -> APIStatusError:
    try:
        raw = await response.aread()
    finally:
        await response.aclose()
    body: object
    try:
        body = json.loads(raw)
    except ValueError:
        body = raw.decode("utf-8", "replace")
    return status_error(
        response.status_code,
        body,
        request_id=response.headers.get("x-request-id"),
        headers=response.headers,
    )


def _describe(exc: Exception) -> str:
    """A short description of an httpx error (its text never holds headers)."""
    return str(exc) or type(exc).__name__
