"""The emulator's WebSocket endpoint over a real socket, driven by a plain `websockets` client."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import anyio
import pytest
import websockets
from websockets.asyncio.client import connect

from responses_client.emulator import (
    CallTool,
    Drop,
    Emulator,
    HttpStatus,
    Malformed,
    ModelRequest,
    Pause,
    Reply,
    ScriptedModel,
    SendError,
    SendUnknown,
)

from ._wire import TERMINAL, WEATHER_TOOL, create, ws_until_terminal

pytestmark = pytest.mark.anyio


async def test_text_reply_has_the_full_event_sequence() -> None:
    async with Emulator(ScriptedModel([Reply(text=["Hel", "lo", "!"])])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("Hi"))
            events = await ws_until_terminal(ws)
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert deltas == ["Hel", "lo", "!"]
    item_id = events[2]["item"]["id"]
    assert item_id.startswith("msg_")
    assert all(e["item_id"] == item_id for e in events[3:9])
    completed = events[-1]["response"]
    assert completed["status"] == "completed"
    assert completed["output"][0]["content"][0]["text"] == "Hello!"
    usage = completed["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    assert usage["input_tokens_details"]["cached_tokens"] == 0
    assert events[0]["response"]["id"] == completed["id"]
    assert events[0]["response"]["status"] == "in_progress"


async def test_function_call_reply_streams_arguments() -> None:
    call = CallTool("get_weather", {"city": "Paris", "unit": "celsius"}, call_id="call_1")
    async with Emulator(ScriptedModel([Reply(tool_calls=[call])])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("Weather?", tools=[WEATHER_TOOL]))
            events = await ws_until_terminal(ws)
    types = [e["type"] for e in events]
    assert types[2] == "response.output_item.added"
    assert types[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    deltas = "".join(e["delta"] for e in events if e["type"].endswith("arguments.delta"))
    assert json.loads(deltas) == {"city": "Paris", "unit": "celsius"}
    added = events[2]["item"]
    assert added["type"] == "function_call" and added["arguments"] == ""
    assert added["status"] == "in_progress"
    done = events[-2]["item"]
    assert done["call_id"] == "call_1" and done["status"] == "completed"
    assert done["id"].startswith("fc_")


async def test_previous_response_id_uses_the_connection_cache_with_store_false() -> None:
    async with Emulator(ScriptedModel(["first answer", "second answer"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("one"))
            first = (await ws_until_terminal(ws))[-1]["response"]
            await ws.send(create("two", previous_response_id=first["id"]))
            second = (await ws_until_terminal(ws))[-1]["response"]
        assert second["status"] == "completed"
        assert second["previous_response_id"] == first["id"]
        assert second["usage"]["input_tokens_details"]["cached_tokens"] > 0
        context = emu.responses[1].resolved_input
        assert [item.get("content") for item in context if item.get("role") == "user"] == [
            "one",
            "two",
        ]
        assert context[1]["role"] == "assistant"
        assert context[1]["content"][0]["text"] == "first answer"
        # The cache is per connection: a new connection does not know the response.
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("three", previous_response_id=first["id"]))
            (error,) = await ws_until_terminal(ws)
    assert error["type"] == "error"
    assert error["status"] == 400
    assert error["error"]["code"] == "previous_response_not_found"
    assert error["error"]["param"] == "previous_response_id"


async def test_unknown_previous_response_is_an_error_event_and_the_connection_lives_on() -> None:
    async with Emulator() as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("x", previous_response_id="resp_missing"))
            (error,) = await ws_until_terminal(ws)
            await ws.send(create("again"))
            events = await ws_until_terminal(ws)
    assert error["error"]["code"] == "previous_response_not_found"
    assert events[-1]["type"] == "response.completed"


async def test_connection_age_limit_sends_error_and_closes() -> None:
    now = [0.0]
    async with Emulator(connection_max_age=60, clock=lambda: now[0]) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("within the limit"))
            assert (await ws_until_terminal(ws))[-1]["type"] == "response.completed"
            now[0] = 60.0
            await ws.send(create("too late"))
            (error,) = await ws_until_terminal(ws)
            with pytest.raises(websockets.ConnectionClosedOK):
                await ws.recv()
    assert error["error"]["code"] == "websocket_connection_limit_reached"
    assert emu.connections[0].closed


async def test_cancel_ends_with_incomplete_cancelled_response() -> None:
    # A slow reply: the cancel arrives while deltas are still planned.
    reply = Reply(text=[f"w{i} " for i in range(50)], delay=0.01)
    async with Emulator(ScriptedModel([reply, "after"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("long please"))
            created = json.loads(await ws.recv())
            response_id = created["response"]["id"]
            await ws.send(json.dumps({"type": "response.cancel", "response_id": response_id}))
            events = await ws_until_terminal(ws)
            await ws.send(create("next"))
            after = await ws_until_terminal(ws)
    last = events[-1]
    assert last["type"] == "response.incomplete"
    assert last["response"]["status"] == "cancelled"
    assert last["response"]["id"] == response_id
    assert len([e for e in events if e["type"] == "response.output_text.delta"]) < 50
    sequence = [created["sequence_number"]] + [e["sequence_number"] for e in events]
    assert sequence == list(range(len(sequence)))
    assert emu.responses[0].status == "cancelled"
    assert after[-1]["type"] == "response.completed"


async def test_cancel_cuts_a_pause_short() -> None:
    # Without an immediate cancel this test would wait the full minute.
    reply = Reply(text="a b c", faults=[Pause(at=4, seconds=60)])
    async with Emulator(ScriptedModel([reply])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            first = [json.loads(await ws.recv()) for _ in range(4)]
            response_id = first[0]["response"]["id"]
            await ws.send(json.dumps({"type": "response.cancel", "response_id": response_id}))
            with anyio.fail_after(5):
                (ending,) = await ws_until_terminal(ws)
    assert ending["type"] == "response.incomplete"
    assert ending["sequence_number"] == 4
    assert ending["response"]["status"] == "cancelled"
    assert ending["response"]["output"] == []


async def test_cancel_of_unknown_or_finished_response_is_a_harmless_error() -> None:
    async with Emulator(ScriptedModel(["one", "two"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(json.dumps({"type": "response.cancel", "response_id": "resp_nope"}))
            first_error = json.loads(await ws.recv())
            await ws.send(create("one"))
            done = (await ws_until_terminal(ws))[-1]["response"]
            await ws.send(json.dumps({"type": "response.cancel", "response_id": done["id"]}))
            second_error = json.loads(await ws.recv())
            await ws.send(create("two"))
            events = await ws_until_terminal(ws)
    for error in (first_error, second_error):
        assert error["type"] == "error"
        assert error["error"]["code"] == "response_not_found"
    assert events[-1]["type"] == "response.completed"
    assert [f["type"] for f in emu.connections[0].frames] == [
        "response.cancel",
        "response.create",
        "response.cancel",
        "response.create",
    ]


@pytest.mark.parametrize(
    ("frame", "code", "param"),
    [
        (create([{"role": "bot", "content": "hi"}]), "invalid_value", "input[0].role"),
        (
            create([{"role": "user", "content": [{"type": "text", "text": "hi"}]}]),
            "invalid_value",
            "input[0].content[0].type",
        ),
        (create([{"type": "weird"}]), "invalid_value", "input[0].type"),
        (
            json.dumps({"type": "response.create", "input": "no model"}),
            "missing_required_parameter",
            "model",
        ),
        (json.dumps({"type": "session.update"}), "invalid_value", "type"),
        ("{not json", "invalid_json", None),
    ],
)
async def test_invalid_frames_get_error_events_not_a_closed_connection(
    frame: str, code: str, param: str | None
) -> None:
    async with Emulator() as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(frame)
            error = json.loads(await ws.recv())
            await ws.send(create("still here?"))
            events = await ws_until_terminal(ws)
    assert error["type"] == "error" and error["status"] == 400
    assert error["error"]["code"] == code
    assert error["error"]["param"] == param
    assert error["error"]["type"] == "invalid_request_error"
    assert events[-1]["type"] == "response.completed"


async def test_missing_tool_output_is_the_api_message() -> None:
    items = [
        {"role": "user", "content": "weather?"},
        {"type": "function_call", "call_id": "call_abc", "name": "get_weather", "arguments": "{}"},
    ]
    async with Emulator() as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create(items))
            (error,) = await ws_until_terminal(ws)
    assert error["error"]["message"] == "No tool output found for function call call_abc."
    assert error["error"]["param"] == "input"


async def test_bearer_auth_rejects_the_handshake_with_401() -> None:
    async with Emulator(api_keys=["sk-good"]) as emu:
        with pytest.raises(websockets.InvalidStatus) as caught:
            async with connect(
                emu.websocket_url, additional_headers={"Authorization": "Bearer sk-bad"}
            ):
                pass
        assert caught.value.response.status_code == 401
        assert b"invalid_api_key" in caught.value.response.body
        assert b"sk-bad" not in caught.value.response.body
        headers = {"Authorization": "Bearer sk-good"}
        async with connect(emu.websocket_url, additional_headers=headers) as ws:
            await ws.send(create("hi"))
            assert (await ws_until_terminal(ws))[-1]["type"] == "response.completed"
        assert emu.connections[0].headers["authorization"] == "Bearer <redacted>"


# -- scripted faults -------------------------------------------------------------------


async def test_drop_after_event_k_closes_without_a_close_frame() -> None:
    async with Emulator(ScriptedModel([Reply(text="a b c d", faults=[Drop(after=3)])])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            received = []
            with pytest.raises(websockets.ConnectionClosedError) as caught:
                while True:
                    received.append(json.loads(await ws.recv()))
    assert [e["sequence_number"] for e in received] == [0, 1, 2, 3]
    assert caught.value.rcvd is None  # abrupt: no close frame came
    assert emu.responses[0].status == "dropped"


async def test_drop_connections_between_turns_forgets_the_cache() -> None:
    async with Emulator(ScriptedModel(["one", "two"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            first = (await ws_until_terminal(ws))[-1]["response"]
            assert emu.drop_connections() == 1
            with pytest.raises(websockets.ConnectionClosedError) as caught:
                await ws.recv()
            assert caught.value.rcvd is None
        async with connect(emu.websocket_url) as ws:
            await ws.send(create(previous_response_id=first["id"]))
            (error,) = await ws_until_terminal(ws)
            await ws.send(create())
            assert (await ws_until_terminal(ws))[-1]["type"] == "response.completed"
    assert error["error"]["code"] == "previous_response_not_found"
    assert emu.connections[0].closed


async def test_close_connections_sends_a_close_frame() -> None:
    async with Emulator() as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            await ws_until_terminal(ws)
            assert await emu.close_connections(1012, "service restart") == 1
            with pytest.raises(websockets.ConnectionClosed) as caught:
                await ws.recv()
    assert caught.value.rcvd is not None
    assert (caught.value.rcvd.code, caught.value.rcvd.reason) == (1012, "service restart")
    assert await emu.close_connections() == 0


async def test_malformed_frame_then_the_stream_goes_on() -> None:
    async with Emulator(ScriptedModel([Reply(text="a b", faults=[Malformed(at=4)])])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            frames = []
            while not frames or '"response.completed"' not in frames[-1]:
                frames.append(await ws.recv())
    with pytest.raises(json.JSONDecodeError):
        json.loads(frames[4])
    parsed = [json.loads(f) for i, f in enumerate(frames) if i != 4]
    assert [e["sequence_number"] for e in parsed] == list(range(len(parsed)))


async def test_unknown_event_type_is_inserted_with_its_own_sequence_number() -> None:
    reply = Reply(text="a", faults=[SendUnknown(at=2, type="response.future_thing")])
    async with Emulator(ScriptedModel([reply])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            events = await ws_until_terminal(ws)
    assert events[2]["type"] == "response.future_thing"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[-1]["type"] == "response.completed"


@pytest.mark.parametrize(
    "code", ["server_error", "rate_limit_exceeded", "previous_response_not_found"]
)
async def test_error_event_at_k_is_nested_and_ends_the_response(code: str) -> None:
    reply = Reply(text="a b c", faults=[SendError(at=3, code=code, status=500)])
    async with Emulator(ScriptedModel([reply, "next"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            events = await ws_until_terminal(ws)
            await ws.send(create())
            after = await ws_until_terminal(ws)
    error = events[-1]
    assert len(events) == 4
    assert error == {
        "type": "error",
        "status": 500,
        "sequence_number": 3,
        "error": {
            "type": "server_error",
            "code": code,
            "message": error["error"]["message"],
            "param": None,
        },
    }
    assert after[-1]["type"] == "response.completed"


async def test_failed_and_incomplete_endings() -> None:
    script = ScriptedModel(
        [
            Reply(text="partial", end="failed", error_code="server_error"),
            Reply(text="cut", end="incomplete"),
        ]
    )
    async with Emulator(script) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            failed = (await ws_until_terminal(ws))[-1]
            await ws.send(create())
            incomplete = (await ws_until_terminal(ws))[-1]
    assert failed["type"] == "response.failed"
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"]["code"] == "server_error"
    assert incomplete["type"] == "response.incomplete"
    assert incomplete["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert incomplete["response"]["output"][0]["status"] == "incomplete"


async def test_http_status_reply_is_an_error_event_with_headers() -> None:
    script = ScriptedModel([HttpStatus(429, headers={"retry-after": "2"}), "ok"])
    async with Emulator(script) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            (error,) = await ws_until_terminal(ws)
            await ws.send(create())
            events = await ws_until_terminal(ws)
    assert error["status"] == 429
    assert error["error"]["code"] == "rate_limit_exceeded"
    assert error["error"]["headers"] == {"retry-after": "2"}
    assert events[-1]["type"] == "response.completed"


async def test_pause_and_delay_hold_events_back() -> None:
    reply = Reply(text="a b", delay=0.001, faults=[Pause(at=2, seconds=0.3)])
    async with Emulator(ScriptedModel([reply])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            first_two = [json.loads(await ws.recv()) for _ in range(2)]
            # Nothing else is ready yet: the pause holds event 2 back.
            with pytest.raises(TimeoutError):
                with anyio.fail_after(0.05):
                    await ws.recv()
            rest = await ws_until_terminal(ws)
    assert [e["sequence_number"] for e in first_two + rest] == list(range(2 + len(rest)))


async def test_exhausted_script_is_a_loud_server_error() -> None:
    async with Emulator(ScriptedModel(["only one"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create())
            await ws_until_terminal(ws)
            await ws.send(create())
            (error,) = await ws_until_terminal(ws)
    assert error["status"] == 500
    assert "script ran out after 1 replies" in error["error"]["message"]


async def test_item_ids_resolve_from_the_connection_cache_only() -> None:
    async with Emulator(ScriptedModel(["first", "second", "third"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("one"))
            output = (await ws_until_terminal(ws))[-1]["response"]["output"]
            replay = [{"role": "user", "content": "one"}, *output, {"role": "user", "content": "2"}]
            await ws.send(
                json.dumps({"type": "response.create", "model": "gpt-4.1", "input": replay})
            )
            same_connection = await ws_until_terminal(ws)
        async with connect(emu.websocket_url) as ws:
            await ws.send(
                json.dumps({"type": "response.create", "model": "gpt-4.1", "input": replay})
            )
            (error,) = await ws_until_terminal(ws)
    assert same_connection[-1]["type"] == "response.completed"
    assert error["status"] == 404 and error["error"]["param"] == "input"
    assert "not found" in error["error"]["message"]


async def test_a_client_gone_mid_response_is_no_server_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    long = Reply(text=["word "] * 5_000)
    async with Emulator(ScriptedModel([long, "next"])) as emu:
        ws = await connect(emu.websocket_url)
        await ws.send(create())
        for _ in range(5):
            await ws.recv()
        ws.transport.abort()  # a reset: no close frame, the server still writing
        await ws.wait_closed()
        async with connect(emu.websocket_url) as again:
            await again.send(create())
            assert (await ws_until_terminal(again))[-1]["type"] == "response.completed"
    assert emu.connections[0].closed
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert noisy == [], [r.getMessage() for r in noisy]


class _ByInput:
    """Answers each request by the text of its last input message (lanes race to decide)."""

    def __init__(self, replies: dict[str, Reply]) -> None:
        self.replies = replies

    def reply(self, request: ModelRequest) -> Reply:
        return self.replies[request.input[-1]["content"]]


async def _read_until(ws: Any, done: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    events = []
    with anyio.fail_after(5):
        while not events or not done(events[-1]):
            events.append(json.loads(await ws.recv()))
    return events


async def test_stream_ids_are_lanes_that_run_side_by_side_and_fifo_within() -> None:
    model = _ByInput(
        {
            "slow": Reply(text=["s1 ", "s2"], faults=[Pause(at=3, seconds=60)]),
            "fast": Reply(text="quick"),
            "queued": Reply(text="after slow"),
            "plain": Reply(text="no lane"),
        }
    )
    async with Emulator(model) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("slow", stream_id="a"))
            await ws.send(create("queued", stream_id="a"))
            await ws.send(create("fast", stream_id="b"))
            # Lane b finishes while lane a's first response waits in its pause.
            early = await _read_until(ws, lambda e: e["type"] in TERMINAL and e["stream_id"] == "b")
            slow_id = next(
                e["response"]["id"]
                for e in early
                if e["type"] == "response.created" and e["stream_id"] == "a"
            )
            await ws.send(json.dumps({"type": "response.cancel", "response_id": slow_id}))
            late = await _read_until(
                ws, lambda e: e["type"] == "response.completed" and e["stream_id"] == "a"
            )
            await ws.send(create("plain"))
            plain = await ws_until_terminal(ws)
    events = early + late
    assert all(e["stream_id"] in ("a", "b") for e in events)
    by_response: dict[str, list[dict[str, Any]]] = {}
    current = {}
    for event in events:
        if event["type"] == "response.created":
            current[event["stream_id"]] = event["response"]["id"]
        by_response.setdefault(current[event["stream_id"]], []).append(event)
    assert len(by_response) == 3
    for response_events in by_response.values():
        numbers = [e["sequence_number"] for e in response_events]
        assert numbers == list(range(len(numbers)))
        assert len({e["stream_id"] for e in response_events}) == 1
    by_input = {r.request["input"]: by_response.get(r.id, []) for r in emu.responses}
    slow, queued, fast = by_input["slow"], by_input["queued"], by_input["fast"]
    assert fast[-1]["response"]["output"][0]["content"][0]["text"] == "quick"
    assert slow[-1]["type"] == "response.incomplete"
    assert slow[-1]["response"]["status"] == "cancelled"
    # FIFO within lane a: the queued response starts only after the slow one ended.
    assert events.index(queued[0]) > events.index(slow[-1])
    assert queued[-1]["response"]["output"][0]["content"][0]["text"] == "after slow"
    assert [e["type"] for e in slow[:3]] == [e["type"] for e in fast[:3]]
    # A request without a stream_id is on the default lane: no stream_id on its events.
    assert plain[-1]["type"] == "response.completed"
    assert not any("stream_id" in e for e in plain)


async def test_a_lanes_request_error_echoes_its_stream_id() -> None:
    async with Emulator(ScriptedModel(["fine"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("x", stream_id="c", previous_response_id="resp_missing"))
            error = json.loads(await ws.recv())
            await ws.send(create("y", stream_id="c"))
            events = await ws_until_terminal(ws)
    assert error["type"] == "error"
    assert error["error"]["code"] == "previous_response_not_found"
    assert error["stream_id"] == "c"
    assert events[-1]["type"] == "response.completed"
    assert {e["stream_id"] for e in events} == {"c"}


async def test_a_stream_id_that_is_not_a_string_is_refused() -> None:
    async with Emulator(ScriptedModel(["fine"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("x", stream_id=7))
            error = json.loads(await ws.recv())
            await ws.send(create("y"))
            events = await ws_until_terminal(ws)
    assert error["type"] == "error" and error["status"] == 400
    assert (error["error"]["code"], error["error"]["param"]) == ("invalid_stream_id", "stream_id")
    assert "stream_id" not in error
    assert events[-1]["type"] == "response.completed"


async def test_item_references_stand_for_items_the_connection_holds() -> None:
    async with Emulator(ScriptedModel(["first", "second"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create("one"))
            message = (await ws_until_terminal(ws))[-1]["response"]["output"][0]
            references = [
                {"role": "user", "content": "one"},
                {"type": "item_reference", "id": message["id"]},
                {"id": message["id"]},  # the type may be left out
                {"role": "user", "content": "two"},
            ]
            await ws.send(create(references))
            events = await ws_until_terminal(ws)
            await ws.send(create([{"type": "item_reference", "id": "msg_unknown"}]))
            (unknown,) = await ws_until_terminal(ws)
            await ws.send(create([{"type": "item_reference"}]))
            (no_id,) = await ws_until_terminal(ws)
    assert events[-1]["type"] == "response.completed"
    assert emu.responses[1].resolved_input[1:3] == [message, message]
    assert (unknown["status"], unknown["error"]["param"]) == (404, "input")
    assert unknown["error"]["message"] == "Item with id 'msg_unknown' not found."
    assert (no_id["error"]["code"], no_id["error"]["param"]) == (
        "missing_required_parameter",
        "input[0].id",
    )


async def test_hosted_tool_items_are_taken_as_input() -> None:
    # No model here runs hosted tools, but their items come back as input like any other.
    items = [
        {"role": "user", "content": "Search, then patch."},
        {"type": "web_search_call", "status": "completed", "action": {"type": "search"}},
        {"type": "custom_tool_call", "call_id": "c1", "name": "patch", "input": "diff"},
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "applied"},
        {"type": "mcp_approval_response", "approval_request_id": "mcpr_1", "approve": True},
    ]
    async with Emulator(ScriptedModel(["done"])) as emu:
        async with connect(emu.websocket_url) as ws:
            await ws.send(create(items))
            events = await ws_until_terminal(ws)
    assert events[-1]["type"] == "response.completed"
    assert emu.responses[0].resolved_input == items
