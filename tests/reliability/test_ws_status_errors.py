"""An HTTP status over WebSocket: the same error classes and retry rules as over HTTP.

The WebSocket carries a refused request as an ``error`` event with the ``status`` (and, for
a rate limit, the headers) HTTP would have answered. Issue 13, item 1.
"""

from __future__ import annotations

import pytest

from responses_client import (
    BadRequestError,
    Client,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
    zero_delays,
)
from responses_client.emulator import Emulator, HttpStatus, ScriptedModel

from ._support import KEY

pytestmark = pytest.mark.anyio


async def run(emulator: Emulator, script: list[object], waits: list[float]) -> Client:
    async def record(seconds: float) -> None:
        waits.append(seconds)

    emulator.model = ScriptedModel(script)  # type: ignore[arg-type]
    retry = RetryPolicy(max_retries=2, delays=zero_delays, sleep=record)
    return Client(base_url=emulator.base_url, api_key=KEY, retry=retry)


def requests_sent(emulator: Emulator, transport: str) -> int:
    """Requests the emulator received so far over ``transport``."""
    if transport == "sse":
        return len(emulator.http_requests)
    frames = [frame for connection in emulator.connections for frame in connection.frames]
    return sum(1 for frame in frames if frame.get("type") == "response.create")


@pytest.mark.parametrize("transport", ["websocket", "sse"])
async def test_a_rate_limit_waits_its_retry_after_then_completes(
    emulator: Emulator, transport: str
) -> None:
    waits: list[float] = []
    script = [HttpStatus(429, headers={"retry-after": "2"}), "After the wait."]
    async with await run(emulator, script, waits) as client:
        async with client.conversation(transport=transport) as convo:  # type: ignore[arg-type]
            result = await convo.send("Hi")
    assert result.text == "After the wait." and result.stats.retries == 1
    assert waits == [2.0]


@pytest.mark.parametrize("transport", ["websocket", "sse"])
@pytest.mark.parametrize(
    ("status", "error", "requests"),
    [(429, RateLimitError, 3), (503, InternalServerError, 3), (400, BadRequestError, 1)],
)
async def test_the_same_class_is_raised_after_the_same_attempts(
    emulator: Emulator, transport: str, status: int, error: type[Exception], requests: int
) -> None:
    waits: list[float] = []
    before = requests_sent(emulator, transport)
    async with await run(emulator, [HttpStatus(status)] * 3, waits) as client:
        async with client.conversation(transport=transport) as convo:  # type: ignore[arg-type]
            with pytest.raises(error) as caught:
                await convo.send("Hi")
            assert len(convo.items) == 1
    assert caught.value.status_code == status  # type: ignore[attr-defined]
    assert requests_sent(emulator, transport) - before == requests
