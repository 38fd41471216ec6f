"""The WebSocket plumbing of ``_ws`` against a real ``websockets`` server on 127.0.0.1.

``_ws.Connection`` keeps a message queue of its own by overriding hooks ``websockets``
does not document as public (``process_event``, ``connection_lost``, ``protocol.state``
and ``protocol.close_exc``, the asyncio transport's ``pause_reading``). These tests pin
each behaviour that relies on them, so that a ``websockets`` release that changes them
fails here: run this file against every supported version (``websockets>=13``) before
widening the range.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus

import anyio
import anyio.lowlevel
import pytest
import websockets
from anyio.abc import SocketStream
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.protocol import State

from responses_client._exceptions import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
)
from responses_client._transports._ws import (
    Connection,
    RedactingLogger,
    closed_error,
    connect,
)

pytestmark = pytest.mark.anyio

Handler = Callable[[ServerConnection], Awaitable[None]]
SECRET = "sk-plumbing-0123456789SECRET"


def _logger() -> RedactingLogger:
    return RedactingLogger(logging.getLogger("responses_client.wire"), (SECRET,))


async def _open(url: str, *, max_queue: int = 64, open_timeout: float = 5.0) -> Connection:
    return await connect(
        url,
        headers={"Authorization": f"Bearer {SECRET}"},
        logger=_logger(),
        open_timeout=open_timeout,
        close_timeout=2.0,
        ping_interval=None,
        max_queue=max_queue,
        max_size=2**20,
    )


@asynccontextmanager
async def connected(handler: Handler, *, max_queue: int = 64) -> AsyncIterator[Connection]:
    """A ``Connection`` to a server that runs ``handler`` on the connection once."""

    async def session(ws: ServerConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await handler(ws)
            await ws.wait_closed()

    async with serve(session, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        conn = await _open(f"ws://127.0.0.1:{port}/", max_queue=max_queue)
        try:
            yield conn
        finally:
            await conn.close()


async def receive(conn: Connection) -> bytes | None:
    """``conn.receive()``, bounded: a broken hook fails the test instead of hanging it."""
    with anyio.fail_after(5):
        return await conn.receive()


async def until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until ``condition()`` holds (bounded: a failure, not a hang)."""
    with anyio.fail_after(5):
        while not condition():
            await anyio.lowlevel.checkpoint()


# -- process_event: every data message arrives whole, in order --------------------------


async def test_fragmented_and_whole_messages_arrive_whole_and_in_order() -> None:
    async def mixed(ws: ServerConnection) -> None:
        await ws.send("one")
        await ws.send(["fr", "ag", "ment", "ed"])  # a text message in four frames
        await ws.send(b"\x00\x01")
        await ws.send([b"bin", b"ary"])  # a binary message in two frames
        await ws.ping(b"mid-stream")  # a control frame: websockets' own business
        await ws.send(json.dumps({"type": "last", "text": "é"}))

    async with connected(mixed) as conn:
        received = [await receive(conn) for _ in range(5)]
        assert received == [
            b"one",
            b"fragmented",
            b"\x00\x01",
            b"binary",
            json.dumps({"type": "last", "text": "é"}).encode(),
        ]
        assert all(type(message) is bytes for message in received)
        assert not conn.messages


async def test_the_handshake_headers_are_forgotten_and_pings_still_answered() -> None:
    pongs: list[float] = []

    async def pinging(ws: ServerConnection) -> None:
        with anyio.fail_after(5):
            pongs.append(await (await ws.ping(b"are-you-there")))
        await ws.send("after the pong")

    async with connected(pinging) as conn:
        assert conn.request is None  # it carried the Authorization header
        assert conn.response is not None
        assert (conn.response.status_code, len(conn.response.headers)) == (101, 0)
        assert await receive(conn) == b"after the pong"
        assert len(pongs) == 1


# -- pause_reading / resume_reading: the queue is bounded ---------------------------------


async def test_reading_pauses_at_high_water_and_resumes_when_a_quarter_remain() -> None:
    total = 200

    async def flood(ws: ServerConnection) -> None:
        for number in range(total):
            await ws.send(f"message {number:03d}")

    async with connected(flood, max_queue=8) as conn:
        assert conn.high_water == 8
        await until(lambda: conn.reading_paused)
        assert not conn.transport.is_reading()
        assert len(conn.messages) >= 8
        received = []
        while len(conn.messages) > 2:
            received.append(conn.take())
            assert conn.reading_paused is (len(conn.messages) > 2)
        assert conn.transport.is_reading()
        while len(received) < total:
            message = await receive(conn)
            assert message is not None
            received.append(message)
        assert received == [f"message {number:03d}".encode() for number in range(total)]


# -- protocol.state, close_exc, connection_lost: a close ends the wait -------------------


async def _raised_while_waiting(
    end: Callable[[ServerConnection], Awaitable[None]],
) -> tuple[list[bytes | None], websockets.ConnectionClosed]:
    """Messages then ``end(ws)`` on the server, once the client waits for more."""
    go = anyio.Event()

    async def ending(ws: ServerConnection) -> None:
        await ws.send("first")
        await ws.send("second")
        await go.wait()
        await end(ws)

    async with connected(ending) as conn:
        received = [await receive(conn), await receive(conn)]
        async with anyio.create_task_group() as group:

            async def release() -> None:
                await anyio.wait_all_tasks_blocked()  # the reader below waits now
                go.set()

            group.start_soon(release)
            with pytest.raises(websockets.ConnectionClosed) as caught:
                await receive(conn)
        assert conn.protocol.state is State.CLOSED
        with pytest.raises(websockets.ConnectionClosed):  # and again, for a later reader
            await receive(conn)
        return received, caught.value


async def test_a_close_while_waiting_raises_after_the_queued_messages() -> None:
    async def close(ws: ServerConnection) -> None:
        await ws.close(1011, "overloaded")

    received, closed = await _raised_while_waiting(close)
    assert received == [b"first", b"second"]
    error = closed_error(closed)
    assert (error.code, error.reason) == (1011, "overloaded")
    assert str(error) == "the WebSocket connection was closed (1011 overloaded)"


async def test_a_dropped_socket_wakes_a_waiting_reader() -> None:
    async def drop(ws: ServerConnection) -> None:
        ws.transport.abort()

    received, closed = await _raised_while_waiting(drop)
    assert received == [b"first", b"second"]
    error = closed_error(closed)
    assert (error.code, str(error)) == (
        None,
        "the WebSocket connection dropped without a close frame",
    )


async def test_interrupt_ends_a_wait_and_keeps_what_arrives_later() -> None:
    go = anyio.Event()

    async def later(ws: ServerConnection) -> None:
        await go.wait()
        await ws.send("after the interrupt")

    async with connected(later) as conn:
        results: list[bytes | None] = []

        async def wait() -> None:
            results.append(await receive(conn))

        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await anyio.wait_all_tasks_blocked()
            conn.interrupt()
        assert results == [None]
        conn.interrupt()  # nobody waits: nothing happens
        go.set()
        assert await receive(conn) == b"after the interrupt"


async def test_disarm_drops_the_read_timer_only_while_nobody_waits() -> None:
    send, done = anyio.Event(), anyio.Event()

    async def on_cue(ws: ServerConnection) -> None:
        await send.wait()
        await ws.send("first")
        await done.wait()

    async with connected(on_cue) as conn:
        try:
            got: list[bytes | None] = []
            failures: list[BaseException] = []

            async def first() -> None:
                got.append(await receive_within(conn, 30.0))

            async def silence() -> None:
                try:
                    await receive_within(conn, 0.05)
                except TimeoutError as exc:
                    failures.append(exc)

            async with anyio.create_task_group() as group:
                group.start_soon(first)
                await anyio.wait_all_tasks_blocked()
                send.set()
            assert got == [b"first"]
            assert conn._watchdog is not None  # the timed wait armed it; it stays for the next
            conn.disarm()
            assert conn._watchdog is None  # an idle reader holds no timer
            async with anyio.create_task_group() as group:
                group.start_soon(silence)
                await anyio.wait_all_tasks_blocked()
                conn.disarm()  # a wait in progress keeps its timer
            assert len(failures) == 1  # the next timed wait armed it again, and it fired
        finally:
            done.set()


async def receive_within(conn: Connection, timeout: float) -> bytes | None:
    """``conn.receive(timeout)``, bounded from outside too."""
    with anyio.fail_after(5):
        return await conn.receive(timeout)


# -- connect: one attempt, failures in the SDK's exception tree --------------------------


def _refusing(status: HTTPStatus, body: str) -> Callable[[ServerConnection, Request], Response]:
    def process_request(connection: ServerConnection, _request: Request) -> Response:
        response = connection.respond(status, body)
        response.headers["x-request-id"] = "req_plumbing"
        return response

    return process_request


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (
            HTTPStatus.TOO_MANY_REQUESTS,
            json.dumps({"error": {"message": "Slow down.", "code": "rate_limit_exceeded"}}),
            RateLimitError,
            "HTTP 429: Slow down.",
        ),
        (HTTPStatus.BAD_GATEWAY, "upstream is down\n", InternalServerError, "HTTP 502"),
    ],
)
async def test_a_refused_handshake_is_the_status_error(
    status: HTTPStatus, body: str, kind: type[Exception], message: str
) -> None:
    async def never(ws: ServerConnection) -> None:
        raise AssertionError("the handshake was refused")

    async with serve(never, "127.0.0.1", 0, process_request=_refusing(status, body)) as server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(kind) as caught:
            await _open(f"ws://127.0.0.1:{port}/")
    error = caught.value
    assert str(error).startswith(message)
    assert getattr(error, "status_code", None) == status
    assert getattr(error, "request_id", None) == "req_plumbing"
    assert error.__cause__ is None and error.__suppress_context__


async def test_a_refused_port_is_a_connection_error() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()  # nothing listens there any more
    with pytest.raises(APIConnectionError) as caught:
        await _open(f"ws://127.0.0.1:{port}/")
    assert not isinstance(caught.value, APITimeoutError)
    assert SECRET not in str(caught.value)


async def test_a_url_websockets_refuses_is_a_connection_error() -> None:
    with pytest.raises(APIConnectionError, match="could not connect to ftp://"):
        await _open("ftp://127.0.0.1/")


async def test_a_silent_server_is_a_timeout() -> None:
    # A TCP server that accepts and never answers the opening handshake.
    async def silent(stream: SocketStream) -> None:
        async with stream:
            with contextlib.suppress(anyio.EndOfStream, anyio.BrokenResourceError):
                while True:
                    await stream.receive()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, silent)
        with pytest.raises(APITimeoutError, match="timed out connecting"):
            await _open(f"ws://127.0.0.1:{port}/", open_timeout=0.2)
        group.cancel_scope.cancel()


async def test_the_key_in_the_handshake_is_logged_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def hello(ws: ServerConnection) -> None:
        await ws.send("hello")

    with caplog.at_level(logging.DEBUG, logger="responses_client.wire"):
        async with connected(hello) as conn:
            assert await receive(conn) == b"hello"
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "> Authorization: ***" in text
    assert SECRET not in text
