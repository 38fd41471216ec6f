"""Read timeouts on every transport, and a deadline for a whole turn (issue 13, item 2).

These tests wait for a timeout by design (a fraction of a second): the server is told to
stay silent for far longer than the client allows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from responses_client import APITimeoutError, Client, RetryPolicy, zero_delays
from responses_client.emulator import Emulator, Pause, Reply, ScriptedModel

from .helpers import KEY

pytestmark = pytest.mark.anyio

SILENT = Reply(text=["Never ", "finished."], faults=[Pause(at=2, seconds=60)])


@pytest.fixture(params=["sse", "websocket"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def quick(emulator: Emulator, transport: str) -> AsyncIterator[Client]:
    """A client whose reads time out after 0.3 s."""
    retry = RetryPolicy(delays=zero_delays)
    async with Client(
        base_url=emulator.base_url,
        api_key=KEY,
        timeout=0.3,
        transport=transport,  # type: ignore[arg-type]
        retry=retry,
    ) as client:
        yield client


async def test_a_server_silent_mid_response_is_retried_after_the_read_timeout(
    quick: Client, script: ScriptedModel
) -> None:
    script.extend([SILENT, "Second try."])
    async with quick.conversation() as convo:
        async with convo.stream("Hi") as events:
            types = [event.type async for event in events]
        assert events.result.text == "Second try." and events.result.stats.retries == 1
        assert "client.retry" in types  # the first attempt's deltas had reached the caller
        assert [item.to_wire().get("role") for item in convo.items] == ["user", "assistant"]


async def test_a_deadline_bounds_the_whole_turn(client: Client, script: ScriptedModel) -> None:
    script.extend([SILENT, "Later."])
    async with client.conversation() as convo:
        with pytest.raises(APITimeoutError, match="did not end within 0.3 s"):
            await convo.send("Hi", timeout=0.3)
        assert [item.to_wire().get("role") for item in convo.items] == ["user"]
        assert (await convo.send(None, timeout=30)).text == "Later."
