"""Resources: many turns with cancels and drops leave no task, socket or memory behind.

Bounds checked (and documented in docs/reliability.md): after 1,000 turns no task of the
SDK or httpx is left, at most one pooled keep-alive socket is open (none once the client is
closed), and the memory allocated by ``responses_client`` (emulator excluded) grows by
less than 16 KiB between turn 200 and turn 1,000 while the history is kept at one turn.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
import warnings
import weakref

import anyio
import pytest

from responses_client import Client
from responses_client._transports import base
from responses_client.emulator import CallTool, Drop, Emulator, Reply, ScriptedModel

from ._support import KEY, ToolLog, client_sockets, conversation
from .conftest import MATRIX_RUNS

pytestmark = pytest.mark.anyio

TURNS = 1000
MEMORY_FROM = 200
MEMORY_BOUND = 16 * 1024


def plan(turn: int) -> tuple[str, list[Reply]]:
    """What turn ``turn`` does, and the replies it takes."""
    if turn % 10 == 3:
        return "drop", [Reply(text=f"cut {turn}", faults=[Drop(after=5)]), Reply(text="ok")]
    if turn % 10 == 6:
        return "cancel", [Reply(text=f"cancelled {turn} here")]
    if turn % 10 == 8:
        call = CallTool("lookup", {"q": str(turn)}, call_id=f"call_{turn}")
        return "tool", [Reply(tool_calls=[call]), Reply(text="looked up")]
    if turn % 10 == 9:
        return "interrupt", [Reply(text=f"interrupted {turn} here")]
    return "plain", [Reply(text=f"answer {turn}")]


def sdk_tasks() -> set[asyncio.Task[object]]:
    """Running tasks that are not the test's own or the emulator server's."""
    current = asyncio.current_task()
    found = set()
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        filename = code.co_filename if code is not None else ""
        if task is current or "uvicorn" in filename or "starlette" in filename:
            continue
        if "emulator" in filename or "emulator" in task.get_name():
            continue
        found.add(task)
    return found


def sdk_memory(snapshot: tracemalloc.Snapshot) -> tracemalloc.Snapshot:
    return snapshot.filter_traces(
        [
            tracemalloc.Filter(True, "*/responses_client/*"),
            tracemalloc.Filter(False, "*/responses_client/emulator/*"),
        ]
    )


@pytest.mark.parametrize("transport", ["sse", "websocket"])
async def test_a_thousand_turns_with_cancels_and_drops_leak_nothing(
    emulator: Emulator, transport: str
) -> None:
    tasks_before = sdk_tasks()
    script = ScriptedModel([])
    for turn in range(TURNS):
        script.extend(plan(turn)[1])
    emulator.model = script
    log = ToolLog()
    outcomes: dict[str, int] = {}
    growth = 0
    try:
        async with Client(base_url=emulator.base_url, api_key=KEY) as client:
            convo = conversation(client, transport, log)
            for turn in range(TURNS):
                if turn == MEMORY_FROM:
                    gc.collect()
                    tracemalloc.start()
                    start = sdk_memory(tracemalloc.take_snapshot())
                kind = plan(turn)[0]
                convo.clear()  # keep the history at one turn: any growth is a leak
                # The emulator keeps every request it saw (and with them objects the client
                # allocated): forget them, so that only the SDK's memory is measured.
                emulator.state.http_requests.clear()
                emulator.state.responses.clear()
                for record in emulator.state.connections:
                    record.frames.clear()
                async with convo.stream(f"turn {turn}") as events:
                    async for event in events:
                        if kind == "cancel" and event.type == "response.output_text.delta":
                            break
                        if kind == "interrupt" and event.type == "response.output_text.delta":
                            await convo.interrupt()
                status = "closed" if kind == "cancel" else events.result.status
                outcomes[f"{kind}:{status}"] = outcomes.get(f"{kind}:{status}", 0) + 1
            gc.collect()
            end = sdk_memory(tracemalloc.take_snapshot())
            growth = sum(stat.size_diff for stat in end.compare_to(start, "filename"))
            # SSE: one pooled keep-alive connection; WebSocket: the conversation's own.
            assert client_sockets(emulator.port) <= 1
            await convo.aclose()
        assert client_sockets(emulator.port) == 0
    finally:
        tracemalloc.stop()
    assert script.remaining == 0
    assert outcomes == {
        "plain:completed": 600,
        "drop:completed": 100,
        "cancel:closed": 100,
        "tool:completed": 100,
        "interrupt:interrupted": 100,
    }
    assert len(log.calls) == 100
    # A task already told to stop (websockets' keepalive of an aborted connection) ends
    # at its next step: await those, then nothing may be left.
    stopping = {task for task in sdk_tasks() - tasks_before if task.cancelling()}
    if stopping:
        await asyncio.wait(stopping, timeout=1)
    assert sdk_tasks() == tasks_before
    assert growth < MEMORY_BOUND, f"responses_client memory grew by {growth} bytes"
    MATRIX_RUNS[f"resource turns {transport}"] += TURNS


@pytest.mark.parametrize("transport", ["sse", "websocket", "lane"])
async def test_a_finished_turn_is_freed_without_the_cycle_collector(
    emulator: Emulator, transport: str
) -> None:
    # Many conversations end turns at once (bench/scale.py): what a turn held must go as
    # soon as nobody holds it, not at the next cyclic collection.
    call = CallTool("lookup", {"q": "x"}, call_id="call_1")
    emulator.model = ScriptedModel([Reply(tool_calls=[call]), Reply(text="looked up")])
    async with Client(base_url=emulator.base_url, api_key=KEY) as client:
        convo = conversation(client, transport, ToolLog())
        gc.collect()
        gc.disable()
        try:
            result = await convo.send("Look it up")
            assert result.stats.rounds == 2
            freed = weakref.ref(result)
            del result
            assert freed() is None
        finally:
            gc.enable()
        await convo.aclose()


@pytest.mark.parametrize("transport", ["sse", "websocket"])
async def test_closing_the_client_closes_every_connection(
    emulator: Emulator, transport: str
) -> None:
    emulator.model = ScriptedModel([Reply(text=f"parked {i} here") for i in range(3)])
    streams = []
    async with Client(base_url=emulator.base_url, api_key=KEY) as client:
        convos = [conversation(client, transport, ToolLog()) for _ in range(3)]
        for convo in convos:
            stream = convo.stream("Hi")
            async for event in stream:
                if event.type == "response.output_text.delta":
                    break  # parked: its HTTP response is still open
            streams.append(stream)
        assert client_sockets(emulator.port) == 3
    assert client_sockets(emulator.port) == 0
    assert all(stream.finished for stream in streams)


@pytest.mark.parametrize("transport", ["sse", "websocket"])
async def test_a_dropped_conversation_warns_and_is_cleaned_up(
    emulator: Emulator, transport: str
) -> None:
    emulator.model = ScriptedModel([Reply(text="parked here and there"), "idle"])
    async with Client(base_url=emulator.base_url, api_key=KEY) as client:
        convo = conversation(client, transport, ToolLog())
        stream = convo.stream("Hi")
        async for event in stream:
            if event.type == "response.output_text.delta":
                break
        assert client_sockets(emulator.port) == 1
        tasks_before = asyncio.all_tasks()
        with pytest.warns(ResourceWarning, match="unclosed conversation"):
            del convo, stream, event
            gc.collect()
        # The transport close that __del__ started, and asyncio's aclose() of the abandoned
        # generator: await them (they are the cleanup), with a bound in case one hangs.
        cleanups = asyncio.all_tasks() - tasks_before
        assert cleanups
        with anyio.fail_after(5):
            await asyncio.gather(*cleanups)
        assert not base._closing
        assert client_sockets(emulator.port) == 0

        idle = conversation(client, transport, ToolLog())
        await idle.send("Hi")
        if transport == "sse":
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                del idle  # over SSE nothing stays open between turns: nothing to warn about
                gc.collect()
        else:
            assert client_sockets(emulator.port) == 1  # its WebSocket stays open
            tasks_before = asyncio.all_tasks()
            with pytest.warns(ResourceWarning, match="unclosed conversation"):
                del idle
                gc.collect()
            with anyio.fail_after(5):
                await asyncio.gather(*(asyncio.all_tasks() - tasks_before))
            assert client_sockets(emulator.port) == 0
