"""The Realtime session's settings, purely: the default, and ``session.update``.

A connection starts with ``default_session``; ``session.update`` merges the settings given
into it.

``session.type`` is required (``missing_required_parameter``) and must be ``"realtime"``;
an audio format must be one of ``FORMATS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._errors import JSON, invalid_value, missing

if TYPE_CHECKING:
    from ._realtime_engine import RealtimeEngine

__all__ = ["FORMATS", "default_session", "input_format", "output_format", "session_update"]

FORMATS = ("audio/pcm", "audio/pcmu", "audio/pcma")
"""The audio formats a session may name, in and out."""


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


def session_update(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``session.update``: the settings given merged in, then ``session.updated``."""
    session = event.get("session")
    if not isinstance(session, dict):
        raise missing("session")
    if "type" not in session:
        raise missing("session.type")
    if session["type"] != "realtime":
        raise invalid_value(session["type"], ["realtime"], "session.type")
    for direction in ("input", "output"):
        fmt = session.get("audio", {}).get(direction, {}).get("format")
        if isinstance(fmt, dict) and fmt.get("type") not in FORMATS:
            raise invalid_value(fmt.get("type"), FORMATS, f"session.audio.{direction}.format.type")
    engine.session = _merge(engine.session, session)
    return [engine.stamp({"type": "session.updated", "session": engine.session})]


def input_format(session: JSON) -> str:
    """The format of the audio the client appends."""
    return str(session["audio"]["input"]["format"].get("type", "audio/pcm"))


def output_format(session: JSON) -> str:
    """The format of the audio the server sends."""
    return str(session["audio"]["output"]["format"].get("type", "audio/pcm"))
