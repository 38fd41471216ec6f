"""Shared pieces of the reliability tests: the 3-turn script, its event counts, comparisons."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import httpx

from responses_client import Client, Conversation, Item, RetryPolicy, tool, zero_delays
from responses_client._chat_stream import ChunkFolder
from responses_client.emulator import CallTool, Reply
from responses_client.emulator._chat_engine import plan_chat
from responses_client.emulator._chat_input import ChatRequest
from responses_client.emulator._engine import EventStep, Ids, plan_response
from responses_client.transports import (
    ChatTransport,
    ConnectionPool,
    SSETransport,
    WebSocketTransport,
)

KEY = "sk-reliability-0123456789SECRETKEY"

TURNS = ("Hello?", "Look up x, please.", "Thanks.")
"""The user input of each turn of the scripted conversation."""

BASE_SCRIPT: tuple[Reply, ...] = (
    Reply(text="Hello there, friend."),
    Reply(tool_calls=[CallTool("lookup", {"q": "x"}, call_id="call_lookup_1")]),
    Reply(text="The answer is 42."),
    Reply(text="You are welcome."),
)
"""One reply per response: turn 1 is response 0, turn 2 is responses 1 (a tool call) and 2,
turn 3 is response 3."""

RESPONSE_TURN = (0, 1, 1, 2)
"""The turn each response of ``BASE_SCRIPT`` belongs to."""


def event_counts(script: Sequence[Reply] = BASE_SCRIPT) -> list[int]:
    """How many events the emulator plans for each reply (computed by its pure engine)."""
    counts = []
    for reply in script:
        plan = plan_response(
            body={"model": "gpt-4.1", "input": []},
            reply=reply,
            resolved_input=[],
            cached_tokens=0,
            ids=Ids(0),
            now=0.0,
        )
        counts.append(sum(1 for step in plan.steps if isinstance(step, EventStep)))
    return counts


EVENT_COUNTS = event_counts()


def chat_chunks(reply: Reply) -> list[dict[str, Any]]:
    """The chunks the emulator's chat wire plans for a reply (usage asked for, as the
    client does)."""
    plan = plan_chat(
        body={"model": "gpt-4.1"},
        request=ChatRequest(None, [], [], stream=True, include_usage=True),
        reply=reply,
        ids=Ids(0),
        now=0.0,
    )
    return [step.event for step in plan.steps if isinstance(step, EventStep)]


CHAT_CHUNK_COUNTS = [len(chat_chunks(reply)) for reply in BASE_SCRIPT]
"""Chunks per reply over the chat wire (where its faults are placed)."""


def chat_event_ends(reply: Reply) -> list[int]:
    """For each chunk of the reply, then for ``[DONE]``: the client events folded so far."""
    folder = ChunkFolder(model="gpt-4.1")
    ends: list[int] = []
    total = 0
    for chunk in chat_chunks(reply):
        total += len(folder.feed(chunk))
        ends.append(total)
    ends.append(total + len(folder.end()))
    return ends


CHAT_EVENT_COUNTS = [chat_event_ends(reply)[-1] for reply in BASE_SCRIPT]
"""Client events per reply over the chat wire."""


class ToolLog:
    """The ``lookup`` tool, counting its calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

        @tool
        def lookup(q: str) -> str:
            """Look something up."""
            self.calls.append(q)
            return f"found {q}"

        self.tool = lookup


def stripped(items: Sequence[Item] | Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Wire dicts without server-made ``id`` fields, which differ between runs."""
    out = []
    for item in items:
        wire = item if isinstance(item, dict) else item.to_wire()
        out.append({k: v for k, v in wire.items() if k != "id"})
    return out


def sse_transport(client: Client) -> SSETransport:
    """An SSE transport on the client's pool."""
    return SSETransport(client.http_client, client.config)


def recording(sleeps: list[float], max_retries: int = 2) -> RetryPolicy:
    """A retry policy with zero backoff that records the waits instead of sleeping them."""

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return RetryPolicy(max_retries=max_retries, delays=zero_delays, sleep=sleep)


def sse_conversation(client: Client, log: ToolLog, **options: Any) -> Conversation:
    """A conversation over SSE with the ``lookup`` tool and zero retry delays."""
    return client.conversation(
        model="gpt-4.1", tools=[log.tool], transport=sse_transport(client), **options
    )


class FaultyHTTP(httpx.AsyncBaseTransport):
    """An httpx transport that answers the next requests with planned faults, then passes.

    Faults: ``"reset"`` (the connection fails before any answer), an ``httpx.Response``
    (answered as is). Everything else goes to the real network transport.
    """

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.faults: list[str | httpx.Response] = []
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.faults:
            fault = self.faults.pop(0)
            if fault == "reset":
                raise httpx.ConnectError("connection reset by peer", request=request)
            assert isinstance(fault, httpx.Response)
            return fault
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def client_sockets(port: int) -> int:
    """Open sockets of this process connected *to* ``port`` (the client side only).

    The emulator runs in this process too; its own sockets have ``port`` as their local
    port, so they are not counted.
    """
    import os

    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                    state = fields[3]
                    # 0A is LISTEN; a closed socket is gone from the fd table anyway.
                    if remote_port == port and state != "0A" and fields[9] in inodes:
                        count += 1
        except FileNotFoundError:
            continue
    return count


class Clock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ws_transport(client: Client, clock: Clock | None = None) -> WebSocketTransport:
    """A WebSocket transport that reconnects without waiting."""
    return WebSocketTransport(
        client.config,
        clock=clock or Clock(),
    )


_POOLS: weakref.WeakKeyDictionary[Client, ConnectionPool] = weakref.WeakKeyDictionary()


def shared_pool(client: Client, **options: Any) -> ConnectionPool:
    """The client's pool for "lane" conversations: they share its connections."""
    if options:
        return client.connection(**options)
    if client not in _POOLS:
        _POOLS[client] = client.connection()
    return _POOLS[client]


def conversation(
    client: Client, transport: str, log: ToolLog, clock: Clock | None = None, **options: Any
) -> Conversation:
    """A conversation over ``transport`` ("sse", "chat", "websocket", or "lane": a lane of
    the client's shared pool) with the ``lookup`` tool."""
    if transport == "lane":
        return client.conversation(
            model="gpt-4.1", tools=[log.tool], connection=shared_pool(client), **options
        )
    chosen = transport_for(client, transport, clock)
    return client.conversation(model="gpt-4.1", tools=[log.tool], transport=chosen, **options)


def transport_for(
    client: Client, transport: str, clock: Clock | None = None
) -> SSETransport | WebSocketTransport:
    """A transport of ``client`` by name ("sse", "chat", "websocket" or "lane")."""
    if transport == "sse":
        return sse_transport(client)
    if transport == "chat":
        return ChatTransport(client.http_client, client.config)
    if transport == "lane":
        return shared_pool(client).transport()
    return ws_transport(client, clock)
