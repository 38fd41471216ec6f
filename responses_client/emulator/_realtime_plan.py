"""Planning one Realtime response, purely: a scripted reply as the events that stream it.

A reply becomes a ``ResponseRun``: the response's events in order (its items, one tone frame
per 20 ms of speech that follows the text with the transcript deltas between, function
calls, ``response.done`` with its usage), the script's faults applied. ``RealtimeEngine``
(``_realtime_engine``) plans with ``plan_run`` and streams the steps.
"""

from __future__ import annotations

import base64
import json
import math
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..realtime import audio
from ._engine import DropStep, EventStep, PauseStep, RawStep, Step
from ._errors import JSON, WireError
from ._script import Drop, Malformed, Pause, Reply, SendError, SendUnknown

if TYPE_CHECKING:
    from ._realtime_engine import RealtimeEngine

__all__ = [
    "FRAME_MS",
    "MS_PER_AUDIO_TOKEN",
    "MS_PER_CHARACTER",
    "ResponseRun",
    "error_event",
    "plan_run",
    "response_object",
    "usage_of",
]


FRAME_MS = 20
"""Length of one output audio delta, and of one VAD window, in ms."""

MS_PER_CHARACTER = 60
"""Synthetic speech lasts this many ms per character of the text (about 16 per second)."""

MS_PER_AUDIO_TOKEN = 50
"""Usage counts one audio token per 50 ms of audio, in and out (text: one per word)."""

_TONE_HZ = 400  # 8 whole periods in 20 ms: the frames join without clicks.
_TONE_AMPLITUDE = 8000


def _tone_frame(rate: int) -> bytes:
    count = rate * FRAME_MS // 1000
    samples = array(
        "h",
        (int(_TONE_AMPLITUDE * math.sin(2 * math.pi * _TONE_HZ * i / rate)) for i in range(count)),
    )
    return samples.tobytes()


_PCM_FRAME = _tone_frame(audio.API_RATE)
_G711_PCM_FRAME = _tone_frame(audio.G711_RATE)
_FRAMES_B64: Mapping[str, str] = {
    "audio/pcm": base64.b64encode(_PCM_FRAME).decode(),
    "audio/pcmu": base64.b64encode(audio.ulaw_encode(_G711_PCM_FRAME)).decode(),
    "audio/pcma": base64.b64encode(audio.alaw_encode(_G711_PCM_FRAME)).decode(),
}


def error_event(error: WireError, event_id: str, client_event_id: object = None) -> JSON:
    """The Realtime ``error`` event for ``error`` (``client_event_id`` names the cause)."""
    body = error.error()
    body["event_id"] = client_event_id if isinstance(client_event_id, str) else None
    return {"type": "error", "event_id": event_id, "error": body}


def _words(text: str | Sequence[str]) -> list[str]:
    if not isinstance(text, str):
        return list(text)
    pieces: list[str] = []
    for index, word in enumerate(text.split(" ")):
        pieces.append(word if index == 0 else " " + word)
    return [piece for piece in pieces if piece]


@dataclass
class ResponseRun:
    """One planned response, streamed step by step (see ``RealtimeEngine.next_step``)."""

    id: str
    steps: list[Step]
    delay: float
    """Seconds the I/O layer waits before each step after the first."""
    output: list[JSON] = field(default_factory=list)
    """The output items as the client has seen them so far (by output index)."""
    position: int = 0
    finished: bool = False
    audio_ms: dict[str, int] = field(default_factory=dict)
    """Audio sent per assistant item, in ms."""
    model_input: list[JSON] = field(default_factory=list)
    """The conversation the model saw, as Responses-style items."""
    instructions: str | None = None
    """The instructions in force."""
    status: str = "in_progress"
    """The response's status as sent (``cancelled`` after a cancel, ``dropped`` after a
    scripted drop)."""


def response_object(
    engine: RealtimeEngine,
    response_id: str,
    status: str,
    output: list[JSON],
    usage: JSON | None,
    details: JSON | None = None,
) -> JSON:
    session = engine.session
    return {
        "object": "realtime.response",
        "id": response_id,
        "status": status,
        "status_details": details,
        "output": list(output),
        "conversation_id": engine.conversation_id,
        "output_modalities": session.get("output_modalities") or ["audio"],
        "max_output_tokens": session.get("max_output_tokens", "inf"),
        "audio": {
            "output": {
                "format": session["audio"]["output"]["format"],
                "voice": session["audio"]["output"].get("voice"),
            }
        },
        "usage": usage,
        "metadata": None,
    }


def usage_of(engine: RealtimeEngine, run: ResponseRun | None, text_out: int = 0) -> JSON:
    text_in = sum(
        len(str(part.get("text") or part.get("transcript") or "").split())
        for item in engine.items
        for part in item.get("content") or []
    )
    audio_out = sum(run.audio_ms.values()) // MS_PER_AUDIO_TOKEN if run is not None else 0
    audio_in = engine.heard_ms // MS_PER_AUDIO_TOKEN
    return {
        "total_tokens": text_in + audio_in + text_out + audio_out,
        "input_tokens": text_in + audio_in,
        "output_tokens": text_out + audio_out,
        "input_token_details": {
            "text_tokens": text_in,
            "audio_tokens": audio_in,
            "image_tokens": 0,
            "cached_tokens": 0,
            "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
        },
        "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out},
    }


def plan_run(engine: RealtimeEngine, reply: Reply, speak: bool) -> ResponseRun:
    """Every event of one response, faults placed, as steps."""
    ids = engine.ids
    response_id = ids.response()
    run = ResponseRun(id=response_id, steps=[], delay=reply.delay)
    events: list[JSON] = [
        {
            "type": "response.created",
            "response": response_object(engine, response_id, "in_progress", [], None),
        }
    ]
    output: list[JSON] = []
    chunks = _words(reply.text) if reply.text else []
    text_tokens = 0
    if chunks:
        item_id = ids.message()
        index = len(output)
        text = "".join(chunks)
        text_tokens += len(text.split())
        started = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        where = {
            "response_id": response_id,
            "item_id": item_id,
            "output_index": index,
            "content_index": 0,
        }
        part_type, content_type = ("audio", "output_audio") if speak else ("text", "output_text")
        empty_part: JSON = (
            {"type": part_type, "transcript": ""} if speak else {"type": "text", "text": ""}
        )
        events += [
            {
                "type": "response.output_item.added",
                "response_id": response_id,
                "output_index": index,
                "item": started,
            },
            {"type": "conversation.item.added", "previous_item_id": None, "item": started},
            {"type": "response.content_part.added", **where, "part": empty_part},
        ]
        frame = _FRAMES_B64[engine.output_format()]
        for chunk in chunks:
            if speak:
                events.append(
                    {"type": "response.output_audio_transcript.delta", **where, "delta": chunk}
                )
                frames = max(1, math.ceil(len(chunk) * MS_PER_CHARACTER / FRAME_MS))
                events += [
                    {"type": "response.output_audio.delta", **where, "delta": frame}
                ] * frames
            else:
                events.append({"type": "response.output_text.delta", **where, "delta": chunk})
        if speak:
            final_part: JSON = {"type": "audio", "transcript": text}
            content: JSON = {"type": content_type, "transcript": text}
            events += [
                {"type": "response.output_audio.done", **where},
                {"type": "response.output_audio_transcript.done", **where, "transcript": text},
            ]
        else:
            final_part = {"type": "text", "text": text}
            content = {"type": content_type, "text": text}
            events.append({"type": "response.output_text.done", **where, "text": text})
        final = {**started, "status": "completed", "content": [content]}
        events += [
            {"type": "response.content_part.done", **where, "part": final_part},
            {
                "type": "response.output_item.done",
                "response_id": response_id,
                "output_index": index,
                "item": final,
            },
            {"type": "conversation.item.done", "previous_item_id": None, "item": final},
        ]
        output.append(final)
    for call in reply.tool_calls:
        item_id = ids.function_call()
        call_id = call.call_id or ids.call()
        index = len(output)
        arguments = (
            call.arguments
            if isinstance(call.arguments, str)
            else json.dumps(call.arguments, separators=(",", ":"))
        )
        started = {
            "id": item_id,
            "object": "realtime.item",
            "type": "function_call",
            "status": "in_progress",
            "name": call.name,
            "call_id": call_id,
            "arguments": "",
        }
        final = {**started, "status": "completed", "arguments": arguments}
        where = {
            "response_id": response_id,
            "item_id": item_id,
            "output_index": index,
            "call_id": call_id,
        }
        events += [
            {
                "type": "response.output_item.added",
                "response_id": response_id,
                "output_index": index,
                "item": started,
            },
            {"type": "conversation.item.added", "previous_item_id": None, "item": started},
        ]
        events += [
            {
                "type": "response.function_call_arguments.delta",
                **where,
                "delta": arguments[i : i + 8],
            }
            for i in range(0, len(arguments), 8)
        ]
        events += [
            {
                "type": "response.function_call_arguments.done",
                **where,
                "name": call.name,
                "arguments": arguments,
            },
            {
                "type": "response.output_item.done",
                "response_id": response_id,
                "output_index": index,
                "item": final,
            },
            {"type": "conversation.item.done", "previous_item_id": None, "item": final},
        ]
        output.append(final)
    planned_audio_ms = sum(FRAME_MS for e in events if e["type"] == "response.output_audio.delta")
    usage = usage_of(engine, None, text_tokens)
    audio_tokens = planned_audio_ms // MS_PER_AUDIO_TOKEN
    usage["output_token_details"]["audio_tokens"] = audio_tokens
    usage["output_tokens"] += audio_tokens
    usage["total_tokens"] += audio_tokens
    if reply.end == "completed":
        ending = response_object(engine, response_id, "completed", output, usage)
    elif reply.end == "incomplete":
        ending = response_object(
            engine,
            response_id,
            "incomplete",
            output,
            usage,
            {"type": "incomplete", "reason": "max_output_tokens"},
        )
    else:
        error = {
            "type": "server_error",
            "code": reply.error_code,
            "message": reply.error_message or "The server had an error.",
        }
        ending = response_object(
            engine, response_id, "failed", output, usage, {"type": "failed", "error": error}
        )
    events.append({"type": "response.done", "response": ending})
    run.steps = _with_faults(engine, events, reply)
    return run


def _with_faults(engine: RealtimeEngine, events: list[JSON], reply: Reply) -> list[Step]:
    steps: list[Step] = []
    for index, event in enumerate(events):
        for fault in reply.faults:
            match fault:
                case Pause(at=at, seconds=seconds) if at == index:
                    steps.append(PauseStep(seconds))
                case Malformed(at=at, data=data) if at == index:
                    steps.append(RawStep(data))
                case SendUnknown(at=at, type=kind) if at == index:
                    steps.append(_step(engine, {"type": kind}))
                case SendError(at=at, code=code, message=message, status=status) if at == index:
                    error = WireError(
                        status, message or f"Scripted error {code}.", type="server_error", code=code
                    )
                    steps.append(EventStep(error_event(error, engine.event_id())))
                    return steps
                case _:
                    pass
        steps.append(_step(engine, event))
        if any(isinstance(f, Drop) and f.after == index for f in reply.faults):
            steps.append(DropStep())
            return steps
    return steps


def _step(engine: RealtimeEngine, event: JSON) -> EventStep:
    # Stamped with its event_id when planned: ids follow the order events go out in.
    return EventStep({"type": event["type"], "event_id": engine.event_id(), **event})
