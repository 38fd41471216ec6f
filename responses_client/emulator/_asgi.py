"""The ASGI plumbing the emulator's endpoints share.

The endpoints are raw ASGI callables, so each event costs one ``json.dumps`` and one
``send``, and nothing else. This module holds their types, the hook a server may offer for
dropping a connection abruptly, and the two ways they read headers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = [
    "ABORT_SCOPE_KEY",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "dumps",
    "recorded_headers",
    "request_headers",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ABORT_SCOPE_KEY = "responses_client.emulator.abort"
"""Scope key under which a server may put a callable that drops the connection abruptly.

``responses_client.emulator.Emulator`` sets it (uvicorn's transport ``abort``).
Without it, a scripted drop raises ``ConnectionResetError`` in the HTTP endpoint (the
server then cuts the body; ``httpx.ASGITransport`` re-raises it to the client), and
closes a WebSocket with code 1011.
"""


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers, names lower-cased, as sent (for the key check only)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def recorded_headers(scope: Scope) -> dict[str, str]:
    """The request's headers as the records keep them: ``authorization`` redacted."""
    headers = request_headers(scope)
    if "authorization" in headers:
        headers["authorization"] = "Bearer <redacted>"
    return headers


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept as is, as the API writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
