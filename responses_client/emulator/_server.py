"""Run the emulator on a real socket: in the current event loop, in a thread, or blocking."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Coroutine, Sequence
from types import TracebackType
from typing import Any

import anyio
import uvicorn

from ._app import create_app
from ._asgi import ABORT_SCOPE_KEY, Receive, Scope, Send
from ._models import Model
from ._state import (
    CANCEL_MODES,
    CancelMode,
    ConnectionRecord,
    EmulatorState,
    HttpRequestRecord,
    ResponseRecord,
)

__all__ = ["Emulator", "serve"]


def _with_abort(app: Any) -> Callable[[Scope, Receive, Send], Coroutine[Any, Any, None]]:
    """Wrap ``app`` so endpoints can drop a connection abruptly (no close frame, no last chunk).

    uvicorn's ``send`` is a bound method of the object that owns the connection's transport;
    aborting that transport is the one way to cut a connection the way a network fault does.
    """

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None:
            scope[ABORT_SCOPE_KEY] = transport.abort
        await app(scope, receive, send)

    return wrapped


def _check_cancel_mode(mode: str) -> None:
    if mode not in CANCEL_MODES:
        raise ValueError(f"cancel_mode must be one of {', '.join(CANCEL_MODES)}, not {mode!r}")


class _RedactBearer(logging.Filter):
    """Hide bearer tokens in uvicorn's DEBUG logs of WebSocket handshake headers.

    The ``websockets`` server under uvicorn logs every request header at DEBUG, the
    ``Authorization`` header included, on the ``uvicorn.error`` logger.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, str) and arg.startswith("Bearer ") for arg in record.args
        ):
            record.args = tuple(
                "Bearer ***" if isinstance(arg, str) and arg.startswith("Bearer ") else arg
                for arg in record.args
            )
        return True


_REDACT_BEARER = _RedactBearer()


class Emulator:
    """The emulator served by uvicorn on ``127.0.0.1`` and a free port, in this event loop.

    ```python
    async with Emulator() as emu:
        client = Client(base_url=emu.base_url, api_key="test")
        ...
        assert emu.responses[-1].resolved_input[-1]["content"] == "Hi"
    ```

    Everything received is kept: ``http_requests``, ``connections`` (every
    WebSocket frame, per connection) and ``responses`` (the resolved input the model
    saw, and the output).

    Args:
        model: Who answers: a ``ScriptedModel``, your own ``Model``, or ``None``
            for the ``DefaultModel``.
        api_keys: Accepted bearer keys; ``None`` (the default) accepts any request.
        connection_max_age: Seconds a WebSocket connection may start responses; after it a
            ``response.create`` gets ``websocket_connection_limit_reached`` and the
            connection closes. ``None``: no limit.
        max_active_responses: Responses one WebSocket connection serves at once (the API's
            16); later ones wait, first come first served, until one ends.
        max_stream_ids: Distinct named lanes (``stream_id``) one WebSocket connection may
            use over its life (the API's 32); a request naming one more gets
            ``websocket_stream_limit_reached``.
        cancel_mode: What a WebSocket ``response.cancel`` does: ``"honour"`` (stop the
            response), ``"reject"`` (an ``error`` event; the response runs on),
            ``"ignore"`` (no answer; the response runs on) or ``"silent"`` (no answer, and
            the response sends nothing more: its lane is stuck).
        steering: Whether ``response.steer`` is supported: ``True`` for every model,
            ``False`` for none (``steering_not_supported``), or the model names that support it.
        max_pending_steers: Steers one response may have waiting at once; one more fails
            with ``too_many_pending_steers``.
        clock: Monotonic clock for the connection age (inject one to test the limit).
        seed: Seed for the deterministic ids.
        host: Interface to bind.
        port: Port to bind; 0 picks a free one.
    """

    def __init__(
        self,
        model: Model | None = None,
        *,
        api_keys: Collection[str] | None = None,
        connection_max_age: float | None = None,
        max_active_responses: int = 16,
        max_stream_ids: int = 32,
        cancel_mode: CancelMode = "honour",
        steering: bool | Collection[str] = True,
        max_pending_steers: int = 4,
        clock: Callable[[], float] = time.monotonic,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        _check_cancel_mode(cancel_mode)
        self.state = EmulatorState(
            model,
            cancel_mode=cancel_mode,
            steering=steering,
            max_pending_steers=max_pending_steers,
            api_keys=api_keys,
            connection_max_age=connection_max_age,
            max_active_responses=max_active_responses,
            max_stream_ids=max_stream_ids,
            clock=clock,
            seed=seed,
        )
        """The app's shared state: configuration, stored responses and records."""
        self.app = create_app(state=self.state)
        """The Starlette app being served."""
        self._host = host
        self._port = port
        self._bound_port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    # -- addresses ------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the emulator listens on (only once started)."""
        if self._bound_port is None:
            raise RuntimeError("the emulator is not running: use `async with Emulator()`")
        return self._bound_port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: the SDK's (or openai-python's) ``base_url``."""
        return f"http://{self._host}:{self.port}/v1"

    @property
    def websocket_url(self) -> str:
        """``ws://127.0.0.1:PORT/v1/responses``."""
        return f"ws://{self._host}:{self.port}/v1/responses"

    # -- what it saw --------------------------------------------------------------------

    @property
    def model(self) -> Model:
        """The model answering (the script, when one was given); assignable at any time."""
        return self.state.model

    @model.setter
    def model(self, model: Model) -> None:
        self.state.model = model

    @property
    def transcripts(self) -> deque[str]:
        """What the users say to ``/v1/realtime``, in order: append to it.

        Each committed user audio takes the next transcript (and the model hears it as the
        user's words); once it is empty, a transcript says how long the speech was.
        """
        return self.state.transcripts

    @property
    def api_keys(self) -> list[str] | None:
        """The accepted bearer keys (``None``: any request); assignable at any time."""
        keys = self.state.api_keys
        return None if keys is None else [key.decode() for key in keys]

    @api_keys.setter
    def api_keys(self, keys: Collection[str] | None) -> None:
        self.state.api_keys = None if keys is None else [key.encode() for key in keys]

    @property
    def max_active_responses(self) -> int:
        """Responses one WebSocket connection serves at once; assignable at any time."""
        return self.state.max_active_responses

    @max_active_responses.setter
    def max_active_responses(self, limit: int) -> None:
        self.state.max_active_responses = limit

    @property
    def max_stream_ids(self) -> int:
        """Distinct named lanes one WebSocket connection may use; assignable at any time."""
        return self.state.max_stream_ids

    @max_stream_ids.setter
    def max_stream_ids(self, limit: int) -> None:
        self.state.max_stream_ids = limit

    @property
    def cancel_mode(self) -> CancelMode:
        """What a WebSocket ``response.cancel`` does; assignable at any time."""
        return self.state.cancel_mode

    @cancel_mode.setter
    def cancel_mode(self, mode: CancelMode) -> None:
        _check_cancel_mode(mode)
        self.state.cancel_mode = mode

    @property
    def steering(self) -> bool | Collection[str]:
        """Whether ``response.steer`` is supported (all, none, the models named); assignable."""
        return self.state.steering

    @steering.setter
    def steering(self, steering: bool | Collection[str]) -> None:
        self.state.steering = steering

    @property
    def max_pending_steers(self) -> int:
        """Steers one response may have waiting at once; assignable at any time."""
        return self.state.max_pending_steers

    @max_pending_steers.setter
    def max_pending_steers(self, limit: int) -> None:
        self.state.max_pending_steers = limit

    @property
    def steer_failures(self) -> list[str]:
        """Codes the next ``response.steer`` frames fail with, one each, first first.

        Each well-formed steer takes the first code and gets ``response.steer.failed`` with
        it (e.g. ``"successor_creation_failed"``); append to it or assign a list.
        """
        return self.state.steer_failures

    @steer_failures.setter
    def steer_failures(self, codes: Sequence[str]) -> None:
        self.state.steer_failures = list(codes)

    @property
    def http_requests(self) -> list[HttpRequestRecord]:
        """Every HTTP request received, in order (bodies parsed)."""
        return self.state.http_requests

    @property
    def connections(self) -> list[ConnectionRecord]:
        """Every WebSocket connection accepted, with every frame the client sent."""
        return self.state.connections

    @property
    def responses(self) -> list[ResponseRecord]:
        """Every response started, with the resolved input the model saw and its output."""
        return self.state.responses

    def drop_connections(self) -> int:
        """Abort every open WebSocket connection now (no close frame), like a network fault.

        Returns:
            How many connections were cut.
        """
        return self.state.drop_connections()

    async def close_connections(self, code: int = 1001, reason: str = "going away") -> int:
        """Close every open WebSocket connection with a close frame, as a server restart would.

        Returns:
            How many connections were closed.
        """
        return await self.state.close_connections(code, reason)

    # -- running in this loop ---------------------------------------------------------

    async def start(self) -> None:
        """Bind, and return once the server accepts connections."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on accepted sockets whose
        # proto says TCP. With proto 0, Nagle's algorithm meets the client's delayed ACK and
        # the second small frame of every response waits ~40 ms.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        sock.listen(128)
        sock.setblocking(False)
        config = uvicorn.Config(
            _with_abort(self.app),
            lifespan="off",
            log_level="warning",
            access_log=False,
            ws_ping_interval=None,
            # Loopback gains nothing from compression; it would only cost CPU per frame.
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=1,
        )
        config.load()
        # Added after load(): uvicorn's logging setup replaces the loggers' configuration.
        uvicorn_error = logging.getLogger("uvicorn.error")
        if _REDACT_BEARER not in uvicorn_error.filters:
            uvicorn_error.addFilter(_REDACT_BEARER)
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        # With a socket already bound and listening, the port is known now, and
        # connections are accepted as soon as startup() returns: no polling.
        await server.startup(sockets=[sock])
        self._bound_port = sock.getsockname()[1]
        self._server = server

    async def stop(self) -> None:
        """Close the listener and every open connection."""
        server = self._server
        if server is None:
            return
        self._server = None
        for listener in server.servers:
            listener.close()
        for connection in list(server.server_state.connections):
            connection.shutdown()
        tasks = list(server.server_state.tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=1.0)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        for connection in list(server.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        for listener in server.servers:
            await listener.wait_closed()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- running in a thread ----------------------------------------------------------

    def start_in_thread(self) -> None:
        """Serve from a background thread with its own event loop (for sync code).

        Returns once connections are accepted; call ``stop_thread`` to end it.
        """
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._thread_loop = loop
            try:
                loop.run_until_complete(self.start())
            except BaseException as error:  # handed to the starting thread
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="responses-emulator", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]

    def stop_thread(self) -> None:
        """Stop a server started with ``start_in_thread`` and join its thread."""
        loop, thread = self._thread_loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        self._thread = self._thread_loop = None


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    model: Model | None = None,
    api_keys: Collection[str] | None = None,
    connection_max_age: float | None = None,
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve the emulator until interrupted (Ctrl-C); blocks. Prints nothing itself.

    Args:
        host: Interface to bind.
        port: Port to bind (0 picks a free one).
        model: Who answers; the ``DefaultModel`` when ``None``.
        api_keys: Accepted bearer keys; ``None`` accepts any request.
        connection_max_age: WebSocket connection age limit in seconds, or ``None``.
        on_ready: Called with ``(host, port)`` once connections are accepted, e.g. to
            print ``listening on http://HOST:PORT/v1``.
    """

    async def main() -> None:
        emulator = Emulator(
            model,
            api_keys=api_keys,
            connection_max_age=connection_max_age,
            host=host,
            port=port,
        )
        async with emulator:
            if on_ready is not None:
                on_ready(host, emulator.port)
            await anyio.sleep_forever()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
