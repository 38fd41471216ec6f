"""One retry owner: ``max_retries=N`` means at most N+1 attempts in all, over every transport.

Before the turn machine owned every retry, the SSE transport retried inside a turn that
retried too (a refused connection made 9 POSTs with ``max_retries=2``), and the WebSocket
transport's connect attempts multiplied the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.abc
import pytest

from responses_client import APIConnectionError, Client, RetryPolicy, TransportError, zero_delays
from responses_client.emulator import Drop, Emulator, Reply, ScriptedModel
from responses_client.transports import Transport

from ._support import KEY, shared_pool

pytestmark = pytest.mark.anyio

TRANSPORTS = ["sse", "websocket", "chat", "lane"]


def chosen(client: Client, transport: str) -> Any:
    """The transport by its name; "lane": a lane of the client's shared pool."""
    chosen: str | Transport = transport
    if transport == "lane":
        chosen = shared_pool(client).transport()
    return chosen


class SlamListener:
    """A TCP server on 127.0.0.1 that accepts every connection and closes it at once."""

    def __init__(self) -> None:
        self.accepted = 0
        self.port = 0

    async def _slam(self, stream: anyio.abc.SocketStream) -> None:
        self.accepted += 1
        await stream.aclose()


@pytest.fixture
async def slammer() -> AsyncIterator[SlamListener]:
    server = SlamListener()
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    server.port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as group:
        group.start_soon(listener.serve, server._slam)
        yield server
        group.cancel_scope.cancel()
    await listener.aclose()


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("max_retries", [0, 2])
async def test_a_connection_closed_at_once_is_tried_max_retries_plus_one_times(
    slammer: SlamListener, transport: str, max_retries: int
) -> None:
    policy = RetryPolicy(max_retries=max_retries, delays=zero_delays)
    base_url = f"http://127.0.0.1:{slammer.port}/v1"
    async with Client(base_url=base_url, api_key=KEY, retry=policy) as client:
        convo = client.conversation(transport=chosen(client, transport))
        with pytest.raises(TransportError):
            await convo.send("Hi")
    assert slammer.accepted == max_retries + 1


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_refused_port_is_tried_max_retries_plus_one_times(transport: str) -> None:
    # A port nobody listens on: bind one, note it, close it.
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(max_retries=2, delays=lambda: iter([0.1, 0.2, 0.4]), sleep=record)
    async with Client(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, retry=policy) as c:
        with pytest.raises(APIConnectionError):
            await c.conversation(transport=chosen(c, transport)).send("Hi")
    assert waits == [0.1, 0.2]  # one wait before each of the two retries, nothing more


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_server_that_drops_every_response_gets_max_retries_plus_one_requests(
    transport: str,
) -> None:
    async with Emulator(
        ScriptedModel([Reply(text="Never whole.", faults=[Drop(after=3)])] * 5), api_keys=[KEY]
    ) as emulator:
        policy = RetryPolicy(max_retries=2, delays=zero_delays)
        async with Client(base_url=emulator.base_url, api_key=KEY, retry=policy) as client:
            convo = client.conversation(transport=chosen(client, transport))
            with pytest.raises(TransportError):
                await convo.send("Hi")
            assert len(convo.items) == 1  # the input stays, nothing of the dropped attempts
        assert len(emulator.responses) == 3
        if transport not in ("websocket", "lane"):
            assert len(emulator.http_requests) == 3
        else:
            assert len(emulator.connections) == 3  # one per attempt: each drop ends one
