"""Which response is in flight on a WebSocket connection, and what cancelling it takes.

Pure: the WebSocket transport feeds it what it wrote and what each frame it read says
(a :class:`Frame`), and gets back a :class:`Verdict`: pass the frame on, drop it, send
``response.cancel`` now, or close the connection. It never sends, waits or times anything
itself.

The phases of the one response a connection can carry at a time::

    IDLE ──begin()──▶ SENT ──response.created──▶ CREATED ──terminal──▶ IDLE
                        │             ▲                 │            ▲
                        │             └── STEERED ◀─────┘ (a steer   │
                        │                 (successor owed)  owed)    │
                        └──── error (request refused) ───────────────┘

``cancel()`` may come in any phase:

- ``IDLE``: nothing was written (or the response already ended): nothing to do, nothing
  to drain.
- ``SENT``: the server has not named the response yet, so the cancel is *pending*: it goes
  out when ``response.created`` arrives (``observe`` returns the id then).
- ``CREATED``: the cancel goes out at once (``cancel`` returns the id), once.

Until the phase is back to ``IDLE`` the connection still owes events of that response, and
they must be read and dropped (drained) before the next ``response.create``: delta events
carry no response id, so stale events could not be told apart from new ones afterwards.

An ``error`` frame ends a response that was not yet created (the server refused the
request), and one that was created but not cancelled. After a cancel went out, an
``error`` is taken as the server's reply to the cancel (the public API documents only
``response.create`` for this socket, so a server may reject ``response.cancel``): it is not
fatal and the drain goes on to the terminal event.

A cancel can cross the response's end on the wire: the server finished the response before
it read the cancel, and answers the cancel with an ``error`` (no such response in
progress) *after* the terminal event, when the next request may already be on its way.
When a response that was sent a cancel ends neither cancelled nor with an error reply, a
late reply is expected: ``stale_reply`` recognises it so that it is dropped instead of
failing the next response. The public API does not document that reply's shape, so two
signs are taken: an ``error`` about the ``response_id`` parameter, the ``response.cancel``
type itself or ``response_not_found``; or one whose message names the cancelled response's
id. An error about ``previous_response_id`` is never taken for a reply: it concerns the
next request, which may chain from the very response that was cancelled.

Steering (``response.steer``) keeps a request in flight past its terminal event: a steer
that is not answered yet, or accepted and not yet committed, may still bring a successor
(an automatic ``response.created`` on the same connection or lane, with no new
``response.create``). So a response that ends while a steer is owed moves to ``STEERED``
instead of ``IDLE``; the successor's ``response.created`` makes it ``CREATED`` again
(committing every accepted steer), and a ``response.steer.pending`` or
``response.steer.failed`` that leaves nothing owed ends the request. A steer asked for
before ``response.created`` waits for it (``Verdict.SEND_STEER``). A cancel in
``STEERED`` is pending, as in ``SENT``: it goes out when the successor is created.

An ``error`` with the code ``websocket_connection_limit_reached`` says that the server
will take no more requests on this connection (it ends connections at 60 minutes): the
transport closes it and the next request goes out on a new one.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

from .events import (
    ENDING_TYPES,
    ErrorEvent,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseQueuedEvent,
    ResponseSteerAcceptedEvent,
    ResponseSteerFailedEvent,
    ResponseSteerPendingEvent,
    ServerEvent,
    UnknownEvent,
)

__all__ = [
    "CONNECTION_LIMIT",
    "PHASE_TYPES",
    "STEER_ANSWER_TYPES",
    "CancelState",
    "Frame",
    "Phase",
    "Verdict",
    "peek",
]

CONNECTION_LIMIT = "websocket_connection_limit_reached"
"""The ``error`` code of a connection that reached the server's 60-minute limit."""

STEER_ANSWER_TYPES: frozenset[str] = frozenset(
    {"response.steer.accepted", "response.steer.failed", "response.steer.pending"}
)
"""The server's answers to a ``response.steer``."""

PHASE_TYPES: frozenset[str] = ENDING_TYPES | STEER_ANSWER_TYPES | {"response.created"}
"""The event types that can move a response's phase: ``response.created``, those that
end a response (``events.ENDING_TYPES``) and the steer answers. ``CancelState.on_frame``
answers ``KEEP`` for any other frame and changes nothing, so a transport need not feed it
those."""

_CANCEL_REPLY_PARAMS = frozenset({"response_id", "type"})
"""The ``param`` of an ``error`` that answers a ``response.cancel``: the id it named was not
in progress, or the server does not take ``response.cancel`` at all."""
_NEXT_REQUEST_PARAM = "previous_response_id"
_NEXT_REQUEST_CODE = "previous_response_not_found"


class Phase(enum.Enum):
    """Where the response on a connection is."""

    IDLE = "idle"
    """No response in flight: the connection is clean."""
    SENT = "sent"
    """``response.create`` was written; ``response.created`` has not arrived."""
    CREATED = "created"
    """``response.created`` arrived; the terminal event has not."""
    STEERED = "steered"
    """The response ended while a steer was owed: its successor (or the steer's answer)
    is still to come on this connection."""


class Verdict(enum.Enum):
    """What the transport does with a frame it read, as ``CancelState.on_frame`` decides."""

    KEEP = "keep"
    """A frame of the response in flight, or one the phases ignore: pass it on."""
    DROP = "drop"
    """The late reply to an earlier cancel: it belongs to no current response; drop it."""
    SEND_CANCEL = "send_cancel"
    """``response.created`` of a response abandoned before the id was known: pass it on,
    and send ``response.cancel`` for ``CancelState.response_id`` now."""
    CLOSE = "close"
    """The server's connection-limit ``error``: pass it on, and close the connection (the
    server takes no more requests on it)."""
    SEND_STEER = "send_steer"
    """``response.created`` of a response steered before its id was known: pass it on, and
    send the waiting steers for it now (``CancelState.steers_sent`` first)."""


@dataclass
class CancelState:
    """The response in flight on one connection, and whether it is being cancelled."""

    phase: Phase = Phase.IDLE
    """Where the response is."""
    response_id: str | None = None
    """The id from ``response.created``; ``None`` before it."""
    cancel_requested: bool = False
    """Whether the response is abandoned (its remaining events are to be dropped)."""
    cancel_sent: bool = False
    """Whether ``response.cancel`` went out for it."""
    cancel_answered: bool = False
    """Whether an ``error`` came back while the cancelled response still ran."""
    late_replies: list[str] = field(default_factory=list)
    """Ids of responses whose cancel may still be answered with an ``error`` after they
    ended, oldest first."""
    steers_unanswered: int = 0
    """Steers sent that the server has not answered yet."""
    # A list, not a set: nearly always empty (56 bytes, a set 216), and every connection
    # or lane holds one while it idles (bench/scale.py measures memory per conversation).
    steers_accepted: list[str] = field(default_factory=list)
    """Ids of accepted steers whose successor has not been created yet (distinct)."""
    steers_waiting: int = 0
    """Steers asked for before ``response.created``: they go out when it arrives."""

    @property
    def in_flight(self) -> bool:
        """Whether the connection still owes events of a response (it needs a drain)."""
        return self.phase is not Phase.IDLE

    @property
    def steer_owed(self) -> bool:
        """Whether a steer may still bring a successor (unanswered, or accepted)."""
        return bool(self.steers_unanswered or self.steers_accepted or self.steers_waiting)

    def steer(self) -> str | None:
        """Record a steer of the response in flight (the caller checked ``in_flight``).

        Returns:
            The response id to name in ``response.steer`` now, or ``None`` when the
            response has no id yet: the steer waits for ``response.created``
            (``Verdict.SEND_STEER``).
        """
        if self.phase is Phase.CREATED and self.response_id:
            self.steers_unanswered += 1
            return self.response_id
        self.steers_waiting += 1
        return None

    def steers_sent(self) -> int:
        """The waiting steers go out now (after ``SEND_STEER``); returns how many."""
        count, self.steers_waiting = self.steers_waiting, 0
        self.steers_unanswered += count
        return count

    def begin(self, *, steers: int = 0) -> None:
        """Record that ``response.create`` is being written.

        ``steers``: steers asked for before it was written; they wait for its
        ``response.created``, as ``steer()`` makes those asked for before it arrives.

        Raises:
            ValueError: a response is still in flight (drain it or reset first).
        """
        if self.phase is not Phase.IDLE:
            raise ValueError(f"a response is still in flight ({self.phase.value})")
        self.phase = Phase.SENT
        self.steers_waiting = steers

    def observe(
        self,
        event_type: str | None,
        response_id: str | None = None,
        status: str | None = None,
    ) -> str | None:
        """Feed a frame just read: its type, and the id and status of its response object.

        Returns:
            The id to send ``response.cancel`` for now (a pending cancel meeting its
            ``response.created``), else ``None``.
        """
        if self.phase is Phase.IDLE:
            return None
        if event_type == "response.created":
            self.phase = Phase.CREATED
            self.response_id = response_id
            self.steers_accepted.clear()  # the successor's creation commits them
            if self.cancel_requested and not self.cancel_sent and response_id:
                self.cancel_sent = True
                return response_id
        elif event_type in ENDING_TYPES:
            if self.cancel_sent:
                if event_type == "error":
                    # An ``error`` after the cancel went out answers the cancel; the
                    # response still ends with its terminal event.
                    self.cancel_answered = True
                    return None
                if not self.cancel_answered and status != "cancelled":
                    self.late_replies.append(self.response_id or "")
            if event_type != "error" and self.steer_owed:
                self._await_successor()
            else:
                self.reset()
        return None

    def _await_successor(self) -> None:
        self.phase = Phase.STEERED
        self.response_id = None
        self.cancel_sent = False
        self.cancel_answered = False

    def _answered(self, frame: Frame) -> None:
        """A steer answer: accepted, pending (waits for our next request) or failed."""
        steer_id = frame.steer_id or ""
        if frame.type == "response.steer.accepted":
            self.steers_unanswered = max(0, self.steers_unanswered - 1)
            if steer_id not in self.steers_accepted:
                self.steers_accepted.append(steer_id)
        elif steer_id in self.steers_accepted:
            self.steers_accepted.remove(steer_id)
        elif frame.type == "response.steer.failed":
            self.steers_unanswered = max(0, self.steers_unanswered - 1)
        if self.phase is Phase.STEERED and not self.steer_owed:
            self.reset()

    def on_frame(self, frame: Frame) -> Verdict:
        """Feed a frame just read (``peek`` of raw text, or ``Frame.of`` an event).

        The phase moves as ``observe`` says; ``error`` frames are first checked against
        ``stale_reply``.

        Returns:
            What the transport does with the frame (see :class:`Verdict`).
        """
        if frame.type == "error":
            if self.stale_reply(frame.code, frame.param, frame.message):
                return Verdict.DROP
            self.observe("error")
            return Verdict.CLOSE if frame.code == CONNECTION_LIMIT else Verdict.KEEP
        if frame.type in STEER_ANSWER_TYPES:
            if self.phase is not Phase.IDLE:
                self._answered(frame)
            return Verdict.KEEP
        if self.observe(frame.type, frame.response_id, frame.status) is not None:
            return Verdict.SEND_CANCEL
        if frame.type == "response.created" and self.steers_waiting and not self.cancel_requested:
            return Verdict.SEND_STEER
        return Verdict.KEEP

    def stale_reply(self, code: str | None, param: str | None, message: str | None = None) -> bool:
        """Whether an ``error`` read now is the late answer to an earlier cancel.

        Call it for each ``error`` frame before ``observe``; a True answer means: drop the
        frame, it belongs to no current response.
        """
        late = self.late_replies
        if not late or param == _NEXT_REQUEST_PARAM or code == _NEXT_REQUEST_CODE:
            return False
        if param in _CANCEL_REPLY_PARAMS or code == "response_not_found":
            del late[0]
            return True
        for index, response_id in enumerate(late):
            if response_id and message and response_id in message:
                del late[index]
                return True
        return False

    def cancel(self) -> str | None:
        """Abandon the response in flight.

        Returns:
            The id to send ``response.cancel`` for now, or ``None`` when nothing must be
            sent now (nothing in flight, the id is not known yet, or it was already sent).
        """
        if self.phase is Phase.IDLE:
            return None
        self.cancel_requested = True
        self.steers_waiting = 0  # abandoned with the response: never sent
        if self.phase is Phase.CREATED and not self.cancel_sent and self.response_id:
            self.cancel_sent = True
            return self.response_id
        return None

    def reset(self) -> None:
        """Forget the response: it ended, or its connection is gone."""
        self.phase = Phase.IDLE
        self.response_id = None
        self.cancel_requested = False
        self.cancel_sent = False
        self.cancel_answered = False
        self.steers_unanswered = 0
        self.steers_accepted.clear()
        self.steers_waiting = 0

    def forget_connection(self) -> None:
        """The connection is gone: nothing in flight, and no late reply can come."""
        self.reset()
        self.late_replies.clear()


@dataclass(frozen=True)
class Frame:
    """What a drain needs to know of a frame."""

    type: str | None = None
    """The event type; ``None`` for a frame that is not a JSON object with a type."""
    response_id: str | None = None
    """``response.id``, when the frame carries a response object."""
    status: str | None = None
    """``response.status``, when the frame carries a response object."""
    code: str | None = None
    """``error.code`` of an ``error`` frame (nested, or flat as over SSE)."""
    param: str | None = None
    """``error.param`` of an ``error`` frame."""
    message: str | None = None
    """``error.message`` of an ``error`` frame."""
    steer_id: str | None = None
    """``steer.id`` of a steer answer."""

    @classmethod
    def of(cls, event: ServerEvent | UnknownEvent) -> Frame:
        """What the phases need of an event already parsed: what ``peek`` reads of its text."""
        match event:
            case ErrorEvent():
                return cls(event.type, code=event.code, param=event.param, message=event.message)
            case (
                ResponseCreatedEvent()
                | ResponseQueuedEvent()
                | ResponseInProgressEvent()
                | ResponseCompletedEvent()
                | ResponseFailedEvent()
                | ResponseIncompleteEvent()
            ):
                return cls(event.type, event.response.id, event.response.status)
            case (
                ResponseSteerAcceptedEvent()
                | ResponseSteerFailedEvent()
                | ResponseSteerPendingEvent()
            ):
                return cls(event.type, steer_id=_text(event.steer.get("id")))
            case UnknownEvent():
                return _read(event.raw)
        return cls(event.type)


_UNREADABLE = Frame()


def peek(data: str | bytes) -> Frame:
    """Read just what a drain needs of a frame, without building an event model.

    A frame that is not a JSON object gives a ``Frame`` whose fields are all ``None`` (a
    drain skips those rather than fail on them).
    """
    try:
        frame = json.loads(data)
    except ValueError:
        return _UNREADABLE
    if not isinstance(frame, dict):
        return _UNREADABLE
    return _read(frame)


def _read(frame: dict[str, Any]) -> Frame:
    response = frame.get("response")
    if not isinstance(response, dict):
        response = {}
    error = frame.get("error")
    if not isinstance(error, dict):
        error = frame
    steer = frame.get("steer")
    return Frame(
        type=_text(frame.get("type")),
        response_id=_text(response.get("id")),
        status=_text(response.get("status")),
        code=_text(error.get("code")),
        param=_text(error.get("param")),
        message=_text(error.get("message")),
        steer_id=_text(steer.get("id")) if isinstance(steer, dict) else None,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
