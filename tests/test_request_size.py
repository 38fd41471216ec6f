"""Requests too large for the wire fail early and clearly (issue 13, item 9), on both transports.

The Responses WebSocket closes the connection (1009) on a frame over 16 MiB, and so does
the emulator. A request that large is refused before it is sent, with an ``InputError``
naming its size and the limit: when it carries a turn's new input, that input is not kept,
and the conversation goes on. A tool output too large to send goes back to the model as an
error text. The client reads server messages up to 32 MiB.
"""

from __future__ import annotations

import re

import pytest

from responses_client import Client, InputError, tool
from responses_client._request import RequestSettings, build_body
from responses_client._request_size import (
    WEBSOCKET_REQUEST_LIMIT,
    oversized,
    request_size,
)
from responses_client.emulator import CallTool, Emulator, Reply, ScriptedModel
from responses_client.events import ToolResultEvent

pytestmark = pytest.mark.anyio

SMALL_LIMIT = 64 * 1024
"""A limit set by hand (``max_request_bytes``), small enough for quick tests."""


@pytest.fixture(params=["sse", "websocket"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _sizes(message: str) -> tuple[int, int]:
    found = re.search(r"would be ([\d,]+) bytes, over the limit of ([\d,]+) bytes", message)
    assert found, message
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


async def test_a_message_over_the_websocket_frame_limit_is_refused_and_nothing_is_kept(
    emulator: Emulator, client: Client
) -> None:
    # The default limit, against the emulator's real one: on the old code the frame went
    # out, the server closed with 1009, and every retry and later turn did the same.
    emulator.model = ScriptedModel(["Fine."])
    convo = client.conversation(transport="websocket")
    with pytest.raises(InputError, match=r"replace_item\); nothing was added$") as raised:
        await convo.send("x" * WEBSOCKET_REQUEST_LIMIT)
    size, limit = _sizes(str(raised.value))
    assert limit == WEBSOCKET_REQUEST_LIMIT < size
    assert convo.items == () and emulator.responses == []
    assert (await convo.send("hello")).text == "Fine."
    assert [item.to_wire()["role"] for item in convo.items] == ["user", "assistant"]
    await convo.aclose()


async def test_a_message_over_a_limit_set_by_hand_is_refused_on_either_transport(
    emulator: Emulator, client: Client, transport: str
) -> None:
    emulator.model = ScriptedModel(["Fine."])
    async with client.conversation(max_request_bytes=SMALL_LIMIT) as convo:
        with pytest.raises(InputError, match="nothing was added") as raised:
            await convo.send("y" * SMALL_LIMIT)
        size, limit = _sizes(str(raised.value))
        assert limit == SMALL_LIMIT < size
        assert convo.items == () and emulator.responses == []
        assert (await convo.send("hello")).text == "Fine."
        assert len(convo.items) == 2


async def test_a_history_too_large_for_one_request_is_refused_without_the_new_input(
    emulator: Emulator, client: Client, transport: str
) -> None:
    # Every item fits, the whole history does not: a first request carries it all.
    emulator.model = ScriptedModel(["Fine."])
    piece = "z" * (SMALL_LIMIT // 4)
    convo = client.conversation(max_request_bytes=SMALL_LIMIT)
    convo.add_items([{"role": "user", "content": piece} for _ in range(4)])
    with pytest.raises(InputError, match="with 5 input items: send less at once, or shorten"):
        await convo.send("one more")
    assert len(convo.items) == 4 and emulator.responses == []
    convo.remove_items(0, 2)
    assert (await convo.send("one more")).text == "Fine."
    await convo.aclose()


async def test_a_tool_output_too_large_to_send_goes_back_as_an_error_text(
    emulator: Emulator, client: Client, transport: str
) -> None:
    emulator.model = ScriptedModel(
        [Reply(tool_calls=[CallTool("dump", {}), CallTool("small", {})]), "Understood."]
    )

    @tool
    def dump() -> str:
        """Return far too much."""
        return "w" * SMALL_LIMIT

    @tool
    def small() -> str:
        """Return a little."""
        return "ok"

    results: list[ToolResultEvent] = []
    async with client.conversation(tools=[dump, small], max_request_bytes=SMALL_LIMIT) as convo:
        async with convo.stream("go") as events:
            async for event in events:
                if isinstance(event, ToolResultEvent):
                    results.append(event)
        assert events.result.status == "completed" and events.result.text == "Understood."
    sent = {
        item["call_id"]: item["output"]
        for item in emulator.responses[-1].resolved_input
        if item["type"] == "function_call_output"
    }
    assert len(sent) == 2 and "ok" in sent.values()
    (too_large,) = (output for output in sent.values() if output != "ok")
    assert too_large.startswith("Error: the tool's output was 65,") and "not sent" in too_large
    by_name = {result.name: result for result in results}
    assert by_name["dump"].error == too_large and by_name["small"].error is None


async def test_a_tool_output_over_the_websocket_frame_limit_goes_back_as_an_error_text(
    emulator: Emulator, client: Client
) -> None:
    emulator.model = ScriptedModel([Reply(tool_calls=[CallTool("dump", {})]), "Understood."])

    @tool
    def dump() -> str:
        """Return more than one frame can carry."""
        return "w" * WEBSOCKET_REQUEST_LIMIT

    async with client.conversation(tools=[dump], transport="websocket") as convo:
        assert (await convo.send("go")).text == "Understood."
    output = emulator.responses[-1].resolved_input[-1]["output"]
    assert output.startswith("Error: the tool's output was 16,777,") and "not sent" in output


async def test_the_client_reads_a_server_message_larger_than_16_mib(
    emulator: Emulator, client: Client
) -> None:
    # response.completed repeats the text: one message of about 17 MiB, which the old
    # limit (16 MiB) refused with 1009.
    text = "v" * (17 * 2**20)
    emulator.model = ScriptedModel([Reply(text=[text])])
    async with client.conversation(transport="websocket") as convo:
        assert (await convo.send("say a lot")).text == text


async def test_the_size_measured_is_that_of_the_frame_written(
    emulator: Emulator, client: Client
) -> None:
    emulator.model = ScriptedModel(["Fine."])
    settings = RequestSettings(model="gpt-4.1", instructions="Be brief. \u00e9\U0001f600")
    async with client.conversation(
        transport="websocket", instructions=settings.instructions
    ) as convo:
        await convo.send("h\u00e9llo \U0001f600")
        body = build_body(settings, [item.to_wire() for item in convo.items[:1]])
        assert request_size(body) == convo.transport.bytes_sent


@pytest.mark.parametrize(
    ("sizes", "budget", "left_out"),
    [
        ([10, 20, 30], 100, []),
        ([10, 20, 30], 60, [2]),
        ([10, 200, 30], 100, [1]),
        ([40, 40, 40], 90, [0]),
        ([10, 10], 5, [0, 1]),
        ([], 0, []),
    ],
)
def test_the_largest_outputs_are_left_out_until_the_rest_fit(
    sizes: list[int], budget: int, left_out: list[int]
) -> None:
    assert oversized(sizes, budget) == left_out


async def test_a_lane_leaves_room_for_its_stream_id_under_the_frame_limit(
    emulator: Emulator, client: Client
) -> None:
    # A message that fits a connection of its own by a few bytes would not fit a lane's
    # frame, which also names its stream_id: the lane refuses it before sending.
    emulator.model = ScriptedModel(["Fine."])
    async with client.conversation(connection=client.connection()) as convo:
        limit = convo.transport.max_request_bytes  # type: ignore[attr-defined]
        assert limit < WEBSOCKET_REQUEST_LIMIT
        with pytest.raises(InputError, match="nothing was added") as raised:
            await convo.send("z" * (WEBSOCKET_REQUEST_LIMIT - 200))
        assert _sizes(str(raised.value))[1] == limit
        assert (await convo.send("hello")).text == "Fine."
