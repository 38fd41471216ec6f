"""The transports a conversation can talk over, for building one with your own options.

Pass a name to ``Client.conversation(transport=...)`` for the defaults (``"websocket"``,
``"sse"``, ``"chat"``), or an object built here for more control::

    from responses_client.transports import WebSocketTransport

    convo = client.conversation(
        transport=WebSocketTransport(client.config, drain_timeout=1.0, max_connection_age=600)
    )

For an OpenAI-compatible server that speaks only Chat Completions::

    from responses_client.transports import ChatTransport

    convo = client.conversation(
        transport=ChatTransport(client.http_client, client.config, developer_role=False)
    )

Many conversations can share WebSocket connections, one lane (``stream_id``) each::

    pool = client.connection()
    convos = [client.conversation(connection=pool) for _ in range(100)]  # 7 sockets

Any object that satisfies ``responses_client.Transport`` works too (see its docstring for
the contract). A transport object serves one conversation.
"""

from __future__ import annotations

from ._transports._lanes import ConnectionPool, LaneTransport
from ._transports.base import Steerable, Transport
from ._transports.chat import ChatTransport
from ._transports.sse import SSETransport
from ._transports.websocket import WebSocketTransport

__all__ = [
    "ChatTransport",
    "ConnectionPool",
    "LaneTransport",
    "SSETransport",
    "Steerable",
    "Transport",
    "WebSocketTransport",
]

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("responses_client._"):
        _obj.__module__ = __name__
del _name, _obj
