"""SSE faults: HTTP error statuses, resets before and after the first event, broken streams."""

from __future__ import annotations

import httpx
import pytest

from responses_client import (
    Client,
    InternalServerError,
    ProtocolError,
    RateLimitError,
    RetryAfterOutputError,
)
from responses_client.emulator import Drop, Emulator, HttpStatus, Reply, ScriptedModel

from ._support import KEY, FaultyHTTP, recording, sse_transport, stripped

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _fresh(faulty: FaultyHTTP) -> None:
    faulty.faults.clear()


@pytest.mark.parametrize("status", [429, 500, 503])
@pytest.mark.parametrize(
    ("headers", "waits"),
    [
        ({}, [0.0]),  # the policy's own (zero, injected) backoff
        ({"retry-after": "3"}, [3.0]),
        ({"retry-after-ms": "250"}, [0.25]),
        ({"retry-after": "3600"}, [60.0]),  # capped
    ],
    ids=["no-header", "retry-after", "retry-after-ms", "capped"],
)
async def test_retryable_status_waits_as_told_then_completes(
    emulator: Emulator, client: Client, status: int, headers: dict[str, str], waits: list[float]
) -> None:
    emulator.model = ScriptedModel([HttpStatus(status, headers=headers), "Fine."])
    sleeps: list[float] = []
    before = len(emulator.http_requests)
    async with client.conversation(
        transport=sse_transport(client), retry=recording(sleeps)
    ) as convo:
        async with convo.stream("Hi") as events:
            types = [event.type async for event in events]
    assert sleeps == waits
    assert len(emulator.http_requests) - before == 2
    assert "client.retry" not in types  # nothing had reached the caller
    assert events.result.text == "Fine." and events.result.status == "completed"
    assert [item.to_wire()["role"] for item in convo.items] == ["user", "assistant"]


@pytest.mark.parametrize(("status", "error"), [(429, RateLimitError), (503, InternalServerError)])
async def test_exhausted_retries_raise_typed_and_keep_only_the_input(
    emulator: Emulator, client: Client, status: int, error: type[Exception]
) -> None:
    emulator.model = ScriptedModel([HttpStatus(status)] * 3 + ["Back."])
    sleeps: list[float] = []
    async with client.conversation(
        transport=sse_transport(client), retry=recording(sleeps)
    ) as convo:
        with pytest.raises(error):
            await convo.send("Hi")
        assert sleeps == [0.0, 0.0]
        assert stripped(convo.items) == [{"type": "message", "role": "user", "content": "Hi"}]
        result = await convo.send(None)  # the conversation stays usable
        assert result.text == "Back." and len(convo.items) == 2


async def test_reset_before_the_first_event_is_retried_silently(
    emulator: Emulator, client: Client, faulty: FaultyHTTP
) -> None:
    emulator.model = ScriptedModel(["After the reset."])
    faulty.faults.append("reset")
    sleeps: list[float] = []
    before = len(emulator.http_requests)
    async with client.conversation(
        transport=sse_transport(client), retry=recording(sleeps)
    ) as convo:
        async with convo.stream("Hi") as events:
            types = [event.type async for event in events]
    assert "client.retry" not in types
    assert sleeps == [0.0]
    assert len(emulator.http_requests) - before == 1
    assert events.result.text == "After the reset."


async def test_reset_after_output_emits_client_retry_then_succeeds(
    emulator: Emulator, client: Client
) -> None:
    emulator.model = ScriptedModel([Reply(text="cut short here", faults=[Drop(after=4)]), "Whole."])
    async with client.conversation(transport=sse_transport(client)) as convo:
        async with convo.stream("Hi") as events:
            seen = [event async for event in events]
    types = [event.type for event in seen]
    retry = types.index("client.retry")
    assert types[:retry] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert types[retry + 1] == "response.created" and types[-1] == "response.completed"
    assert events.result.text == "Whole." and events.result.stats.retries == 1
    assert [getattr(item, "text", None) for item in convo.items] == ["Hi", "Whole."]


async def test_reset_after_output_raises_when_retries_after_output_are_off(
    emulator: Emulator, client: Client
) -> None:
    emulator.model = ScriptedModel([Reply(text="cut short", faults=[Drop(after=4)]), "Next."])
    async with client.conversation(
        transport=sse_transport(client), retry_after_output=False
    ) as convo:
        seen: list[str] = []
        with pytest.raises(RetryAfterOutputError, match="connection_dropped"):
            async with convo.stream("Hi") as events:
                async for event in events:
                    seen.append(event.type)
        assert "client.retry" not in seen and "response.output_text.delta" in seen
        assert len(convo.items) == 1  # the input only: nothing of the cut attempt
        assert (await convo.send(None)).text == "Next."


async def _first_event(emulator: Emulator) -> bytes:
    """The first SSE message of a real emulator stream, as bytes."""
    emulator.model = ScriptedModel(["x"])
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{emulator.base_url}/responses",
            json={"model": "gpt-4.1", "input": "Hi", "stream": True},
            headers={"Authorization": f"Bearer {KEY}"},
        )
    return answer.content.split(b"\n\n")[0] + b"\n\n"


async def test_stream_that_ends_without_a_terminal_event_is_a_protocol_error(
    emulator: Emulator, client: Client, faulty: FaultyHTTP
) -> None:
    body = await _first_event(emulator)
    assert body.startswith(b"event: response.created")
    faulty.faults.append(
        httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
    )
    emulator.model = ScriptedModel(["Recovered."])
    async with client.conversation(transport=sse_transport(client)) as convo:
        with pytest.raises(ProtocolError, match="ended before the response did"):
            await convo.send("Hi")
        assert len(convo.items) == 1
        assert (await convo.send(None)).text == "Recovered."


async def test_http_200_that_is_not_an_event_stream_names_its_content_type(
    client: Client, faulty: FaultyHTTP
) -> None:
    faulty.faults.append(httpx.Response(200, json={"id": "resp_1", "output": []}))
    async with client.conversation(transport=sse_transport(client)) as convo:
        with pytest.raises(ProtocolError, match="application/json") as caught:
            await convo.send("Hi")
        assert "text/event-stream" in str(caught.value)
        assert len(convo.items) == 1
