"""What a turn returns: ``TurnResult``, its ``TurnStats`` and ``TurnStatus``.

Pure values, built by ``_turn.TurnMachine.result``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ._fold import Tokens
from ._items import Item, Message
from .events import Usage

__all__ = ["TurnResult", "TurnStats", "TurnStatus"]


@dataclass(frozen=True)
class TurnStats:
    """What a turn cost on the wire and how quickly it answered."""

    time_to_first_token: float | None
    """Seconds from the turn's start to its first output (a text delta or finished item)."""
    duration: float
    """Seconds from the turn's start to its end."""
    rounds: int
    """Responses the turn took (1 + one per tool round)."""
    items_sent: int
    """Input items sent over all rounds."""
    items_held: int
    """Items the server already held and so were not sent (``previous_response_id``)."""
    bytes_sent: int
    """Request bytes written over all rounds (retries included)."""
    retries: int
    """Requests sent again after a fault (a drop, an expired server cache, …)."""


TurnStatus = Literal["completed", "incomplete", "interrupted"]
"""How a turn ended: its last response completed, was cut short by the server
(``"incomplete"``), or the caller stopped it (``"interrupted"``)."""


@dataclass(frozen=True)
class TurnResult:
    """What ``Conversation.send()`` returns (and ``TurnStream.result`` after a stream)."""

    status: TurnStatus
    """``"completed"``, ``"incomplete"`` (cut short by the server) or ``"interrupted"``."""
    text: str
    """The assistant's text in the turn's last response (partial when not completed)."""
    output: Sequence[Item]
    """Every item the turn appended to the history, in order (calls, tool outputs, messages)."""
    response_id: str | None
    """The id of the turn's last response."""
    stats: TurnStats
    """Timing and wire figures."""
    incomplete_reason: str | None = None
    """Why the server cut the response short, when ``status == "incomplete"``."""
    tokens: Tokens | None = field(default=None, repr=False)
    """The token counts over all rounds (``None`` when the server reported none)."""

    @functools.cached_property
    def usage(self) -> Usage | None:
        """Tokens over all rounds of the turn (``None`` when the server reported none).

        Other numbers the server's usage objects hold are summed and kept where it put
        them. Built on first use: a result is often kept while the next turn runs, and the model
        weighs about 1.7 KB against the counts' 100 bytes (bench/scale.py).
        """
        return None if self.tokens is None else self.tokens.usage()

    @property
    def messages(self) -> list[Message]:
        """The assistant messages among ``output``."""
        return [item for item in self.output if isinstance(item, Message)]
