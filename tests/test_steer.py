"""Steering a running turn (``Conversation.steer``) against the emulator on 127.0.0.1.

Each case is asserted on what the server received (the emulator's frames and response
records, resolved inputs included) and on the history the turn left.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from responses_client import InputError, SteerFailedError, tool
from responses_client._cancel import Phase
from responses_client._client import Client
from responses_client._conversation import Conversation
from responses_client._transports.websocket import WebSocketTransport
from responses_client.emulator import (
    CallTool,
    Emulator,
    ModelRequest,
    Pause,
    Reply,
    ScriptedModel,
)
from responses_client.events import Event

from .helpers import without_ids
from .test_conversation_websocket import assert_server_saw_the_history, creates, frames

pytestmark = pytest.mark.anyio

STEER = "Answer in one word."
STEER_ITEM = {"type": "message", "role": "user", "content": STEER}
# Held after its first delta: the steer (or the cancel) always finds it streaming.
SLOW = Reply(text=["Let me ", "think about it at length."], faults=[Pause(at=5, seconds=30)])


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny in {city}"


def on(where: str, client: Client) -> Conversation:
    """A conversation on its own WebSocket (``"own connection"``), or on a ``"lane"``."""
    connection = client.connection() if where == "lane" else None
    return client.conversation(
        model="gpt-4.1", instructions="Be brief.", tools=[tool(get_weather)], connection=connection
    )


@pytest.fixture(params=["own connection", "lane"])
def convo(request: pytest.FixtureRequest, client: Client) -> Conversation:
    return on(request.param, client)


async def steered_turn(
    convo: Conversation, at: str = "response.output_text.delta", restart: bool = False
) -> tuple[list[Event], str | None]:
    """Run a turn, steering it at its first event of type ``at``; return events and outcome."""
    seen: list[Event] = []
    outcome = None
    async with convo.stream("Tell me about Paris.") as events:
        async for event in events:
            seen.append(event)
            if event.type == at and outcome is None:
                outcome = await convo.steer(STEER, restart=restart)
    return seen, outcome


def types(events: list[Event]) -> list[str]:
    return [event.type for event in events]


def steer_frames(emulator: Emulator) -> list[dict[str, Any]]:
    return [frame for frame in frames(emulator) if frame["type"] == "response.steer"]


async def test_an_accepted_steer_goes_on_with_the_successor_in_the_same_turn(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([SLOW, "Lovely.", "You are welcome."])
    seen, outcome = await steered_turn(convo)
    assert outcome == "sent"
    first, successor = emulator.responses
    # One response.create; the steer named the response in flight, without a stream_id.
    assert len(creates(emulator)) == 1
    assert steer_frames(emulator) == [
        {"type": "response.steer", "previous_response_id": first.id, "input": [STEER_ITEM]}
    ]
    assert successor.steered_from == first.id and first.status == "incomplete"
    kinds = types(seen)
    assert kinds.count("response.steer.accepted") == 1 and kinds.count("response.created") == 2
    incomplete = next(e for e in seen if e.type == "response.incomplete")
    assert incomplete.response.incomplete_details.reason == "steered"  # type: ignore[union-attr]
    # The history: the input, the steered response's partial output, the steer, the
    # successor's answer: what the successor was made from, then what it said.
    history = without_ids(convo.to_input())
    assert history[0]["content"] == "Tell me about Paris."
    assert history[1]["role"] == "assistant" and history[1]["status"] == "incomplete"
    assert history[2] == STEER_ITEM
    assert history[3]["content"][0]["text"] == "Lovely." and len(history) == 4
    assert without_ids(successor.resolved_input) == history[:3]
    assert_server_saw_the_history(emulator, convo)
    # The planner remembered the successor: the next turn sends only its new input.
    done = await convo.send("Thanks!")
    assert done.text == "You are welcome."
    last = creates(emulator)[-1]
    assert last["previous_response_id"] == successor.id
    assert last["input"] == [{"type": "message", "role": "user", "content": "Thanks!"}]
    assert_server_saw_the_history(emulator, convo)


async def test_the_turn_result_of_a_steered_turn_is_the_successor_s(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([SLOW, "Lovely."])
    async with convo.stream("Tell me about Paris.") as events:
        async for event in events:
            if event.type == "response.output_text.delta" and event.delta == "Let me ":
                await convo.steer(STEER)
    result = events.result
    assert result.status == "completed" and result.text == "Lovely."
    assert result.response_id == emulator.responses[1].id
    assert result.stats.rounds == 2
    assert [item.to_wire()["role"] for item in result.output] == ["assistant", "user", "assistant"]


async def test_a_pending_steer_is_answered_with_the_tool_outputs_and_not_sent_again(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([Reply(tool_calls=[CallTool("get_weather", {"city": "Paris"})]), "Sunny."])
    seen, outcome = await steered_turn(convo, at="response.output_item.added")
    assert outcome == "sent"
    kinds = types(seen)
    assert kinds.index("response.steer.pending") > kinds.index("response.completed")
    first, second = emulator.responses
    follow = creates(emulator)[1]
    assert follow["previous_response_id"] == first.id
    assert [item["type"] for item in follow["input"]] == ["function_call_output"]
    # The server put the steer before the outputs; the history holds it there too.
    history = without_ids(convo.to_input())
    assert [item.get("type") for item in history] == [
        "message",
        "function_call",
        "message",
        "function_call_output",
        "message",
    ]
    assert history[2] == STEER_ITEM
    assert without_ids(second.resolved_input) == history[:4]
    assert_server_saw_the_history(emulator, convo)


async def test_a_steer_the_server_fails_for_good_is_dropped_and_the_turn_goes_on(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    emulator.steer_failures = ["invalid_input"]
    script.extend([Reply(text=["Paris ", "is big."], faults=[Pause(at=5, seconds=0.2)])])
    seen, outcome = await steered_turn(convo)
    assert outcome == "sent"
    failed = next(e for e in seen if e.type == "response.steer.failed")
    assert failed.error["code"] == "invalid_input"  # type: ignore[union-attr]
    assert "client.steer.restart" not in types(seen)
    assert len(emulator.responses) == 1 and len(creates(emulator)) == 1
    assert [item.to_wire()["role"] for item in convo.items] == ["user", "assistant"]
    assert convo.items[1].to_wire()["content"][0]["text"] == "Paris is big."


async def test_a_successor_the_server_could_not_make_is_made_by_the_sdk(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    emulator.steer_failures = ["successor_creation_failed"]
    script.extend([SLOW, "Lovely."])
    seen, _ = await steered_turn(convo)
    kinds = types(seen)
    assert kinds.index("response.incomplete") < kinds.index("response.steer.failed")
    stopped, made = emulator.responses
    assert made.steered_from is None  # a response.create of the SDK's, not the server's
    history = without_ids(convo.to_input())
    assert history[1]["status"] == "incomplete" and history[2] == STEER_ITEM
    assert history[3]["content"][0]["text"] == "Lovely." and len(history) == 4
    assert without_ids(made.resolved_input) == history[:3]
    assert len(creates(emulator)) == 2


async def test_a_model_without_steering_restarts_with_the_steer_in_the_same_turn(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    emulator.steering = False
    script.extend([SLOW, "Lovely."])
    seen, outcome = await steered_turn(convo)
    assert outcome == "sent"  # the server's answer comes later, in the stream
    kinds = types(seen)
    failed = kinds.index("response.steer.failed")
    restart = kinds.index("client.steer.restart")
    assert failed < restart < len(kinds) - 1 - kinds[::-1].index("response.created")
    cut, again = emulator.responses
    assert cut.status in ("cancelled", "incomplete")
    assert [frame["type"] for frame in frames(emulator)] == [
        "response.create",
        "response.steer",
        "response.cancel",
        "response.create",
    ]
    # Nothing of the cut response is kept: the input, the steer, the new answer.
    history = without_ids(convo.to_input())
    assert history[:2] == [
        {"type": "message", "role": "user", "content": "Tell me about Paris."},
        STEER_ITEM,
    ]
    assert history[2]["content"][0]["text"] == "Lovely." and len(history) == 3
    assert without_ids(again.resolved_input) == history[:2]


async def test_restart_asked_for_cancels_and_continues_without_sending_a_steer(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([SLOW, "Lovely."])
    seen, outcome = await steered_turn(convo, restart=True)
    assert outcome == "restarted"
    assert steer_frames(emulator) == []
    assert types(seen).count("client.steer.restart") == 1
    assert without_ids(emulator.responses[1].resolved_input) == without_ids(convo.to_input())[:2]


async def test_an_interrupt_during_the_successor_works_as_any_interrupt(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([SLOW, SLOW, "Fine."])
    created = 0
    async with convo.stream("Tell me about Paris.") as events:
        async for event in events:
            if event.type == "response.created":
                created += 1
            elif event.type == "response.output_text.delta" and event.delta == "Let me ":
                if created == 1:
                    await convo.steer(STEER)
                else:
                    await convo.interrupt()  # the successor streams now
    assert events.result.status == "interrupted"
    successor = emulator.responses[1]
    assert successor.steered_from == emulator.responses[0].id
    # What the successor was made from stays; nothing of the successor does.
    assert without_ids(convo.to_input()) == without_ids(successor.resolved_input)
    done = await convo.send("Go on.")  # after the drain of the cancelled successor
    assert successor.id in emulator.connections[-1].cancels
    assert done.text == "Fine."
    assert_server_saw_the_history(emulator, convo)


async def steer_from_another_task(convo: Conversation) -> list[object]:
    """Run a turn; at its first delta another task steers it. Returns what steer() gave."""
    outcomes: list[object] = []
    started = False

    async def steer() -> None:
        try:
            outcomes.append(await convo.steer(STEER))
        except SteerFailedError as exc:
            outcomes.append(exc)
            await convo.interrupt()

    async with anyio.create_task_group() as group:
        async with convo.stream("Tell me about Paris.") as events:
            async for event in events:
                if event.type == "response.output_text.delta" and event.delta == "Let me ":
                    if not started:
                        started = True
                        group.start_soon(steer)
    return outcomes


async def test_steer_from_another_task_returns_once_the_server_accepted(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([SLOW, "Lovely."])
    assert await steer_from_another_task(convo) == ["accepted"]
    assert emulator.responses[1].steered_from == emulator.responses[0].id


async def test_steer_from_another_task_raises_when_the_server_refuses_for_good(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    emulator.steer_failures = ["invalid_input"]
    script.extend([SLOW])
    (error,) = await steer_from_another_task(convo)
    assert isinstance(error, SteerFailedError) and error.code == "invalid_input"


async def test_steer_from_another_task_says_when_the_sdk_restarted(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    emulator.steering = False
    script.extend([SLOW, "Lovely."])
    assert await steer_from_another_task(convo) == ["restarted"]
    assert without_ids(convo.to_input())[1] == STEER_ITEM


async def test_a_steer_before_the_request_went_out_is_sent_once_the_response_is_named(
    client: Client, emulator: Emulator, script: ScriptedModel
) -> None:
    # The next turn's request waits behind a drain (the server ignores the cancel of an
    # abandoned response) while another task steers it.
    transport = WebSocketTransport(client.config, drain_timeout=0.2)
    convo = client.conversation(model="gpt-4.1", transport=transport)
    script.extend([SLOW, SLOW, "Lovely."])
    emulator.cancel_mode = "ignore"
    async with convo.stream("Hi") as events:
        async for event in events:
            if event.type == "response.output_text.delta":
                break  # abandoned: cancelled, and the server goes on
    outcomes: list[object] = []

    async def steer() -> None:
        await anyio.wait_all_tasks_blocked()  # the next turn is draining, nothing written
        assert transport._state.phase is not Phase.SENT
        outcomes.append(await convo.steer(STEER))

    async with anyio.create_task_group() as group:
        group.start_soon(steer)
        result = await convo.send("Tell me about Paris.")
    assert outcomes == ["accepted"] and result.text == "Lovely."
    steered = emulator.responses[1]
    assert steer_frames(emulator) == [
        {"type": "response.steer", "previous_response_id": steered.id, "input": [STEER_ITEM]}
    ]
    assert emulator.responses[2].steered_from == steered.id
    await convo.aclose()


class ByLastInput:
    """Answers by the last input item's text: two conversations may ask in any order."""

    def reply(self, request: ModelRequest) -> Reply:
        last = request.input[-1].get("content")
        return {
            "Tell me about Paris.": SLOW,
            STEER: Reply(text="Lovely."),
            "Count to three.": Reply(text=["one ", "two ", "three"]),
        }[str(last)]


async def test_a_steer_on_one_lane_leaves_the_other_lanes_alone(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = ByLastInput()
    pool = client.connection()
    steered = client.conversation(model="gpt-4.1", connection=pool)
    other = client.conversation(model="gpt-4.1", connection=pool)
    counted: list[str] = []

    async def count() -> None:
        counted.append((await other.send("Count to three.")).text)

    async with anyio.create_task_group() as group:
        async with steered.stream("Tell me about Paris.") as events:
            async for event in events:
                if event.type == "response.output_text.delta" and event.delta == "Let me ":
                    group.start_soon(count)
                    assert await steered.steer(STEER) == "sent"
    assert counted == ["one two three"] and events.result.text == "Lovely."
    assert len(emulator.connections) == 1  # one socket, two lanes
    lane = emulator.responses[0].stream_id
    first, successor = (r for r in emulator.responses if r.stream_id == lane)
    assert successor.steered_from == first.id
    (counting,) = (r for r in emulator.responses if r.stream_id != first.stream_id)
    assert counting.steers == [] and counting.status == "completed"
    assert [item.to_wire()["role"] for item in other.items] == ["user", "assistant"]
    assert without_ids(steered.to_input())[2] == STEER_ITEM
    await steered.aclose()
    await other.aclose()


async def test_steer_needs_a_running_turn_and_user_input(
    convo: Conversation, script: ScriptedModel
) -> None:
    with pytest.raises(InputError, match="running turn"):
        await convo.steer(STEER)
    script.extend([SLOW])
    async with convo.stream("Hi") as events:
        async for event in events:
            if event.type == "response.output_text.delta":
                with pytest.raises(InputError, match="user messages"):
                    await convo.steer({"role": "assistant", "content": "no"})
                await convo.interrupt()
    assert events.result.status == "interrupted"


@pytest.mark.parametrize("transport", ["sse"])
async def test_steer_over_sse_restarts_with_the_steer(
    client: Client, emulator: Emulator, script: ScriptedModel
) -> None:
    convo = client.conversation(model="gpt-4.1", instructions="Be brief.")
    script.extend([SLOW, "Lovely."])
    seen, outcome = await steered_turn(convo)
    assert outcome == "restarted"
    assert types(seen).count("client.steer.restart") == 1
    history = without_ids(convo.to_input())
    assert history[1] == STEER_ITEM and len(history) == 3
    assert without_ids(emulator.responses[1].resolved_input) == history[:2]
