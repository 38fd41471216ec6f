"""When the server does not honour ``response.cancel`` (issue 16, item 4).

``response.cancel`` is not among the API's public client events, so a server may answer it
with an ``error``, ignore it and finish the response, or ignore it and never end the
response. In every case ``interrupt()`` ends the turn for the caller at once, the next
turn starts within ``drain_timeout`` (the drain reads the old response to its end, or gives
up and reconnects: a new connection, or a new lane of a shared one), and nothing of the
old response reaches it. Over a connection of its own and over a lane of a shared one.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
import pytest

from responses_client import Client, Conversation
from responses_client.emulator import Emulator, Pause, Reply, ScriptedModel
from responses_client.events import OutputTextDeltaEvent
from responses_client.transports import WebSocketTransport

from ._support import KEY, stripped
from .conftest import MATRIX_RUNS

pytestmark = pytest.mark.anyio

DRAIN = 0.5
"""The drain timeout of these conversations, in seconds."""

MODES = ("honour", "reject", "ignore", "silent")


@pytest.fixture(scope="module")
async def client(emulator: Emulator) -> AsyncIterator[Client]:
    async with Client(base_url=emulator.base_url, api_key=KEY, max_retries=2) as client:
        yield client


def reply_to_interrupt() -> Reply:
    """Many short deltas, and a pause after the first, where the interrupt lands."""
    words = [f"word{i} " for i in range(30)]
    return Reply(text=words, faults=[Pause(at=5, seconds=0.3)])


def conversation(client: Client, where: str) -> Conversation:
    if where == "lane":
        return client.conversation(connection=client.connection(drain_timeout=DRAIN))
    return client.conversation(transport=WebSocketTransport(client.config, drain_timeout=DRAIN))


@pytest.mark.parametrize("where", ["websocket", "lane"])
@pytest.mark.parametrize("mode", MODES)
async def test_the_next_turn_starts_within_the_drain_timeout(
    emulator: Emulator, client: Client, mode: str, where: str
) -> None:
    emulator.cancel_mode = mode  # type: ignore[assignment]
    emulator.model = ScriptedModel([reply_to_interrupt(), "Next.", "Next."])
    async with conversation(client, where) as convo:
        async with convo.stream("Tell me a story.") as events:
            async for event in events:
                if isinstance(event, OutputTextDeltaEvent):
                    interrupted = time.monotonic()
                    await convo.interrupt()
            ended = time.monotonic()
        assert events.result.status == "interrupted"
        assert events.result.text == "word0 "
        assert ended - interrupted < DRAIN, "interrupt() ends the turn for the caller at once"
        with anyio.fail_after(DRAIN + 5):
            seen: list[str] = []
            async with convo.stream("Go on.") as events:
                async for event in events:
                    seen.append(event.type)
        assert events.result.text == "Next."
        assert "client.retry" not in seen
        deltas = [e for e in seen if e == "response.output_text.delta"]
        assert len(deltas) == 1, "no event of the old response reached the new turn"
        # The interrupted reply left nothing; the next one is there once.
        history = stripped(convo.items)
        assert history[:2] == [
            {"type": "message", "role": "user", "content": "Tell me a story."},
            {"type": "message", "role": "user", "content": "Go on."},
        ]
        assert len(history) == 3
        assert convo.items[2].to_wire()["role"] == "assistant"
    cancels = [c for record in emulator.connections for c in record.cancels]
    assert cancels, "a response.cancel went out"
    MATRIX_RUNS[f"ignored cancel {where}"] += 1
