"""Conversations over HTTP against the emulator on 127.0.0.1 (a real server, real sockets).

Each test runs over both HTTP wires (the ``wire`` fixture): the Responses API's SSE stream
(``"sse"``) and Chat Completions (``"chat"``), whose chunks the SDK folds into the same
events. What the server received is read back from the emulator's records.
"""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from responses_client import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    Client,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseFailedError,
    RetryPolicy,
    ToolError,
    TurnStream,
    tool,
    zero_delays,
)
from responses_client._client import TransportName
from responses_client._items import FunctionCall, FunctionCallOutput, Message
from responses_client.emulator import CallTool, Emulator, HttpStatus, Reply, ScriptedModel
from responses_client.events import ToolResultEvent

from .helpers import KEY, without_ids

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sse", "chat"])
def wire(request: pytest.FixtureRequest) -> TransportName:
    """The HTTP transport the test's conversations use."""
    name: TransportName = request.param
    return name


@pytest.fixture
def second_delta(wire: TransportName) -> int:
    """The index of the second text delta of a text reply among the events the wire plans."""
    return {"sse": 5, "chat": 2}[wire]


def as_sent(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items as the server received them: without ids, and without statuses (the chat
    wire carries none)."""
    return [{k: v for k, v in item.items() if k not in ("id", "status")} for item in items]


def server_saw(emulator: Emulator, index: int = -1) -> list[dict[str, Any]]:
    """The input of one response as the server received it (the messages, for chat)."""
    return as_sent(emulator.responses[index].resolved_input)


@pytest.fixture
def transport(wire: TransportName) -> str:
    """The shared ``client`` fixture's transport: this module's wire."""
    return wire


async def test_streams_text_and_keeps_history(
    client: Client, script: ScriptedModel, emulator: Emulator, wire: TransportName
) -> None:
    script.add(Reply(text=["Hel", "lo ", "there."]))
    convo = client.conversation(model="gpt-4.1", instructions="Be brief.")
    deltas: list[str] = []
    types: list[str] = []
    async with convo.stream("Hi") as events:
        async for event in events:
            types.append(event.type)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
    result = events.result
    assert deltas == ["Hel", "lo ", "there."]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert result.status == "completed"
    assert result.text == "Hello there."
    assert [type(item) for item in convo.items] == [Message, Message]
    assert convo.items[1].role == "assistant" and convo.items[1].text == "Hello there."
    body = emulator.http_requests[-1].body
    assert body["stream"] is True
    if wire == "sse":
        assert body["store"] is False
        assert body["instructions"] == "Be brief."
        assert body["input"] == [convo.items[0].to_wire()]
    else:  # instructions lead as a system message; usage is asked for
        assert body["messages"] == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ]
        assert body["stream_options"] == {"include_usage": True}
    assert emulator.responses[-1].instructions == "Be brief."
    assert server_saw(emulator) == as_sent(convo.to_input()[:1])
    assert result.usage is not None and result.usage.total_tokens > 0
    assert result.stats.items_sent == 1 and result.stats.items_held == 0
    assert result.stats.bytes_sent > 0 and result.stats.time_to_first_token is not None


async def test_anext_and_async_for_share_one_stream(client: Client, script: ScriptedModel) -> None:
    script.add(Reply(text=["a", "b", "c"]))
    convo = client.conversation(model="gpt-4.1")
    async with convo.stream("Hi") as events:
        first = await anext(events)
        rest = [event async for event in events]
    assert first.type == "response.created"
    assert [e.delta for e in rest if e.type == "response.output_text.delta"] == ["a", "b", "c"]
    assert rest[-1].type == "response.completed"
    assert events.finished and events.result.text == "abc"


async def test_send_resends_the_full_history_over_http(
    client: Client, script: ScriptedModel, emulator: Emulator, wire: TransportName
) -> None:
    script.extend(["One.", "Two."])
    convo = client.conversation()
    await convo.send("first")
    second = await convo.send("second")
    body = emulator.http_requests[-1].body
    assert "previous_response_id" not in body
    if wire == "sse":
        assert body["input"] == without_ids(convo.to_input()[:3])
    else:
        assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert second.text == "Two."
    assert server_saw(emulator) == as_sent(convo.to_input()[:3])
    assert as_sent(emulator.responses[-1].output) == as_sent(convo.to_input()[3:])


async def test_multimodal_input_reaches_the_server_part_by_part(
    client: Client, script: ScriptedModel, emulator: Emulator
) -> None:
    script.add("A cat.")
    image = "data:image/png;base64,iVBORw0KGgo="
    convo = client.conversation()
    result = await convo.send(
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": image, "detail": "low"}},
            ],
        }
    )
    assert result.text == "A cat."
    (user,) = server_saw(emulator)
    assert user["content"] == [
        {"type": "input_text", "text": "What is this?"},
        {"type": "input_image", "image_url": image, "detail": "low"},
    ]
    assert [user] == as_sent(convo.to_input()[:1])


async def test_tool_loop_of_two_rounds_with_parallel_calls(
    client: Client, script: ScriptedModel, emulator: Emulator
) -> None:
    both_running = anyio.Event()
    running: set[str] = set()
    threads: dict[str, int] = {}

    @tool
    async def get_weather(city: str) -> str:
        """Weather for a city."""
        running.add(city)
        if len(running) == 2:
            both_running.set()
        await both_running.wait()  # returns only when the two calls overlap
        return f"sunny in {city}"

    @tool
    def get_time(city: str) -> dict[str, str]:
        """Local time in a city."""
        threads[city] = threading.get_ident()
        return {"city": city, "time": "12:00"}

    script.extend(
        [
            Reply(
                tool_calls=[
                    CallTool("get_weather", {"city": "Paris"}, call_id="call_a"),
                    CallTool("get_weather", {"city": "Rome"}, call_id="call_b"),
                ]
            ),
            Reply(tool_calls=[CallTool("get_time", {"city": "Oslo"}, call_id="call_c")]),
            Reply(text="Paris and Rome are sunny; it is noon in Oslo."),
        ]
    )
    convo = client.conversation(tools=[get_weather, get_time])
    results: list[ToolResultEvent] = []
    async with convo.stream("weather and time?") as events:
        async for event in events:
            if isinstance(event, ToolResultEvent):
                results.append(event)
    assert [r.call_id for r in results] == ["call_a", "call_b", "call_c"]
    assert [r.output for r in results[:2]] == ["sunny in Paris", "sunny in Rome"]
    assert all(r.error is None for r in results)
    assert threads["Oslo"] != threading.get_ident()  # the sync tool ran in a worker thread
    kinds = [(type(i).__name__, getattr(i, "call_id", None)) for i in convo.items]
    assert kinds == [
        ("Message", None),
        ("FunctionCall", "call_a"),
        ("FunctionCall", "call_b"),
        ("FunctionCallOutput", "call_a"),
        ("FunctionCallOutput", "call_b"),
        ("FunctionCall", "call_c"),
        ("FunctionCallOutput", "call_c"),
        ("Message", None),
    ]
    # Each round sent everything so far: the server saw every call with its output.
    assert len(emulator.http_requests) == 3
    assert server_saw(emulator, 1) == as_sent(convo.to_input()[:5])
    assert server_saw(emulator, 2) == as_sent(convo.to_input()[:7])
    assert events.result.stats.rounds == 3
    assert len(events.result.output) == 7


async def test_tool_errors_go_back_to_the_model(client: Client, script: ScriptedModel) -> None:
    @tool
    def divide(a: int, b: int) -> float:
        """Divide a by b."""
        return a / b

    script.extend(
        [
            Reply(
                tool_calls=[
                    CallTool("divide", {"a": 1, "b": 0}, call_id="call_zero"),
                    CallTool("divide", '{"a": 1,', call_id="call_json"),
                    CallTool("nope", {}, call_id="call_unknown"),
                ]
            ),
            "Sorry, that failed.",
        ]
    )
    convo = client.conversation(tools=[divide])
    result = await convo.send("divide")
    outputs = {i.call_id: i.output for i in convo.items if isinstance(i, FunctionCallOutput)}
    assert "ZeroDivisionError" in outputs["call_zero"]
    assert "JSON" in outputs["call_json"] or "json" in outputs["call_json"]
    assert "nope" in outputs["call_unknown"] and "divide" in outputs["call_unknown"]
    assert result.text == "Sorry, that failed."


async def test_max_tool_rounds_stops_a_runaway_loop(client: Client, script: ScriptedModel) -> None:
    @tool
    def ping() -> str:
        """Ping."""
        return "pong"

    script.extend([Reply(tool_calls=[CallTool("ping", {})]) for _ in range(3)])
    convo = client.conversation(tools=[ping], max_tool_rounds=2)
    with pytest.raises(ToolError, match="max_tool_rounds"):
        await convo.send("loop")
    # The unrun calls of the last response are not in the history: every call has an output.
    calls = [i.call_id for i in convo.items if isinstance(i, FunctionCall)]
    outputs = [i.call_id for i in convo.items if isinstance(i, FunctionCallOutput)]
    assert calls == outputs and len(calls) == 2


async def test_retries_honour_retry_after(
    emulator: Emulator, script: ScriptedModel, wire: TransportName
) -> None:
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    script.extend(
        [
            HttpStatus(429, headers={"retry-after": "3"}),
            HttpStatus(503, headers={"retry-after-ms": "250"}),
            "Made it.",
        ]
    )
    policy = RetryPolicy(max_retries=2, sleep=record_sleep)
    async with Client(base_url=emulator.base_url, api_key=KEY, retry=policy) as client:
        convo = client.conversation(transport=wire)
        result = await convo.send("hi")
    assert result.text == "Made it."
    assert waits == [3.0, 0.25]
    assert len(emulator.http_requests) == 3
    # After the retries, what the server received is the history.
    assert server_saw(emulator) == as_sent(convo.to_input()[:1])


async def test_a_request_timeout_is_retried_once(
    emulator: Emulator, script: ScriptedModel, wire: TransportName
) -> None:
    from responses_client.emulator import Pause

    # The first answer holds back every event past the read timeout; the retry is on time.
    script.extend([Reply(text="Late.", faults=[Pause(at=0, seconds=5)]), "On time."])
    policy = RetryPolicy(max_retries=1, delays=zero_delays)
    async with Client(
        base_url=emulator.base_url, api_key=KEY, transport=wire, timeout=0.3, retry=policy
    ) as client:
        convo = client.conversation()
        result = await convo.send("hi")
    assert result.text == "On time." and result.stats.retries == 1
    assert len(emulator.http_requests) == 2
    assert server_saw(emulator) == as_sent(convo.to_input()[:1])


@pytest.mark.parametrize(
    ("status", "error_class", "attempts"),
    [
        (400, BadRequestError, 1),
        (401, AuthenticationError, 1),
        (403, PermissionDeniedError, 1),
        (404, NotFoundError, 1),
        (429, RateLimitError, 3),
        (500, InternalServerError, 3),
    ],
)
async def test_http_errors_raise_their_class(
    emulator: Emulator,
    script: ScriptedModel,
    status: int,
    error_class: type[APIStatusError],
    attempts: int,
    wire: TransportName,
) -> None:
    script.extend([HttpStatus(status)] * 3)

    async def no_sleep(seconds: float) -> None:
        pass

    policy = RetryPolicy(max_retries=2, sleep=no_sleep)
    async with Client(base_url=emulator.base_url, api_key=KEY, retry=policy) as client:
        convo = client.conversation(transport=wire)
        with pytest.raises(error_class) as caught:
            await convo.send("hi")
    assert caught.value.status_code == status
    assert caught.value.request_id is not None and caught.value.request_id.startswith("req_")
    assert len(emulator.http_requests) == attempts
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    # The conversation is still usable: the user input stays, nothing else was added.
    assert [i.text for i in convo.items if isinstance(i, Message)] == ["hi"]


async def test_wrong_key_is_401_and_not_retried(emulator: Emulator, wire: TransportName) -> None:
    async with Client(
        base_url=emulator.base_url, api_key="sk-wrong-" + KEY, transport=wire
    ) as client:
        convo = client.conversation()
        with pytest.raises(AuthenticationError) as caught:
            await convo.send("hi")
    assert len(emulator.http_requests) == 1
    assert caught.value.code == "invalid_api_key"
    assert KEY not in str(caught.value)


async def test_response_failed_raises_and_keeps_history_clean(
    client: Client, script: ScriptedModel
) -> None:
    script.extend([Reply(text="partial", end="failed", error_code="server_error"), "Fine now."])
    convo = client.conversation()
    with pytest.raises(ResponseFailedError) as caught:
        await convo.send("hi")
    assert caught.value.code == "server_error"
    assert caught.value.response_id is not None
    assert len(convo.items) == 1
    assert (await convo.send("again")).text == "Fine now."
    assert [i.text for i in convo.items if isinstance(i, Message)] == ["hi", "again", "Fine now."]


async def test_incomplete_response_appends_nothing(client: Client, script: ScriptedModel) -> None:
    script.add(Reply(text="cut sho", end="incomplete"))
    convo = client.conversation()
    result = await convo.send("tell me everything")
    assert result.status == "incomplete"
    assert result.incomplete_reason == "max_output_tokens"
    assert result.text == "cut sho"
    assert len(convo.items) == 1


async def test_key_never_logged_at_debug(
    client: Client, script: ScriptedModel, caplog: pytest.LogCaptureFixture, emulator: Emulator
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("responses_client", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    script.extend(["ok", HttpStatus(500), HttpStatus(500), HttpStatus(500)])
    convo = client.conversation()
    assert KEY not in repr(client) and KEY not in repr(convo)
    await convo.send("hi")
    async with Client(base_url=emulator.base_url, api_key="sk-bad-" + KEY) as bad:
        with pytest.raises(AuthenticationError):
            await bad.conversation().send("hi")
    lines = [record.getMessage() for record in caplog.records]
    assert any("HTTP Request" in line for line in lines)  # httpx did log at DEBUG/INFO
    assert not [line for line in lines if KEY in line]


async def test_to_json_round_trip(client: Client, script: ScriptedModel) -> None:
    script.extend(["Saved.", "Restored."])

    @tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    convo = client.conversation(instructions="Be brief.", tools=[echo], temperature=0.2)
    await convo.send("remember me")
    data = convo.to_json()
    import json

    copy = client.restore(json.loads(json.dumps(data)), tools=[echo])
    assert copy.to_input() == convo.to_input()
    assert copy.instructions == "Be brief."
    assert (await copy.send("still there?")).text == "Restored."


async def test_from_json_still_restores_but_warns(client: Client, script: ScriptedModel) -> None:
    convo = client.conversation(instructions="Old way.", reasoning={"effort": "low"})
    with pytest.warns(DeprecationWarning, match="client.restore"):
        copy = type(convo).from_json(client, convo.to_json())
    assert copy.to_json() == convo.to_json()


async def test_closing_the_conversation_while_another_task_streams_ends_that_turn(
    client: Client, script: ScriptedModel, second_delta: int
) -> None:
    from responses_client.emulator import Pause

    script.add(Reply(text=["a", "b", "c"], faults=[Pause(at=second_delta, seconds=30)]))
    convo = client.conversation()
    first_delta = anyio.Event()
    statuses: list[str] = []

    async def consume() -> None:
        async with convo.stream("hi") as events:
            async for event in events:
                if event.type == "response.output_text.delta":
                    first_delta.set()
        statuses.append(events.result.status)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(consume)
            await first_delta.wait()
            await convo.aclose()
    assert statuses == ["interrupted"]
    assert len(convo.items) == 1


async def close_from_another_task_after_a_delta(stream: TurnStream) -> None:
    """Consume ``stream`` in a task; once a text delta arrived, close it from this one
    (while the consumer waits inside the stream for the server)."""
    first_delta = anyio.Event()

    async def consume() -> None:
        async for event in stream:
            if event.type == "response.output_text.delta":
                first_delta.set()

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(consume)
            await first_delta.wait()
            await stream.aclose()


async def test_stream_aclose_from_another_task_interrupts_the_turn(
    client: Client, script: ScriptedModel, second_delta: int
) -> None:
    from responses_client.emulator import Pause

    script.extend([Reply(text=["a", "b"], faults=[Pause(at=second_delta, seconds=30)]), "next"])
    convo = client.conversation()
    stream = convo.stream("hi")
    await close_from_another_task_after_a_delta(stream)
    assert stream.finished and stream.result.status == "interrupted"
    assert (await convo.send("again")).text == "next"


async def test_a_cancel_ends_a_waiting_read_where_the_response_has_no_socket() -> None:
    """A custom httpx transport (or HTTP/2) gives no socket of the response's own to shut
    down; ``cancel()`` then cancels the scope the read waits in."""
    import json

    import httpx

    from responses_client.emulator._engine import EventStep, Ids, plan_response

    body = {"model": "gpt-4.1", "input": "hi"}
    plan = plan_response(
        body=body,
        reply=Reply(text=["a", "b"]),
        resolved_input=[{"type": "message", "role": "user", "content": "hi"}],
        cached_tokens=0,
        ids=Ids(seed=3),
        now=1_760_000_000.0,
    )
    events = [step.event for step in plan.steps if isinstance(step, EventStep)]
    types = [event["type"] for event in events]
    first = events[: types.index("response.output_text.delta") + 1]  # up to the first delta
    head = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in first)
    quiet = anyio.Event()  # never set: the server goes silent after the first events
    closed: list[bool] = []

    class SilentBody(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield head.encode()
            await quiet.wait()

        async def aclose(self) -> None:
            closed.append(True)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=SilentBody()
        )

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with http, Client(base_url="http://mock/v1", api_key=KEY, http_client=http) as client:
        stream = client.conversation(transport="sse").stream("hi")
        await close_from_another_task_after_a_delta(stream)  # a read that would never end
    assert stream.result.status == "interrupted"
    assert stream.result.text == "a"
    assert closed == [True]


async def test_an_idle_conversation_lets_go_of_its_finished_turn(
    client: Client, script: ScriptedModel
) -> None:
    script.add(Reply(text=["Hi."]))
    convo = client.conversation(model="gpt-4.1")
    stream = convo.stream("hello")
    async for _ in stream:
        pass
    assert stream.result.text == "Hi."
    finished = weakref.ref(stream)
    del stream
    gc.collect()
    # The finished turn (its generator, event and result) is not kept by the conversation.
    assert finished() is None
    assert [item.to_wire()["role"] for item in convo.items] == ["user", "assistant"]
