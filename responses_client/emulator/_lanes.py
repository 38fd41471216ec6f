"""What one WebSocket connection holds: its lanes, its cache, and its limits.

A ``Lane`` is one ``stream_id`` (or the default lane): its requests run one after another.
A ``Gate`` bounds the responses active at once on the connection, letting waiting requests
in first come first served. ``lane_error`` checks a request's ``stream_id`` against the
API's rules and the connection's budget of named lanes. No I/O beyond anyio primitives.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from ._errors import JSON, WireError
from ._input import Context
from ._state import ConnectionRecord

__all__ = ["Connection", "Ended", "Gate", "Lane", "Steer", "lane_error"]

_STREAM_ID = re.compile(r"[A-Za-z0-9_.\-]{1,256}")


@dataclass
class Steer:
    """One accepted ``response.steer``: its id, its target, and its input as sent."""

    id: str
    previous_response_id: str
    input: Any
    items: list[JSON]
    """The input as user message items (what the successor or continuation receives)."""
    failure: str | None = None
    """A scripted code to fail with once the response has stopped, instead of starting
    the successor (``successor_creation_failed``)."""


@dataclass
class Ended:
    """What the connection remembers of a response that ended, for a later steer.

    Attributes:
        status: The response's record status (``completed``, ``incomplete``, ``failed``,
            ``cancelled``, ``error``, ``dropped``).
        lane: Its lane's ``stream_id``.
        model: Its request's model.
        owed: Stubs of the function call outputs it waits for (completed with calls and
            not yet continued by a ``response.create``).
        pending: Steers accepted for it, waiting for that ``response.create``.
    """

    status: str
    lane: str | None
    model: object
    owed: list[JSON] = field(default_factory=list)
    pending: list[Steer] = field(default_factory=list)


class Lane:
    """One ``stream_id`` of a WebSocket connection: its requests run one after another.

    Requests without a ``stream_id`` share the connection's default lane (``id`` is
    ``None``), and their events carry no ``stream_id``.
    """

    def __init__(self, lane_id: str | None, jobs: MemoryObjectSendStream[JSON]) -> None:
        self.id = lane_id
        self.jobs = jobs
        """Where the connection's sender queues this lane's ``response.create`` frames."""
        self.current: str | None = None
        """The id of the response streaming on this lane, if any."""
        self.cancel: str | None = None
        """The response a ``response.cancel`` stops (``cancel_mode`` "honour")."""
        self.silenced: str | None = None
        """The response a ``response.cancel`` silenced (``cancel_mode`` "silent")."""
        self.wake = anyio.Event()
        """Set when news for the response streaming arrives (a cancel, a steer that stops
        it), to cut a pause."""
        self.model: object = None
        """The model of the response streaming."""
        self.tool_started = False
        """Whether the response streaming has begun a function call (a steer then waits)."""
        self.steers: list[Steer] = []
        """Steers accepted for the response streaming, in submission order."""

    def tag(self, event: JSON) -> JSON:
        """``event`` as this lane sends it: echoing its ``stream_id``, if it has one."""
        return event if self.id is None else {**event, "stream_id": self.id}


class Gate:
    """At most ``limit()`` responses active at once; the others wait in arrival order.

    The limit is read each time a response asks to start or one ends, so a new value takes
    effect from then on.
    """

    def __init__(self, limit: Callable[[], int], record: ConnectionRecord) -> None:
        self._limit = limit
        self._record = record
        self.active = 0
        self._waiting: deque[anyio.Event] = deque()

    async def enter(self) -> None:
        """Wait for a free place (behind every request already waiting), and take it."""
        if self._waiting or self.active >= self._limit():
            turn = anyio.Event()
            self._waiting.append(turn)
            try:
                await turn.wait()
            except BaseException:
                if turn.is_set():
                    self.leave()  # a place was handed over that will not be used
                else:
                    self._waiting.remove(turn)
                raise
        else:
            self.active += 1
        self._record.peak_active = max(self._record.peak_active, self.active)

    def leave(self) -> None:
        """Give a place back, and hand free places to the requests waiting longest."""
        self.active -= 1
        while self._waiting and self.active < self._limit():
            self.active += 1
            self._waiting.popleft().set()


class Connection:
    """The state of one WebSocket connection."""

    def __init__(self, opened: float, gate: Gate) -> None:
        self.opened = opened
        self.gate = gate
        self.cache: dict[str, Context] = {}
        self.items: dict[str, JSON] = {}
        """The output items of this connection's responses, by id."""
        self.lanes: dict[str | None, Lane] = {}
        self.ended: dict[str, Ended] = {}
        """The responses of this connection that ended, by id (what a steer may name)."""
        self.stream_ids: set[str] = set()
        """The named lanes used so far (what ``max_stream_ids`` counts)."""
        self.urgent: list[str] = []

    def lane_running(self, response_id: object) -> Lane | None:
        """The lane whose response in progress has this id."""
        if response_id is None:
            return None
        return next((lane for lane in self.lanes.values() if lane.current == response_id), None)


def lane_error(
    conn: Connection, lane_id: object, record: ConnectionRecord, max_ids: int
) -> WireError | None:
    """Why a ``response.create`` may not use lane ``lane_id``; ``None`` when it may.

    A first use of a named lane is counted here (and recorded on ``record``).
    """
    if lane_id is None or lane_id in conn.stream_ids:
        return None
    if not isinstance(lane_id, str) or not _STREAM_ID.fullmatch(lane_id):
        return WireError(
            400,
            "Invalid 'stream_id': expected 1 to 256 characters, each a letter, a digit, "
            "'_', '-' or '.'.",
            code="invalid_stream_id",
            param="stream_id",
        )
    if len(conn.stream_ids) >= max_ids:
        return WireError(
            400,
            f"Responses websocket stream limit reached ({max_ids} stream ids per connection). "
            "Reuse a stream_id or create a new websocket connection.",
            code="websocket_stream_limit_reached",
            param="stream_id",
        )
    conn.stream_ids.add(lane_id)
    record.stream_ids.append(lane_id)
    return None
