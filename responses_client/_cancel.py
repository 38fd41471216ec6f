"""Which response is in flight on a WebSocket connection, and what cancelling it takes.

Pure: the WebSocket transport feeds it what it wrote and the type (and id) of each frame it
read, and gets back the id to send ``response.cancel`` for, when one must go out now. It
never sends, waits or times anything itself.

The phases of the one response a connection can carry at a time::

    IDLE ──begin()──▶ SENT ──response.created──▶ CREATED ──terminal──▶ IDLE
                        │                                    ▲
                        └──── error (request refused) ───────┘

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
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass

from .events import TERMINAL_TYPES

__all__ = ["CancelState", "Phase", "peek"]


class Phase(enum.Enum):
    """Where the response on a connection is."""

    IDLE = "idle"
    """No response in flight: the connection is clean."""
    SENT = "sent"
    """``response.create`` was written; ``response.created`` has not arrived."""
    CREATED = "created"
    """``response.created`` arrived; the terminal event has not."""


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

    @property
    def in_flight(self) -> bool:
        """Whether the connection still owes events of a response (it needs a drain)."""
        return self.phase is not Phase.IDLE

    def begin(self) -> None:
        """Record that ``response.create`` is being written.

        Raises:
            ValueError: a response is still in flight (drain it or reset first).
        """
        if self.phase is not Phase.IDLE:
            raise ValueError(f"a response is still in flight ({self.phase.value})")
        self.phase = Phase.SENT

    def observe(self, event_type: str | None, response_id: str | None = None) -> str | None:
        """Feed the type of a frame just read (and the id ``response.created`` carries).

        Returns:
            The id to send ``response.cancel`` for now (a pending cancel meeting its
            ``response.created``), else ``None``.
        """
        if self.phase is Phase.IDLE:
            return None
        if event_type == "response.created":
            self.phase = Phase.CREATED
            self.response_id = response_id
            if self.cancel_requested and not self.cancel_sent and response_id:
                self.cancel_sent = True
                return response_id
        elif event_type in TERMINAL_TYPES:
            self.reset()
        elif event_type == "error" and not self.cancel_sent:
            self.reset()
        return None

    def cancel(self) -> str | None:
        """Abandon the response in flight.

        Returns:
            The id to send ``response.cancel`` for now, or ``None`` when nothing must be
            sent now (nothing in flight, the id is not known yet, or it was already sent).
        """
        if self.phase is Phase.IDLE:
            return None
        self.cancel_requested = True
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


def peek(data: str | bytes) -> tuple[str | None, str | None]:
    """Read just the type and the response id of a frame, for draining.

    Returns:
        ``(type, response id)``; ``(None, None)`` for a frame that is not a JSON object
        (a drain skips those rather than fail on them). The id is ``response.id`` when
        the frame carries a response object.
    """
    try:
        frame = json.loads(data)
    except ValueError:
        return None, None
    if not isinstance(frame, dict):
        return None, None
    event_type = frame.get("type")
    response = frame.get("response")
    response_id = response.get("id") if isinstance(response, dict) else None
    return (
        event_type if isinstance(event_type, str) else None,
        response_id if isinstance(response_id, str) else None,
    )
