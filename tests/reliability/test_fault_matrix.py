"""Fault matrix, over SSE, WebSocket and Chat Completions: a 3-turn conversation (a tool
call in turn 2).

For every response of the script and every event index k of it (every chunk, over chat):
the connection drops after event k, a malformed frame arrives before event k, or an
``error`` event ``previous_response_not_found`` replaces event k (over chat, an ``error``
object in a data line). Every run must complete all turns (a malformed frame fails its
turn with ``ProtocolError``; the turn is then run again on the history as it is), run the
tool once, and end with the history of the fault-free run, item for item (server-made ids
aside). Over WebSocket also: the connection age limit is reached before each response
after the first (the server refuses the ``response.create``, or the client replaces its
too-old connection first).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from responses_client import Client, Conversation, ProtocolError
from responses_client.emulator import (
    Drop,
    Emulator,
    Fault,
    HttpStatus,
    Malformed,
    ModelRequest,
    Reply,
    ScriptedModel,
    SendError,
)
from responses_client.events import Event

from ._support import (
    BASE_SCRIPT,
    CHAT_CHUNK_COUNTS,
    EVENT_COUNTS,
    KEY,
    RESPONSE_TURN,
    TURNS,
    Clock,
    ToolLog,
    conversation,
    stripped,
)
from .conftest import MATRIX_RUNS

pytestmark = pytest.mark.anyio

FAULTS: dict[str, Callable[[int], Fault]] = {
    "drop": lambda k: Drop(after=k),
    "malformed": lambda k: Malformed(at=k),
    "not_found": lambda k: SendError(at=k, code="previous_response_not_found", status=400),
}


def cases() -> list[Any]:
    params = []
    for transport in TRANSPORTS:
        counts = CHAT_CHUNK_COUNTS if transport == "chat" else EVENT_COUNTS
        for response, count in enumerate(counts):
            for k in range(count):
                for fault in FAULTS:
                    if fault == "drop" and k == count - 1:
                        continue  # a drop after the terminal event is no fault
                    params.append(
                        pytest.param(
                            transport,
                            fault,
                            response,
                            k,
                            id=f"{transport}-{fault}-r{response}-k{k}",
                        )
                    )
    return params


TRANSPORTS = ("sse", "websocket", "chat", "lane")


@dataclass
class Run:
    history: list[dict[str, Any]]
    texts: list[str]
    events: list[list[str]]
    deltas: list[str]
    protocol_errors: list[int] = field(default_factory=list)
    retry_events: int = 0


def clean(events: list[Event]) -> list[Event]:
    """The events with each abandoned attempt removed (up to its ``client.retry``)."""
    kept: list[Event] = []
    for event in events:
        if event.type == "client.retry":
            while kept and kept[-1].type != "response.created":
                kept.pop()
            assert kept, "client.retry without an attempt before it"
            kept.pop()
        else:
            kept.append(event)
    return kept


async def run_turns(convo: Conversation) -> Run:
    run = Run(history=[], texts=[], events=[], deltas=[])
    for turn, text in enumerate(TURNS):
        seen: list[Event] = []
        try:
            async with convo.stream(text) as events:
                async for event in events:
                    seen.append(event)
        except ProtocolError:
            run.protocol_errors.append(turn)
            async with convo.stream(None) as events:
                async for event in events:
                    seen.append(event)
        run.retry_events += sum(1 for e in seen if e.type == "client.retry")
        kept = clean(seen)
        run.events.append([e.type for e in kept])
        run.deltas.append("".join(getattr(e, "delta", "") for e in kept if "text.delta" in e.type))
        run.texts.append(events.result.text)
    run.history = stripped(convo.items)
    return run


@pytest.fixture(scope="module")
async def client(emulator: Emulator) -> AsyncIterator[Client]:
    async with Client(base_url=emulator.base_url, api_key=KEY, max_retries=2) as client:
        yield client


@pytest.fixture(scope="module")
async def references(emulator: Emulator, client: Client) -> dict[str, Run]:
    runs = {}
    for transport in TRANSPORTS:
        emulator.model = ScriptedModel(BASE_SCRIPT)
        log = ToolLog()
        async with conversation(client, transport, log) as convo:
            run = await run_turns(convo)
        assert log.calls == ["x"]
        assert run.texts == ["Hello there, friend.", "The answer is 42.", "You are welcome."]
        assert len(run.history) == 8 and run.retry_events == 0
        runs[transport] = run
    assert runs["sse"] == runs["websocket"] == runs["lane"]
    return runs


def faulted_script(fault: Fault, response: int) -> list[Reply]:
    """The base script with ``fault`` in one reply, and a clean copy after it for the retry."""
    script = list(BASE_SCRIPT)
    script[response : response + 1] = [
        replace(BASE_SCRIPT[response], faults=[fault]),
        script[response],
    ]
    return script


@pytest.mark.parametrize(("transport", "fault", "response", "k"), cases())
async def test_fault_matrix(
    emulator: Emulator,
    client: Client,
    references: dict[str, Run],
    transport: str,
    fault: str,
    response: int,
    k: int,
) -> None:
    reference = references[transport]
    script = ScriptedModel(faulted_script(FAULTS[fault](k), response))
    emulator.model = script
    log = ToolLog()
    async with conversation(client, transport, log) as convo:
        run = await run_turns(convo)
    assert script.remaining == 0
    assert log.calls == ["x"], "the tool ran exactly once"
    assert run.history == reference.history
    assert run.texts == reference.texts
    turn = RESPONSE_TURN[response]
    if fault == "malformed":
        assert run.protocol_errors == [turn]
    else:
        assert run.protocol_errors == []
        # Output had reached the caller iff an event of the cut attempt was yielded.
        assert run.retry_events == (1 if fault == "drop" or k > 0 else 0)
        assert run.events == reference.events
        assert run.deltas == reference.deltas
    MATRIX_RUNS[f"fault matrix {transport} {fault}"] += 1


class AgingModel:
    """Answers from a script; once response ``before - 1`` is decided, moves time on.

    ``who`` says whose clock moves: the server's only (its next ``response.create`` gets
    ``websocket_connection_limit_reached`` and the connection closes) or both (the client
    replaces its too-old connection before the request).
    """

    def __init__(self, script: ScriptedModel, before: int, clocks: list[Clock]) -> None:
        self.script = script
        self.before = before
        self.clocks = clocks
        self.asked = 0

    def reply(self, request: ModelRequest) -> Reply | HttpStatus:
        self.asked += 1
        if self.asked == self.before:
            for clock in self.clocks:
                clock.now += 61 * 60
        return self.script.reply(request)


@pytest.mark.parametrize("who", ["server", "client-and-server"])
@pytest.mark.parametrize("response", [1, 2, 3])
async def test_connection_age_limit_before_a_response(
    emulator: Emulator, client: Client, references: dict[str, Run], who: str, response: int
) -> None:
    server_clock, client_clock = Clock(), Clock()
    clocks = [server_clock] if who == "server" else [server_clock, client_clock]
    script = ScriptedModel(BASE_SCRIPT)
    emulator.model = AgingModel(script, response, clocks)
    emulator.state.clock, emulator.state.connection_max_age = server_clock, 3600.0
    log = ToolLog()
    try:
        async with conversation(client, "websocket", log, clock=client_clock) as convo:
            connections = len(emulator.connections)
            run = await run_turns(convo)
    finally:
        emulator.state.clock, emulator.state.connection_max_age = time.monotonic, None
    assert script.remaining == 0 and log.calls == ["x"]
    assert run.history == references["websocket"].history
    assert run.texts == references["websocket"].texts
    assert run.protocol_errors == [] and run.retry_events == 0
    assert len(emulator.connections) - connections == 2, "one new connection after the limit"
    creates = [
        frame
        for record in emulator.connections[connections:]
        for frame in record.frames
        if isinstance(frame, dict) and frame.get("type") == "response.create"
    ]
    # The server refuses one response.create at its limit; a client that knows its
    # connection is too old replaces it first, and nothing is refused.
    assert len(creates) == (5 if who == "server" else 4)
    MATRIX_RUNS[f"fault matrix websocket age-limit ({who})"] += 1
