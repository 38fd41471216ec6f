"""Tool failures reach the model as the call's output, and the turn completes.

Each failing call (an exception, arguments that are not JSON, arguments of the wrong type,
an unknown name, a timeout, a tool that is cancelled) must come back to the server as that
call's ``function_call_output`` in the next request, exactly once per ``function_call``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import anyio
import pytest

from responses_client import Client, tool
from responses_client.emulator import CallTool, Emulator, Reply, ScriptedModel
from responses_client.events import ToolResultEvent

from ._support import KEY, sse_transport, ws_transport
from .conftest import MATRIX_RUNS

pytestmark = pytest.mark.anyio

never = anyio.Event()  # nobody sets it: a tool awaiting it runs until its timeout


@tool
def explode(reason: str) -> str:
    """Always fails."""
    raise RuntimeError(f"kaboom: {reason}")


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool(timeout=0.05)
async def slow(city: str) -> str:
    """Never answers in time."""
    await never.wait()
    return city


@tool
async def self_cancelling(city: str) -> str:
    """Cancels itself, as a tool awaiting a cancelled task would."""
    raise asyncio.CancelledError()


TOOLS = [explode, add, slow, self_cancelling]

CASES = {
    "exception": (CallTool("explode", {"reason": "r1"}), "RuntimeError: kaboom: r1"),
    "invalid-json": (CallTool("add", '{"a": 1, "b":'), "add"),
    "wrong-types": (CallTool("add", {"a": "one", "b": 2}), "a"),
    "unknown-name": (CallTool("subtract", {"a": 1}), "unknown tool 'subtract'"),
    "timeout": (CallTool("slow", {"city": "Oslo"}), "timed out after 0.05 s"),
    "cancelled": (CallTool("self_cancelling", {"city": "Oslo"}), "was cancelled"),
}


@pytest.fixture(scope="module")
async def client(emulator: Emulator) -> AsyncIterator[Client]:
    async with Client(base_url=emulator.base_url, api_key=KEY) as client:
        yield client


def outputs_by_call(items: list[dict[str, object]]) -> dict[object, list[object]]:
    found: dict[object, list[object]] = {}
    for item in items:
        if item.get("type") == "function_call_output":
            found.setdefault(item["call_id"], []).append(item["output"])
    return found


def assert_every_call_answered_once(items: list[dict[str, object]]) -> None:
    calls = Counter(item["call_id"] for item in items if item.get("type") == "function_call")
    outputs = Counter(
        item["call_id"] for item in items if item.get("type") == "function_call_output"
    )
    assert calls == outputs and set(calls.values()) <= {1}


@pytest.mark.parametrize("transport", ["sse", "websocket"])
@pytest.mark.parametrize("case", list(CASES))
async def test_a_failing_call_reaches_the_model_as_its_output(
    emulator: Emulator, client: Client, case: str, transport: str
) -> None:
    call, needle = CASES[case]
    call = CallTool(call.name, call.arguments, call_id=f"call_{case}")
    emulator.model = ScriptedModel([Reply(tool_calls=[call]), "Noted the failure."])
    chosen = sse_transport(client) if transport == "sse" else ws_transport(client)
    async with client.conversation(tools=TOOLS, transport=chosen) as convo:
        async with convo.stream("Go") as events:
            results = [e async for e in events if isinstance(e, ToolResultEvent)]
    assert events.result.status == "completed" and events.result.text == "Noted the failure."
    [result] = results
    assert result.error is not None and needle in result.error
    assert result.output == f"Error: {result.error}"
    sent = emulator.responses[-1].request["input"]
    assert outputs_by_call(sent) == {call.call_id: [result.output]}
    assert_every_call_answered_once(emulator.responses[-1].resolved_input)
    MATRIX_RUNS[f"tool failures {transport}"] += 1


async def test_all_failures_in_one_response_each_get_exactly_one_output(
    emulator: Emulator, client: Client
) -> None:
    calls = [
        CallTool(call.name, call.arguments, call_id=f"call_{case}")
        for case, (call, _) in CASES.items()
    ]
    calls.append(CallTool("add", {"a": 2, "b": 3}, call_id="call_ok"))
    emulator.model = ScriptedModel([Reply(tool_calls=calls), "Done."])
    async with client.conversation(tools=TOOLS, transport=sse_transport(client)) as convo:
        result = await convo.send("Go")
    assert result.status == "completed" and result.text == "Done."
    resolved = emulator.responses[-1].resolved_input
    assert_every_call_answered_once(resolved)
    answered = outputs_by_call(resolved)
    assert answered["call_ok"] == ["5"]
    for case, (_, needle) in CASES.items():
        [output] = answered[f"call_{case}"]
        assert isinstance(output, str) and output.startswith("Error: ") and needle in output
    # The history the SDK keeps agrees with what the server saw.
    assert_every_call_answered_once([item.to_wire() for item in convo.items])
