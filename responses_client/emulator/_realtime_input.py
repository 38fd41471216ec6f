"""The Realtime input audio buffer, purely: its client events and the server VAD.

``input_audio_buffer.append`` / ``.commit`` / ``.clear``, and the voice activity detection
that turns appended audio into turns.

Appended audio (``audio/pcm`` at 24 kHz, or G.711 at 8 kHz) is kept at 24 kHz and cut into
``FRAME_MS`` windows; a window is speech when its RMS, as a fraction of full scale, is at
least ``threshold / 10``. Speech starts at the first speech window and stops after
``silence_duration_ms`` of windows below it; then the buffer is committed as a user item
(with its transcript), and a response follows when ``create_response``.
"""

from __future__ import annotations

import base64
import math
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..realtime import audio
from ._errors import JSON, WireError, missing
from ._realtime_items import add_item
from ._realtime_plan import FRAME_MS
from ._realtime_responses import start_response
from ._realtime_session import input_format

if TYPE_CHECKING:
    from ._realtime_engine import RealtimeEngine

__all__ = ["InputBuffer", "append", "clear", "commit", "output_clear"]


@dataclass
class _Vad:
    speaking: bool = False
    speech_start_ms: int = 0
    silence_ms: int = 0
    item_id: str = ""
    pending: bytes = b""


@dataclass
class InputBuffer:
    """The audio appended since the last commit, and where the VAD stands."""

    pcm: bytearray = field(default_factory=bytearray)
    """The uncommitted audio, 16-bit PCM at 24 kHz."""
    cursor_ms: int = 0
    """How much audio has been appended on this connection, in ms (the VAD's clock)."""
    vad: _Vad = field(default_factory=_Vad)


def append(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``input_audio_buffer.append``: the audio buffered, and what the VAD hears in it."""
    data = event.get("audio")
    if not isinstance(data, str):
        raise missing("audio")
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise WireError(400, "Invalid base64 audio.", code="invalid_value", param="audio") from None
    fmt = input_format(engine.session)
    if fmt == "audio/pcm":
        pcm, rate = raw[: len(raw) - len(raw) % 2], audio.API_RATE
    else:
        decode = audio.ulaw_decode if fmt == "audio/pcmu" else audio.alaw_decode
        pcm, rate = decode(raw), audio.G711_RATE
    buffer = engine.input
    buffer.pcm += pcm if rate == audio.API_RATE else audio.resample(pcm, rate, audio.API_RATE)
    detection = engine.session["audio"]["input"].get("turn_detection")
    if not isinstance(detection, dict):
        buffer.cursor_ms += len(pcm) * 1000 // (2 * rate)
        return []
    return _detect(engine, pcm, rate, detection)


def _detect(
    engine: RealtimeEngine, pcm: bytes, rate: int, detection: Mapping[str, Any]
) -> list[JSON]:
    buffer = engine.input
    vad = buffer.vad
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
        now = buffer.cursor_ms
        buffer.cursor_ms += FRAME_MS
        if rms >= threshold:
            vad.silence_ms = 0
            if not vad.speaking:
                vad.speaking = True
                vad.item_id = engine.ids.message()
                vad.speech_start_ms = max(0, now - padding)
                out.append(
                    engine.stamp(
                        {
                            "type": "input_audio_buffer.speech_started",
                            "audio_start_ms": vad.speech_start_ms,
                            "item_id": vad.item_id,
                        }
                    )
                )
                if engine.run is not None and detection.get("interrupt_response", True):
                    out.extend(engine.cancel_run("turn_detected"))
        elif vad.speaking:
            vad.silence_ms += FRAME_MS
            if vad.silence_ms >= silence_needed:
                vad.speaking = False
                end = now + FRAME_MS - vad.silence_ms
                out.append(
                    engine.stamp(
                        {
                            "type": "input_audio_buffer.speech_stopped",
                            "audio_end_ms": end,
                            "item_id": vad.item_id,
                        }
                    )
                )
                out.extend(_commit_buffer(engine, vad.item_id))
                if detection.get("create_response", True) and engine.run is None:
                    out.extend(start_response(engine, {}))
    return out


def commit(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``input_audio_buffer.commit``: the buffer becomes a user item (manual turns)."""
    del event
    if not engine.input.pcm:
        raise WireError(
            400,
            "Error committing input audio buffer: buffer too small. Expected at least "
            "100ms of audio, but buffer only has 0.00ms of audio.",
            code="input_audio_buffer_commit_empty",
        )
    return _commit_buffer(engine, engine.ids.message())


def _commit_buffer(engine: RealtimeEngine, item_id: str) -> list[JSON]:
    buffer = engine.input
    ms = len(buffer.pcm) * 1000 // (2 * audio.API_RATE)
    engine.heard_ms += ms
    buffer.pcm.clear()
    buffer.vad.pending = b""
    transcription = engine.session["audio"]["input"].get("transcription")
    transcripts = engine.transcripts
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
    previous = engine.items[-1]["id"] if engine.items else None
    out = [
        engine.stamp(
            {
                "type": "input_audio_buffer.committed",
                "item_id": item_id,
                "previous_item_id": previous,
            }
        )
    ]
    out.extend(add_item(engine, item, shown=item if transcription else shown))
    if transcription:
        out.append(
            engine.stamp(
                {
                    "type": "conversation.item.input_audio_transcription.delta",
                    "item_id": item_id,
                    "content_index": 0,
                    "delta": transcript,
                }
            )
        )
        out.append(
            engine.stamp(
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


def clear(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``input_audio_buffer.clear``: the uncommitted audio dropped, the VAD reset."""
    del event
    engine.input.pcm.clear()
    engine.input.vad = _Vad()
    return [engine.stamp({"type": "input_audio_buffer.cleared"})]


def output_clear(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``output_audio_buffer.clear``: nothing to do over a WebSocket."""
    # WebRTC and SIP only: over a WebSocket the client plays the audio, nothing to clear.
    del engine, event
    return []
