"""A pool's connections are replaced before the server's 60-minute limit, at turn boundaries.

A connection older than ``max_connection_age`` takes no new request that starts a turn:
each lane moves to a newer connection at its next turn, whose first request carries the
full context. A turn in progress is not moved (its tool round continues the response it
made on the old connection), and the old connection closes once its last lane has left.
"""

from __future__ import annotations

from typing import Any

import pytest

from responses_client import Client, tool
from responses_client.emulator import CallTool, Emulator, Reply, ScriptedModel
from responses_client.transports import ConnectionPool, WebSocketTransport

from ..helpers import Clock

pytestmark = pytest.mark.anyio


def creates(emulator: Emulator) -> list[tuple[int, dict[str, Any]]]:
    """Each ``response.create`` with the index of the connection it came on."""
    return [
        (record.index, frame)
        for record in emulator.connections
        for frame in record.frames
        if isinstance(frame, dict) and frame.get("type") == "response.create"
    ]


async def test_lanes_move_to_a_new_connection_at_their_next_turn_once_it_is_too_old(
    client: Client, emulator: Emulator, script: ScriptedModel, clock: Clock
) -> None:
    @tool
    def look_up(q: str) -> str:
        """Look something up."""
        clock.now += 61  # the connection grows too old while the tool runs
        return f"found {q}"

    script.extend(
        [
            Reply(text="one"),
            Reply(text="two"),
            Reply(tool_calls=[CallTool("look_up", {"q": "x"})]),
            Reply(text="found it"),
            Reply(text="later"),
            Reply(text="later too"),
        ]
    )
    pool = ConnectionPool(client.config, max_connection_age=60, clock=clock)
    async with (
        client.conversation(transport=pool.transport(), tools=[look_up]) as talker,
        client.conversation(transport=pool.transport()) as neighbour,
    ):
        await talker.send("first")
        await neighbour.send("first")
        # The turn in progress is not moved: its second request continues the first.
        assert (await talker.send("look it up")).text == "found it"
        assert (await talker.send("and now?")).text == "later"
        assert (await neighbour.send("and you?")).text == "later too"
        assert pool.connections == 1
    sent = creates(emulator)
    assert [index for index, _ in sent] == [0, 0, 0, 0, 1, 1]
    tool_round = sent[3][1]
    assert tool_round["input"][0]["type"] == "function_call_output"
    assert "previous_response_id" in tool_round
    for _, moved in sent[4:]:
        assert "previous_response_id" not in moved  # a new connection: the full context
    # first, one, look it up, the call, its output, found it, and now?
    assert len(sent[4][1]["input"]) == 7
    await pool.aclose()


async def test_a_connection_of_its_own_is_replaced_at_a_turn_boundary_too(
    client: Client, emulator: Emulator, script: ScriptedModel, clock: Clock
) -> None:
    @tool
    def look_up(q: str) -> str:
        """Look something up."""
        clock.now += 56 * 60  # past the 55-minute age while the turn's tools run
        return f"found {q}"

    script.extend(
        [Reply(tool_calls=[CallTool("look_up", {"q": "x"})]), Reply(text="found it"), "later"]
    )
    transport = WebSocketTransport(client.config, clock=clock)
    async with client.conversation(transport=transport, tools=[look_up]) as convo:
        assert (await convo.send("look it up")).text == "found it"
        assert (await convo.send("and now?")).text == "later"
    assert [index for index, _ in creates(emulator)] == [0, 0, 1]
