"""The SSE transport against the emulator: on 127.0.0.1 (real sockets) or in-process.

A server that goes silent for good, or answers ``[DONE]``, is shaped with
``httpx.MockTransport``: the emulator never does either.
"""

from __future__ import annotations

import gc
import gzip
import json
import weakref
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from responses_client import APIConnectionError, Client, RetryPolicy, zero_delays
from responses_client._config import Config
from responses_client._transports.sse import SSETransport
from responses_client.emulator import Emulator, Pause, Reply, ScriptedModel, create_app
from responses_client.emulator._engine import EventStep, Ids, plan_response
from responses_client.events import ServerEvent, UnknownEvent

pytestmark = pytest.mark.anyio

KEY = "sk-test-sse-0123456789SECRET"


def body(text: str = "Hi") -> dict[str, Any]:
    return {"model": "gpt-4.1", "input": [{"role": "user", "content": text}]}


def transport_for(http: httpx.AsyncClient, base_url: str) -> SSETransport:
    return SSETransport(http, Config.resolve(api_key=KEY, base_url=base_url))


async def collect(transport: SSETransport) -> list[ServerEvent | UnknownEvent]:
    return [event async for event in transport.stream(body())]


def wire_events(reply: Reply) -> list[dict[str, Any]]:
    """The events the emulator sends for ``reply``."""
    plan = plan_response(
        body=body(),
        reply=reply,
        resolved_input=[{"type": "message", "role": "user", "content": "Hi"}],
        cached_tokens=0,
        ids=Ids(seed=3),
        now=1_760_000_000.0,
    )
    return [step.event for step in plan.steps if isinstance(step, EventStep)]


def sse(events: list[dict[str, Any]]) -> bytes:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def wire_head(reply: Reply) -> bytes:
    """The emulator's events for ``reply`` up to its first text delta, as SSE."""
    events = wire_events(reply)
    types = [event["type"] for event in events]
    return sse(events[: types.index("response.output_text.delta") + 1])


class SilentBody(httpx.AsyncByteStream):
    """A body that sends ``head``, then nothing ever again (until closed)."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        await anyio.Event().wait()

    async def aclose(self) -> None:
        self.closed = True


def mock_http(stream: httpx.AsyncByteStream) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


@pytest.fixture
def script() -> ScriptedModel:
    return ScriptedModel([])


@pytest.fixture
async def emulator(script: ScriptedModel) -> AsyncIterator[Emulator]:
    async with Emulator(script, api_keys=[KEY]) as emu:
        yield emu


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # Reads would time out before ``fail_after`` bounds fire: no test should pass that way.
    async with httpx.AsyncClient(timeout=60) as client:
        yield client


# -- one response per request ------------------------------------------------------------


async def test_a_response_streams_as_typed_events_over_a_real_socket(
    emulator: Emulator, script: ScriptedModel, http: httpx.AsyncClient
) -> None:
    script.add(Reply(text=["Hel", "lo."]))
    transport = transport_for(http, emulator.base_url)
    events = await collect(transport)
    types = [event.type for event in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]  # type: ignore[union-attr]
    assert deltas == ["Hel", "lo."]
    request = emulator.http_requests[-1]
    assert request.body["stream"] is True and request.body["model"] == "gpt-4.1"
    assert transport.bytes_sent == len(json.dumps({**body(), "stream": True}).replace(" ", ""))


async def test_a_compressed_event_stream_gives_the_events_of_a_plain_one() -> None:
    """A body with a content coding is decoded; a plain one is read as it came."""

    def gzipped(app: Any) -> Any:
        async def wrapped(scope: Any, receive: Any, send: Any) -> None:
            start: dict[str, Any] = {}
            parts: list[bytes] = []

            async def gather(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    start.update(message)
                    return
                parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    headers = [*start["headers"], (b"content-encoding", b"gzip")]
                    await send({**start, "headers": headers})
                    body = gzip.compress(b"".join(parts))
                    await send({"type": "http.response.body", "body": body})

            await app(scope, receive, gather)

        return wrapped

    outcomes = []
    for wrap in (lambda app: app, gzipped):
        app = wrap(create_app(ScriptedModel([Reply(text=["a", "b", "c"])]), seed=1))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
            outcomes.append(await collect(transport_for(http, "http://emulator/v1")))
    plain, compressed = outcomes
    assert compressed == plain
    assert plain[-1].type == "response.completed"


async def test_a_compressed_event_stream_over_a_real_socket(http: httpx.AsyncClient) -> None:
    events = wire_events(Reply(text=["a", "b", "c"]))
    coded = gzip.compress(sse(events))
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\n"
        b"content-length: %d\r\n\r\n" % len(coded)
    )

    async def serve(client: anyio.abc.SocketStream) -> None:
        async with client:
            request = b""
            while b"\r\n\r\n" not in request:  # the body is small: it comes with the head
                request += await client.receive()
            await client.send(head + coded)

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tasks:
        tasks.start_soon(listener.serve, serve)
        got = await collect(transport_for(http, f"http://127.0.0.1:{port}/v1"))
        tasks.cancel_scope.cancel()
    assert [e.type for e in got] == [e["type"] for e in events]


async def test_a_body_an_event_hook_already_read_gives_its_events(
    emulator: Emulator, script: ScriptedModel
) -> None:
    # A logging hook may read the body before the transport sees the response.
    async def read_body(response: httpx.Response) -> None:
        await response.aread()

    script.add(Reply(text=["a", "b"]))
    async with httpx.AsyncClient(event_hooks={"response": [read_body]}) as http:
        events = await collect(transport_for(http, emulator.base_url))
    assert events[-1].type == "response.completed"
    assert [e.delta for e in events if e.type == "response.output_text.delta"] == ["a", "b"]  # type: ignore[union-attr]


async def test_done_before_a_terminal_event_is_a_dropped_stream() -> None:
    # Some OpenAI-compatible servers send ``data: [DONE]`` after their last event; one sent
    # before any terminal event means the response was cut short, like a dropped connection.
    head = wire_head(Reply(text=["a", "b"]))
    http = mock_http(httpx.ByteStream(head + b"data: [DONE]\n\n"))
    async with http:
        with pytest.raises(APIConnectionError, match=r"\[DONE\] before the response ended"):
            await collect(transport_for(http, "http://mock/v1"))


async def test_a_conversation_retries_a_stream_cut_by_done_then_raises_it() -> None:
    head = wire_head(Reply(text=["a", "b"]))
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        stream = httpx.ByteStream(head + b"data: [DONE]\n\n")
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)

    policy = RetryPolicy(max_retries=2, delays=zero_delays)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        async with Client(
            base_url="http://mock/v1", api_key=KEY, http_client=http, retry=policy
        ) as client:
            async with client.conversation(transport="sse") as convo:
                with pytest.raises(APIConnectionError):
                    await convo.send("Hi")
                assert len(convo.items) == 1
    assert len(requests) == 3


async def test_a_stream_waiting_for_the_server_holds_no_earlier_event(
    emulator: Emulator, script: ScriptedModel, http: httpx.AsyncClient
) -> None:
    script.add(Reply(text=["a"], delay=30))  # the server sends the next event much later
    events = transport_for(http, emulator.base_url).stream({"model": "gpt-4.1"})
    first = await anext(events)
    assert first.type == "response.created"
    created = weakref.ref(first)
    del first

    async def next_event() -> None:
        await anext(events)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(next_event)
        await anyio.wait_all_tasks_blocked()  # the stream now waits for the next read
        gc.collect()
        assert created() is None
        tasks.cancel_scope.cancel()
    await events.aclose()


# -- cancel ------------------------------------------------------------------------------


async def read_until_a_delta_then_cancel(transport: SSETransport) -> list[str]:
    """Stream in a task; once a text delta arrived, cancel from this task while the
    stream waits for the server. Returns the types the stream yielded."""
    first_delta = anyio.Event()
    seen: list[str] = []

    async def consume() -> None:
        async for event in transport.stream(body()):
            seen.append(event.type)
            if event.type == "response.output_text.delta":
                first_delta.set()

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(consume)
            await first_delta.wait()
            await anyio.wait_all_tasks_blocked()  # the stream waits in a read
            await transport.cancel()
    return seen


async def test_cancel_from_another_task_ends_a_read_waiting_for_the_server(
    emulator: Emulator, script: ScriptedModel, http: httpx.AsyncClient
) -> None:
    script.add(Reply(text=["a", "b", "c"], faults=[Pause(at=5, seconds=30)]))
    seen = await read_until_a_delta_then_cancel(transport_for(http, emulator.base_url))
    assert seen[-1] == "response.output_text.delta"
    assert "response.completed" not in seen
    # The connection the cancel closed is not handed to the next request.
    script.add(Reply(text="Again."))
    again = await collect(transport_for(http, emulator.base_url))
    assert again[-1].type == "response.completed"


async def test_cancel_ends_a_waiting_read_where_the_response_has_no_socket() -> None:
    # A custom httpx transport (or HTTP/2) gives no socket of the response's own.
    silent = SilentBody(wire_head(Reply(text=["a", "b"])))
    http = mock_http(silent)
    async with http:
        seen = await read_until_a_delta_then_cancel(transport_for(http, "http://mock/v1"))
    assert seen[-1] == "response.output_text.delta"
    assert silent.closed


@pytest.mark.parametrize("where", ["socket", "no socket"])
async def test_a_cancel_between_two_reads_ends_the_stream_before_the_next_read(
    where: str, emulator: Emulator, script: ScriptedModel, http: httpx.AsyncClient
) -> None:
    # The caller cancels while it holds an event; the server would answer much later.
    script.add(Reply(text=["a", "b"], delay=30))
    silent = mock_http(SilentBody(wire_head(Reply(text=["a", "b"]))))
    async with silent:
        transport = transport_for(http, emulator.base_url)
        if where == "no socket":
            transport = transport_for(silent, "http://mock/v1")
        seen = []
        with anyio.fail_after(10):
            async for event in transport.stream(body()):
                seen.append(event.type)
                await transport.cancel()
    assert seen == ["response.created"]


async def test_httpx_gives_what_the_transport_reads_through(
    emulator: Emulator, script: ScriptedModel, http: httpx.AsyncClient
) -> None:
    """Pins the httpx and httpcore hooks ``SSETransport`` reads a body through, which their
    documentation does not list, on every supported httpx (see ``SSETransport._body``).

    A streamed HTTP/1.1 response gives its socket (through httpcore's ``network_stream``
    extension), is not consumed yet, and its ``stream`` yields the raw body; once read,
    ``is_stream_consumed`` says so.
    """
    script.add(Reply(text=["a"]))
    url = emulator.base_url + "/responses"
    headers = {"Authorization": f"Bearer {KEY}"}
    request = {**body(), "stream": True}
    async with http.stream("POST", url, json=request, headers=headers) as response:
        assert response.http_version == "HTTP/1.1"
        sock = response.extensions["network_stream"].get_extra_info("socket")
        assert callable(sock.shutdown)
        assert not response.is_stream_consumed
        assert isinstance(response.stream, httpx.AsyncByteStream)
        raw = b"".join([chunk async for chunk in response.stream])
    assert raw.startswith(b"event: response.created\ndata: {")
    assert raw.endswith(b"\n\n") and b"event: response.completed\n" in raw
    script.add(Reply(text=["b"]))
    read = await http.post(url, json=request, headers=headers)
    assert read.is_stream_consumed
