"""Warm-up (``Conversation.prewarm``) against the emulator on 127.0.0.1.

A warm-up sends the instructions, tools and history with ``generate: false``; the turn
after it sends only its new input, after the warm-up's id.
"""

from __future__ import annotations

import pytest

from responses_client._client import Client
from responses_client._conversation import Conversation
from responses_client.emulator import Emulator, ScriptedModel

from .helpers import without_ids
from .test_conversation_websocket import assert_server_saw_the_history, creates
from .test_steer import on

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["own connection", "lane"])
def convo(request: pytest.FixtureRequest, client: Client) -> Conversation:
    return on(request.param, client)


USER = {"type": "message", "role": "user", "content": "Weather in Paris?"}


async def test_prewarm_then_a_turn_that_sends_only_the_new_input(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    warm = await convo.prewarm()
    assert warm is not None and warm.status == "completed"
    assert warm.output == () and warm.text == "" and convo.items == ()
    (warmup,) = emulator.responses
    assert warmup.warmup and warm.response_id == warmup.id
    (frame,) = creates(emulator)
    assert frame["generate"] is False and frame["input"] == []
    assert frame["instructions"] == "Be brief." and frame["tools"][0]["name"] == "get_weather"
    assert "previous_response_id" not in frame
    script.add("Sunny.")
    result = await convo.send("Weather in Paris?")
    assert result.text == "Sunny."
    turn = creates(emulator)[1]
    assert turn["previous_response_id"] == warmup.id
    assert turn["input"] == [USER] and "generate" not in turn
    assert turn["instructions"] == "Be brief."
    assert result.stats.items_sent == 1
    assert_server_saw_the_history(emulator, convo)


async def test_prewarm_carries_the_history_and_the_turn_only_what_follows(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    convo.add_items(
        [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
        ]
    )
    await convo.prewarm()
    (frame,) = creates(emulator)
    assert without_ids(frame["input"]) == without_ids(convo.to_input())
    assert len(convo.items) == 2
    script.add("Sunny.")
    await convo.send("Weather in Paris?")
    turn = creates(emulator)[1]
    assert turn["previous_response_id"] == emulator.responses[0].id
    assert turn["input"] == [USER]
    assert without_ids(emulator.responses[1].resolved_input) == without_ids(convo.to_input())[:3]


@pytest.mark.parametrize("transport", ["sse", "chat"])
async def test_prewarm_is_a_no_op_without_a_websocket(client: Client, emulator: Emulator) -> None:
    convo = client.conversation(model="gpt-4.1", instructions="Be brief.")
    assert await convo.prewarm() is None
    assert emulator.responses == [] and convo.items == ()
