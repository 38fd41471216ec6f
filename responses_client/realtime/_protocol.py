"""The Realtime session's decisions, as a pure object: events in, actions out.

``SessionProtocol`` is fed every server event (:meth:`~SessionProtocol.feed`) and every
call the app makes (``interrupt``, ``played``, ``request_response``, ``cancel``,
``tool_outputs``); it returns :class:`Send` (a client event for the wire), :class:`Emit`
(an SDK event for the app) and :class:`RunTools` actions. ``RealtimeSession`` only pumps:
it sends what it is told, runs the tools it is told to run, and yields events.

Invariants, each held here and nowhere else:

- **Barge-in truncates once, at min(played, generated).** Per assistant item the protocol
  counts the audio generated (from the deltas' sizes in the output format) and the audio
  the app reports as played. On ``input_audio_buffer.speech_started`` or ``interrupt()``
  it cancels the active response and truncates the playing item at
  ``min(played, generated)`` ms, once per item: a second barge-in on the same item sends
  nothing more, an item with no audio yet is never truncated, and an item whose audio
  was all generated and played has nothing to cut.
- **Cancel is a state, not a flag.** ``response.cancel`` goes out at most once per
  response: before ``response.created`` it waits for the id; after ``response.done`` it
  is not sent at all. An ``error`` with ``response_cancel_not_active`` is benign (the
  response ended first) and is swallowed.
- **Tools run exactly once, only for a completed response.** When a ``response.done``
  with status ``completed`` holds function calls, one :class:`RunTools` asks for all of
  them; their outputs go back as ``function_call_output`` items followed by one
  ``response.create``. The calls of a cancelled, failed or incomplete response never run.
- **The items mirror the server.** ``conversation.item.added`` / ``.done`` /
  ``.created`` / ``.retrieved`` insert or replace an item after its
  ``previous_item_id``; ``.deleted`` removes it; ``.truncated`` records where its audio
  now ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import events as ev
from .audio import AudioFormat, duration_ms

__all__ = [
    "Action",
    "Emit",
    "ItemAudio",
    "RunTools",
    "Send",
    "SessionProtocol",
    "output_item",
]


@dataclass(frozen=True)
class Send:
    """Send this client event."""

    event: dict[str, Any]


@dataclass(frozen=True)
class Emit:
    """Hand this SDK event (``client.…``) to the app."""

    event: ev.ClientEvent


@dataclass(frozen=True)
class FunctionCall:
    """One function call of a completed response (satisfies ``_tools.ToolCall``)."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class RunTools:
    """Run these calls (all of one response), then pass the outcomes to ``tool_outputs``."""

    response_id: str
    calls: tuple[FunctionCall, ...]


class Outcome(Protocol):
    """What ``tool_outputs`` reads of a tool's outcome (``_tools.ToolOutcome`` fits)."""

    @property
    def call_id(self) -> str:
        """The call's id."""

    @property
    def name(self) -> str:
        """The tool called."""

    @property
    def arguments(self) -> str:
        """The arguments as the model sent them."""

    @property
    def output(self) -> str:
        """The text for the model."""

    @property
    def error(self) -> str | None:
        """What went wrong, or ``None``."""


Action = Send | Emit | RunTools
"""What the protocol asks its pump to do."""

BENIGN_ERRORS = frozenset({"response_cancel_not_active"})
"""Error codes that mean "already so": the session swallows them."""


@dataclass
class ItemAudio:
    """The audio of one assistant item: how much came, how much was played, any cut."""

    response_id: str
    generated_ms: float = 0.0
    """Audio received in deltas, in ms."""
    played_ms: float = 0.0
    """Audio the app reported as played, in ms (may exceed generated: clocks drift)."""
    reported: bool = False
    """Whether the app reported playback for this item; until it does, playback is taken
    to run in real time from the first delta (the playback clock)."""
    first_delta_at: float | None = None
    """When its first audio delta arrived (monotonic seconds)."""
    truncated_at: int | None = None
    """Where the session truncated it, once; ``None`` while it has not."""
    done: bool = False
    """Its response has ended: no more audio will come."""


@dataclass
class _Response:
    id: str | None
    cancel_wanted: bool = False
    cancel_sent: bool = False
    turn_ended_at: float | None = None
    first_audio_at: float | None = None


@dataclass
class SessionProtocol:
    """The state of one Realtime session (see the module's invariants).

    Args:
        output_format: The session's output audio format, to turn delta sizes into ms.
    """

    output_format: AudioFormat = "audio/pcm"
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The conversation as the server holds it, in order, by item id."""
    audio: dict[str, ItemAudio] = field(default_factory=dict)
    """Audio bookkeeping per assistant item id."""
    playing: str | None = None
    """The assistant item whose audio came last (the one playing), until truncated."""
    _response: _Response | None = None
    _requested: int = 0
    _turn_ended_at: float | None = None

    # -- app calls ------------------------------------------------------------------

    @property
    def response_active(self) -> bool:
        """A response was asked for or created and has not ended."""
        return self._response is not None or self._requested > 0

    def request_response(self, now: float, response: Mapping[str, Any] | None = None) -> Send:
        """Ask for a response (``respond()``, ``send_text()``); its turn ends ``now``."""
        self._requested += 1
        if self._turn_ended_at is None:
            self._turn_ended_at = now
        return Send(ev.response_create(response))

    def turn_ended(self, now: float) -> None:
        """The user's turn ended ``now`` (a commit): the first-audio clock starts."""
        self._turn_ended_at = now

    def played(self, ms: float, item_id: str | None = None) -> None:
        """The app has played ``ms`` of an item's audio in all (default: the playing one)."""
        target = item_id if item_id is not None else self.playing
        if target is None or target not in self.audio:
            return
        record = self.audio[target]
        record.reported = True
        record.played_ms = max(record.played_ms, ms)

    def cancel(self) -> list[Action]:
        """Cancel the active response, once; nothing when none is active."""
        response = self._response
        if response is None:
            if self._requested:
                # Asked for but not created: cancel when the id arrives.
                self._response = _Response(id=None, cancel_wanted=True)
            return []
        response.cancel_wanted = True
        if response.id is None or response.cancel_sent:
            return []
        response.cancel_sent = True
        return [Send(ev.response_cancel(response.id))]

    def interrupt(self, now: float, reason: str = "interrupt") -> list[Action]:
        """Barge in: cancel the active response and truncate the playing item once.

        Args:
            now: The monotonic time of the barge-in (for an item whose playback the app
                never reported: it is taken to have played in real time since its first
                delta, as a playback clock would).
            reason: ``"speech_started"`` or ``"interrupt"``.
        """
        actions = self.cancel()
        item_id, cut = self.playing, None
        record = self.audio.get(item_id) if item_id is not None else None
        if record is not None and record.truncated_at is None and record.generated_ms > 0:
            played = record.played_ms
            if not record.reported and record.first_delta_at is not None:
                played = (now - record.first_delta_at) * 1000
            finished = record.done and played >= record.generated_ms
            if not finished:
                cut = int(min(played, record.generated_ms))
                record.truncated_at = cut
                assert item_id is not None
                actions.append(Send(ev.item_truncate(item_id, cut)))
        self.playing = None
        stop_reason = "speech_started" if reason == "speech_started" else "interrupt"
        actions.append(
            Emit(ev.PlaybackStopEvent(item_id=item_id, audio_end_ms=cut, reason=stop_reason))
        )
        return actions

    def tool_outputs(self, outcomes: Sequence[Outcome], now: float) -> list[Action]:
        """The outputs of one ``RunTools``: the items, their events, one ``response.create``."""
        actions: list[Action] = []
        for outcome in outcomes:
            actions.append(Send(ev.item_create(output_item(outcome.call_id, outcome.output))))
            actions.append(
                Emit(
                    ev.ToolResultEvent(
                        call_id=outcome.call_id,
                        name=outcome.name,
                        arguments=outcome.arguments,
                        output=outcome.output,
                        error=outcome.error,
                    )
                )
            )
        actions.append(self.request_response(now))
        return actions

    # -- server events ------------------------------------------------------------------

    def feed(self, event: ev.ServerEvent | ev.UnknownEvent, now: float) -> list[Action]:
        """Take one server event in; returns what to do about it.

        Args:
            event: The parsed event.
            now: The monotonic time it arrived (for the first-audio figure).
        """
        match event:
            case ev.OutputAudioDeltaEvent():
                return self._audio_delta(event, len(event.delta), now)
            case ev.SpeechStartedEvent():
                if self.response_active or self.playing is not None:
                    return self.interrupt(now, "speech_started")
                return []
            case ev.SpeechStoppedEvent() | ev.InputAudioBufferCommittedEvent():
                if isinstance(event, ev.SpeechStoppedEvent) or self._turn_ended_at is None:
                    self._turn_ended_at = now
                return []
            case ev.ResponseCreatedEvent():
                return self._created(event.response.id)
            case ev.ResponseDoneEvent():
                return self._done(event.response)
            case (
                ev.ConversationItemAddedEvent()
                | ev.ConversationItemDoneEvent()
                | ev.ConversationItemCreatedEvent()
            ):
                self._place(event.item, event.previous_item_id)
                return []
            case ev.ConversationItemRetrievedEvent():
                self._place(event.item, None, keep_position=True)
                return []
            case ev.ConversationItemDeletedEvent():
                self.items.pop(event.item_id, None)
                return []
            case ev.ConversationItemTruncatedEvent():
                item = self.items.get(event.item_id)
                if item is not None:
                    item["audio_end_ms"] = event.audio_end_ms
                return []
            case _:
                return []

    def is_benign(self, event: ev.ErrorEvent) -> bool:
        """Whether an ``error`` only says "already so" (swallowed, not raised)."""
        return event.error.code in BENIGN_ERRORS

    def _audio_delta(
        self, event: ev.OutputAudioDeltaEvent, b64_size: int, now: float
    ) -> list[Action]:
        # The decoded size follows from the base64 text's length and its padding.
        padding = event.delta[-2:].count("=")
        size = b64_size // 4 * 3 - padding
        self._count(event.item_id, event.response_id, duration_ms(size, self.output_format), now)
        return []

    def _count(self, item_id: str, response_id: str, ms: float, now: float) -> None:
        record = self.audio.get(item_id)
        if record is None:
            record = self.audio[item_id] = ItemAudio(response_id=response_id)
        if record.truncated_at is not None:
            return
        record.generated_ms += ms
        if record.first_delta_at is None:
            record.first_delta_at = now
        self.playing = item_id
        response = self._response
        if response is not None and response.first_audio_at is None:
            response.first_audio_at = now

    def _created(self, response_id: str) -> list[Action]:
        if self._requested:
            self._requested -= 1
        response = self._response
        if response is None or response.id is not None:
            # A new response (server VAD creates its own).
            self._response = _Response(id=response_id, turn_ended_at=self._turn_ended_at)
            self._turn_ended_at = None
            return []
        response.id = response_id
        response.turn_ended_at = self._turn_ended_at
        self._turn_ended_at = None
        if response.cancel_wanted:
            response.cancel_sent = True
            return [Send(ev.response_cancel(response_id))]
        return []

    def _done(self, response: ev.RealtimeResponse) -> list[Action]:
        current = self._response
        if current is not None and current.id in (response.id, None):
            self._response = None
        for record in self.audio.values():
            if record.response_id == response.id:
                record.done = True
        generated = sum(r.generated_ms for r in self.audio.values() if r.response_id == response.id)
        played = sum(
            min(
                r.played_ms,
                r.generated_ms,
                r.truncated_at if r.truncated_at is not None else r.generated_ms,
            )
            for r in self.audio.values()
            if r.response_id == response.id
        )
        first_audio = None
        if (
            current is not None
            and current.first_audio_at is not None
            and current.turn_ended_at is not None
        ):
            first_audio = current.first_audio_at - current.turn_ended_at
        actions: list[Action] = [
            Emit(
                ev.ResponseFiguresEvent(
                    response_id=response.id,
                    status=response.status,
                    usage=response.usage,
                    first_audio_s=first_audio,
                    audio_ms_generated=round(generated),
                    audio_ms_played=round(played),
                )
            )
        ]
        if response.status != "completed":
            return actions
        calls = tuple(_function_calls(response.output))
        if calls:
            actions.append(RunTools(response.id, calls))
        return actions

    def _place(
        self, item: dict[str, Any], previous_id: str | None, *, keep_position: bool = False
    ) -> None:
        item_id = item.get("id")
        if not isinstance(item_id, str):
            return
        if item_id in self.items and (keep_position or previous_id is None):
            self.items[item_id] = item
            return
        self.items.pop(item_id, None)
        if previous_id is None or previous_id not in self.items:
            # First of the conversation, or after an item this mirror never saw: the end.
            self.items[item_id] = item
            return
        placed: dict[str, dict[str, Any]] = {}
        for key, value in self.items.items():
            placed[key] = value
            if key == previous_id:
                placed[item_id] = item
        self.items = placed


def _function_calls(output: Iterable[Mapping[str, Any]]) -> Iterable[FunctionCall]:
    for item in output:
        if item.get("type") == "function_call":
            yield FunctionCall(
                call_id=str(item.get("call_id", "")),
                name=str(item.get("name", "")),
                arguments=str(item.get("arguments", "")),
            )


def output_item(call_id: str, output: str) -> dict[str, Any]:
    """A ``function_call_output`` item for ``conversation.item.create``."""
    return {"type": "function_call_output", "call_id": call_id, "output": output}
