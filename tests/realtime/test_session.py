"""RealtimeSession against the emulator over real sockets: what the server received."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from responses_client import Client, tool
from responses_client._exceptions import (
    AuthenticationError,
    ConnectionClosed,
    RemoteProtocolError,
    ResponseFailedError,
)
from responses_client.emulator import (
    CallTool,
    Drop,
    Emulator,
    Malformed,
    Reply,
    ScriptedModel,
)
from responses_client.realtime import RealtimeSession, audio
from responses_client.realtime import events as ev

from .conftest import KEY, sent, silence, speech

pytestmark = pytest.mark.anyio

LONG = " ".join(["word"] * 60)  # 60 words of 4-5 characters: about 18 s of tone


async def until(session: RealtimeSession, kind: str) -> list[Any]:
    """Every event up to and including the first of ``kind``."""
    seen: list[Any] = []
    with anyio.fail_after(10):
        async for event in session:
            seen.append(event)
            if event.type == kind:
                return seen
    raise AssertionError(f"the session ended before {kind}")


def of(events: list[Any], cls: type[Any]) -> list[Any]:
    return [event for event in events if isinstance(event, cls)]


# -- set-up and settings -------------------------------------------------------------


async def test_setup_sends_session_update_with_type_and_settings(
    emu: Emulator, client: Client
) -> None:
    settings: dict[str, Any] = {
        "instructions": "Be brief.",
        "voice": "marin",
        "output_modalities": ["audio"],
        "transcription": {"model": "whisper-1"},
        "turn_detection": {"type": "server_vad", "silence_duration_ms": 300},
    }
    async with client.realtime(model="gpt-realtime", **settings) as session:
        opening = await until(session, "session.updated")
    assert [e.type for e in opening] == ["session.created", "session.updated"]
    (update,) = sent(emu, "session.update")
    body = update["session"]
    assert body["type"] == "realtime"
    assert body["instructions"] == "Be brief."
    assert body["audio"]["output"]["voice"] == "marin"
    assert body["audio"]["input"]["turn_detection"]["silence_duration_ms"] == 300
    assert body["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    updated = opening[-1].session
    assert updated["audio"]["input"]["transcription"] == {"model": "whisper-1"}
    assert emu.connections[0].headers["authorization"] == "Bearer <redacted>"


async def test_update_sends_only_what_changed_and_tools_when_they_change(
    emu: Emulator, client: Client
) -> None:
    @tool
    def lookup(q: str) -> str:
        """Look something up."""
        return q

    async with client.realtime(tools=[lookup]) as session:
        await until(session, "session.updated")
        await session.update(instructions="Now in French.", tools=[lookup])
        await until(session, "session.updated")
        await session.update(turn_detection=None)
        updated = await until(session, "session.updated")
    first, second, third = sent(emu, "session.update")
    assert [t["name"] for t in first["session"]["tools"]] == ["lookup"]
    assert "strict" not in first["session"]["tools"][0]
    assert second["session"] == {"type": "realtime", "instructions": "Now in French."}
    assert third["session"] == {"type": "realtime", "audio": {"input": {"turn_detection": None}}}
    assert updated[-1].session["audio"]["input"]["turn_detection"] is None


async def test_wrong_key_is_an_authentication_error(emu: Emulator) -> None:
    async with Client(base_url=emu.base_url, api_key="sk-wrong") as other:
        with pytest.raises(AuthenticationError):
            async with other.realtime():
                pass


async def test_beta_header_is_refused_with_beta_api_shape_disabled(emu: Emulator) -> None:
    headers = {"OpenAI-Beta": "realtime=v1"}
    async with Client(base_url=emu.base_url, api_key=KEY, default_headers=headers) as beta:
        with pytest.raises((ResponseFailedError, ConnectionClosed)) as caught:
            async with beta.realtime():
                pass
    if isinstance(caught.value, ResponseFailedError):
        assert caught.value.code == "beta_api_shape_disabled"
    assert emu.connections[0].closed


# -- audio in, audio out ----------------------------------------------------------------


async def test_audio_round_trip_wav_in_deltas_and_transcripts_out(
    emu: Emulator, client: Client
) -> None:
    emu.model = ScriptedModel([Reply(text="Hello there")])
    wav = io.BytesIO()
    audio.write_wav(
        wav, audio.resample(silence(100) + speech(600) + silence(400), 24000, 16000), 16000
    )
    wav.seek(0)
    clip = audio.read_wav(wav).for_api()
    async with client.realtime(transcription={"model": "whisper-1"}) as session:
        await session.append_audio(clip)
        events = await until(session, "client.response.figures")
    types = [e.type for e in events]
    assert (
        types.index("input_audio_buffer.speech_started")
        < types.index("input_audio_buffer.speech_stopped")
        < types.index("input_audio_buffer.committed")
        < types.index("response.created")
    )
    (heard,) = of(events, ev.InputTranscriptionCompletedEvent)
    assert heard.transcript.endswith("ms of speech)")
    deltas = of(events, ev.OutputAudioDeltaEvent)
    pcm = b"".join(d.pcm for d in deltas)
    # "Hello there": 11 characters at 60 ms each, in whole 20 ms frames per word.
    assert len(pcm) == audio.byte_count(len(deltas) * 20)
    assert len(deltas) * 20 >= 11 * 60
    transcript = "".join(e.delta for e in of(events, ev.OutputAudioTranscriptDeltaEvent))
    assert transcript == "Hello there"
    (figures,) = of(events, ev.ResponseFiguresEvent)
    assert figures.audio_ms_generated == len(deltas) * 20
    assert figures.first_audio_s is not None and figures.first_audio_s >= 0
    assert figures.usage is not None and figures.usage.output_audio_tokens > 0
    appended = b"".join(
        __import__("base64").b64decode(f["audio"]) for f in sent(emu, "input_audio_buffer.append")
    )
    assert appended == clip


async def test_manual_turns_commit_then_respond(emu: Emulator, client: Client) -> None:
    emu.model = ScriptedModel([Reply(text="Sure.")])
    async with client.realtime(turn_detection=None, output_modalities=["text"]) as session:
        await until(session, "session.updated")
        await session.append_audio(speech(300))
        await session.commit()
        committed = await until(session, "input_audio_buffer.committed")
        await session.respond()
        events = await until(session, "response.done")
    assert not of(committed, ev.SpeechStartedEvent)
    assert "".join(e.delta for e in of(events, ev.OutputTextDeltaEvent)) == "Sure."
    assert not of(events, ev.OutputAudioDeltaEvent)
    assert [f["type"] for f in emu.connections[0].frames][-2:] == [
        "input_audio_buffer.commit",
        "response.create",
    ]


async def test_clear_empties_the_buffer(emu: Emulator, client: Client) -> None:
    async with client.realtime(turn_detection=None) as session:
        await session.append_audio(speech(200))
        await session.clear()
        events = await until(session, "input_audio_buffer.cleared")
        await session.commit()
        refused = await until(session, "error")
    assert events[-1].type == "input_audio_buffer.cleared"
    assert refused[-1].error.code == "input_audio_buffer_commit_empty"


async def test_send_text_adds_a_user_message_and_asks_for_a_response(
    emu: Emulator, client: Client
) -> None:
    emu.model = ScriptedModel([Reply(text="Hi!")])
    async with client.realtime() as session:
        await session.send_text("Hello")
        await until(session, "response.done")
    (create,) = sent(emu, "conversation.item.create")
    assert create["item"]["content"] == [{"type": "input_text", "text": "Hello"}]
    assert len(sent(emu, "response.create")) == 1
    assert [(i["role"], i["type"]) for i in session.items] == [
        ("user", "message"),
        ("assistant", "message"),
    ]


# -- barge-in -------------------------------------------------------------------------------


async def _audio_then(session: RealtimeSession, deltas: int) -> None:
    seen = 0
    with anyio.fail_after(10):
        async for event in session:
            if isinstance(event, ev.OutputAudioDeltaEvent):
                seen += 1
                if seen == deltas:
                    return


@pytest.mark.parametrize(
    ("deltas", "played", "cut"),
    [(10, 120, 120), (5, 700, 100), (25, 0, 0)],
    ids=["played < generated", "played > generated", "nothing played"],
)
async def test_interrupt_truncates_at_min_of_played_and_generated(
    emu: Emulator, client: Client, deltas: int, played: int, cut: int
) -> None:
    emu.model = ScriptedModel([Reply(text=LONG, delay=0.002)])
    async with client.realtime() as session:
        await session.send_text("Talk")
        await _audio_then(session, deltas)
        session.played(played)
        await session.interrupt()
        # The cancel goes first (no more audio), then the truncate: its answer comes last.
        events = await until(session, "conversation.item.truncated")
    (truncate,) = sent(emu, "conversation.item.truncate")
    assert truncate["audio_end_ms"] == cut
    assert len(sent(emu, "response.cancel")) == 1
    (stop,) = of(events, ev.PlaybackStopEvent)
    assert (stop.audio_end_ms, stop.reason) == (cut, "interrupt")
    (done,) = of(events, ev.ResponseDoneEvent)
    assert done.response.status == "cancelled"
    (truncated,) = of(events, ev.ConversationItemTruncatedEvent)
    assert truncated.audio_end_ms == cut
    assert session.items[-1]["audio_end_ms"] == cut


async def test_interrupt_before_any_audio_cancels_and_truncates_nothing(
    emu: Emulator, client: Client
) -> None:
    emu.model = ScriptedModel([Reply(text=LONG, delay=0.002)])
    async with client.realtime() as session:
        await session.send_text("Talk")
        await until(session, "response.created")
        await session.interrupt()
        events = await until(session, "response.done")
    assert sent(emu, "conversation.item.truncate") == []
    assert len(sent(emu, "response.cancel")) == 1
    assert events[-1].response.status == "cancelled"
    assert not of(events, ev.ErrorEvent)


async def test_speech_started_barges_in_once(emu: Emulator, client: Client) -> None:
    emu.model = ScriptedModel([Reply(text=LONG, delay=0.002), Reply(text="OK.")])
    async with client.realtime() as session:
        await session.send_text("Talk")
        await _audio_then(session, 8)
        session.played(60)
        await session.append_audio(speech(200))  # VAD hears the user: speech_started
        events = await until(session, "client.playback.stop")
        await session.append_audio(speech(100) + silence(400))
        rest = await until(session, "client.response.figures")
        rest += await until(session, "client.response.figures")
    (truncate,) = sent(emu, "conversation.item.truncate")
    assert truncate["audio_end_ms"] == 60
    assert events[-1].reason == "speech_started"
    # The server cancelled (interrupt_response); the client's cancel may come second,
    # and is then the benign response_cancel_not_active, never yielded.
    assert not of(rest, ev.ErrorEvent)
    statuses = [e.response.status for e in of(events + rest, ev.ResponseDoneEvent)]
    assert statuses == ["cancelled", "completed"]


# -- tools -----------------------------------------------------------------------------------


async def test_two_parallel_calls_go_back_as_outputs_then_one_response_create(
    emu: Emulator, client: Client
) -> None:
    calls: list[str] = []

    @tool
    async def get_weather(city: str) -> str:
        """Weather for a city."""
        calls.append(city)
        return f"Sunny in {city}"

    emu.model = ScriptedModel(
        [
            Reply(
                tool_calls=[
                    CallTool("get_weather", {"city": "Paris"}),
                    CallTool("get_weather", {"city": "Rome"}),
                ]
            ),
            Reply(text="Both sunny."),
        ]
    )
    async with client.realtime(tools=[get_weather]) as session:
        await session.send_text("Weather in Paris and Rome?")
        events = await until(session, "client.response.figures")
        events += await until(session, "client.response.figures")
    assert sorted(calls) == ["Paris", "Rome"]
    frames = [f for f in emu.connections[0].frames if f["type"] != "session.update"]
    kinds = [f["type"] for f in frames]
    assert kinds == [
        "conversation.item.create",
        "response.create",
        "conversation.item.create",
        "conversation.item.create",
        "response.create",
    ]
    outputs = [f["item"] for f in frames[2:4]]
    assert [o["type"] for o in outputs] == ["function_call_output"] * 2
    assert [o["output"] for o in outputs] == ["Sunny in Paris", "Sunny in Rome"]
    assert [e.output for e in of(events, ev.ToolResultEvent)] == ["Sunny in Paris", "Sunny in Rome"]


async def test_tool_errors_become_the_output(emu: Emulator, client: Client) -> None:
    @tool
    def broken(x: int) -> str:
        """Fails."""
        raise RuntimeError("no")

    emu.model = ScriptedModel(
        [Reply(tool_calls=[CallTool("broken", {"x": 1})]), Reply(text="Sorry.")]
    )
    async with client.realtime(tools=[broken]) as session:
        await session.send_text("Go")
        await until(session, "client.response.figures")
        events = await until(session, "client.response.figures")
    (output,) = [f["item"]["output"] for f in sent(emu, "conversation.item.create")[1:]]
    assert output.startswith("Error: ") and "RuntimeError" in output
    assert events[-1].status == "completed"


async def test_tools_of_a_cancelled_response_never_run(emu: Emulator, client: Client) -> None:
    ran: list[str] = []

    @tool
    def act(x: int) -> str:
        """Does something."""
        ran.append("act")
        return "done"

    emu.model = ScriptedModel(
        [Reply(text=LONG, tool_calls=[CallTool("act", {"x": 1})], delay=0.002)]
    )
    async with client.realtime(tools=[act]) as session:
        await session.send_text("Go")
        await _audio_then(session, 3)
        await session.cancel()
        events = await until(session, "client.response.figures")
    assert events[-1].status == "cancelled"
    assert ran == []
    assert [f["item"]["type"] for f in sent(emu, "conversation.item.create")] == ["message"]


# -- cancel races ------------------------------------------------------------------------------


async def test_cancel_before_response_created_goes_out_with_its_id(
    emu: Emulator, client: Client
) -> None:
    emu.model = ScriptedModel([Reply(text=LONG, delay=0.002)])
    async with client.realtime() as session:
        await session.send_text("Talk")
        await session.cancel()  # nothing read yet: no id
        events = await until(session, "response.done")
    (created,) = of(events, ev.ResponseCreatedEvent)
    assert sent(emu, "response.cancel") == [
        {"type": "response.cancel", "response_id": created.response.id}
    ]
    assert events[-1].response.status == "cancelled"


async def test_cancel_after_response_done_sends_nothing(emu: Emulator, client: Client) -> None:
    emu.model = ScriptedModel([Reply(text="Short.")])
    async with client.realtime() as session:
        await session.send_text("Hi")
        await until(session, "response.done")
        await session.cancel()
        await session.send_text("Again", respond=False)
        await until(session, "conversation.item.done")
    assert sent(emu, "response.cancel") == []


async def test_cancel_twice_sends_once(emu: Emulator, client: Client) -> None:
    emu.model = ScriptedModel([Reply(text=LONG, delay=0.002)])
    async with client.realtime() as session:
        await session.send_text("Talk")
        await until(session, "response.created")
        await session.cancel()
        await session.cancel()
        events = await until(session, "response.done")
    assert len(sent(emu, "response.cancel")) == 1
    assert events[-1].response.status == "cancelled"


async def test_respond_while_a_response_is_active_is_refused(emu: Emulator, client: Client) -> None:
    emu.model = ScriptedModel([Reply(text=LONG, delay=0.002)])
    async with client.realtime() as session:
        await session.send_text("Talk")
        await until(session, "response.created")
        await session.respond()
        events = await until(session, "error")
        await session.cancel()
    assert events[-1].error.code == "conversation_already_has_active_response"


# -- faults and reconnect -----------------------------------------------------------------------


async def test_malformed_frame_is_a_protocol_error_and_the_session_goes_on(
    emu: Emulator, client: Client
) -> None:
    emu.model = ScriptedModel([Reply(text="Fine.", faults=[Malformed(at=2)]), Reply(text="Again.")])
    async with client.realtime() as session:
        await session.send_text("Hi")
        with pytest.raises(RemoteProtocolError, match="not valid JSON"):
            await until(session, "response.done")
        rest = await until(session, "response.done")
        await session.send_text("More")
        again = await until(session, "response.done")
    assert rest[-1].response.status == "completed"
    assert again[-1].response.status == "completed"


async def test_drop_mid_response_then_reconnect_keeps_the_history(
    emu: Emulator, client: Client
) -> None:
    emu.model = ScriptedModel(
        [
            Reply(text="First answer."),
            Reply(text=LONG, faults=[Drop(after=12)]),
            Reply(text="Back."),
        ]
    )
    async with client.realtime() as session:
        await session.send_text("One")
        await until(session, "response.done")
        before = [(i["id"], i["role"]) for i in session.items]
        await session.send_text("Two")
        with pytest.raises(ConnectionClosed):
            await until(session, "response.done")
        await session.reconnect()
        after_reconnect = [(i["id"], i["role"]) for i in session.items]
        await session.send_text("Three")
        events = await until(session, "response.done")
    # What was complete before the drop comes back once, in order; the second user
    # message was complete too; the cut response is not there.
    assert after_reconnect[: len(before)] == before
    assert [role for _, role in after_reconnect] == ["user", "assistant", "user"]
    creates = sent(emu, "conversation.item.create", connection=1)
    assert [c["item"]["id"] for c in creates[:3]] == [item_id for item_id, _ in after_reconnect]
    assert creates[1]["item"]["content"] == [{"type": "output_text", "text": "First answer."}]
    assert events[-1].response.status == "completed"
    assert len(emu.connections) == 2


async def test_auto_reconnect_replaces_a_dropped_connection(emu: Emulator, client: Client) -> None:
    emu.model = ScriptedModel(
        [Reply(text="One."), Reply(text=LONG, faults=[Drop(after=5)]), Reply(text="Two.")]
    )
    async with client.realtime(auto_reconnect=True) as session:
        await session.send_text("a")
        await until(session, "response.done")
        await session.send_text("b")
        await until(session, "session.updated")  # the new connection's
        await session.respond()
        events = await until(session, "response.done")
    assert len(emu.connections) == 2
    assert events[-1].response.status == "completed"


# -- history ------------------------------------------------------------------------------------


async def test_history_seeds_the_conversation_and_comes_back_as_conversation_items(
    emu: Emulator, client: Client
) -> None:
    emu.model = ScriptedModel([Reply(text="Noted.")])
    convo = client.conversation(
        items=[
            {"role": "user", "content": "My name is Ada."},
            {"role": "assistant", "content": "Hi Ada."},
        ]
    )
    async with client.realtime(history=convo.items) as session:
        seeded = [(i["role"], i["content"][0]["text"]) for i in session.items]
        await session.send_text("Remember me?")
        await until(session, "response.done")
        continued = session.conversation_items()
    assert seeded == [("user", "My name is Ada."), ("assistant", "Hi Ada.")]
    model_input = [i for i in sent(emu, "conversation.item.create")[:2]]
    assert [m["previous_item_id"] if "previous_item_id" in m else None for m in model_input][
        1
    ] == model_input[0]["item"]["id"]
    back = client.conversation(items=continued)
    assert [getattr(i, "text", None) for i in back.items] == [
        "My name is Ada.",
        "Hi Ada.",
        "Remember me?",
        "Noted.",
    ]


async def test_retrieve_item_returns_the_server_copy(emu: Emulator, client: Client) -> None:
    emu.model = ScriptedModel([Reply(text="Hi.")])
    async with client.realtime() as session:
        await session.send_text("Hello")
        await until(session, "response.done")
        first = session.items[0]["id"]
        async with anyio.create_task_group() as group:

            async def pump() -> None:
                async for _ in session:
                    pass

            group.start_soon(pump)
            item = await session.retrieve_item(first)
            with pytest.raises(ResponseFailedError) as missing:
                await session.retrieve_item("item_nope")
            group.cancel_scope.cancel()
    assert item["content"] == [{"type": "input_text", "text": "Hello"}]
    assert missing.value.code == "item_retrieve_invalid_item_id"


# -- secrets --------------------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage() + repr(record.args))


@pytest.fixture
def capture() -> AsyncIterator[_Capture] | Any:
    handler = _Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in ("responses_client", "websockets"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)


async def test_the_key_is_in_no_log_line_at_debug(
    emu: Emulator, client: Client, capture: _Capture
) -> None:
    emu.model = ScriptedModel([Reply(text="Hi.", faults=[Drop(after=6)])])
    async with client.realtime() as session:
        await session.send_text("Hello")
        with pytest.raises(ConnectionClosed):
            await until(session, "response.done")
        assert KEY not in repr(session)
    assert capture.lines, "nothing was logged at DEBUG"
    assert not [line for line in capture.lines if KEY in line]


async def test_scripted_transcripts_are_what_the_user_said_and_what_the_model_hears(
    emu: Emulator, client: Client
) -> None:
    from responses_client.emulator import DefaultModel

    emu.model = DefaultModel()  # answers with what it heard
    emu.transcripts.append("What is the weather in Paris?")
    async with client.realtime(
        transcription={"model": "whisper-1"}, output_modalities=["text"]
    ) as session:
        await session.append_audio(silence(100) + speech(600) + silence(600))
        events = await until(session, "client.response.figures")
        await session.append_audio(silence(100) + speech(300) + silence(600))
        later = await until(session, "client.response.figures")
    (heard,) = of(events, ev.InputTranscriptionCompletedEvent)
    assert heard.transcript == "What is the weather in Paris?"
    answer = "".join(e.delta for e in of(events, ev.OutputTextDeltaEvent))
    assert "What is the weather in Paris?" in answer
    (second,) = of(later, ev.InputTranscriptionCompletedEvent)
    assert second.transcript.endswith("ms of speech)")  # the script ran out: the default
