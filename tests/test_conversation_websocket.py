"""Conversations over the WebSocket transport, against the emulator on 127.0.0.1.

What the server received is read back from the emulator: each frame, and each response's
resolved input (the context ``previous_response_id`` pointed at, plus the new items).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from responses_client import (
    AuthenticationError,
    ConnectionClosed,
    ProtocolError,
    RemoteProtocolError,
    tool,
)
from responses_client._cancel import Phase
from responses_client._client import Client
from responses_client._conversation import Conversation
from responses_client._items import FunctionCall, FunctionCallOutput, Message
from responses_client._transports.websocket import WebSocketTransport
from responses_client.emulator import (
    CallTool,
    Drop,
    Emulator,
    Malformed,
    Pause,
    Reply,
    ScriptedModel,
    SendError,
)
from responses_client.events import Event

from .helpers import KEY, Clock, without_ids

pytestmark = pytest.mark.anyio

TOOL_REPLY = Reply(text="Let me look.", tool_calls=[CallTool("get_weather", {"city": "Paris"})])
TOOL_REPLY_EVENTS = 16
"""Events the emulator streams for ``TOOL_REPLY`` (checked in the first test using it)."""


class Weather:
    """A ``get_weather`` tool that records its calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

        def get_weather(city: str) -> str:
            """Current weather for a city."""
            self.calls.append(city)
            return f"Sunny in {city}"

        self.tool = tool(get_weather)


@pytest.fixture
def weather() -> Weather:
    return Weather()


@pytest.fixture
def convo(client: Client, weather: Weather) -> Conversation:
    return client.conversation(model="gpt-4.1", instructions="Be brief.", tools=[weather.tool])


def frames(emulator: Emulator) -> list[dict[str, Any]]:
    """Every frame the client sent, over all connections, in order."""
    return [frame for connection in emulator.connections for frame in connection.frames]


def creates(emulator: Emulator) -> list[dict[str, Any]]:
    return [frame for frame in frames(emulator) if frame["type"] == "response.create"]


def assert_server_saw_the_history(
    emulator: Emulator, convo: Conversation, *, since: int = 0
) -> None:
    """Each completed response's resolved input is the history as it was when it was sent,
    and its output is what the history holds right after.

    Ids are left out: a ``store=false`` request carries none, while the server's cached
    outputs (reached through ``previous_response_id``) keep theirs.
    """
    history = without_ids(convo.to_input())
    for response in emulator.responses[since:]:
        if response.status != "completed":
            continue
        n = len(response.resolved_input)
        assert without_ids(response.resolved_input) == history[:n]
        assert without_ids(response.output) == history[n : n + len(response.output)]


def response_ids(events: list[Event]) -> set[str]:
    return {
        str(event.response.id)  # type: ignore[union-attr]
        for event in events
        if getattr(event, "response", None) is not None
    }


# -- turns ---------------------------------------------------------------------------------


async def test_text_turn(convo: Conversation, emulator: Emulator, script: ScriptedModel) -> None:
    script.add(Reply(text=["Hel", "lo."]))
    deltas = []
    async with convo.stream("Hi") as events:
        async for event in events:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
    assert deltas == ["Hel", "lo."]
    assert events.result.text == "Hello."
    assert [type(item) for item in convo.items] == [Message, Message]
    (frame,) = frames(emulator)
    assert frame["type"] == "response.create" and "stream" not in frame
    assert frame["store"] is False and frame["instructions"] == "Be brief."
    assert frame["input"] == without_ids(convo.to_input()[:1])
    assert events.result.stats.bytes_sent == convo._transport.bytes_sent > 0


async def test_tool_turn(
    convo: Conversation, emulator: Emulator, script: ScriptedModel, weather: Weather
) -> None:
    script.extend([TOOL_REPLY, "Sunny in Paris."])
    seen: list[Event] = []
    async with convo.stream("Weather in Paris?") as events:
        async for event in events:
            seen.append(event)
    assert weather.calls == ["Paris"]
    assert events.result.text == "Sunny in Paris." and events.result.stats.rounds == 2
    assert [e.type for e in seen].count("client.tool.result") == 1
    assert [e.type for e in seen].index("response.completed") + 1 == TOOL_REPLY_EVENTS
    assert len(response_ids(seen)) == 2
    user, said, call, output, answer = convo.items
    assert isinstance(call, FunctionCall) and isinstance(output, FunctionCallOutput)
    assert output.call_id == call.call_id and output.output == "Sunny in Paris"
    first, second = creates(emulator)
    # The tool round sends only the call's output, after the first response.
    assert second["previous_response_id"] == emulator.responses[0].id
    assert second["input"] == [output.to_wire()]
    assert_server_saw_the_history(emulator, convo)


async def test_turns_after_the_first_send_only_new_items(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend(["One.", TOOL_REPLY, "Two.", "Three.", "Four."])
    for text in ("a", "b", "c", "d"):
        before = len(convo.items)
        await convo.send(text)
        assert_server_saw_the_history(emulator, convo)
        frame = creates(emulator)[-1]
        if before:
            # Only the user's new message (or the tool output) went out.
            assert frame["previous_response_id"] == emulator.responses[-2].id
            assert len(frame["input"]) == 1
    sent = creates(emulator)
    assert "previous_response_id" not in sent[0]
    assert all("previous_response_id" in frame for frame in sent[1:])
    assert len(emulator.connections) == 1


async def test_editing_history_sends_full_context(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend(["One.", "Two.", "Three."])
    await convo.send("first")
    convo.replace_item(0, {"role": "user", "content": "first, edited"})
    await convo.send("second")
    frame = creates(emulator)[-1]
    assert "previous_response_id" not in frame
    assert frame["input"] == without_ids(convo.to_input()[:-1])
    assert_server_saw_the_history(emulator, convo, since=1)
    await convo.send("third")
    assert creates(emulator)[-1]["previous_response_id"] == emulator.responses[-2].id


async def test_changing_instructions_sends_full_context(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend(["One.", "Two."])
    await convo.send("first")
    convo.instructions = "Be verbose."
    await convo.send("second")
    frame = creates(emulator)[-1]
    assert "previous_response_id" not in frame
    assert frame["instructions"] == "Be verbose."
    assert frame["input"] == without_ids(convo.to_input()[:-1])


# -- the server forgets ----------------------------------------------------------------------


async def test_previous_response_not_found_retries_with_full_context(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    lost = SendError(at=0, code="previous_response_not_found", status=400)
    script.extend(["One.", Reply(text="never", faults=[lost]), "Two."])
    await convo.send("first")
    result = await convo.send("second")
    assert result.text == "Two." and result.stats.retries == 1
    incremental, retry = creates(emulator)[1:]
    assert incremental["previous_response_id"] == emulator.responses[0].id
    assert "previous_response_id" not in retry
    assert retry["input"] == without_ids(convo.to_input()[:-1])
    assert [item.text for item in convo.items if isinstance(item, Message)] == [
        "first",
        "One.",
        "second",
        "Two.",
    ]
    assert len(emulator.connections) == 1


async def test_connection_age_limit_reconnects_with_full_context(weather: Weather) -> None:
    clock = Clock()
    script = ScriptedModel(["One.", "Two.", "Three."])
    async with (
        Emulator(script, connection_max_age=60.0, clock=clock) as emu,
        Client(base_url=emu.base_url, api_key=KEY) as client,
    ):
        convo = client.conversation(model="gpt-4.1", tools=[weather.tool])
        await convo.send("first")
        clock.now += 61  # the server's limit passed; the client's own did not
        result = await convo.send("second")
        assert result.text == "Two." and result.stats.retries == 1
        assert len(emu.connections) == 2
        (retry,) = emu.connections[1].frames
        assert "previous_response_id" not in retry and retry["input"] == without_ids(
            convo.to_input()[:-1]
        )
        await convo.send("third")
        assert emu.connections[1].frames[-1]["previous_response_id"] == emu.responses[-2].id
        assert_server_saw_the_history(emu, convo)


async def test_an_old_connection_is_replaced_before_the_request(
    client: Client, emulator: Emulator, script: ScriptedModel
) -> None:
    clock = Clock()
    transport = WebSocketTransport(client.config, clock=clock, max_connection_age=3000.0)
    convo = client.conversation(model="gpt-4.1", transport=transport)
    script.extend(["One.", "Two."])
    await convo.send("first")
    clock.now += 3001
    result = await convo.send("second")
    # Planned as full context from the start: no error, no retry.
    assert result.stats.retries == 0
    assert len(emulator.connections) == 2
    (frame,) = emulator.connections[1].frames
    assert "previous_response_id" not in frame and frame["input"] == without_ids(
        convo.to_input()[:-1]
    )
    await convo.aclose()


# -- drops and cancels at every event --------------------------------------------------------


async def test_a_drop_after_any_event_retries_and_keeps_history_exactly_once(
    emulator: Emulator, script: ScriptedModel, client: Client
) -> None:
    # A drop after the last event (index TOOL_REPLY_EVENTS - 1) is no longer mid-response.
    for after in range(TOOL_REPLY_EVENTS - 1):
        weather = Weather()
        convo = client.conversation(model="gpt-4.1", tools=[weather.tool])
        cut = Reply(text=TOOL_REPLY.text, tool_calls=TOOL_REPLY.tool_calls, faults=[Drop(after)])
        script.extend([cut, TOOL_REPLY, "Sunny."])
        seen: list[Event] = []
        async with convo.stream("Weather?") as events:
            async for event in events:
                seen.append(event)
        result = events.result
        assert result.status == "completed" and result.text == "Sunny."
        assert result.stats.retries == 1
        # The caller saw the partial attempt, then client.retry, then the whole answer.
        types = [e.type for e in seen]
        assert types[after + 1] == "client.retry"
        assert types.count("response.completed") == 2
        assert weather.calls == ["Paris"]
        kinds = [type(item).__name__ for item in convo.items]
        assert kinds == ["Message", "Message", "FunctionCall", "FunctionCallOutput", "Message"]
        await convo.aclose()
    assert script.remaining == 0


async def test_leaving_after_any_event_cancels_and_the_next_turn_is_clean(
    convo: Conversation, emulator: Emulator, script: ScriptedModel, weather: Weather
) -> None:
    for leave_after in range(1, TOOL_REPLY_EVENTS + 1):
        script.extend([TOOL_REPLY, "Clean."])
        seen = 0
        async with convo.stream("Weather?") as events:
            async for _ in events:
                seen += 1
                if seen == leave_after:
                    break
        assert seen == leave_after
        clean: list[Event] = []
        async with convo.stream("Hello?") as events:
            async for event in events:
                clean.append(event)
        assert events.result.text == "Clean."
        assert clean[0].type == "response.created" and clean[-1].type == "response.completed"
        assert response_ids(clean) == {emulator.responses[-1].id}
    assert weather.calls == []  # no tool of a cancelled response ever ran
    assert len(emulator.connections) == 1  # every cancelled response was drained
    assert script.remaining == 0


async def test_cancel_before_response_created(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    pauses = [Pause(at=0, seconds=0.2), Pause(at=1, seconds=0.3)]
    script.extend([Reply(text="never", faults=pauses), "Clean."])
    transport = convo._transport
    assert isinstance(transport, WebSocketTransport)
    stream = convo.stream("Hi")
    seen: list[Event] = []

    async def consume() -> None:
        async for event in stream:
            seen.append(event)

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        while transport._state.phase is not Phase.SENT:
            await anyio.lowlevel.checkpoint()
        await convo.interrupt()
    assert seen == [] and stream.result.status == "interrupted"
    result = await convo.send("Again")
    assert result.text == "Clean."
    sent = frames(emulator)
    assert [f["type"] for f in sent] == ["response.create", "response.cancel", "response.create"]
    assert sent[1]["response_id"] == emulator.responses[0].id
    assert emulator.responses[0].status == "cancelled"


async def test_interrupt_from_another_task(
    convo: Conversation, emulator: Emulator, script: ScriptedModel, weather: Weather
) -> None:
    slow = Reply(text="a b c d", tool_calls=TOOL_REPLY.tool_calls, faults=[Pause(at=5, seconds=30)])
    script.extend([slow, "Clean."])
    got_some = anyio.Event()
    seen: list[Event] = []

    async def consume() -> None:
        async with convo.stream("Go") as events:
            async for event in events:
                seen.append(event)
                if len(seen) == 5:
                    got_some.set()

    with anyio.fail_after(10):  # far less than the server's 30 s pause
        async with anyio.create_task_group() as group:
            group.start_soon(consume)
            await got_some.wait()
            await convo.interrupt()
        result = await convo.send("Next")
    assert len(seen) == 5
    assert result.text == "Clean." and weather.calls == []
    assert emulator.responses[0].status == "cancelled"
    assert len(emulator.connections) == 1


async def test_malformed_frame_raises_and_the_next_turn_is_clean(
    convo: Conversation, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([Reply(text="one two", faults=[Malformed(at=4)]), "Clean."])
    with pytest.raises(ProtocolError) as caught:
        await convo.send("Hi")
    assert isinstance(caught.value, RemoteProtocolError)
    result = await convo.send("Again")
    assert result.text == "Clean."
    assert [item.text for item in convo.items if isinstance(item, Message)] == [
        "Hi",
        "Again",
        "Clean.",
    ]
    assert len(emulator.connections) == 1


# -- connecting and closing ------------------------------------------------------------------


async def test_wrong_key_fails_the_handshake_with_401(emulator: Emulator) -> None:
    async with Client(base_url=emulator.base_url, api_key="sk-wrong-key") as client:
        convo = client.conversation(model="gpt-4.1")
        with pytest.raises(AuthenticationError) as caught:
            await convo.send("Hi")
    assert caught.value.status_code == 401
    assert emulator.connections == []


async def test_client_aclose_closes_the_connection(
    client: Client, convo: Conversation, script: ScriptedModel
) -> None:
    script.add("Hello.")
    await convo.send("Hi")
    transport = convo._transport
    assert isinstance(transport, WebSocketTransport) and transport.connected
    await client.aclose()
    assert not transport.connected


async def test_a_drop_without_retries_left_raises_connection_closed(
    emulator: Emulator, script: ScriptedModel
) -> None:
    async with Client(base_url=emulator.base_url, api_key=KEY, max_retries=0) as client:
        convo = client.conversation(model="gpt-4.1")
        script.extend([Reply(text="cut", faults=[Drop(after=1)]), "Fine."])
        with pytest.raises(ConnectionClosed):
            await convo.send("Hi")
        assert (await convo.send("Again")).text == "Fine."


async def test_the_key_never_reaches_a_log(
    emulator: Emulator, script: ScriptedModel, caplog: pytest.LogCaptureFixture
) -> None:
    script.extend([TOOL_REPLY, "Sunny.", Reply(text="cut", faults=[Drop(after=2)]), "Again."])
    with caplog.at_level(logging.DEBUG):
        for name in list(logging.root.manager.loggerDict):
            logging.getLogger(name).setLevel(logging.DEBUG)
        async with Client(base_url=emulator.base_url, api_key=KEY) as client:
            convo = client.conversation(model="gpt-4.1", tools=[Weather().tool])
            await convo.send("Weather?")
            await convo.send("Cut")
        async with Client(base_url=emulator.base_url, api_key=KEY + "-wrong") as client:
            with pytest.raises(AuthenticationError):
                await client.conversation(model="gpt-4.1").send("Hi")
    # uvicorn's records are the emulator's server side.
    records = [r for r in caplog.records if not r.name.startswith("uvicorn")]
    text = "\n".join(record.getMessage() for record in records)
    assert "Authorization: ***" in text
    assert KEY not in text


async def test_client_retry_comes_once_per_attempt_that_showed_output(
    convo: Conversation, script: ScriptedModel
) -> None:
    from responses_client.emulator import Drop, SendError

    script.extend(
        [
            Reply(text="partial answer", faults=[Drop(after=5)]),
            Reply(text="never", faults=[SendError(at=0, code="previous_response_not_found")]),
            Reply(text="final answer"),
        ]
    )
    types: list[str] = []
    async with convo.stream("hi") as events:
        async for event in events:
            types.append(event.type)
    # The first attempt showed output, so one client.retry voids it; the second attempt
    # failed before showing anything, so the third needs no second client.retry.
    assert types.count("client.retry") == 1
    assert events.result.text == "final answer"
    assert events.result.stats.retries == 2
    assert [i.text for i in convo.items if isinstance(i, Message)] == ["hi", "final answer"]
