"""The Realtime API (GA): a speech-in, speech-out session over one WebSocket.

``Client.realtime(...)`` opens a :class:`RealtimeSession`; its events are in
:mod:`responses_client.realtime.events` and the audio helpers a voice app needs
(G.711, resampling, WAV) in :mod:`responses_client.realtime.audio`.
"""

from __future__ import annotations

from . import audio, events
from ._session import NOT_GIVEN, RealtimeSession, TurnDetection

__all__ = ["NOT_GIVEN", "RealtimeSession", "TurnDetection", "audio", "events"]

RealtimeSession.__module__ = __name__
