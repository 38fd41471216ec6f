"""Retry policy, pure: which failures to retry and how long to wait. The caller sleeps.

Delays come from a generator factory that the caller can replace, so tests pass
``zero_delays`` and never sleep. One policy object serves a whole client: the turn machine
(``_turn.TurnMachine``) is the only code that sends anything again, and it asks this policy.
"""

from __future__ import annotations

import math
import random as _random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime
from itertools import islice

from ._exceptions import InputError

__all__ = [
    "RetryPolicy",
    "backoff",
    "is_retryable_status",
    "retry_after",
    "zero_delays",
]


def backoff(
    *,
    initial: float = 0.5,
    factor: float = 2.0,
    maximum: float = 8.0,
    jitter: float = 0.25,
    random: Callable[[], float] = _random.random,
) -> Iterator[float]:
    """Yield retry delays, in seconds, without end: exponential, capped, jittered.

    The n-th delay is ``min(maximum, initial * factor**n)`` less a random share of at most
    ``jitter`` of it, so clients that failed together do not retry together, and no delay
    exceeds ``maximum``.

    Args:
        initial: The first delay before jitter.
        factor: The growth from one delay to the next (at least 1).
        maximum: The cap on any delay.
        jitter: The largest share (0 to 1) taken off a delay at random; 0 for none.
        random: A source of floats in [0, 1); inject one for reproducible delays.

    Raises:
        InputError: A parameter is out of range.
    """
    if not (initial >= 0 and factor >= 1 and maximum >= 0 and 0 <= jitter <= 1):
        raise InputError(
            "backoff needs initial >= 0, factor >= 1, maximum >= 0 and 0 <= jitter <= 1, "
            f"got initial={initial}, factor={factor}, maximum={maximum}, jitter={jitter}"
        )
    return _backoff(min(initial, maximum), factor, maximum, jitter, random)


def _backoff(
    delay: float, factor: float, maximum: float, jitter: float, random: Callable[[], float]
) -> Iterator[float]:
    while True:
        yield delay * (1 - jitter * random()) if jitter else delay
        # Stop growing at the cap rather than letting ``delay`` overflow to inf.
        delay = min(delay * factor, maximum)


def zero_delays() -> Iterator[float]:
    """Yield ``0.0`` without end: a delay factory for tests and for callers who never wait."""
    while True:
        yield 0.0


def retry_after(
    headers: Mapping[str, str],
    *,
    now: float | None = None,
    cap: float = 60.0,
) -> float | None:
    """Read how long the server asks us to wait before retrying.

    Honours ``retry-after-ms`` (milliseconds, OpenAI's header) first, then
    ``Retry-After`` as seconds or as an HTTP date (RFC 9110, section 10.2.3). Header
    names match case-insensitively.

    Args:
        headers: The response headers (any mapping; ``httpx.Headers`` fits).
        now: The current POSIX time, to measure an HTTP date against; read from the
            clock when omitted.
        cap: The longest wait honoured: larger values are lowered to it.

    Returns:
        Seconds to wait (0 to ``cap``), or ``None`` when the headers hold no valid value.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    millis = _number(lowered.get("retry-after-ms"))
    if millis is not None:
        return min(millis / 1000, cap)
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    seconds = _number(raw)
    if seconds is None:
        try:
            when = parsedate_to_datetime(raw.strip())
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            # An HTTP date is always GMT; "-0000" parses without a zone but means it too.
            when = when.replace(tzinfo=timezone.utc)
        seconds = max(0.0, when.timestamp() - (time.time() if now is None else now))
    return min(seconds, cap)


def _number(raw: str | None) -> float | None:
    """A finite, non-negative number from a header value, else ``None``."""
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


_RETRYABLE = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP error status is worth retrying.

    408 (timeout), 409 (conflict, e.g. a lock), 429 (rate limit) and every 5xx are;
    the other 4xx (400, 401, 403, 404, 422…) are not: the same request fails again.
    """
    return status in _RETRYABLE or 500 <= status <= 599


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry, and how long to wait before each retry.

    Give one to ``Client(retry=...)`` (or ``client.conversation(retry=...)``); a request
    then goes out at most ``max_retries + 1`` times, whatever failed. For tests::

        Client(retry=RetryPolicy(max_retries=2, delays=zero_delays))
    """

    max_retries: int = 2
    """Retries after the first attempt; 0 turns retrying off."""

    delays: Callable[[], Iterator[float]] = backoff
    """Factory of the delay sequence; ``zero_delays`` in tests."""

    retry_after_cap: float = 60.0
    """The longest server-requested wait honoured; longer requests are lowered to it."""

    sleep: Callable[[float], Awaitable[None]] | None = None
    """What waits between attempts: ``anyio.sleep`` when ``None``. Tests may pass a
    coroutine function that records the delays instead of waiting them."""

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise InputError(f"max_retries must be 0 or more, got {self.max_retries}")
        if not self.retry_after_cap >= 0:
            raise InputError(f"retry_after_cap must be 0 or more, got {self.retry_after_cap}")

    def delay(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Return how long to wait before retry number ``attempt``, or ``None`` to stop.

        Args:
            attempt: 1 for the first retry (after the first failure), 2 for the next…
            retry_after: Seconds the server asked for (see ``retry_after()``); it wins
                over the backoff delay, bounded by ``retry_after_cap``.

        Returns:
            Seconds to wait, or ``None`` when ``attempt`` exceeds ``max_retries``.

        Raises:
            InputError: ``attempt`` is less than 1.
        """
        if attempt < 1:
            raise InputError(f"attempt counts from 1, got {attempt}")
        if attempt > self.max_retries:
            return None
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap)
        return next(islice(self.delays(), attempt - 1, None))
