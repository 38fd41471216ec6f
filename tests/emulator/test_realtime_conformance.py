"""openai-python's own Realtime client drives the emulator's ``/v1/realtime``, and every
frame on the wire validates strictly against that SDK's GA types: each server event as
its ``RealtimeServerEvent`` member (no undeclared fields, every required field present),
each client event (openai-python's and ours) as a ``RealtimeClientEvent``."""

from __future__ import annotations

import base64
import json
import typing
from typing import Any

import anyio
import pytest
from openai import AsyncOpenAI
from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent
from pydantic import BaseModel, TypeAdapter

from responses_client import Client, tool
from responses_client.emulator import CallTool, Emulator, Reply, ScriptedModel
from responses_client.realtime import events as ev

from ..realtime.conftest import silence, speech

pytestmark = pytest.mark.anyio

CLIENT_EVENTS: TypeAdapter[Any] = TypeAdapter(RealtimeClientEvent)


def _by_type(union: Any) -> dict[str, type[BaseModel]]:
    members = typing.get_args(typing.get_args(union)[0])
    return {typing.get_args(m.model_fields["type"].annotation)[0]: m for m in members}


SERVER_CLASSES = _by_type(RealtimeServerEvent)


def undeclared(value: object, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(value, BaseModel):
        found += [f"{path}.{name}" for name in value.model_extra or {}]
        for name in type(value).model_fields:
            found += undeclared(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += undeclared(item, f"{path}[{index}]")
    return found


def strictly(event: dict[str, Any]) -> BaseModel:
    cls = SERVER_CLASSES[event["type"]]
    model = cls.model_validate(event)
    assert undeclared(model) == [], (event["type"], undeclared(model))
    for name, info in cls.model_fields.items():
        if info.is_required():
            assert (info.alias or name) in event, (event["type"], name)
    return model


WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


async def test_openai_python_drives_a_spoken_session_with_a_function_call() -> None:
    script = ScriptedModel(
        [
            Reply(tool_calls=[CallTool("get_weather", {"city": "Paris"}, call_id="call_1")]),
            Reply(text="It is sunny in Paris."),
        ]
    )
    frames: list[dict[str, Any]] = []
    async with Emulator(script) as emu:
        openai = AsyncOpenAI(base_url=emu.base_url, api_key="sk-test")
        with anyio.fail_after(20):
            async with openai.realtime.connect(model="gpt-realtime") as conn:

                async def until(kind: str) -> dict[str, Any]:
                    while True:
                        frame = json.loads(await conn.recv_bytes())
                        frames.append(frame)
                        if frame["type"] == kind:
                            return frame

                await until("session.created")
                await conn.session.update(
                    session={
                        "type": "realtime",
                        "tools": [WEATHER],
                        "audio": {"input": {"transcription": {"model": "whisper-1"}}},
                    }
                )
                await until("session.updated")
                clip = silence(100) + speech(500) + silence(400)
                await conn.input_audio_buffer.append(audio=base64.b64encode(clip).decode())
                first = await until("response.done")
                call = first["response"]["output"][0]
                await conn.conversation.item.create(
                    item={
                        "type": "function_call_output",
                        "call_id": call["call_id"],
                        "output": "Sunny",
                    }
                )
                await conn.response.create()
                answer = await until("response.done")
    assert call["name"] == "get_weather"
    assert answer["response"]["status"] == "completed"
    kinds = {frame["type"] for frame in frames}
    assert {
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.completed",
        "response.function_call_arguments.done",
        "response.output_audio.delta",
        "response.output_audio_transcript.done",
    } <= kinds
    for frame in frames:
        strictly(frame)
    for sent in emu.connections[0].frames:
        CLIENT_EVENTS.validate_python(sent)


async def test_every_frame_of_our_session_validates_both_ways() -> None:
    @tool
    def get_weather(city: str) -> str:
        """Weather for a city."""
        return f"Sunny in {city}"

    long = " ".join(["sunny"] * 30)
    script = ScriptedModel(
        [
            Reply(tool_calls=[CallTool("get_weather", {"city": "Rome"})]),
            Reply(text=long, delay=0.002),
            Reply(text="Fine."),
        ]
    )
    async with Emulator(script) as emu, Client(base_url=emu.base_url, api_key="sk-test") as client:
        async with client.realtime(
            tools=[get_weather], transcription={"model": "whisper-1"}
        ) as session:
            await session.send_text("Weather in Rome?")
            deltas = 0
            with anyio.fail_after(20):
                async for event in session:
                    if isinstance(event, ev.OutputAudioDeltaEvent):
                        deltas += 1
                        if deltas == 6:
                            session.played(50)
                            await session.interrupt()
                    if isinstance(event, ev.ConversationItemTruncatedEvent):
                        break
            await session.append_audio(silence(100) + speech(400) + silence(300))
            with anyio.fail_after(20):
                async for event in session:
                    if isinstance(event, ev.ResponseDoneEvent):
                        break
    frames = emu.connections[0].frames
    kinds = [frame["type"] for frame in frames]
    assert {
        "session.update",
        "conversation.item.create",
        "response.create",
        "response.cancel",
        "conversation.item.truncate",
        "input_audio_buffer.append",
    } <= set(kinds)
    for frame in frames:
        CLIENT_EVENTS.validate_python(frame)
