"""A local emulator of the OpenAI Responses API, for demos and tests without a network.

It speaks the real wire protocol (SSE and WebSocket on ``/v1/responses``), field for field,
and keeps everything it received so tests can assert the server's view of a conversation::

    from responses_client.emulator import Emulator, Reply, ScriptedModel, ToolCall

    script = ScriptedModel([Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
                            "It is sunny in Paris."])
    async with Emulator(script) as emu:
        ...  # point a client at emu.base_url / emu.websocket_url
        assert emu.responses[-1].resolved_input[-1]["type"] == "function_call_output"

The ``responses_emulator`` pytest fixture (``responses_client.emulator.pytest_plugin``)
gives a running ``Emulator`` per test. Needs the ``emulator`` extra (starlette, uvicorn).
"""

from __future__ import annotations

from ._app import create_app
from ._models import DefaultModel, Model, ModelRequest, ScriptedModel, ScriptExhausted
from ._script import (
    Drop,
    ErrorEvent,
    Fault,
    HttpStatus,
    Malformed,
    Pause,
    Reply,
    ToolCall,
    UnknownEvent,
)
from ._server import Emulator, serve
from ._state import ConnectionRecord, EmulatorState, HttpRequestRecord, ResponseRecord

__all__ = [
    "ConnectionRecord",
    "DefaultModel",
    "Drop",
    "Emulator",
    "EmulatorState",
    "ErrorEvent",
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
    "ToolCall",
    "UnknownEvent",
    "create_app",
    "serve",
]

# Show public objects as ``responses_client.emulator.X`` in reprs, tracebacks and the docs.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("responses_client.emulator._"):
        _obj.__module__ = __name__
del _name, _obj
