"""A local emulator of the OpenAI Responses API, for demos and tests without a network.

It speaks the real wire protocol (SSE and WebSocket on ``/v1/responses``, and Chat
Completions on ``/v1/chat/completions``), field for field, and keeps everything it received
so tests can assert the server's view of a conversation::

    from responses_client.emulator import CallTool, Emulator, Reply, ScriptedModel

    script = ScriptedModel([Reply(tool_calls=[CallTool("get_weather", {"city": "Paris"})]),
                            "It is sunny in Paris."])
    async with Emulator(script) as emu:
        ...  # point a client at emu.base_url / emu.websocket_url
        assert emu.responses[-1].resolved_input[-1]["type"] == "function_call_output"

The ``responses_emulator`` pytest fixture (``responses_client.emulator.pytest_plugin``)
gives a running ``Emulator`` per test. Needs the ``emulator`` extra (starlette, uvicorn).
"""

from __future__ import annotations

import warnings
from typing import Any

from ._app import create_app
from ._models import DefaultModel, Model, ModelRequest, ScriptedModel, ScriptExhausted
from ._script import (
    CallTool,
    Drop,
    Fault,
    HttpStatus,
    Malformed,
    Pause,
    Reply,
    SendError,
    SendUnknown,
)
from ._server import Emulator, serve
from ._state import ConnectionRecord, EmulatorState, HttpRequestRecord, ResponseRecord

__all__ = [
    "CallTool",
    "ConnectionRecord",
    "DefaultModel",
    "Drop",
    "Emulator",
    "EmulatorState",
    "Fault",
    "HttpRequestRecord",
    "HttpStatus",
    "Malformed",
    "Model",
    "ModelRequest",
    "Pause",
    "Reply",
    "ResponseRecord",
    "ScriptExhausted",
    "ScriptedModel",
    "SendError",
    "SendUnknown",
    "create_app",
    "serve",
]

# Show public objects as ``responses_client.emulator.X`` in reprs, tracebacks and the docs.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("responses_client.emulator._"):
        _obj.__module__ = __name__
del _name, _obj

# Directives renamed so that none shares a name with a client type (the client's
# ``ErrorEvent``, ``UnknownEvent``, ``ToolCall``). The old names stay importable, with a
# warning, for one release.
_RENAMED = {"ErrorEvent": "SendError", "ToolCall": "CallTool", "UnknownEvent": "SendUnknown"}


def __getattr__(name: str) -> Any:
    """Resolve a renamed directive's old name to the same class, with a warning."""
    new = _RENAMED.get(name)
    if new is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"responses_client.emulator.{name} is deprecated and will be removed in the next "
        f"release; use {new} (the same class)",
        DeprecationWarning,
        stacklevel=2,
    )
    return globals()[new]
