"""Barge-in as voice agents need it (issue 13, item 6), on both transports.

An interrupt that comes before the stream is iterated still interrupts, and a turn left
early keeps a readable result: status ``"interrupted"`` and the text streamed so far.
"""

from __future__ import annotations

import pytest

from responses_client import Client
from responses_client.emulator import Emulator, Reply, ScriptedModel

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sse", "websocket"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_an_interrupt_before_the_stream_is_iterated_still_interrupts(
    client: Client, emulator: Emulator, script: ScriptedModel
) -> None:
    script.extend(["Never sent.", "Later."])
    async with client.conversation() as convo:
        stream = convo.stream("Hello?")
        await convo.interrupt()  # the user spoke again before the agent even started
        events = [event async for event in stream]
        assert events == [] and stream.result.status == "interrupted"
        assert emulator.responses == []
        assert [item.to_wire().get("role") for item in convo.items] == ["user"]
        assert (await convo.send("Go on.")).text == "Never sent."


async def test_leaving_async_with_early_keeps_the_partial_result(
    client: Client, script: ScriptedModel
) -> None:
    script.add(Reply(text=["Once ", "upon ", "a time"]))
    async with client.conversation() as convo:
        async with convo.stream("Tell a story.") as events:
            async for event in events:
                if event.type == "response.output_text.delta" and event.delta == "upon ":
                    break
        assert events.result.status == "interrupted"
        assert events.result.text == "Once upon "
        assert events.result.output == ()
        assert [item.to_wire().get("role") for item in convo.items] == ["user"]


async def test_a_stream_closed_by_the_next_turn_keeps_its_partial_result(
    client: Client, script: ScriptedModel
) -> None:
    script.extend([Reply(text=["Partial ", "answer"]), "Second."])
    async with client.conversation() as convo:
        first = convo.stream("One.")
        async for event in first:
            if event.type == "response.output_text.delta":
                break
        assert (await convo.send("Two.")).text == "Second."
        assert first.result.status == "interrupted" and first.result.text == "Partial "


async def test_a_failed_turn_still_has_no_result(client: Client, script: ScriptedModel) -> None:
    from responses_client import ResponsesError
    from responses_client.emulator import SendError

    bad = SendError(at=1, code="invalid_value", message="no such thing", status=400)
    script.add(Reply(text="x", faults=[bad]))
    async with client.conversation() as convo:
        with pytest.raises(ResponsesError, match="no such thing"):
            async with convo.stream("Hi") as events:
                async for _event in events:
                    pass
        with pytest.raises(ResponsesError, match="no result"):
            events.result  # noqa: B018


@pytest.mark.parametrize("keep", [True, "Once upon"], ids=["streamed", "what-was-played"])
async def test_an_interrupt_can_keep_what_the_user_heard(
    client: Client, emulator: Emulator, script: ScriptedModel, keep: bool | str
) -> None:
    script.extend([Reply(text=["Once ", "upon ", "a time"]), "Go on, then."])
    async with client.conversation() as convo:
        async with convo.stream("Tell a story.") as events:
            async for event in events:
                if event.type == "response.output_text.delta" and event.delta == "upon ":
                    await convo.interrupt(keep=keep)
        heard = "Once upon " if keep is True else keep
        assert events.result.status == "interrupted"
        (kept,) = events.result.output
        wire = kept.to_wire()
        assert (wire["role"], wire["status"], kept.text) == ("assistant", "incomplete", heard)  # type: ignore[union-attr]
        assert convo.items[-1] == kept
        await convo.send("What happened next?")
    sent = emulator.responses[-1].resolved_input
    assert [item.get("role") for item in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"][0]["text"] == heard
