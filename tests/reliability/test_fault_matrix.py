"""Fault matrix: a 3-turn conversation (a tool call in turn 2) with one fault per run.

For every response of the script and every event index k of it: the connection drops after
event k, a malformed frame arrives before event k, or an ``error`` event
``previous_response_not_found`` replaces event k. Every run must complete all turns (a
malformed frame fails its turn with ``ProtocolError``; the turn is then run again on the
history as it is), run the tool once, and end with the history of the fault-free run, item
for item (server-made ids aside).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from responses_client import Client, Conversation, ProtocolError
from responses_client.emulator import Drop, Emulator, ErrorEvent, Malformed, Reply, ScriptedModel
from responses_client.emulator._engine import Fault
from responses_client.events import Event

from ._support import (
    BASE_SCRIPT,
    EVENT_COUNTS,
    KEY,
    RESPONSE_TURN,
    TURNS,
    ToolLog,
    sse_conversation,
    stripped,
)
from .conftest import MATRIX_RUNS

pytestmark = pytest.mark.anyio

FAULTS: dict[str, Callable[[int], Fault]] = {
    "drop": lambda k: Drop(after=k),
    "malformed": lambda k: Malformed(at=k),
    "not_found": lambda k: ErrorEvent(at=k, code="previous_response_not_found", status=400),
}


def cases() -> list[Any]:
    params = []
    for response, count in enumerate(EVENT_COUNTS):
        for k in range(count):
            for fault in FAULTS:
                if fault == "drop" and k == count - 1:
                    continue  # a drop after the terminal event is no fault
                params.append(pytest.param(fault, response, k, id=f"{fault}-r{response}-k{k}"))
    return params


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
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(ScriptedModel([]), api_keys=[KEY]) as emu:
        yield emu


@pytest.fixture(scope="module")
async def client(emulator: Emulator) -> AsyncIterator[Client]:
    async with Client(base_url=emulator.base_url, api_key=KEY, max_retries=2) as client:
        yield client


@pytest.fixture(scope="module")
async def reference(emulator: Emulator, client: Client) -> Run:
    emulator.model = ScriptedModel(BASE_SCRIPT)
    log = ToolLog()
    async with sse_conversation(client, log) as convo:
        run = await run_turns(convo)
    assert log.calls == ["x"]
    assert run.texts == ["Hello there, friend.", "The answer is 42.", "You are welcome."]
    assert len(run.history) == 8 and run.retry_events == 0
    return run


def faulted_script(fault: Fault, response: int) -> list[Reply]:
    """The base script with ``fault`` in one reply, and a clean copy after it for the retry."""
    script = list(BASE_SCRIPT)
    script[response : response + 1] = [
        replace(BASE_SCRIPT[response], faults=[fault]),
        script[response],
    ]
    return script


@pytest.mark.parametrize(("fault", "response", "k"), cases())
async def test_sse_fault_matrix(
    emulator: Emulator, client: Client, reference: Run, fault: str, response: int, k: int
) -> None:
    script = ScriptedModel(faulted_script(FAULTS[fault](k), response))
    emulator.model = script
    log = ToolLog()
    async with sse_conversation(client, log) as convo:
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
    MATRIX_RUNS[f"fault matrix sse {fault}"] += 1
