"""The emulator's ASGI app: the routes, and ``create_app`` to build them over one state.

``POST /v1/responses`` goes to the HTTP endpoint (``_http``: SSE or JSON), ``POST
/v1/chat/completions`` to the Chat Completions one (``_chat_http``), WebSocket
``/v1/responses`` to the WebSocket endpoint (``_websocket``) and WebSocket
``/v1/realtime`` to the Realtime endpoint (``_realtime``); all share one
``EmulatorState`` (``_state``). What to answer is decided by the pure ``_engine``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from ._chat_http import ChatEndpoint
from ._http import HttpEndpoint
from ._models import Model
from ._realtime import RealtimeEndpoint
from ._state import EmulatorState
from ._websocket import WebSocketEndpoint

__all__ = ["create_app"]


def create_app(
    model: Model | None = None,
    *,
    api_keys: Collection[str] | None = None,
    connection_max_age: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    seed: int = 0,
    state: EmulatorState | None = None,
) -> Starlette:
    """Build the emulator as an ASGI app, to mount in your own app or call in-process.

    Routes: ``POST /v1/responses`` (SSE when ``stream`` is true, else the JSON response),
    ``POST /v1/chat/completions`` (chunks when ``stream`` is true, else the completion),
    WebSocket ``/v1/responses`` and WebSocket ``/v1/realtime`` (the Realtime API). The
    app's ``state.emulator`` is its ``EmulatorState`` (records and stored responses).

    Args:
        model: Who answers; ``DefaultModel`` when ``None``.
        api_keys: Accepted bearer keys; ``None`` accepts every request.
        connection_max_age: Seconds after which a WebSocket ``response.create`` gets the
            ``websocket_connection_limit_reached`` error and the connection closes.
        clock: Monotonic clock for the connection age (tests may inject their own).
        seed: Seed for the deterministic ids.
        state: Use this state instead of building one (the other arguments are then
            ignored).

    Returns:
        A Starlette app.
    """
    if state is None:
        state = EmulatorState(
            model, api_keys=api_keys, connection_max_age=connection_max_age, clock=clock, seed=seed
        )
    app = Starlette(
        routes=[
            Route("/v1/responses", HttpEndpoint(state)),
            Route("/v1/chat/completions", ChatEndpoint(state)),
            WebSocketRoute("/v1/responses", WebSocketEndpoint(state)),
            WebSocketRoute("/v1/realtime", RealtimeEndpoint(state)),
        ]
    )
    app.state.emulator = state
    return app
