"""Many conversations on lanes of shared WebSocket connections (``client.connection()``).

Every test runs over real sockets against the emulator, whose lanes keep the server's
limits (16 responses running per connection, 32 named ids per connection) and record
what each connection carried.
"""

from __future__ import annotations

from typing import Any

import pytest

from responses_client import Client, InputError, ResponsesError
from responses_client.emulator import Emulator, Reply, ScriptedModel
from responses_client.transports import LaneTransport

from ..helpers import KEY

pytestmark = pytest.mark.anyio


def lane_frames(emulator: Emulator) -> list[dict[str, Any]]:
    return [
        frame
        for record in emulator.connections
        for frame in record.frames
        if isinstance(frame, dict) and frame.get("type") == "response.create"
    ]


async def test_conversations_of_a_pool_share_one_connection_on_lanes_of_their_own(
    client: Client, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([Reply(text=f"answer {i}") for i in range(3)])
    pool = client.connection()
    convos = [client.conversation(connection=pool) for _ in range(3)]
    assert all(isinstance(c.transport, LaneTransport) for c in convos)
    for index, convo in enumerate(convos):
        result = await convo.send(f"question {index}")
        assert result.text == f"answer {index}"
    assert len(emulator.connections) == 1
    assert pool.connections == 1
    ids = [frame["stream_id"] for frame in lane_frames(emulator)]
    assert len(set(ids)) == 3
    for convo in convos:
        await convo.aclose()


async def test_a_pool_opens_another_connection_when_its_lanes_are_full(
    client: Client, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([Reply(text="ok")] * 5)
    pool = client.connection(lanes_per_connection=2)
    convos = [client.conversation(connection=pool) for _ in range(5)]
    for convo in convos:
        await convo.send("hi")
    assert len(emulator.connections) == 3
    assert pool.connections == 3
    assert pool.lanes == 5
    for convo in convos:
        await convo.aclose()
    assert pool.lanes == 0


async def test_the_lane_of_a_closed_conversation_is_reused(
    client: Client, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([Reply(text="ok")] * 3)
    pool = client.connection(lanes_per_connection=1)
    first = client.conversation(connection=pool)
    await first.send("hi")
    await first.aclose()
    async with client.conversation(connection=pool) as second:
        await second.send("hi")
    assert len(emulator.connections) == 1
    frames = lane_frames(emulator)
    assert frames[0]["stream_id"] == frames[1]["stream_id"]


async def test_lanes_per_connection_must_be_within_the_servers_limit(client: Client) -> None:
    with pytest.raises(InputError, match="between 1 and 32"):
        client.connection(lanes_per_connection=33)


async def test_a_pool_needs_the_websocket(client: Client) -> None:
    pool = client.connection()
    with pytest.raises(InputError, match="WebSocket"):
        client.conversation(connection=pool, transport="sse")


async def test_closing_the_client_closes_its_pools(
    emulator: Emulator, script: ScriptedModel
) -> None:
    script.add(Reply(text="ok"))
    async with Client(base_url=emulator.base_url, api_key=KEY) as client:
        pool = client.connection()
        convo = client.conversation(connection=pool)
        await convo.send("hi")
        assert pool.connections == 1
    assert pool.connections == 0
    with pytest.raises(ResponsesError, match="the connection pool is closed"):
        client.conversation(connection=pool)
