"""The emulator's HTTP endpoint (SSE and JSON) over a real socket, with a plain httpx client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from responses_client.emulator import (
    CallTool,
    Drop,
    Emulator,
    HttpStatus,
    Malformed,
    Pause,
    Reply,
    ScriptedModel,
    SendError,
    SendUnknown,
    create_app,
)

from ._wire import WEATHER_TOOL, parse_sse, sse_events

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def body(input: Any = "Hello", **fields: Any) -> dict[str, Any]:
    return {"model": "gpt-4.1", "input": input, **fields}


async def test_sse_stream_has_event_lines_and_the_full_sequence(http: httpx.AsyncClient) -> None:
    async with Emulator(ScriptedModel([Reply(text="Hi there")])) as emu:
        answer = await http.post(f"{emu.base_url}/responses", json=body(stream=True))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = sse_events(answer.text)
    assert [e["type"] for e in events][:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert "".join(e["delta"] for e in deltas) == "Hi there"
    assert all(e["logprobs"] == [] and isinstance(e["obfuscation"], str) for e in deltas)
    assert events[-1]["type"] == "response.completed"
    assert emu.http_requests[0].body["input"] == "Hello"


async def test_non_streaming_returns_the_response_object(http: httpx.AsyncClient) -> None:
    call = CallTool("get_weather", {"city": "Oslo"})
    async with Emulator(ScriptedModel([Reply(text="Let me check.", tool_calls=[call])])) as emu:
        answer = await http.post(f"{emu.base_url}/responses", json=body(tools=[WEATHER_TOOL]))
    response = answer.json()
    assert answer.status_code == 200
    assert response["object"] == "response" and response["status"] == "completed"
    assert [item["type"] for item in response["output"]] == ["message", "function_call"]
    assert response["output"][1]["call_id"].startswith("call_")
    assert response["tools"][0]["name"] == "get_weather"
    assert emu.responses[0].output == response["output"]


async def test_previous_response_id_over_http_needs_store_true(http: httpx.AsyncClient) -> None:
    async with Emulator(ScriptedModel(["one", "two", "three"])) as emu:
        url = f"{emu.base_url}/responses"
        unstored = (await http.post(url, json=body("a"))).json()
        refused = await http.post(url, json=body("b", previous_response_id=unstored["id"]))
        stored = (await http.post(url, json=body("c", store=True))).json()
        chained = await http.post(url, json=body("d", previous_response_id=stored["id"]))
    assert refused.status_code == 400
    assert refused.json() == {
        "error": {
            "message": f"Previous response with id '{unstored['id']}' not found.",
            "type": "invalid_request_error",
            "param": "previous_response_id",
            "code": "previous_response_not_found",
        }
    }
    assert chained.status_code == 200
    assert chained.json()["previous_response_id"] == stored["id"]
    context = emu.responses[-1].resolved_input
    assert [item.get("content") for item in context if item.get("role") == "user"] == ["c", "d"]
    assert context[1]["content"][0]["text"] == "two"


@pytest.mark.parametrize(
    ("payload", "param", "message"),
    [
        (body([{"role": "robot", "content": "x"}]), "input[0].role", "Invalid value: 'robot'."),
        (
            body([{"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}]),
            "input[0].content[0].type",
            "Invalid value: 'input_text'. Supported values are: 'output_text' and 'refusal'.",
        ),
        (
            body(
                [
                    {"role": "user", "content": "w?"},
                    {"type": "function_call", "call_id": "call_9", "name": "f", "arguments": "{}"},
                ]
            ),
            "input",
            "No tool output found for function call call_9.",
        ),
        (
            body([{"type": "function_call_output", "call_id": "call_7", "output": "x"}]),
            "input",
            "No tool call found for function call output with call_id call_7.",
        ),
        ({"input": "no model"}, "model", "Missing required parameter: 'model'."),
    ],
)
async def test_invalid_input_gets_the_api_400_body(
    http: httpx.AsyncClient, payload: dict[str, Any], param: str, message: str
) -> None:
    async with Emulator() as emu:
        answer = await http.post(f"{emu.base_url}/responses", json=payload)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param
    assert error["message"].startswith(message)
    assert error["type"] == "invalid_request_error"


async def test_a_body_that_is_not_json_is_a_400(http: httpx.AsyncClient) -> None:
    async with Emulator() as emu:
        answer = await http.post(f"{emu.base_url}/responses", content=b"{nope")
    assert answer.status_code == 400
    assert "could not parse the JSON body" in answer.json()["error"]["message"]


async def test_bearer_auth_gives_401_with_the_api_body(http: httpx.AsyncClient) -> None:
    async with Emulator(api_keys=["sk-right"]) as emu:
        url = f"{emu.base_url}/responses"
        wrong = await http.post(url, json=body(), headers={"Authorization": "Bearer sk-wrong"})
        missing = await http.post(url, json=body())
        right = await http.post(url, json=body(), headers={"Authorization": "Bearer sk-right"})
    assert wrong.status_code == missing.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    assert "sk-wrong" not in wrong.text
    assert "didn't provide an API key" in missing.json()["error"]["message"]
    assert right.status_code == 200
    assert emu.http_requests[0].headers["authorization"] == "Bearer <redacted>"


async def test_http_status_replies_come_before_a_later_success(http: httpx.AsyncClient) -> None:
    script = ScriptedModel([HttpStatus(429, headers={"Retry-After": "1"}), HttpStatus(503), "ok"])
    async with Emulator(script) as emu:
        url = f"{emu.base_url}/responses"
        limited = await http.post(url, json=body(stream=True))
        unavailable = await http.post(url, json=body(stream=True))
        success = await http.post(url, json=body(stream=True))
    assert limited.status_code == 429
    assert limited.headers["x-request-id"].startswith("req_")
    assert success.headers["x-request-id"].startswith("req_")
    assert success.headers["x-request-id"] != limited.headers["x-request-id"]
    assert limited.headers["retry-after"] == "1"
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert unavailable.status_code == 503
    assert unavailable.json()["error"]["type"] == "server_error"
    assert sse_events(success.text)[-1]["type"] == "response.completed"
    assert script.remaining == 0


async def test_drop_leaves_the_chunked_body_unterminated(http: httpx.AsyncClient) -> None:
    async with Emulator(ScriptedModel([Reply(text="a b c", faults=[Drop(after=4)])])) as emu:
        received = b""
        with pytest.raises(httpx.RemoteProtocolError):
            async with http.stream(
                "POST", f"{emu.base_url}/responses", json=body(stream=True)
            ) as answer:
                async for chunk in answer.aiter_bytes():
                    received += chunk
    events = sse_events(received.decode())
    assert [e["sequence_number"] for e in events] == [0, 1, 2, 3, 4]
    assert emu.responses[0].status == "dropped"


async def test_drop_before_a_non_streaming_answer(http: httpx.AsyncClient) -> None:
    async with Emulator(ScriptedModel([Reply(text="a", faults=[Drop(after=1)])])) as emu:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post(f"{emu.base_url}/responses", json=body())


async def test_malformed_and_unknown_events_on_sse(http: httpx.AsyncClient) -> None:
    reply = Reply(text="a b", faults=[Malformed(at=3), SendUnknown(at=5, type="response.new_kind")])
    async with Emulator(ScriptedModel([reply])) as emu:
        answer = await http.post(f"{emu.base_url}/responses", json=body(stream=True))
    messages = parse_sse(answer.text)
    bad = [data for name, data in messages if name is None]
    assert len(bad) == 1
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad[0])
    events = [json.loads(data) for name, data in messages if name is not None]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[5]["type"] == "response.new_kind"
    assert events[-1]["type"] == "response.completed"


async def test_error_event_on_sse_is_flat(http: httpx.AsyncClient) -> None:
    reply = Reply(
        text="a b", faults=[SendError(at=4, code="rate_limit_exceeded", message="slow down")]
    )
    async with Emulator(ScriptedModel([reply, reply])) as emu:
        url = f"{emu.base_url}/responses"
        streamed = await http.post(url, json=body(stream=True))
        whole = await http.post(url, json=body())
    events = sse_events(streamed.text)
    assert events[-1] == {
        "type": "error",
        "code": "rate_limit_exceeded",
        "message": "slow down",
        "param": None,
        "sequence_number": 4,
    }
    assert len(events) == 5
    assert whole.status_code == 500
    assert whole.json()["error"]["code"] == "rate_limit_exceeded"


async def test_failed_and_incomplete_endings_on_sse(http: httpx.AsyncClient) -> None:
    script = ScriptedModel(
        [
            Reply(text="x", end="failed", error_code="server_error"),
            Reply(text="y", end="incomplete"),
        ]
    )
    async with Emulator(script) as emu:
        url = f"{emu.base_url}/responses"
        failed = sse_events((await http.post(url, json=body(stream=True))).text)[-1]
        incomplete = sse_events((await http.post(url, json=body(stream=True))).text)[-1]
    assert failed["type"] == "response.failed"
    assert failed["response"]["error"] == {
        "code": "server_error",
        "message": "The model failed to generate a response.",
    }
    assert incomplete["type"] == "response.incomplete"
    assert incomplete["response"]["status"] == "incomplete"


async def test_in_process_through_asgi_transport() -> None:
    app = create_app(ScriptedModel(["in process", "again"]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator/v1") as client:
        streamed = await client.post("/responses", json=body(stream=True))
        whole = await client.post("/responses", json=body())
    assert (
        sse_events(streamed.text)[-1]["response"]["output"][0]["content"][0]["text"] == "in process"
    )
    assert whole.json()["output"][0]["content"][0]["text"] == "again"
    assert len(app.state.emulator.responses) == 2


async def test_drop_in_process_is_a_connection_reset() -> None:
    app = create_app(ScriptedModel([Reply(text="a", faults=[Drop(after=2)])]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator/v1") as client:
        with pytest.raises(ConnectionResetError, match="scripted Drop"):
            await client.post("/responses", json=body(stream=True))
    assert app.state.emulator.responses[0].status == "dropped"


async def test_long_stream_arrives_whole(http: httpx.AsyncClient) -> None:
    chunks = [f"t{i} " for i in range(2000)]
    async with Emulator(ScriptedModel([Reply(text=chunks)])) as emu:
        answer = await http.post(f"{emu.base_url}/responses", json=body(stream=True))
    events = sse_events(answer.text)
    assert len(events) == 2000 + 8
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == "".join(chunks)


async def test_other_methods_get_a_405_in_the_api_shape(http: httpx.AsyncClient) -> None:
    async with Emulator() as emu:
        answer = await http.get(f"{emu.base_url}/responses")
    assert answer.status_code == 405
    assert answer.json()["error"]["message"] == "Method not allowed."
    assert emu.http_requests[0].method == "GET"


async def test_closing_the_stream_stops_generation(http: httpx.AsyncClient) -> None:
    reply = Reply(text="a b c", faults=[Pause(at=3, seconds=60)])
    async with Emulator(ScriptedModel([reply])) as emu:
        async with http.stream(
            "POST", f"{emu.base_url}/responses", json=body(stream=True)
        ) as answer:
            lines = answer.aiter_lines()
            async for line in lines:
                if line.startswith("data: ") and '"sequence_number":2' in line:
                    break
    # Leaving the Emulator waits for the handler: it ended at the disconnect, not after 60 s.
    assert emu.responses[0].status == "cancelled"


async def test_item_ids_resolve_only_when_stored(http: httpx.AsyncClient) -> None:
    async with Emulator(ScriptedModel(["first", "second", "third"])) as emu:
        url = f"{emu.base_url}/responses"
        unstored = (await http.post(url, json=body("one"))).json()
        echoed = [{"role": "user", "content": "one"}, *unstored["output"], "two"]
        echoed[-1] = {"role": "user", "content": "two"}
        refused = await http.post(url, json=body(echoed))
        assert refused.status_code == 404
        error = refused.json()["error"]
        assert error["param"] == "input"
        assert error["message"].startswith(
            f"Item with id '{unstored['output'][0]['id']}' not found"
        )
        stored = (await http.post(url, json=body("one", store=True))).json()
        again = [{"role": "user", "content": "one"}, *stored["output"], echoed[-1]]
        accepted = await http.post(url, json=body(again))
        assert accepted.status_code == 200


async def test_item_references_resolve_only_to_stored_items(http: httpx.AsyncClient) -> None:
    async with Emulator(ScriptedModel(["unstored", "stored", "third"])) as emu:
        url = f"{emu.base_url}/responses"
        unstored = (await http.post(url, json=body("one"))).json()["output"][0]
        refused = await http.post(url, json=body([{"id": unstored["id"]}]))
        assert refused.status_code == 404
        assert refused.json()["error"]["message"] == f"Item with id '{unstored['id']}' not found."
        stored = (await http.post(url, json=body("two", store=True))).json()["output"][0]
        reference = {"type": "item_reference", "id": stored["id"]}
        accepted = await http.post(url, json=body([reference, {"role": "user", "content": "3"}]))
        assert accepted.status_code == 200
        assert emu.responses[-1].resolved_input[0] == stored
