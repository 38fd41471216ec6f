"""The WebSocket transport against the emulator on 127.0.0.1: real sockets, real frames."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from responses_client._cancel import Phase
from responses_client._config import Config
from responses_client._exceptions import (
    APIConnectionError,
    AuthenticationError,
    ConnectionClosed,
    RemoteProtocolError,
)
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
from responses_client.events import ServerEvent

pytestmark = pytest.mark.anyio

KEY = "sk-test-websocket-0123456789SECRET"

TOOL_REPLY = Reply(text="Let me look.", tool_calls=[CallTool("get_weather", {"city": "Paris"})])


def body(text: str = "Hi", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4.1", "input": [{"role": "user", "content": text}], **extra}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def transport_for(emu: Emulator, *, key: str = KEY, **options: Any) -> WebSocketTransport:
    config = Config.resolve(
        api_key=key,
        base_url=emu.base_url,
        organization="org-test",
        project="proj-test",
        default_headers={"X-Test": "yes"},
    )
    return WebSocketTransport(config, **options)


async def collect(transport: WebSocketTransport, request: dict[str, Any]) -> list[ServerEvent]:
    events = []
    async for event in transport.stream(request):
        events.append(event)
    return events


@pytest.fixture
def script() -> ScriptedModel:
    return ScriptedModel([])


@pytest.fixture
async def emulator(script: ScriptedModel) -> AsyncIterator[Emulator]:
    async with Emulator(script, api_keys=[KEY]) as emu:
        yield emu


@pytest.fixture
async def transport(emulator: Emulator) -> AsyncIterator[WebSocketTransport]:
    transport = transport_for(emulator)
    yield transport
    await transport.aclose()


def created_id(events: list[ServerEvent]) -> str:
    first = events[0]
    assert first.type == "response.created"
    return str(first.response.id)  # type: ignore[union-attr]


def assert_one_clean_response(events: list[ServerEvent]) -> None:
    """Events of exactly one response: created first, its terminal event last, one id."""
    assert events[0].type == "response.created"
    assert events[-1].type == "response.completed"
    ids = {getattr(getattr(e, "response", None), "id", None) for e in events} - {None}
    assert ids == {created_id(events)}
    assert [e.type for e in events].count("response.created") == 1


async def count_events(reply: Reply) -> int:
    async with Emulator(ScriptedModel([reply])) as emu:
        transport = transport_for(emu)
        try:
            return len(await collect(transport, body()))
        finally:
            await transport.aclose()


# -- one connection, many responses -----------------------------------------------------


async def test_responses_share_one_lazily_opened_connection(
    transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend(["Hello.", "Again."])
    assert (transport.connected, transport.connects, emulator.connections) == (False, 0, [])
    first = await collect(transport, body("Hi"))
    epoch = transport.epoch
    second = await collect(transport, body("More", previous_response_id=created_id(first)))
    assert_one_clean_response(first)
    assert_one_clean_response(second)
    assert transport.connects == 1 and len(emulator.connections) == 1
    assert transport.epoch == epoch == 1
    frames = emulator.connections[0].frames
    assert [f["type"] for f in frames] == ["response.create", "response.create"]
    assert all("stream" not in f for f in frames)
    assert frames[1]["previous_response_id"] == created_id(first)
    sent = sum(len(json.dumps(f, separators=(",", ":")).encode()) for f in frames)
    assert transport.bytes_sent == sent


async def test_stream_key_of_the_body_is_not_sent(
    transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    script.add("Hello.")
    await collect(transport, body(stream=True))
    assert "stream" not in emulator.connections[0].frames[0]


async def test_handshake_carries_auth_org_project_and_default_headers(
    transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    script.add("Hello.")
    await collect(transport, body())
    headers = emulator.connections[0].headers
    assert headers["openai-organization"] == "org-test"
    assert headers["openai-project"] == "proj-test"
    assert headers["x-test"] == "yes"
    assert headers["authorization"].startswith("Bearer")  # accepted: api_keys=[KEY]


async def test_aclose_closes_the_connection(
    transport: WebSocketTransport, script: ScriptedModel
) -> None:
    script.add("Hello.")
    await collect(transport, body())
    assert transport.connected
    await transport.aclose()
    assert not transport.connected
    await transport.aclose()  # idempotent


# -- leaving early: cancel, then drain ----------------------------------------------------


@pytest.mark.parametrize("delay", [0.0, 0.01])
async def test_leaving_after_any_event_cancels_and_the_next_stream_is_clean(
    delay: float, transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    # Without delay the server has usually finished before the cancel arrives (it then
    # answers the cancel with a late error, which must not reach the next stream); with
    # one, the cancel cuts the response short.
    reply = replace(TOOL_REPLY, delay=delay)
    total = await count_events(reply)
    assert total > 10
    statuses = set()
    for leave_after in range(1, total):
        script.extend([reply, "Clean."])
        seen = 0
        stream = transport.stream(body())
        async for _ in stream:
            seen += 1
            if seen == leave_after:
                break
        await stream.aclose()
        cancelled = emulator.responses[-1]
        second = await collect(transport, body("Next"))
        assert_one_clean_response(second)
        assert second[-1].response.output[0].text == "Clean."  # type: ignore[union-attr]
        frames = emulator.connections[0].frames[-3:]
        assert [f["type"] for f in frames] == [
            "response.create",
            "response.cancel",
            "response.create",
        ]
        assert frames[1]["response_id"] == cancelled.id
        statuses.add(cancelled.status)
    assert statuses <= {"cancelled", "completed"}
    if delay:
        assert "cancelled" in statuses
    # Every abandoned response was drained on the same connection, none reconnected.
    assert transport.connects == 1


async def test_leaving_after_the_terminal_event_sends_no_cancel(
    transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend(["Done.", "Next."])
    stream = transport.stream(body())
    async for event in stream:
        if event.type == "response.completed":
            break
    await stream.aclose()
    await collect(transport, body())
    types = [f["type"] for f in emulator.connections[0].frames]
    assert types == ["response.create", "response.create"]


async def test_task_cancellation_cancels_the_response(
    transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([Reply(text="slow", faults=[Pause(at=2, seconds=0.5)]), "Next."])
    got_one = anyio.Event()

    async def consume() -> None:
        async for _ in transport.stream(body()):
            got_one.set()

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        await got_one.wait()
        group.cancel_scope.cancel()
    second = await collect(transport, body())
    assert_one_clean_response(second)
    assert [f["type"] for f in emulator.connections[0].frames][1] == "response.cancel"
    assert emulator.responses[0].status == "cancelled"


async def test_cancel_before_response_created_goes_out_when_it_arrives(
    transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    # The server waits before response.created, so the cancel comes while the create is
    # written and unanswered; it waits after it too, so the late cancel still finds the
    # response running.
    pauses = [Pause(at=0, seconds=0.2), Pause(at=1, seconds=0.3)]
    script.extend([Reply(text="never", faults=pauses), "Next."])
    stream = transport.stream(body())
    events: list[ServerEvent] = []

    async def consume() -> None:
        async for event in stream:
            events.append(event)

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        while transport._state.phase is not Phase.SENT:
            await anyio.lowlevel.checkpoint()
        await transport.cancel()
    assert events == []
    second = await collect(transport, body())
    assert_one_clean_response(second)
    frames = emulator.connections[0].frames
    assert [f["type"] for f in frames] == ["response.create", "response.cancel", "response.create"]
    assert frames[1]["response_id"] == emulator.responses[0].id
    assert emulator.responses[0].status == "cancelled"
    assert transport.connects == 1


async def test_cancel_before_anything_was_written_needs_no_drain(
    transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    script.add("Only.")
    await transport.cancel()  # nothing in flight: nothing to do
    assert await collect(transport, body())
    assert [f["type"] for f in emulator.connections[0].frames] == ["response.create"]


async def test_cancel_from_another_task_stops_a_waiting_stream_promptly(
    emulator: Emulator, script: ScriptedModel
) -> None:
    # The server pauses 30 s mid-response (a pause the cancel cuts short); the stream must
    # stop at once, not when the next frame comes.
    transport = transport_for(emulator)
    script.extend([Reply(text="a b c", faults=[Pause(at=3, seconds=30)]), "Next."])
    received = anyio.Event()
    events: list[ServerEvent] = []

    async def consume() -> None:
        async for event in transport.stream(body()):
            events.append(event)
            if len(events) == 3:
                received.set()

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(consume)
            await received.wait()
            await transport.cancel()
        assert len(events) == 3
        second = await collect(transport, body())
    assert_one_clean_response(second)
    assert transport.connects == 1
    assert emulator.connections[0].frames[1]["type"] == "response.cancel"
    assert emulator.responses[0].status == "cancelled"
    await transport.aclose()


async def test_cancel_while_the_consumer_holds_an_event(
    transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([TOOL_REPLY, "Next."])
    seen = 0
    async for _ in transport.stream(body()):
        seen += 1
        if seen == 2:
            await transport.cancel()  # as Conversation.interrupt() would, from anywhere
    assert seen == 2
    assert_one_clean_response(await collect(transport, body()))
    assert transport.connects == 1


async def test_a_drain_that_times_out_reconnects(emulator: Emulator, script: ScriptedModel) -> None:
    # response.created comes only after 30 s, so the pending cancel cannot go out and the
    # drain cannot end: after drain_timeout the transport starts over on a new connection.
    transport = transport_for(emulator, drain_timeout=0.1)
    script.extend([Reply(text="late", faults=[Pause(at=0, seconds=30)]), "Next."])
    async with anyio.create_task_group() as group:
        group.start_soon(collect, transport, body())
        while transport._state.phase is not Phase.SENT:
            await anyio.lowlevel.checkpoint()
        await transport.cancel()
    with anyio.fail_after(10):
        second = await collect(transport, body())
    assert_one_clean_response(second)
    assert transport.connects == 2 and transport.epoch == 2
    assert [f["type"] for f in emulator.connections[0].frames] == ["response.create"]
    await transport.aclose()


# -- faults --------------------------------------------------------------------------------


async def test_malformed_frame_raises_and_the_next_stream_is_clean(
    transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([Reply(text="one two three", faults=[Malformed(at=3)]), "Next."])
    seen: list[ServerEvent] = []
    with pytest.raises(RemoteProtocolError) as caught:
        async for event in transport.stream(body()):
            seen.append(event)
    assert len(seen) == 3
    assert caught.value.data.startswith('{"type": "response.output_text.delta"')
    second = await collect(transport, body())
    assert_one_clean_response(second)
    assert transport.connects == 1


@pytest.mark.parametrize("after", [0, 2, 5])
async def test_a_drop_raises_connection_closed_and_the_next_stream_reconnects(
    after: int, transport: WebSocketTransport, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend([Reply(text="one two three", faults=[Drop(after=after)]), "Next."])
    seen = 0
    with pytest.raises(ConnectionClosed):
        async for _ in transport.stream(body()):
            seen += 1
    assert seen == after + 1
    assert transport.epoch == 2  # already the next connection's: plans made now send all
    second = await collect(transport, body())
    assert_one_clean_response(second)
    assert transport.connects == 2 and transport.epoch == 2
    assert len(emulator.connections) == 2


async def test_error_event_ends_the_stream_and_keeps_the_connection(
    transport: WebSocketTransport, script: ScriptedModel
) -> None:
    script.extend([Reply(text="x", faults=[SendError(at=2, code="server_error")]), "Ok."])
    events = await collect(transport, body(previous_response_id="resp_unknown"))
    assert [e.type for e in events] == ["error"]
    assert events[0].code == "previous_response_not_found"  # type: ignore[union-attr]
    events = await collect(transport, body())
    assert [e.type for e in events][-1] == "error" and len(events) == 3
    assert_one_clean_response(await collect(transport, body()))
    assert transport.connects == 1


async def test_connection_limit_drops_the_connection() -> None:
    clock = Clock()
    script = ScriptedModel(["One.", "Two."])
    async with Emulator(script, connection_max_age=60.0, clock=clock) as emu:
        transport = transport_for(emu)
        await collect(transport, body())
        clock.now += 61
        events = await collect(transport, body())
        assert [e.type for e in events] == ["error"]
        assert events[0].code == "websocket_connection_limit_reached"  # type: ignore[union-attr]
        assert transport.epoch == 2
        assert_one_clean_response(await collect(transport, body()))
        assert transport.connects == 2
        await transport.aclose()


async def test_an_old_connection_is_replaced_before_a_full_context_request(
    emulator: Emulator, script: ScriptedModel
) -> None:
    clock = Clock()
    transport = transport_for(emulator, clock=clock, max_connection_age=100.0)
    script.extend(["One.", "Two.", "Three."])
    first = await collect(transport, body())
    clock.now += 101
    # Too old: the epoch already reads as the next connection's...
    assert transport.epoch == 2
    # ...but a request planned earlier against this connection still goes out on it.
    await collect(transport, body(previous_response_id=created_id(first)))
    assert transport.connects == 1
    await collect(transport, body())
    assert transport.connects == 2 and transport.epoch == 2
    await transport.aclose()


# -- connecting ----------------------------------------------------------------------------


async def test_wrong_key_is_authentication_error_and_not_retried(emulator: Emulator) -> None:
    transport = transport_for(emulator, key="sk-wrong")
    with pytest.raises(AuthenticationError) as caught:
        await collect(transport, body())
    assert caught.value.status_code == 401
    assert "sk-wrong" not in str(caught.value)
    assert emulator.connections == [] and transport.connects == 0


async def test_a_failed_connect_is_one_attempt_that_raises_typed() -> None:
    # Trying again, after the policy's delays, is the turn machine's job: see
    # tests/reliability/test_retry_budget.py for the waits and the attempts counted.
    async with Emulator() as emu:
        url = emu.base_url
    # The emulator is gone: nothing listens on its port any more.
    config = Config.resolve(api_key=KEY, base_url=url)
    transport = WebSocketTransport(config)
    with pytest.raises(APIConnectionError, match="could not connect"):
        await collect(transport, body())
    assert transport.connects == 0 and not transport.connected


async def test_the_key_never_reaches_a_log_at_debug(
    emulator: Emulator, script: ScriptedModel, caplog: pytest.LogCaptureFixture
) -> None:
    script.extend(["One.", Reply(text="cut", faults=[Drop(after=1)])])
    with caplog.at_level(logging.DEBUG):
        for name in list(logging.root.manager.loggerDict):
            logging.getLogger(name).setLevel(logging.DEBUG)
        transport = transport_for(emulator)
        await collect(transport, body())
        with pytest.raises(ConnectionClosed):
            await collect(transport, body())
        await transport.aclose()
        wrong = transport_for(emulator, key=KEY + "x")
        with pytest.raises(AuthenticationError):
            await collect(wrong, body())
    # uvicorn's own records are the emulator's server side (it logs what it received).
    text = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("uvicorn")
    )
    assert "> Authorization: ***" in text  # the handshake was logged, redacted
    assert KEY not in text
    assert KEY not in repr(transport) and KEY not in repr(transport._config)


async def test_a_fast_server_cannot_starve_other_tasks(
    emulator: Emulator, script: ScriptedModel
) -> None:
    transport = transport_for(emulator, yield_every=8)
    script.add(Reply(text=["x"] * 300))
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await anyio.lowlevel.checkpoint()

    longest = run = 0
    last_tick = -1
    async with anyio.create_task_group() as group:
        group.start_soon(ticker)
        async for _ in transport.stream(body()):
            run = run + 1 if ticks == last_tick else 1
            last_tick = ticks
            longest = max(longest, run)
        done = True
    assert longest <= 8
    await transport.aclose()


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("Authorization", f"Bearer {KEY}"), "Authorization: ***"),
        (("authorization", "Basic abc"), "authorization: ***"),
        (("X-Trace", f"prefix {KEY} suffix"), "X-Trace: prefix *** suffix"),
        (("X-Bytes", f"{KEY}".encode()), "X-Bytes: ***"),
        (("OpenAI-Project", "proj-test"), "OpenAI-Project: proj-test"),
    ],
)
def test_the_wire_logger_redacts_secrets(
    args: tuple[str, object], shown: str, caplog: pytest.LogCaptureFixture
) -> None:
    transport = WebSocketTransport(Config.resolve(api_key=KEY, base_url="http://127.0.0.1:1/v1"))
    with caplog.at_level(logging.DEBUG, logger="responses_client.wire"):
        transport._wire_logger.debug("%s: %s", *args)
    assert [record.getMessage() for record in caplog.records] == [shown]


def test_a_conversation_used_under_a_second_event_loop_says_so() -> None:
    import anyio

    from responses_client import Client, ResponsesError

    held: dict[str, Any] = {}

    async def first_loop() -> None:
        async with Emulator(ScriptedModel(["One."])) as emu:
            held["client"] = client = Client(base_url=emu.base_url, api_key=KEY)
            held["convo"] = convo = client.conversation()
            assert (await convo.send("Hi")).text == "One."

    async def second_loop() -> None:
        with pytest.raises(ResponsesError, match="belongs to another event loop"):
            await held["convo"].send("Again")
        await held["client"].aclose()  # closing what the first loop left is quiet

    anyio.run(first_loop)
    anyio.run(second_loop)
