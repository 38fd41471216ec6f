"""The command line: ``python -m responses_client demo | serve | chat``.

``demo`` and ``serve`` need the emulator extra (``pip install 'responses-client[emulator]'``);
``chat`` talks to any Responses API server, to an OpenAI-compatible Chat Completions server
with ``--transport chat``, or to the emulator with ``--local``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio

from ._client import DEFAULT_TRANSPORT, Client, TransportName
from ._conversation import Conversation
from ._exceptions import ResponsesError
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
    serve = commands.add_parser("serve", help="run the local Responses API emulator")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    chat = commands.add_parser("chat", help="an interactive chat in the terminal")
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
        if args.command == "demo":
            anyio.run(_demo, args.transport)
        elif args.command == "serve":
            _serve(args.host, args.port)
        else:
            anyio.run(_chat, args)
    except ResponsesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
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
        print(f"demo: a conversation over {convo._transport.name}, against the local emulator\n")
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


def _serve(host: str, port: int) -> None:
    from .emulator import serve

    def ready(bound_host: str, bound_port: int) -> None:
        print(f"listening on http://{bound_host}:{bound_port}/v1", flush=True)

    serve(host=host, port=port, on_ready=ready)


async def _chat(args: argparse.Namespace) -> None:
    if args.local:
        async with _local_client(args.transport) as client:
            await _chat_loop(client, args)
    else:
        transport = args.transport or DEFAULT_TRANSPORT
        async with Client(base_url=args.base_url, transport=transport) as client:
            await _chat_loop(client, args)


async def _chat_loop(client: Client, args: argparse.Namespace) -> None:
    convo = client.conversation(
        model=args.model, instructions=args.instructions, tools=[get_weather]
    )
    print("chat: type a message, or an empty line to quit\n")
    while True:
        try:
            text = await anyio.to_thread.run_sync(input, "you: ")
        except EOFError:
            return
        if not text.strip():
            return
        await _run_turn(convo, text)
