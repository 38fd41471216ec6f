"""The Realtime API (GA) as the emulator speaks it: client events in, server events out.

One ``RealtimeEngine`` holds one connection's session: its settings, the conversation,
the input audio buffer with its voice activity detection, and the response in progress.
``handle(frame)`` takes one client message and returns the server events it causes, in
order; a response is planned whole (``ResponseRun``) and streamed by the I/O layer one
step at a time through ``next_step``, so that a cancel or a barge-in can end it between
any two events. Pure: no I/O, no clock (the I/O layer paces the steps).

What the emulator does, and the rules a test can rely on:

- **Session.** ``session.created`` first; ``session.update`` merges the settings given
  and answers ``session.updated`` with the whole session. ``session.type`` is required
  (``missing_required_parameter``), and must be ``"realtime"``.
- **Server VAD from energy.** Appended audio (``audio/pcm`` at 24 kHz, or G.711 at
  8 kHz) is cut into 20 ms windows; a window is speech when its RMS, as a fraction of
  full scale, is at least ``threshold / 10`` (the default 0.5 is about -26 dBFS).
  Speech starts at the first speech window (``speech_started``, ``audio_start_ms``
  moved back by ``prefix_padding_ms``), and stops after ``silence_duration_ms`` of
  windows below it (``speech_stopped``, then the buffer is committed, and a response
  follows when ``create_response``). Speech that starts while a response runs cancels
  it (``interrupt_response``). ``turn_detection: null`` means manual turns: ``commit``.
- **Transcripts.** With ``audio.input.transcription`` set, each committed user item gets
  ``input_audio_transcription.delta`` and ``.completed``: the next of the test's scripted
  ``transcripts``, else ``"(N ms of speech)"``, the audio's length; the model sees that
  transcript as the user's text.
- **Responses.** The model (``ScriptedModel``, ``DefaultModel``) answers from the
  conversation, as on the other endpoints. Text becomes, in audio mode, a 400 Hz tone of
  ``MS_PER_CHARACTER`` ms per character in 20 ms deltas, each word's transcript delta
  before its audio; in text mode ``output_text`` deltas. Function calls are
  ``function_call`` items. Faults (``Drop``, ``Malformed``, ``SendError``, ``Pause``,
  ``SendUnknown``) count planned events from ``response.created`` = 0.
- **Checks.** ``conversation_already_has_active_response``; ``response.cancel`` with none
  active: ``response_cancel_not_active``; a truncate beyond the audio generated, or of an
  item with no audio: ``invalid_value``; unknown items: ``item_truncate_invalid_item_id``,
  ``item_retrieve_invalid_item_id``, ``item_delete_invalid_item_id``.
"""

from __future__ import annotations

import base64
import json
import math
from array import array
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..realtime import audio
from ._engine import DropStep, EventStep, Ids, Step
from ._errors import JSON, WireError, invalid_value, missing
from ._models import Model, ModelRequest, ScriptExhausted
from ._realtime_plan import (
    FRAME_MS,
    MS_PER_CHARACTER,
    ResponseRun,
    error_event,
    plan_run,
    response_object,
    usage_of,
)
from ._script import HttpStatus, Reply

__all__ = [
    "FRAME_MS",
    "MS_PER_CHARACTER",
    "RealtimeEngine",
    "ResponseRun",
    "default_session",
    "error_event",
]

_FORMATS = ("audio/pcm", "audio/pcmu", "audio/pcma")


def default_session(model: str) -> JSON:
    """The session a connection starts with (what ``session.created`` shows)."""
    return {
        "type": "realtime",
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "prompt": None,
        "include": None,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 200,
                    "idle_timeout_ms": None,
                    "create_response": True,
                    "interrupt_response": True,
                },
            },
            "output": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "voice": "alloy",
                "speed": 1.0,
            },
        },
    }


def _merge(base: JSON, update: Mapping[str, Any]) -> JSON:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass
class _Vad:
    speaking: bool = False
    speech_start_ms: int = 0
    silence_ms: int = 0
    item_id: str = ""
    pending: bytes = b""


class RealtimeEngine:
    """One Realtime connection's session, conversation, input buffer and response.

    Args:
        model: Who answers each response.
        ids: The id source (deterministic per seed).
        model_name: The ``model`` query parameter of the connection.
        transcripts: The scripted transcripts of user audio (shared, consumed in order).
    """

    def __init__(
        self,
        model: Model,
        ids: Ids,
        model_name: str,
        transcripts: deque[str] | None = None,
    ) -> None:
        self.model = model
        self.transcripts: deque[str] = deque() if transcripts is None else transcripts
        """What the users say, in order: each committed user audio takes the next one as
        its transcript (the default, once it is empty, says how long the speech was)."""
        self.ids = ids
        self.conversation_id = "conv_" + ids.request()[4:]
        """The id of the connection's conversation (in every response object)."""
        self.session: JSON = default_session(model_name)
        self.items: list[JSON] = []
        """The conversation, in order."""
        self.run: ResponseRun | None = None
        """The response in progress, if any."""
        self.audio_ms: dict[str, int] = {}
        """Audio generated per assistant item, in ms (the truncate check's bound)."""
        self.runs: list[ResponseRun] = []
        """Every response planned on this connection, in order."""
        self._buffer = bytearray()
        self._buffer_start_ms = 0
        self._audio_cursor_ms = 0
        self._vad = _Vad()
        self._event_counter = 0
        self.heard_ms = 0
        """Committed user audio, in ms."""

    # -- ids -----------------------------------------------------------------------

    def event_id(self) -> str:
        """A new server ``event_id``."""
        self._event_counter += 1
        return f"event_{self._event_counter:06d}"

    def _stamp(self, event: JSON) -> JSON:
        return {"type": event["type"], "event_id": self.event_id(), **event}

    def _error(self, error: WireError, cause: Mapping[str, Any] | None = None) -> JSON:
        return error_event(error, self.event_id(), (cause or {}).get("event_id"))

    # -- the connection ------------------------------------------------------------------

    def opening(self) -> list[JSON]:
        """The events sent when the connection opens."""
        return [self._stamp({"type": "session.created", "session": self.session})]

    def handle(self, frame: str) -> list[JSON]:
        """Take one client message; returns the server events it causes, in order.

        A response it starts is ``self.run``, to be streamed through ``next_step``.
        """
        try:
            event = json.loads(frame)
        except ValueError:
            return [
                self._error(WireError(400, "The event is not valid JSON.", code="invalid_json"))
            ]
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return [self._error(missing("type"))]
        handler = _HANDLERS.get(event["type"])
        if handler is None:
            known = sorted(_HANDLERS)
            return [self._error(invalid_value(event["type"], known, "type"), event)]
        try:
            return handler(self, event)
        except WireError as error:
            return [self._error(error, event)]

    # -- session -----------------------------------------------------------------------

    def _session_update(self, event: JSON) -> list[JSON]:
        session = event.get("session")
        if not isinstance(session, dict):
            raise missing("session")
        if "type" not in session:
            raise missing("session.type")
        if session["type"] != "realtime":
            raise invalid_value(session["type"], ["realtime"], "session.type")
        for direction in ("input", "output"):
            fmt = session.get("audio", {}).get(direction, {}).get("format")
            if isinstance(fmt, dict) and fmt.get("type") not in _FORMATS:
                raise invalid_value(
                    fmt.get("type"), _FORMATS, f"session.audio.{direction}.format.type"
                )
        self.session = _merge(self.session, session)
        return [self._stamp({"type": "session.updated", "session": self.session})]

    def _input_format(self) -> str:
        return str(self.session["audio"]["input"]["format"].get("type", "audio/pcm"))

    def output_format(self) -> str:
        return str(self.session["audio"]["output"]["format"].get("type", "audio/pcm"))

    # -- input audio ----------------------------------------------------------------------

    def _append(self, event: JSON) -> list[JSON]:
        data = event.get("audio")
        if not isinstance(data, str):
            raise missing("audio")
        try:
            raw = base64.b64decode(data, validate=True)
        except ValueError:
            raise WireError(
                400, "Invalid base64 audio.", code="invalid_value", param="audio"
            ) from None
        fmt = self._input_format()
        if fmt == "audio/pcm":
            pcm, rate = raw[: len(raw) - len(raw) % 2], audio.API_RATE
        else:
            decode = audio.ulaw_decode if fmt == "audio/pcmu" else audio.alaw_decode
            pcm, rate = decode(raw), audio.G711_RATE
        self._buffer += pcm if rate == audio.API_RATE else audio.resample(pcm, rate, audio.API_RATE)
        detection = self.session["audio"]["input"].get("turn_detection")
        if not isinstance(detection, dict):
            self._audio_cursor_ms += len(pcm) * 1000 // (2 * rate)
            return []
        return self._detect(pcm, rate, detection)

    def _detect(self, pcm: bytes, rate: int, detection: Mapping[str, Any]) -> list[JSON]:
        vad = self._vad
        window = 2 * rate * FRAME_MS // 1000
        data = vad.pending + pcm
        whole = len(data) - len(data) % window
        vad.pending = data[whole:]
        threshold = float(detection.get("threshold") or 0.5) / 10 * 32768
        padding = int(detection.get("prefix_padding_ms") or 0)
        silence_needed = int(detection.get("silence_duration_ms") or 0)
        out: list[JSON] = []
        for start in range(0, whole, window):
            samples = array("h", data[start : start + window])
            rms = math.sqrt(sum(s * s for s in samples) / len(samples))
            now = self._audio_cursor_ms
            self._audio_cursor_ms += FRAME_MS
            if rms >= threshold:
                vad.silence_ms = 0
                if not vad.speaking:
                    vad.speaking = True
                    vad.item_id = self.ids.message()
                    vad.speech_start_ms = max(0, now - padding)
                    out.append(
                        self._stamp(
                            {
                                "type": "input_audio_buffer.speech_started",
                                "audio_start_ms": vad.speech_start_ms,
                                "item_id": vad.item_id,
                            }
                        )
                    )
                    if self.run is not None and detection.get("interrupt_response", True):
                        out.extend(self.cancel_run("turn_detected"))
            elif vad.speaking:
                vad.silence_ms += FRAME_MS
                if vad.silence_ms >= silence_needed:
                    vad.speaking = False
                    end = now + FRAME_MS - vad.silence_ms
                    out.append(
                        self._stamp(
                            {
                                "type": "input_audio_buffer.speech_stopped",
                                "audio_end_ms": end,
                                "item_id": vad.item_id,
                            }
                        )
                    )
                    out.extend(self._commit_buffer(vad.item_id))
                    if detection.get("create_response", True) and self.run is None:
                        out.extend(self._start_response({}))
        return out

    def _commit(self, event: JSON) -> list[JSON]:
        del event
        if not self._buffer:
            raise WireError(
                400,
                "Error committing input audio buffer: buffer too small. Expected at least "
                "100ms of audio, but buffer only has 0.00ms of audio.",
                code="input_audio_buffer_commit_empty",
            )
        return self._commit_buffer(self.ids.message())

    def _commit_buffer(self, item_id: str) -> list[JSON]:
        ms = len(self._buffer) * 1000 // (2 * audio.API_RATE)
        self.heard_ms += ms
        self._buffer.clear()
        self._vad.pending = b""
        transcription = self.session["audio"]["input"].get("transcription")
        transcripts = self.transcripts
        transcript = transcripts.popleft() if transcripts else f"({ms} ms of speech)"
        # The model hears what the transcript says, transcription or not; the client
        # sees a transcript only when it asked for transcription.
        item: JSON = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [{"type": "input_audio", "transcript": transcript}],
        }
        shown = {**item, "content": [{"type": "input_audio", "transcript": None}]}
        previous = self.items[-1]["id"] if self.items else None
        out = [
            self._stamp(
                {
                    "type": "input_audio_buffer.committed",
                    "item_id": item_id,
                    "previous_item_id": previous,
                }
            )
        ]
        out.extend(self._add_item(item, shown=item if transcription else shown))
        if transcription:
            out.append(
                self._stamp(
                    {
                        "type": "conversation.item.input_audio_transcription.delta",
                        "item_id": item_id,
                        "content_index": 0,
                        "delta": transcript,
                    }
                )
            )
            out.append(
                self._stamp(
                    {
                        "type": "conversation.item.input_audio_transcription.completed",
                        "item_id": item_id,
                        "content_index": 0,
                        "transcript": transcript,
                        "usage": {"type": "duration", "seconds": ms / 1000},
                    }
                )
            )
        return out

    def _clear(self, event: JSON) -> list[JSON]:
        del event
        self._buffer.clear()
        self._vad = _Vad()
        return [self._stamp({"type": "input_audio_buffer.cleared"})]

    def _output_clear(self, event: JSON) -> list[JSON]:
        # WebRTC and SIP only: over a WebSocket the client plays the audio, nothing to clear.
        del event
        return []

    # -- conversation items -----------------------------------------------------------------

    def _add_item(
        self, item: JSON, previous_id: str | None = None, shown: JSON | None = None
    ) -> list[JSON]:
        if previous_id is None:
            previous = self.items[-1]["id"] if self.items else None
            self.items.append(item)
        else:
            index = next(i for i, known in enumerate(self.items) if known["id"] == previous_id)
            previous = previous_id
            self.items.insert(index + 1, item)
        return [
            self._stamp(
                {
                    "type": "conversation.item.added",
                    "previous_item_id": previous,
                    "item": shown or item,
                }
            ),
            self._stamp(
                {
                    "type": "conversation.item.done",
                    "previous_item_id": previous,
                    "item": shown or item,
                }
            ),
        ]

    def _find(self, item_id: object) -> JSON | None:
        return next((item for item in self.items if item["id"] == item_id), None)

    def _item_create(self, event: JSON) -> list[JSON]:
        item = event.get("item")
        if not isinstance(item, dict):
            raise missing("item")
        kind = item.get("type")
        kinds = ["message", "function_call", "function_call_output"]
        if kind not in kinds:
            raise invalid_value(kind, kinds, "item.type")
        previous = event.get("previous_item_id")
        if previous is not None and self._find(previous) is None:
            raise WireError(
                400,
                f"Previous item with id '{previous}' not found.",
                code="invalid_value",
                param="previous_item_id",
            )
        stored = {"object": "realtime.item", "status": "completed", **item}
        stored.setdefault(
            "id", self.ids.message() if kind == "message" else self.ids.function_call()
        )
        if kind == "message":
            stored["content"] = [dict(part) for part in item.get("content") or []]
        return self._add_item(stored, previous)

    def _item_retrieve(self, event: JSON) -> list[JSON]:
        item = self._find(event.get("item_id"))
        if item is None:
            raise WireError(
                400,
                f"Item with id '{event.get('item_id')}' not found.",
                code="item_retrieve_invalid_item_id",
                param="item_id",
            )
        return [self._stamp({"type": "conversation.item.retrieved", "item": item})]

    def _item_delete(self, event: JSON) -> list[JSON]:
        item = self._find(event.get("item_id"))
        if item is None:
            raise WireError(
                400,
                f"Item with id '{event.get('item_id')}' not found.",
                code="item_delete_invalid_item_id",
                param="item_id",
            )
        self.items.remove(item)
        return [self._stamp({"type": "conversation.item.deleted", "item_id": item["id"]})]

    def _item_truncate(self, event: JSON) -> list[JSON]:
        item_id = event.get("item_id")
        item = self._find(item_id)
        if item is None or item.get("role") != "assistant":
            raise WireError(
                400,
                f"Item with id '{item_id}' not found.",
                code="item_truncate_invalid_item_id",
                param="item_id",
            )
        end = event.get("audio_end_ms")
        if not isinstance(end, int) or isinstance(end, bool) or end < 0:
            raise WireError(
                400, "Invalid 'audio_end_ms'.", code="invalid_value", param="audio_end_ms"
            )
        generated = self.audio_ms.get(str(item_id), 0)
        if generated == 0:
            raise WireError(
                400, "The item has no audio to truncate.", code="invalid_value", param="item_id"
            )
        if end > generated:
            raise WireError(
                400,
                f"Audio content of {generated}ms is already shorter than {end}ms",
                code="invalid_value",
                param="audio_end_ms",
            )
        self.audio_ms[str(item_id)] = end
        for part in item.get("content", []):
            if part.get("type") == "output_audio":
                part["transcript"] = ""
        return [
            self._stamp(
                {
                    "type": "conversation.item.truncated",
                    "item_id": item_id,
                    "content_index": event.get("content_index", 0),
                    "audio_end_ms": end,
                }
            )
        ]

    # -- responses ------------------------------------------------------------------------

    def _response_create(self, event: JSON) -> list[JSON]:
        if self.run is not None:
            raise WireError(
                400,
                "Conversation already has an active response in progress: "
                f"{self.run.id}. Wait until the response is finished before creating a new one.",
                code="conversation_already_has_active_response",
            )
        options = event.get("response")
        return self._start_response(options if isinstance(options, dict) else {})

    def _response_cancel(self, event: JSON) -> list[JSON]:
        run = self.run
        wanted = event.get("response_id")
        if run is None or (wanted is not None and wanted != run.id):
            raise WireError(
                400,
                "Cancellation failed: no active response found",
                code="response_cancel_not_active",
            )
        return self.cancel_run("client_cancelled")

    def _model_input(self) -> list[JSON]:
        converted: list[JSON] = []
        for item in self.items:
            if item.get("type") != "message":
                converted.append(item)
                continue
            role = item.get("role")
            kind = "output_text" if role == "assistant" else "input_text"
            parts = [
                {"type": kind, "text": part.get("text") or part.get("transcript") or ""}
                for part in item.get("content", [])
            ]
            converted.append({"type": "message", "role": role, "content": parts})
        return converted

    def _start_response(self, options: Mapping[str, Any]) -> list[JSON]:
        session = self.session
        instructions = options.get("instructions", session.get("instructions"))
        tools = options.get("tools", session.get("tools")) or []
        request = ModelRequest(
            body={"instructions": instructions, "tools": tools, "model": session["model"]},
            input=self._model_input(),
            instructions=instructions if isinstance(instructions, str) else None,
            tools=tools,
            transport="realtime",
        )
        try:
            reply = self.model.reply(request)
        except ScriptExhausted as exhausted:
            return [
                self._error(
                    WireError(500, str(exhausted), type="server_error", code="server_error")
                )
            ]
        if isinstance(reply, HttpStatus):
            reply = Reply(
                end="failed", error_code=reply.code or "server_error", error_message=reply.message
            )
        modalities = options.get("output_modalities", session.get("output_modalities")) or ["audio"]
        run = plan_run(self, reply, "audio" in modalities)
        run.model_input = [dict(item) for item in request.input]
        run.instructions = request.instructions
        self.run = run
        self.runs.append(run)
        return []

    def next_step(self, run: ResponseRun) -> Step | None:
        """The next step of ``run``; ``None`` once it ended (finished or cancelled).

        Call it right before sending what it returns: the engine counts what it hands
        out as sent (the generated audio a truncate is checked against).
        """
        if run.finished or run.position >= len(run.steps):
            run.finished = True
            if self.run is run:
                self.run = None
            return None
        step = run.steps[run.position]
        run.position += 1
        if isinstance(step, EventStep):
            self._account(run, step.event)
        elif isinstance(step, DropStep):
            run.status = "dropped"
            run.finished = True
            if self.run is run:
                self.run = None
        return step

    def _account(self, run: ResponseRun, event: JSON) -> None:
        kind = event["type"]
        if kind == "response.output_audio.delta":
            item_id = event["item_id"]
            self.audio_ms[item_id] = self.audio_ms.get(item_id, 0) + FRAME_MS
            run.audio_ms[item_id] = run.audio_ms.get(item_id, 0) + FRAME_MS
        elif kind == "response.output_item.added":
            run.output.append(event["item"])
        elif kind == "conversation.item.added":
            event["previous_item_id"] = self.items[-1]["id"] if self.items else None
            self.items.append(event["item"])
        elif kind == "conversation.item.done":
            ids = [item["id"] for item in self.items]
            where = ids.index(event["item"]["id"]) if event["item"]["id"] in ids else 0
            event["previous_item_id"] = ids[where - 1] if where > 0 else None
            self._replace(event["item"])
        elif kind == "response.output_item.done":
            self._replace(event["item"])
            run.output[event["output_index"]] = event["item"]
        elif kind == "response.done" or kind == "error":
            run.status = event["response"]["status"] if kind == "response.done" else "error"
            run.finished = True
            if self.run is run:
                self.run = None

    def _replace(self, item: JSON) -> None:
        for index, known in enumerate(self.items):
            if known["id"] == item["id"]:
                self.items[index] = item

    def cancel_run(self, reason: str) -> list[JSON]:
        """End the response in progress now: its items incomplete, ``response.done``."""
        run = self.run
        if run is None:
            return []
        run.finished = True
        run.status = "cancelled"
        self.run = None
        out: list[JSON] = []
        for index, item in enumerate(run.output):
            if item.get("status") == "in_progress":
                final = {**item, "status": "incomplete"}
                if final.get("type") == "message":
                    final["content"] = [
                        {"type": "output_audio", "transcript": ""}
                        if "audio" in str(part.get("type"))
                        else part
                        for part in final.get("content")
                        or [{"type": "output_audio", "transcript": ""}]
                    ]
                run.output[index] = final
                self._replace(final)
                out.append(
                    self._stamp(
                        {
                            "type": "response.output_item.done",
                            "response_id": run.id,
                            "output_index": index,
                            "item": final,
                        }
                    )
                )
        out.append(
            self._stamp(
                {
                    "type": "response.done",
                    "response": response_object(
                        self,
                        run.id,
                        "cancelled",
                        run.output,
                        usage_of(self, run),
                        {"type": "cancelled", "reason": reason},
                    ),
                }
            )
        )
        return out


_HANDLERS: Mapping[str, Callable[[RealtimeEngine, JSON], list[JSON]]] = {
    "session.update": RealtimeEngine._session_update,
    "input_audio_buffer.append": RealtimeEngine._append,
    "input_audio_buffer.commit": RealtimeEngine._commit,
    "input_audio_buffer.clear": RealtimeEngine._clear,
    "conversation.item.create": RealtimeEngine._item_create,
    "conversation.item.retrieve": RealtimeEngine._item_retrieve,
    "conversation.item.delete": RealtimeEngine._item_delete,
    "conversation.item.truncate": RealtimeEngine._item_truncate,
    "response.create": RealtimeEngine._response_create,
    "response.cancel": RealtimeEngine._response_cancel,
    "output_audio_buffer.clear": RealtimeEngine._output_clear,
}
