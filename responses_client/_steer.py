"""Steering a running turn, purely: which steers are out, what the server made of them.

``Conversation.steer(input)`` adds user input to the turn that is running. Over the
WebSocket the SDK sends ``response.steer`` for the response in flight, and the server
answers (``response.steer.accepted`` / ``.pending`` / ``.failed``); elsewhere, or when the
server cannot steer, the SDK applies the input itself. ``SteerBook`` keeps the turn
machine's account of every steer, in the order it was made:

- **sent**: ``response.steer`` went out, no answer yet (``sent``);
- **accepted**: the server queued it; the successor's ``response.created`` commits it
  (``accepted``, by steer id; ``commit`` hands them over, oldest first);
- **pending**: the steered response completed asking for tools; the server prepends the
  steer to the next ``response.create``, which must not carry it again (``pending``);
- **queued**: the SDK itself appends it to the next round's input: a steer made while no
  response streams (tools running), one the transport cannot send, or one the server
  failed with a code in ``RESTART_CODES`` (``queued``); when a response is still streaming
  then, ``restart`` asks the machine to cancel it and start the next round at once. A
  response that ended incomplete (stopped for the steer, whose successor the server then
  failed to make) is followed by the successor the server would have made: its finished
  items, then the steer.

A steer failed with any other code (``invalid_input``, ``too_many_pending_steers``,
``response_not_found``, ``successor_creation_failed``, …) is dropped: the caller sees the
``response.steer.failed`` event, which carries the input back.

Each steer sent has a ticket; the first answer to it is written to ``answers`` (``settle``
turns it into what ``steer()`` returns or raises). A steer whose stream ended before any
answer (a cancel, a drop) is answered ``"sent"``: its fate is unknown.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from ._exceptions import InputError, SteerFailedError
from ._fold import Ending, ResponseFold
from ._history import InputLike, coerce_items
from ._items import FunctionCall, Item, Message
from .events import (
    ResponseSteerAcceptedEvent,
    ResponseSteerFailedEvent,
    ResponseSteerPendingEvent,
)

__all__ = [
    "SteerAnswer",
    "settle",
    "RESTART_CODES",
    "STEER_ANSWERS",
    "SteerBook",
    "SteerOutcome",
    "steer_items",
    "successor_input",
]

RESTART_CODES = frozenset(
    {
        "steering_not_supported",
        "response_not_active",
        "response_already_completed",
        "successor_creation_failed",
    }
)
"""``response.steer.failed`` codes after which the SDK applies the steer itself (for the
last: the server stopped the response for the steer, then could not make its successor)."""

STEER_ANSWERS = (ResponseSteerAcceptedEvent, ResponseSteerPendingEvent, ResponseSteerFailedEvent)
"""The event models of the server's answers to a steer."""

SteerOutcome = Literal["accepted", "sent", "restarted", "queued"]
"""What ``Conversation.steer()`` did: ``"accepted"`` the server took the steer (the
response's successor, or its next request, carries it); ``"sent"`` it went out and the
answer was not awaited (the caller is the loop that reads it) or never came;
``"restarted"`` the response in flight was cancelled and a new one starts with the input;
``"queued"`` no response was streaming, so the next one carries the input."""


class SteerAnswer(NamedTuple):
    """The first answer to one steer: an outcome, or ``"failed"`` with the server's words."""

    outcome: Literal["accepted", "sent", "restarted", "queued", "failed"]
    code: str | None = None
    message: str | None = None


def settle(answer: SteerAnswer) -> SteerOutcome:
    """What ``steer()`` returns for ``answer``.

    Raises:
        SteerFailedError: the server failed the steer with a code the SDK cannot apply.
    """
    if answer.outcome == "failed":
        raise SteerFailedError(
            f"the server refused the steer: {answer.code}: {answer.message or 'no message'}",
            code=answer.code,
        )
    return answer.outcome


def steer_items(value: InputLike) -> list[Item]:
    """The items a steer adds: user messages only, at least one (what the API takes).

    Raises:
        InputError: no input, or an item that is not a user message.
    """
    items = coerce_items(value)
    if not items:
        raise InputError("steer() needs input: text or user messages")
    for item in items:
        if not isinstance(item, Message) or item.role != "user":
            raise InputError(
                f"steer() takes user messages only, not a {getattr(item, 'role', item.type)!r} "
                "item (the API steers with user input)"
            )
    return items


def successor_input(steered: ResponseFold, steers: list[Item]) -> tuple[tuple[Item, ...], bool]:
    """What the server made a steered response's successor from, after that response's input.

    The steered response's output as the server holds it (a completed response's whole
    output; an incomplete one's finished items, the server having finished the item in
    progress before it stopped), then the committed ``steers``. Function calls of an
    incomplete response are left out: they will never have outputs, and a history holding
    them would be refused when sent again. Returns the items and whether they are exactly
    what the server holds (False when calls were left out, or the response failed).
    """
    output = steered.output
    if steered.ending is Ending.COMPLETED:
        kept = output
    elif steered.ending is Ending.INCOMPLETE:
        kept = [item for item in output if not isinstance(item, FunctionCall)]
    else:
        kept = []
    return (*kept, *steers), len(kept) == len(output)


class SteerBook:
    """The steers of one turn and where each stands (see the module docstring)."""

    __slots__ = (
        "accepted",
        "answers",
        "pending",
        "queued",
        "restart",
        "restart_reason",
        "sent",
        "tickets",
    )

    def __init__(self) -> None:
        self.tickets = 0
        """Steers sent so far (each one's ticket is its number)."""
        self.sent: list[tuple[int, tuple[Item, ...]]] = []
        """Steers sent and not answered yet, oldest first, with their tickets (a list: an
        empty deque costs 600 bytes in every turn, and steers are few)."""
        self.answers: dict[int, SteerAnswer] = {}
        """The first answer to each steer, by ticket, until its sender takes it."""
        self.accepted: dict[str, tuple[Item, ...]] = {}
        """Accepted steers not committed yet, by steer id, oldest first."""
        self.pending: list[Item] = []
        """Input the server prepends to the next ``response.create``."""
        self.queued: list[Item] = []
        """Input the SDK appends to the next round itself."""
        self.restart = False
        """Whether the response streaming now is to be cancelled for ``queued``."""
        self.restart_reason = ""
        """Why, for the ``client.steer.restart`` event."""

    def answered(
        self,
        event: ResponseSteerAcceptedEvent | ResponseSteerPendingEvent | ResponseSteerFailedEvent,
        *,
        streaming: bool,
    ) -> None:
        """Take the server's answer to a steer; ``streaming``: the steered response runs."""
        steer_id = event.steer.get("id")
        key = steer_id if isinstance(steer_id, str) else ""
        match event:
            case ResponseSteerAcceptedEvent():
                if self.sent:  # else a steer made by someone else on this lane: not ours
                    sent, self.accepted[key] = self.sent.pop(0)
                    self.answers[sent] = SteerAnswer("accepted")
            case ResponseSteerPendingEvent():
                self.pending.extend(self.accepted.pop(key, ()))
            case ResponseSteerFailedEvent():
                ticket: int | None = None
                if key in self.accepted:
                    items = self.accepted.pop(key)
                elif self.sent:
                    ticket, items = self.sent.pop(0)
                else:
                    return
                error = event.error or {}
                code, message = error.get("code"), error.get("message")
                answer = SteerAnswer("failed", str(code), str(message) if message else None)
                if code in RESTART_CODES:
                    restarted = self.queue(items, reason=str(code), streaming=streaming)
                    answer = SteerAnswer("restarted" if restarted else "queued")
                if ticket is not None:
                    self.answers[ticket] = answer

    def send(self, items: tuple[Item, ...]) -> int:
        """Record a steer about to be sent; returns its ticket."""
        self.tickets += 1
        self.sent.append((self.tickets, items))
        return self.tickets

    def unsend(self, ticket: int) -> None:
        """The steer ``ticket`` was not sent after all."""
        self.sent = [entry for entry in self.sent if entry[0] != ticket]

    def stream_over(self) -> bool:
        """The stream ended: steers without an answer get none; returns whether any did."""
        for ticket, _ in self.sent:
            self.answers[ticket] = SteerAnswer("sent")
        lost = bool(self.sent)
        self.sent.clear()
        self.accepted.clear()  # accepted, never committed: the response was cut
        return lost

    def queue(self, items: tuple[Item, ...] | list[Item], *, reason: str, streaming: bool) -> bool:
        """Apply ``items`` in the next round; returns whether the running response restarts."""
        self.queued.extend(items)
        if streaming and not self.restart:
            self.restart = True
            self.restart_reason = reason
        return self.restart

    def commit(self) -> list[Item]:
        """The accepted steers a successor response carries, oldest first; forgets them."""
        items = [item for steer in self.accepted.values() for item in steer]
        self.accepted.clear()
        return items

    def take(self) -> tuple[list[Item], list[Item]]:
        """``(pending, queued)`` for the next round; forgets both and the restart."""
        pending, queued = self.pending, self.queued
        self.pending, self.queued = [], []
        self.restart = False
        return pending, queued
