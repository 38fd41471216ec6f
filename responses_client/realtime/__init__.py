"""The Realtime API (GA): a speech-in, speech-out session over one WebSocket."""

from __future__ import annotations

from . import audio, events

__all__ = ["audio", "events"]
