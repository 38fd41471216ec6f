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
from typing import Any

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
from ..events import ENDING_TYPES, ServerEvent, UnknownEvent, parse_event

__all__ = ["SSETransport"]

logger = logging.getLogger("responses_client.sse")

_DONE = b"[DONE]"
"""The data some OpenAI-compatible servers send after the last event (after a terminal
event the stream has already ended, so a ``[DONE]`` read means one never came)."""

_COMMON_EVENT = "response.output_text.delta"
"""The event most messages carry; the decoder cuts runs of them out in one pass."""

_YIELD_EVERY = 64
"""Events after which the stream lets other tasks run, even when more bytes are buffered."""


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
        self._interrupt: Callable[[], object] | None = None
        """Ends a read of the body in progress, from another task (see ``_body``)."""
        self._cancelled = False
        self.bytes_sent = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self._url!r})"

    async def stream(
        self, body: Mapping[str, Any]
    ) -> AsyncGenerator[ServerEvent | UnknownEvent, None]:
        """Send the request and yield its events (see ``Transport.stream``)."""
        payload = json.dumps({**body, "stream": True}, separators=(",", ":")).encode()
        async with self._exchange(payload) as chunks:
            if chunks is None:
                return
            decoder = SSEDecoder(common_event=_COMMON_EVENT)
            unyielded = 0
            chunk: bytes | None = None
            data: bytes | None = None
            event: ServerEvent | UnknownEvent | None = None
            while True:
                try:
                    chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    chunk = None
                if self._cancelled:
                    return
                for data in decoder.feed(chunk) if chunk is not None else decoder.flush():
                    try:
                        event = parse_event(data)
                    except RemoteProtocolError:
                        if data == _DONE:  # not JSON: rare enough for the failure path
                            # Before any terminal event: the response was cut short, the
                            # way a dropped connection cuts it (and is retried).
                            raise APIConnectionError(
                                "the event stream said [DONE] before the response ended"
                            ) from None
                        raise
                    yield event
                    if event.type in ENDING_TYPES or self._cancelled:
                        return
                    unyielded += 1
                    if unyielded == _YIELD_EVERY:
                        # Reads of buffered bytes do not suspend: without this, a fast
                        # server could keep every other task waiting for a whole read.
                        unyielded = 0
                        await anyio.lowlevel.checkpoint()
                if chunk is None:
                    raise RemoteProtocolError(
                        "the event stream ended before the response did (no "
                        "response.completed, response.failed, response.incomplete or error)"
                    )
                # Nothing of this chunk lives on while the next read waits: a conversation
                # waiting on the server would keep it (a chunk is up to 64 KiB, and the
                # last event may be a response.created holding the whole response).
                chunk = data = event = None

    @contextlib.asynccontextmanager
    async def _exchange(self, payload: bytes) -> AsyncIterator[AsyncIterator[bytes] | None]:
        """POST ``payload`` and hold its event stream open; yields the body's chunks.

        Yields ``None`` when ``cancel()`` ran while the request was in flight. Reading the
        chunks inside the block raises httpx's errors, which leave it as ours
        (``APITimeoutError``, ``APIConnectionError``; nothing after a cancel, whose closing
        makes the read in progress fail: see ``_body``). The response is closed on the
        way out. Every transport that speaks SSE over this pump uses it (``ChatTransport``
        too), each with a read loop of its own.
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
        chunks = self._body(response)
        try:
            content_type = response.headers.get("content-type", "")
            if not content_type.startswith("text/event-stream"):
                raise RemoteProtocolError(
                    "expected an event stream (text/event-stream) but the server answered "
                    f"HTTP {response.status_code} with content type {content_type or 'none'!r}",
                    data=await response.aread(),
                )
            yield chunks
        except httpx.TimeoutException as exc:
            if not self._cancelled:
                raise APITimeoutError("timed out reading the event stream") from exc
        except (httpx.TransportError, httpx.StreamError) as exc:
            if not self._cancelled:
                raise APIConnectionError(f"the event stream broke: {_describe(exc)}") from exc
        finally:
            self._response = self._interrupt = None
            await _aclose(chunks)
            await response.aclose()

    def _body(self, response: httpx.Response) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive, read so that ``cancel()`` can end a read.

        Servers flush each event as a chunk of its own, so whatever is done per read is
        done per event; this keeps that to httpx's own work. Guarded by
        bench/sse_throughput.py (one chunk per event). It preserves:

        * ``cancel()`` from another task ending a read that waits for the server. Over
          HTTP/1.1 the connection carries this response alone, and a cancel closes it
          anyway: ``cancel()`` shuts its socket down and the read fails at once, with no
          cancel scope entered per read. An HTTP/2 connection is shared, and a custom
          transport may have no socket: there each read waits in a cancel scope.
        * the body's bytes. A body from the network without a ``Content-Encoding`` is
          read from ``response.stream``, the raw bytes ``aiter_raw()`` would yield,
          without its generator and bookkeeping around every chunk; any other body
          (coded, or already read by an event hook) through ``aiter_bytes()``.

        The socket comes from httpcore's ``network_stream`` extension and its
        ``get_extra_info("socket")``; that, ``Response.stream`` and
        ``Response.is_stream_consumed`` are not in the httpx and httpcore documentation,
        so tests/transports/test_sse.py pins them on every supported httpx.
        """
        network = response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        # A socket.socket, or asyncio's TransportSocket wrapper, which lets shutdown through.
        shutdown = getattr(sock, "shutdown", None)
        if response.http_version != "HTTP/1.1" or not callable(shutdown):
            return self._scoped_reads(response.aiter_bytes())

        def interrupt() -> None:
            with contextlib.suppress(OSError):  # already closed
                shutdown(socket.SHUT_RDWR)

        self._interrupt = interrupt
        raw = response.stream
        if (
            response.is_stream_consumed
            or "content-encoding" in response.headers
            or not isinstance(raw, httpx.AsyncByteStream)
        ):
            return response.aiter_bytes()
        return raw.__aiter__()

    async def _scoped_reads(self, chunks: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
        """``chunks``, each read waiting in a cancel scope that ``cancel()`` cancels."""
        try:
            while True:
                with anyio.CancelScope() as scope:
                    self._interrupt = scope.cancel
                    try:
                        chunk = await chunks.__anext__()
                    except StopAsyncIteration:
                        return
                    finally:
                        self._interrupt = None
                if scope.cancel_called:
                    return
                yield chunk
        finally:
            await _aclose(chunks)

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
        if self._interrupt is not None:
            self._interrupt()

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


async def _aclose(chunks: AsyncIterator[bytes]) -> None:
    """Close a body iterator now rather than when the event loop finalises it."""
    close = getattr(chunks, "aclose", None)
    if close is not None:
        await close()


def _describe(exc: Exception) -> str:
    """A short description of an httpx error (its text never holds headers)."""
    return str(exc) or type(exc).__name__
