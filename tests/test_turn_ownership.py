"""Who may start, edit or end a turn, and when (issue 13, items 3, 4 and 7), on both transports.

- A stream being consumed (an ``async for`` loop or ``async with`` block holds it) is never
  closed by a turn another task starts: that turn waits. Only a stream abandoned for real
  (its loop left, nobody inside it) is closed by the next turn.
- A tool cannot run a turn of its own conversation (it would wait for itself forever), and
  the history cannot be edited while a turn runs.
- Text that cannot be encoded as UTF-8 (a lone surrogate) never enters the history: user
  input is refused with nothing added, and a tool's output goes back with U+FFFD instead.
"""

from __future__ import annotations

import json

import anyio
import pytest
from anyio import wait_all_tasks_blocked

from responses_client import Client, InputError, tool
from responses_client.emulator import CallTool, Emulator, Reply, ScriptedModel
from responses_client.events import ToolResultEvent

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["sse", "websocket"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_a_turn_of_another_task_waits_while_a_stream_is_consumed(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = ScriptedModel([Reply(text=["one ", "two ", "three"]), "Second."])
    convo = client.conversation()
    in_body, release = anyio.Event(), anyio.Event()
    seen: list[str] = []
    requests_when_a_ended: list[int] = []
    second: list[str] = []

    async def consumer() -> None:
        async with anyio.create_task_group() as inner:
            stream = convo.stream("first")
            async for event in stream:
                seen.append(event.type)
                if event.type == "response.output_text.delta" and not in_body.is_set():
                    in_body.set()
                    await release.wait()  # like a TTS write: awaiting inside the loop body
            requests_when_a_ended.append(len(emulator.responses))
            assert stream.result.status == "completed"
            del inner

    async def other_task() -> None:
        second.append((await convo.send("second")).text)

    async with anyio.create_task_group() as group:
        group.start_soon(consumer)
        await in_body.wait()
        group.start_soon(other_task)
        await wait_all_tasks_blocked()  # the other task is now waiting for the first turn
        assert second == [] and len(emulator.responses) == 1
        release.set()
    assert seen[-1] == "response.completed"  # the first stream was not cut short
    assert requests_when_a_ended == [1]  # the second turn went out only after
    assert second == ["Second."]
    assert [item.to_wire().get("role") for item in convo.items] == [
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    await convo.aclose()


async def test_a_stream_whose_loop_was_left_is_closed_by_the_next_turn(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = ScriptedModel([Reply(text=["a", "b", "c"]), "Next."])
    convo = client.conversation()
    stream = convo.stream("first")  # still referenced: only its loop is gone
    async for _event in stream:
        break
    done = anyio.Event()
    texts: list[str] = []

    async def other_task() -> None:
        texts.append((await convo.send("second")).text)
        done.set()

    async with anyio.create_task_group() as group:
        group.start_soon(other_task)
        await done.wait()
    assert texts == ["Next."] and stream.finished
    assert [item.to_wire().get("role") for item in convo.items] == ["user", "user", "assistant"]
    await convo.aclose()


async def test_starting_a_turn_inside_the_loop_of_another_raises_at_once(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = ScriptedModel([Reply(text=["a", "b"]), "Later."])
    convo = client.conversation()
    async with convo.stream("first") as events:
        async for _event in events:
            with pytest.raises(InputError, match="still being consumed by this task"):
                await convo.send("nested")
            break
    assert (await convo.send("after")).text == "Later."
    await convo.aclose()


async def test_a_tool_running_a_turn_of_its_own_conversation_gets_an_error_not_a_deadlock(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = ScriptedModel([Reply(tool_calls=[CallTool("recurse", {})]), "Done."])
    holder: list[object] = []

    @tool
    async def recurse() -> str:
        """Ask the conversation itself."""
        convo = holder[0]
        return (await convo.send("inner")).text  # type: ignore[attr-defined,no-any-return]

    convo = client.conversation(tools=[recurse])
    holder.append(convo)
    async with convo.stream("go") as events:
        results = [e async for e in events if isinstance(e, ToolResultEvent)]
    assert events.result.text == "Done."
    (result,) = results
    assert result.error is not None and "cannot run a turn of it" in result.error
    await convo.aclose()


async def test_the_history_cannot_be_edited_while_a_turn_runs(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = ScriptedModel([Reply(text=["a", "b"])])
    convo = client.conversation()
    async with convo.stream("first") as events:
        async for _event in events:
            for edit in (
                lambda: convo.add_user("late"),
                lambda: convo.add_message({"role": "user", "content": "late"}),
                lambda: convo.add_items([{"role": "user", "content": "late"}]),
                lambda: convo.remove_items(0),
                convo.clear,
            ):
                with pytest.raises(InputError, match="while a turn is running"):
                    edit()
    assert [item.to_wire().get("role") for item in convo.items] == ["user", "assistant"]
    convo.add_user("now fine")
    assert len(convo.items) == 3
    await convo.aclose()


async def test_a_lone_surrogate_in_user_input_adds_nothing_and_the_conversation_goes_on(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = ScriptedModel(["Fine."])
    convo = client.conversation()
    broken = json.loads('"hi \\ud83d"')  # what broken clients send
    with pytest.raises(InputError, match="lone surrogate"):
        await convo.send(broken)
    assert convo.items == ()
    with pytest.raises(InputError, match="lone surrogate"):
        convo.add_user(broken)
    assert (await convo.send("hello")).text == "Fine."
    assert len(convo.items) == 2 and len(emulator.responses) == 1
    await convo.aclose()


async def test_a_lone_surrogate_in_a_tool_output_goes_back_replaced(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = ScriptedModel([Reply(tool_calls=[CallTool("broken", {})]), "Got it."])

    @tool
    def broken() -> str:
        """Return text a broken source gave."""
        return json.loads('"half \\ud83d emoji"')  # type: ignore[no-any-return]

    convo = client.conversation(tools=[broken])
    result = await convo.send("go")
    assert result.text == "Got it."
    sent = emulator.responses[-1].resolved_input[-1]
    assert sent["type"] == "function_call_output" and sent["output"] == "half \ufffd emoji"
    await convo.aclose()


async def test_bytes_as_input_get_an_error_that_says_what_to_do(client: Client) -> None:
    async with client.conversation() as convo:
        with pytest.raises(InputError, match="cannot use bytes as conversation input: pass text"):
            await convo.send(b"hello")
        assert convo.items == ()
