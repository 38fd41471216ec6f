"""responses_client: a typed asyncio client for the OpenAI Responses API.

Only the names in ``__all__`` are public; every ``_module`` is private and may change.
The public submodules are ``responses_client.events`` and ``responses_client.emulator``.
"""

from __future__ import annotations

from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConnectionClosed,
    InputError,
    InternalServerError,
    LocalProtocolError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitError,
    RemoteProtocolError,
    ResponseFailedError,
    ResponsesError,
    RetryAfterOutputError,
    ToolError,
    TransportError,
)
from ._tools import Tool, Toolset, tool

__version__ = "0.1.0.dev0"

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConnectionClosed",
    "InputError",
    "InternalServerError",
    "LocalProtocolError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitError",
    "RemoteProtocolError",
    "ResponseFailedError",
    "ResponsesError",
    "RetryAfterOutputError",
    "Tool",
    "ToolError",
    "Toolset",
    "TransportError",
    "tool",
]

# Show public objects as ``responses_client.X`` in reprs, tracebacks and the docs.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("responses_client._"):
        _obj.__module__ = __name__
del _name, _obj
