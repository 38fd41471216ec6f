"""responses_client: a typed asyncio client for the OpenAI Responses API.

Only the names in ``__all__`` are public; every ``_module`` is private and may change.
The public submodules are ``responses_client.events``, ``responses_client.transports`` and
``responses_client.emulator``.
"""

from __future__ import annotations

from ._client import Client, TransportName
from ._config import Config
from ._conversation import Conversation
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
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
    SteerFailedError,
    ToolError,
    TransportError,
    UnprocessableEntityError,
)
from ._items import (
    FunctionCall,
    FunctionCallOutput,
    InputAudio,
    InputFile,
    InputImage,
    InputText,
    Item,
    Message,
    OutputText,
    Part,
    Reasoning,
    Refusal,
    UnknownItem,
    UnknownPart,
)
from ._retry import RetryPolicy, backoff, zero_delays
from ._stream import TurnStream
from ._tools import Tool, Toolset, tool
from ._transports.base import Transport
from ._turn import TurnResult, TurnStats, TurnStatus
from .events import Usage

__version__ = "0.1.0.dev0"

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "Config",
    "ConflictError",
    "ConnectionClosed",
    "Conversation",
    "FunctionCall",
    "FunctionCallOutput",
    "InputAudio",
    "InputError",
    "InputFile",
    "InputImage",
    "InputText",
    "InternalServerError",
    "Item",
    "LocalProtocolError",
    "Message",
    "NotFoundError",
    "OutputText",
    "Part",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitError",
    "Reasoning",
    "Refusal",
    "RemoteProtocolError",
    "ResponseFailedError",
    "ResponsesError",
    "RetryAfterOutputError",
    "RetryPolicy",
    "SteerFailedError",
    "Tool",
    "ToolError",
    "Toolset",
    "Transport",
    "TransportError",
    "TransportName",
    "TurnResult",
    "TurnStats",
    "TurnStatus",
    "TurnStream",
    "UnknownItem",
    "UnknownPart",
    "UnprocessableEntityError",
    "Usage",
    "backoff",
    "tool",
    "zero_delays",
]

# Show public objects as ``responses_client.X`` in reprs, tracebacks and the docs.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("responses_client._"):
        _obj.__module__ = __name__
del _name, _obj
