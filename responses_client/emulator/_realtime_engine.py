"""The Realtime API (GA) as the emulator speaks it: client events in, server events out.

One ``RealtimeEngine`` holds one connection's session: its settings, the conversation,
the input audio buffer with its voice activity detection, and the response in progress.
``handle(frame)`` takes one client message and returns the server events it causes, in
order; a response is planned whole (``ResponseRun``) and streamed by the I/O layer one
step at a time through ``next_step``, so that a cancel or a barge-in can end it between
any two events. Pure: no I/O, no clock (the I/O layer paces the steps).

The engine holds the connection's state and dispatches each client event to its role's
handler: ``_realtime_session`` (``session.update``), ``_realtime_input`` (the input audio
buffer and its VAD), ``_realtime_items`` (conversation items) and ``_realtime_responses``
(``response.create`` / ``.cancel`` and the response in progress).

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

import json
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from . import _realtime_input as input_buffer
from . import _realtime_items as items
from . import _realtime_responses as responses
from ._engine import Ids, Step
from ._errors import JSON, WireError, invalid_value, missing
from ._models import Model
from ._realtime_plan import FRAME_MS, MS_PER_CHARACTER, ResponseRun, error_event
from ._realtime_session import default_session, output_format, session_update

__all__ = [
    "FRAME_MS",
    "MS_PER_CHARACTER",
    "RealtimeEngine",
    "ResponseRun",
    "default_session",
    "error_event",
]


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
        self.input = input_buffer.InputBuffer()
        """The input audio not yet committed, and the VAD's state."""
        self._event_counter = 0
        self.heard_ms = 0
        """Committed user audio, in ms."""

    # -- ids -----------------------------------------------------------------------

    def event_id(self) -> str:
        """A new server ``event_id``."""
        self._event_counter += 1
        return f"event_{self._event_counter:06d}"

    def stamp(self, event: JSON) -> JSON:
        """``event`` as sent: its type first, then a new ``event_id``."""
        return {"type": event["type"], "event_id": self.event_id(), **event}

    def error(self, error: WireError, cause: Mapping[str, Any] | None = None) -> JSON:
        """The ``error`` event for ``error``, naming the client event that caused it."""
        return error_event(error, self.event_id(), (cause or {}).get("event_id"))

    # -- the connection ------------------------------------------------------------------

    def opening(self) -> list[JSON]:
        """The events sent when the connection opens."""
        return [self.stamp({"type": "session.created", "session": self.session})]

    def handle(self, frame: str) -> list[JSON]:
        """Take one client message; returns the server events it causes, in order.

        A response it starts is ``self.run``, to be streamed through ``next_step``.
        """
        try:
            event = json.loads(frame)
        except ValueError:
            return [self.error(WireError(400, "The event is not valid JSON.", code="invalid_json"))]
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return [self.error(missing("type"))]
        handler = _HANDLERS.get(event["type"])
        if handler is None:
            known = sorted(_HANDLERS)
            return [self.error(invalid_value(event["type"], known, "type"), event)]
        try:
            return handler(self, event)
        except WireError as error:
            return [self.error(error, event)]

    def output_format(self) -> str:
        """The format of the audio the server sends."""
        return output_format(self.session)

    def next_step(self, run: ResponseRun) -> Step | None:
        """The next step of ``run``; ``None`` once it ended (finished or cancelled).

        Call it right before sending what it returns: the engine counts what it hands
        out as sent (the generated audio a truncate is checked against).
        """
        return responses.next_step(self, run)

    def cancel_run(self, reason: str) -> list[JSON]:
        """End the response in progress now: its items incomplete, ``response.done``."""
        return responses.cancel_run(self, reason)


_HANDLERS: Mapping[str, Callable[[RealtimeEngine, JSON], list[JSON]]] = {
    "session.update": session_update,
    "input_audio_buffer.append": input_buffer.append,
    "input_audio_buffer.commit": input_buffer.commit,
    "input_audio_buffer.clear": input_buffer.clear,
    "conversation.item.create": items.item_create,
    "conversation.item.retrieve": items.item_retrieve,
    "conversation.item.delete": items.item_delete,
    "conversation.item.truncate": items.item_truncate,
    "response.create": responses.response_create,
    "response.cancel": responses.response_cancel,
    "output_audio_buffer.clear": input_buffer.output_clear,
}
