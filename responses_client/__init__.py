"""responses_client: a typed asyncio client for the OpenAI Responses API.

Only the names in ``__all__`` are public; every ``_module`` is private and may change.
The public submodules are ``responses_client.events`` and ``responses_client.emulator``.
"""

from __future__ import annotations

from ._client import Client
from ._conversation import Conversation, TurnStream
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
from ._tools import Tool, Toolset, tool
from ._turn import TurnResult, TurnStats

__version__ = "0.1.0.dev0"

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "Client",
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
    "Tool",
    "ToolError",
    "Toolset",
    "TransportError",
    "TurnResult",
    "TurnStats",
    "TurnStream",
    "UnknownItem",
    "UnknownPart",
    "tool",
]

# Show public objects as ``responses_client.X`` in reprs, tracebacks and the docs.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("responses_client._"):
        _obj.__module__ = __name__
del _name, _obj
