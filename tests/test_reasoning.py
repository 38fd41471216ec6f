"""A reasoning model's chain of reasoning survives reconnects without storage (issue 16.5).

With ``store=false`` the server keeps nothing, so a reasoning item can only be sent back
with its ``encrypted_content``. The conversation asks for it when ``reasoning`` is set,
keeps it in the history, and sends it back whenever a request carries the full context:
here after the WebSocket connection dropped (a new connection knows no earlier response).
The emulator seals the content and checks it on the way back.
"""

from __future__ import annotations

from typing import Any

import pytest

from responses_client import Client, Reasoning
from responses_client.emulator import Emulator, Reply, ScriptedModel

pytestmark = pytest.mark.anyio


def creates(emulator: Emulator) -> list[dict[str, Any]]:
    return [
        frame
        for record in emulator.connections
        for frame in record.frames
        if isinstance(frame, dict) and frame.get("type") == "response.create"
    ]


@pytest.mark.parametrize("lane", [False, True])
async def test_reasoning_is_sent_back_encrypted_after_a_reconnect(
    client: Client, emulator: Emulator, script: ScriptedModel, lane: bool
) -> None:
    script.extend([Reply(reasoning="Think of Paris.", text="Paris."), Reply(text="Rome.")])
    pool = client.connection() if lane else None
    async with client.conversation(
        model="o4-mini", reasoning={"effort": "low"}, connection=pool
    ) as convo:
        await convo.send("A capital?")
        (reasoning,) = [item for item in convo.items if isinstance(item, Reasoning)]
        assert reasoning.encrypted_content
        assert emulator.drop_connections() == 1
        assert (await convo.send("Another?")).text == "Rome."
    first, second = creates(emulator)
    assert first["include"] == ["reasoning.encrypted_content"]
    assert "previous_response_id" not in second  # a new connection: the full context
    sent = [item for item in second["input"] if item.get("type") == "reasoning"]
    # As the server made it, id included: the encrypted content is what it reads back.
    assert sent == [reasoning.to_wire()]
    assert emulator.responses[-1].restored_reasoning == [reasoning.id]


async def test_without_reasoning_settings_nothing_more_is_asked(
    client: Client, emulator: Emulator, script: ScriptedModel
) -> None:
    script.add(Reply(text="Hi."))
    async with client.conversation() as convo:
        await convo.send("Hello")
    (frame,) = creates(emulator)
    assert "include" not in frame
