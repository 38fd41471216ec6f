"""A pool never breaks the server's limits, whatever its conversations do.

The emulator refuses what the API refuses: a 33rd named lane on a connection
(``websocket_stream_limit_reached``); it queues a 17th running response. Here its limits
are set low, so a few conversations reach them.
"""

from __future__ import annotations

import anyio
import pytest

from responses_client import Client
from responses_client.emulator import Emulator, Pause, Reply, ScriptedModel
from responses_client.events import OutputTextDeltaEvent

pytestmark = pytest.mark.anyio


def no_limit_errors(emulator: Emulator, limit: int) -> None:
    for record in emulator.connections:
        assert len(record.stream_ids) <= limit
        errors = [frame for frame in record.frames if isinstance(frame, dict) and "error" in frame]
        assert errors == []
    assert all(response.status != "error" for response in emulator.responses)


async def test_a_pool_opens_a_connection_before_the_servers_lane_limit(
    client: Client, emulator: Emulator, script: ScriptedModel
) -> None:
    emulator.max_stream_ids = 2
    script.extend([Reply(text="ok")] * 5)
    pool = client.connection(lanes_per_connection=2)
    convos = [client.conversation(connection=pool) for _ in range(5)]
    async with anyio.create_task_group() as group:
        for convo in convos:
            group.start_soon(convo.send, "hi")
    assert [len(record.stream_ids) for record in emulator.connections] == [2, 2, 1]
    no_limit_errors(emulator, 2)
    for convo in convos:
        await convo.aclose()


async def test_a_lane_whose_response_never_ends_is_retired_and_its_neighbours_move(
    client: Client, emulator: Emulator, script: ScriptedModel
) -> None:
    # The server ignores the cancel and never ends the response: the next turn's drain
    # gives up after drain_timeout and retires the lane (its id is never used again).
    emulator.cancel_mode = "silent"
    emulator.max_stream_ids = 2
    script.extend(
        [
            Reply(text="first"),
            Reply(text="neighbour"),
            Reply(text=["a long", " reply"], faults=[Pause(at=5, seconds=60)]),
            Reply(text="again"),
            Reply(text="neighbour again"),
        ]
    )
    pool = client.connection(lanes_per_connection=2, drain_timeout=0.2)
    async with (
        client.conversation(connection=pool) as talker,
        client.conversation(connection=pool) as neighbour,
    ):
        await talker.send("one")
        await neighbour.send("one")
        async with talker.stream("two") as events:
            async for event in events:
                if isinstance(event, OutputTextDeltaEvent):
                    await talker.interrupt()
        assert events.result.status == "interrupted"
        with anyio.fail_after(5):
            assert (await talker.send("three")).text == "again"
        assert (await neighbour.send("two")).text == "neighbour again"
    first, second = emulator.connections[:2]
    assert first.stream_ids == ["lane-1", "lane-2"]
    assert len(emulator.connections) == 2
    assert len(second.stream_ids) == 2  # both moved to the new connection
    no_limit_errors(emulator, 2)
