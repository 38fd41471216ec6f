"""Reasoning output and its encrypted content over real sockets: the summary's streaming
events, ``encrypted_content`` when included, restored on a later request (a new connection,
``store: false``), refused when tampered with."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from responses_client.emulator import Emulator, Pause, Reply, ScriptedModel

from ._wire import create, read_until, sse_events, ws_until_terminal

pytestmark = pytest.mark.anyio

INCLUDE = ["reasoning.encrypted_content"]
THOUGHT = Reply(reasoning=["Paris ", "is ", "sunny."], text="It is sunny.")


async def first_turn(emu: Emulator, **fields: Any) -> list[dict[str, Any]]:
    async with connect(emu.websocket_url) as ws:
        await ws.send(create("Weather in Paris?", **fields))
        return await ws_until_terminal(ws)


async def test_a_reasoning_item_streams_its_summary_before_the_message() -> None:
    async with Emulator(ScriptedModel([THOUGHT, THOUGHT])) as emu:
        events = await first_turn(emu, include=INCLUDE)
        plain = await first_turn(emu)
    kinds = [e["type"] for e in events]
    assert kinds[2:10] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]
    reasoning, message = events[-1]["response"]["output"]
    assert reasoning["id"].startswith("rs_") and reasoning["type"] == "reasoning"
    assert reasoning["summary"] == [{"type": "summary_text", "text": "Paris is sunny."}]
    assert isinstance(reasoning["encrypted_content"], str) and reasoning["encrypted_content"]
    assert "encrypted_content" not in events[2]["item"]
    assert events[10]["output_index"] == 1 and message["type"] == "message"
    deltas = [e for e in events if e["type"] == "response.reasoning_summary_text.delta"]
    assert {(e["item_id"], e["output_index"], e["summary_index"]) for e in deltas} == {
        (reasoning["id"], 0, 0)
    }
    assert "encrypted_content" not in plain[-1]["response"]["output"][0]


async def test_encrypted_reasoning_is_restored_on_a_new_connection_without_store() -> None:
    async with Emulator(ScriptedModel([THOUGHT, "Still sunny."])) as emu:
        events = await first_turn(emu, include=INCLUDE)
        reasoning, message = events[-1]["response"]["output"]
        context = [{"role": "user", "content": "Weather in Paris?"}, reasoning, message]
        # The message's id is not held by the new connection either: send it without one.
        message_back = {key: value for key, value in message.items() if key != "id"}
        async with connect(emu.websocket_url) as ws:
            await ws.send(create([*context[:2], message_back, {"role": "user", "content": "And?"}]))
            again = await ws_until_terminal(ws)
        assert again[-1]["type"] == "response.completed"
        assert emu.responses[1].restored_reasoning == [reasoning["id"]]
        assert emu.responses[1].resolved_input[1] == reasoning
        assert emu.responses[0].restored_reasoning == []


def _tampered(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


async def test_encrypted_reasoning_that_does_not_verify_is_refused() -> None:
    async with Emulator(ScriptedModel([THOUGHT])) as emu:
        events = await first_turn(emu, include=INCLUDE)
        reasoning = events[-1]["response"]["output"][0]
        forged = [
            {**reasoning, "encrypted_content": _tampered(reasoning["encrypted_content"])},
            {**reasoning, "id": "rs_other"},
            {**reasoning, "encrypted_content": "not base64 at all!"},
        ]
        answers = []
        async with connect(emu.websocket_url) as ws:
            for item in forged:
                await ws.send(create([item, {"role": "user", "content": "And?"}]))
                answers.append((await ws_until_terminal(ws))[-1])
        async with httpx.AsyncClient() as http:
            body = {"model": "gpt-4.1", "input": [forged[0], {"role": "user", "content": "x"}]}
            refused = await http.post(f"{emu.base_url}/responses", json=body)
    for answer, item in zip(answers, forged, strict=True):
        assert answer["type"] == "error" and answer["status"] == 400
        assert answer["error"]["code"] == "invalid_encrypted_content"
        assert answer["error"]["message"] == (
            f"The encrypted content for item {item['id']} could not be verified. "
            "Reason: Encrypted content could not be decrypted or parsed."
        )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_encrypted_content"


async def test_a_reasoning_item_without_encrypted_content_is_not_found_with_store_false() -> None:
    async with Emulator(ScriptedModel([THOUGHT])) as emu:
        events = await first_turn(emu)
        reasoning = events[-1]["response"]["output"][0]
        async with connect(emu.websocket_url) as ws:
            await ws.send(create([reasoning, {"role": "user", "content": "And?"}]))
            (error,) = await ws_until_terminal(ws)
    assert error["status"] == 404 and error["error"]["param"] == "input"


async def test_reasoning_streams_over_sse_too() -> None:
    async with Emulator(ScriptedModel([THOUGHT])) as emu:
        async with httpx.AsyncClient() as http:
            body = {"model": "gpt-4.1", "input": "x", "stream": True, "include": INCLUDE}
            answer = await http.post(f"{emu.base_url}/responses", json=body)
    events = sse_events(answer.text)
    assert events[-1]["response"]["output"][0]["encrypted_content"]
    assert events[3]["type"] == "response.reasoning_summary_part.added"


async def test_a_steer_during_reasoning_keeps_the_summary_so_far() -> None:
    slow = Reply(reasoning=["Paris ", "is ", "sunny."], text="x", faults=[Pause(at=5, seconds=30)])
    async with Emulator(ScriptedModel([slow, "Rome."])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("Weather?"))
            head = await read_until(ws, lambda e: e["type"].endswith("summary_text.delta"))
            frame = {"type": "response.steer", "previous_response_id": head[0]["response"]["id"]}
            await ws.send(json.dumps({**frame, "input": "Rome instead"}))
            events = await read_until(ws, lambda e: e["type"] == "response.incomplete")
    (partial,) = events[-1]["response"]["output"]
    assert partial["type"] == "reasoning" and partial["status"] == "incomplete"
    assert partial["summary"] == [{"type": "summary_text", "text": "Paris "}]
