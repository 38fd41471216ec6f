"""ChatTransport against recorded-shape answers of compatible servers (httpx.MockTransport):
how a stream may end, error objects and error bodies, and the request it writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from responses_client import (
    APIConnectionError,
    BadRequestError,
    InternalServerError,
    UnprocessableEntityError,
)
from responses_client._config import Config
from responses_client.events import ErrorEvent, ResponseCompletedEvent
from responses_client.transports import ChatTransport

pytestmark = pytest.mark.anyio

BODY = {
    "model": "llama-3",
    "input": [
        {"type": "message", "role": "developer", "content": "Rules."},
        {"type": "message", "role": "user", "content": "Hi"},
    ],
    "max_output_tokens": 50,
    "store": False,
}


def sse(*chunks: Any) -> bytes:
    return b"".join(
        b"data: " + (c if isinstance(c, bytes) else json.dumps(c).encode()) + b"\n\n"
        for c in chunks
    )


def text_chunk(content: str, finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }


def transport_answering(
    status: int, content: bytes, content_type: str = "text/event-stream", **options: Any
) -> tuple[ChatTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, headers={"content-type": content_type}, content=content)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    config = Config(api_key=None, base_url="http://local:8000/v1")
    return ChatTransport(http, config, **options), seen


async def events_of(transport: ChatTransport) -> list[Any]:
    return [event async for event in transport.stream(BODY)]


async def test_a_stream_ending_after_a_finish_reason_without_done_is_complete() -> None:
    transport, _ = transport_answering(200, sse(text_chunk("Hi"), text_chunk("", "stop")))
    events = await events_of(transport)
    assert isinstance(events[-1], ResponseCompletedEvent)
    assert events[-1].response.output[0].text == "Hi"  # type: ignore[union-attr]


async def test_a_stream_cut_before_any_finish_reason_is_a_dropped_connection() -> None:
    transport, _ = transport_answering(200, sse(text_chunk("Hi")))
    with pytest.raises(APIConnectionError, match="before a finish reason"):
        await events_of(transport)


async def test_done_ends_the_stream_and_nothing_after_it_is_read() -> None:
    transport, _ = transport_answering(
        200, sse(text_chunk("Hi", "stop"), b"[DONE]", text_chunk("late"))
    )
    events = await events_of(transport)
    assert isinstance(events[-1], ResponseCompletedEvent)
    assert "late" not in [getattr(e, "delta", None) for e in events]


async def test_an_error_object_mid_stream_ends_it_as_an_error_event() -> None:
    error = {"error": {"message": "model overloaded", "type": "server_error", "code": "503"}}
    transport, _ = transport_answering(200, sse(text_chunk("Hi"), error, text_chunk("x")))
    events = await events_of(transport)
    assert isinstance(events[-1], ErrorEvent)
    assert events[-1].message == "model overloaded" and events[-1].code == "503"


ERROR_BODIES: list[tuple[int, bytes, str, type[Exception], str]] = [
    (400, b'{"error": "model not found"}', "application/json", BadRequestError, "model not found"),
    (
        422,
        b'{"detail": [{"loc": ["body", "messages"], "msg": "field required"}]}',
        "application/json",
        UnprocessableEntityError,
        "field required",
    ),
    (500, b"Internal Server Error", "text/plain", InternalServerError, "Internal Server Error"),
    (
        400,
        b'{"error": {"message": "bad role", "type": "invalid_request_error"}}',
        "application/json",
        BadRequestError,
        "bad role",
    ),
]


@pytest.mark.parametrize(("status", "content", "content_type", "error", "text"), ERROR_BODIES)
async def test_error_bodies_in_other_shapes_give_a_readable_status_error(
    status: int, content: bytes, content_type: str, error: type[Exception], text: str
) -> None:
    transport, _ = transport_answering(status, content, content_type)
    with pytest.raises(error, match=text):
        await events_of(transport)


async def test_the_request_goes_to_chat_completions_with_the_chosen_knobs() -> None:
    options: dict[str, Any] = {
        "developer_role": False,
        "max_tokens_field": "max_tokens",
        "extra": {"top_k": 20},
    }
    transport, seen = transport_answering(200, sse(text_chunk("Hi", "stop")), **options)
    await events_of(transport)
    (request,) = seen
    assert str(request.url) == "http://local:8000/v1/chat/completions"
    assert "authorization" not in request.headers  # no key: none sent
    body = json.loads(request.content)
    assert body["messages"] == [
        {"role": "user", "content": "Rules."},
        {"role": "user", "content": "Hi"},
    ]
    assert body["max_tokens"] == 50 and "max_completion_tokens" not in body
    assert body["top_k"] == 20 and body["stream"] is True
    assert transport.bytes_sent == len(request.content)


def test_the_wire_has_no_previous_response() -> None:
    transport, _ = transport_answering(200, b"")
    check: Callable[..., bool] = transport.supports_previous_response
    assert check(store=True) is False and check(store=False) is False
    assert transport.name == "chat"
    assert repr(transport) == "ChatTransport(url='http://local:8000/v1/chat/completions')"
