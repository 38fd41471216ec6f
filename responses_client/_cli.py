"""The command line: ``python -m responses_client demo | serve | chat``.

``demo`` and ``serve`` need the emulator extra (``pip install 'responses-client[emulator]'``);
``chat`` talks to any Responses API server, to an OpenAI-compatible Chat Completions server
with ``--transport chat``, or to the emulator with ``--local``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio

from ._client import DEFAULT_TRANSPORT, Client, TransportName
from ._conversation import Conversation
from ._exceptions import InputError, ResponsesError, SteerFailedError
from ._items import FunctionCall
from ._tools import tool
from .events import OutputItemDoneEvent, OutputTextDeltaEvent, ToolResultEvent

__all__ = ["main"]

_TRANSPORTS = ("websocket", "sse", "chat")

DEMO_TURNS = (
    "Hi! In one sentence, what can you do?",
    "What is the weather in Paris?",
    "Thanks. Should I take an umbrella?",
)


@tool
def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: The city name, e.g. "Paris".
    """
    forecasts = {"paris": "light rain, 14 °C", "rome": "sunny, 24 °C"}
    return forecasts.get(city.lower(), "cloudy, 18 °C")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m responses_client")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="a 3-turn conversation with a tool, offline")
    demo.add_argument("--transport", choices=_TRANSPORTS, default=None)
    demo.add_argument(
        "--realtime", action="store_true", help="a spoken exchange with a barge-in, as a WAV"
    )
    demo.add_argument("--out", default=None, help="the WAV file (--realtime; default: here)")
    serve = commands.add_parser("serve", help="run the local Responses API emulator")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    chat = commands.add_parser(
        "chat",
        help="an interactive chat in the terminal",
        description=f"An interactive chat in the terminal: {_CHAT_KEYS}.",
    )
    chat.add_argument("--local", action="store_true", help="talk to the emulator")
    chat.add_argument("--base-url", default=None, help="defaults to OPENAI_BASE_URL")
    chat.add_argument("--model", default="gpt-4.1")
    chat.add_argument("--instructions", default="You are a helpful, concise assistant.")
    chat.add_argument(
        "--transport",
        choices=_TRANSPORTS,
        default=None,
        help="chat: Chat Completions, for OpenAI-compatible servers (vLLM, Ollama, ...)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "demo" and args.realtime:
            anyio.run(_realtime_demo, args.out or "realtime-demo.wav")
        elif args.command == "demo":
            anyio.run(_demo, args.transport)
        elif args.command == "serve":
            _serve(args.host, args.port)
        else:
            anyio.run(_chat, args)
    except ResponsesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if args.command == "chat":
            # A thread may still be blocked reading the prompt's line, and the interpreter
            # would wait for it at exit: Ctrl-C quits now (everything async is closed).
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        return 130
    except ImportError as exc:
        print(
            f"error: {exc}. The emulator needs its extra: pip install 'responses-client[emulator]'",
            file=sys.stderr,
        )
        return 1
    return 0


@contextlib.asynccontextmanager
async def _local_client(transport: TransportName | None) -> AsyncIterator[Client]:
    from .emulator import Emulator

    async with Emulator() as emulator:
        async with Client(
            base_url=emulator.base_url, api_key="local", transport=transport or DEFAULT_TRANSPORT
        ) as client:
            yield client


async def _demo(transport: TransportName | None) -> None:
    async with _local_client(transport) as client:
        convo = client.conversation(
            model="gpt-4.1",
            instructions="Be brief.",
            tools=[get_weather],
        )
        print(f"demo: a conversation over {convo.transport.name}, against the local emulator\n")
        for number, text in enumerate(DEMO_TURNS, start=1):
            print(f"[turn {number}] you: {text}")
            await _run_turn(convo, text)


async def _run_turn(convo: Conversation, text: str | None) -> None:
    print("assistant: ", end="", flush=True)
    async with convo.stream(text) as events:
        async for event in events:
            _show(event)
    print()
    result = events.result
    stats = result.stats
    ttft = (
        "-" if stats.time_to_first_token is None else f"{stats.time_to_first_token * 1000:.1f} ms"
    )
    print(
        f"  ({stats.rounds} response(s); items sent {stats.items_sent}, held by the server "
        f"{stats.items_held}; {stats.bytes_sent} bytes sent; first token {ttft})\n"
    )


def _show(event: Any) -> None:
    match event:
        case OutputTextDeltaEvent():
            print(event.delta, end="", flush=True)
        case OutputItemDoneEvent() if isinstance(event.item, FunctionCall):
            print(f"\n  -> calls {event.item.name}({event.item.arguments})", flush=True)
        case ToolResultEvent():
            status = f"error: {event.error}" if event.error else event.output
            print(f"  <- {event.name} returned {status}\nassistant: ", end="", flush=True)
        case _:
            pass


async def _realtime_demo(out: str) -> None:
    from pathlib import Path

    from .emulator import CallTool, Emulator, Reply, ScriptedModel
    from .realtime import audio
    from .realtime import events as rt

    script = ScriptedModel(
        [
            Reply(text="Let me tell you a long story about the weather in every city", delay=0.001),
            Reply(tool_calls=[CallTool("get_weather", {"city": "Paris"})]),
            Reply(text="In Paris it is light rain and fourteen degrees."),
        ]
    )
    speech = audio.resample(_tone(700), audio.G711_RATE, audio.API_RATE)
    pause = bytes(2 * audio.API_RATE // 2)  # half a second of silence
    played: dict[str, bytearray] = {}
    async with Emulator(script) as emulator:
        async with Client(base_url=emulator.base_url, api_key="local") as client:
            session = client.realtime(tools=[get_weather], transcription={"model": "whisper-1"})
            async with session:
                print("demo: a realtime session against the local emulator\n")
                print("you: (speak for 0.7 s)")
                await session.append_audio(pause + speech + pause)
                responses = 0
                async for event in session:
                    match event:
                        case rt.OutputAudioDeltaEvent():
                            buffer = played.setdefault(event.item_id, bytearray())
                            buffer += event.pcm
                            # Playback keeps pace with the audio received, 100 ms behind.
                            session.played(audio.duration_ms(len(buffer)) - 100)
                            if responses == 0 and len(buffer) == audio.byte_count(600):
                                print("\nyou: (interrupts, speaking for 0.7 s)")
                                await session.append_audio(speech + pause)
                        case rt.OutputAudioTranscriptDeltaEvent():
                            print(event.delta, end="", flush=True)
                        case rt.PlaybackStopEvent():
                            cut = event.audio_end_ms
                            if event.item_id is not None and cut is not None:
                                del played[event.item_id][audio.byte_count(cut) :]
                            print(f"  [barge-in: playback stopped, item truncated at {cut} ms]")
                        case rt.OutputItemDoneEvent() if event.item.get("type") == "function_call":
                            print(f"  -> calls {event.item['name']}({event.item['arguments']})")
                        case rt.ToolResultEvent():
                            print(f"  <- {event.name} returned {event.output}\nassistant: ", end="")
                        case rt.ResponseFiguresEvent():
                            responses += 1
                            first = event.first_audio_s
                            shown = "-" if first is None else f"{first * 1000:.1f} ms"
                            print(
                                f"\n  (response {event.status}: {event.audio_ms_generated} ms of "
                                f"audio generated, {event.audio_ms_played} ms played, first "
                                f"audio {shown})"
                            )
                            if responses == 3:
                                break
    path = Path(out).resolve()
    audio.write_wav(path, b"".join(played.values()))
    print(f"\nthe assistant's audio: {path}")


def _tone(ms: int) -> bytes:
    # A 300 Hz square wave at 8 kHz, loud enough for the emulator's VAD to hear speech.
    from array import array

    period = 8000 // 300
    return array(
        "h", (9000 if i % period < period // 2 else -9000 for i in range(8 * ms))
    ).tobytes()


def _serve(host: str, port: int) -> None:
    from .emulator import serve

    def ready(bound_host: str, bound_port: int) -> None:
        print(f"listening on http://{bound_host}:{bound_port}/v1", flush=True)

    serve(host=host, port=port, on_ready=ready)


async def _chat(args: argparse.Namespace) -> None:
    # Ctrl-C is the event loop's to handle, as one of its callbacks: it quits (below), or
    # interrupts a reply (_interruptible_turn). Python's own handler would raise
    # KeyboardInterrupt wherever the code happens to be, even halfway through cancelling a
    # task group, which then waits forever for a task it never cancelled. Installed even
    # when started with SIGINT ignored (by a parent that ignores it, which the child
    # inherits), since Ctrl-C means something here.
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, _quit)
    try:
        if args.local:
            async with _local_client(args.transport) as client:
                await _chat_loop(client, args)
        else:
            transport = args.transport or DEFAULT_TRANSPORT
            async with Client(base_url=args.base_url, transport=transport) as client:
                await _chat_loop(client, args)
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def _quit() -> None:
    """Ctrl-C at the prompt, or a second one during a reply: leave ``anyio.run`` (main)."""
    # Raised from a loop callback, between two steps of any task: the loop stops there.
    raise KeyboardInterrupt


async def _chat_loop(client: Client, args: argparse.Namespace) -> None:
    convo = client.conversation(
        model=args.model, instructions=args.instructions, tools=[get_weather]
    )
    print(f"chat: type a message; {_CHAT_KEYS}\n")
    lines = _Lines()
    while True:
        print("you: ", end="", flush=True)
        text = await lines.next()
        if text is None or not text.strip():  # Ctrl-D, or an empty line
            return
        await _interruptible_turn(convo, text, lines)


_CHAT_KEYS = (
    "a line typed while a reply streams steers it, Ctrl-C stops a reply, "
    "Ctrl-D (or Ctrl-C at the prompt) quits"
)


class _Lines:
    """The lines typed on stdin, read by a thread of their own from the start.

    So a line can arrive while a reply streams (it steers the reply), and leaving never
    waits for a line that will not come: the thread is a daemon, blocked in ``readline``.
    """

    def __init__(self) -> None:
        self._send, self._receive = anyio.create_memory_object_stream[str](math.inf)
        self._unread: list[str] = []
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, args=(loop,), daemon=True).start()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            for line in sys.stdin:
                loop.call_soon_threadsafe(self._send.send_nowait, line.rstrip("\n"))
            loop.call_soon_threadsafe(self._send.close)
        except RuntimeError:  # the loop closed first: nobody reads any more
            return

    async def next(self) -> str | None:
        """The next line (one put back first), or ``None`` once stdin has ended."""
        if self._unread:
            return self._unread.pop()
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            return None

    def unread(self, line: str) -> None:
        """Give ``line`` back: ``next()`` returns it first."""
        self._unread.append(line)


async def _interruptible_turn(convo: Conversation, text: str, lines: _Lines) -> None:
    """Run a turn that the lines typed meanwhile steer.

    The first Ctrl-C interrupts it; a second one quits, as at the prompt.
    """
    loop = asyncio.get_running_loop()
    async with anyio.create_task_group() as tasks:

        def barge_in() -> None:
            loop.add_signal_handler(signal.SIGINT, _quit)  # the next Ctrl-C quits
            print("\n  (interrupted)", flush=True)
            tasks.start_soon(convo.interrupt)

        loop.add_signal_handler(signal.SIGINT, barge_in)
        tasks.start_soon(_steer_with, convo, lines)
        try:
            await _run_turn(convo, text)
        finally:
            loop.add_signal_handler(signal.SIGINT, _quit)
            tasks.cancel_scope.cancel()  # stops waiting for a line to steer with


async def _steer_with(convo: Conversation, lines: _Lines) -> None:
    """Steer the running turn with each line typed, until the turn ends."""
    while (line := await lines.next()) is not None:
        if not line.strip():
            continue
        print(f"\n  (steering: {line})\nassistant: ", end="", flush=True)
        try:
            outcome = await convo.steer(line)
        except InputError:  # the turn ended meanwhile: the line is the next message
            lines.unread(line)
            return
        except SteerFailedError as exc:
            print(f"\n  (not steered: {exc})\nassistant: ", end="", flush=True)
            continue
        if outcome in ("restarted", "queued"):  # the server cannot steer it: the SDK did
            print(f"({outcome} with it) ", end="", flush=True)
