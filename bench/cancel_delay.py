"""How soon the next turn starts after an interrupt, when the server does not honour the cancel.

    python -m bench.cancel_delay [--json PATH]

``response.cancel`` is not among the API's public client events: a server may answer it
with an ``error``, ignore it and finish the response, or ignore it and never end the
response. Against the emulator (in this process, over real sockets), with each
``cancel_mode`` and over a connection of its own and a lane of a pool: a turn streams a
30-delta reply, paused for 0.3 s after its first delta; the caller interrupts at that
delta; then the next turn is sent. Measured, per case (median of runs):

- **interrupt**: from calling ``interrupt()`` to the stream's end, for the caller;
- **next turn**: from calling ``send()`` for the next turn to its ``response.created``.

Goals: ``interrupt()`` ends the stream at once (within 5 ms) in every case, and the next
turn starts within ``drain_timeout`` (0.5 s here) plus what a reconnect costs (50 ms
allowed on this loopback). A server that answers the cancel with an ``error``, or ignores
it and finishes, lets the drain read the old response to its end: the next turn starts
when it ends (0.3 s of pause here). A server that goes silent holds the drain for the
whole ``drain_timeout``; then the connection is replaced (or the lane retired), and the
request planned against the old connection is answered ``previous_response_not_found``
and sent again with the full context: one round trip more.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import anyio

from bench._common import QUICK, Goal, emit, print_goals
from responses_client import Client, Conversation
from responses_client.emulator import Emulator, Pause, Reply, ScriptedModel
from responses_client.events import OutputTextDeltaEvent, ResponseCreatedEvent
from responses_client.transports import WebSocketTransport

DRAIN = 0.5
RUNS = 3 if QUICK else 7
RECONNECT = 0.05
"""Seconds allowed for a reconnect and one more round trip on loopback."""
MODES = ("honour", "reject", "ignore", "silent")
WHERE = ("websocket", "lane")


def _reply() -> Reply:
    return Reply(text=[f"word{i} " for i in range(30)], faults=[Pause(at=5, seconds=0.3)])


def _conversation(client: Client, where: str) -> Conversation:
    if where == "lane":
        return client.conversation(connection=client.connection(drain_timeout=DRAIN))
    return client.conversation(transport=WebSocketTransport(client.config, drain_timeout=DRAIN))


async def _once(emulator: Emulator, client: Client, where: str) -> tuple[float, float]:
    emulator.model = ScriptedModel([_reply(), "Next.", "Next."])
    async with _conversation(client, where) as convo:
        interrupted = ended = 0.0
        async with convo.stream("Tell me a story.") as events:
            async for event in events:
                if isinstance(event, OutputTextDeltaEvent) and not interrupted:
                    interrupted = time.perf_counter()
                    await convo.interrupt()
            ended = time.perf_counter()
        sent = time.perf_counter()
        created = 0.0
        async with convo.stream("Go on.") as events:
            async for event in events:
                if isinstance(event, ResponseCreatedEvent) and not created:
                    created = time.perf_counter()
        if events.result.text != "Next.":
            raise AssertionError(f"the next turn answered {events.result.text!r}")
    return ended - interrupted, created - sent


async def _measure() -> dict[str, dict[str, dict[str, float]]]:
    figures: dict[str, dict[str, dict[str, float]]] = {}
    async with Emulator() as emulator:
        async with Client(base_url=emulator.base_url, api_key="sk-bench") as client:
            for mode in MODES:
                emulator.cancel_mode = mode  # type: ignore[assignment]
                for where in WHERE:
                    runs = [await _once(emulator, client, where) for _ in range(RUNS)]
                    figures.setdefault(mode, {})[where] = {
                        "interrupt_ms": statistics.median(r[0] for r in runs) * 1000,
                        "next_turn_ms": statistics.median(r[1] for r in runs) * 1000,
                        "next_turn_max_ms": max(r[1] for r in runs) * 1000,
                    }
    return figures


def results() -> dict[str, Any]:
    figures = anyio.run(_measure)
    worst = max(f["next_turn_max_ms"] for by_where in figures.values() for f in by_where.values())
    slowest_interrupt = max(
        f["interrupt_ms"] for by_where in figures.values() for f in by_where.values()
    )
    rows = [
        f"| {mode} | {where} | {f['interrupt_ms']:.2f} | {f['next_turn_ms']:.1f} |"
        f" {f['next_turn_max_ms']:.1f} |"
        for mode, by_where in figures.items()
        for where, f in by_where.items()
    ]
    return {
        "benchmark": "cancel_delay",
        "figures": figures,
        "table": [
            "| cancel mode | where | interrupt → stream end ms | next turn start ms (median) |"
            " (max) |",
            "|---|---|---|---|---|",
            *rows,
        ],
        "goals": [
            Goal(
                f"next turn start after an interrupt, worst case (drain_timeout {DRAIN} s)",
                worst,
                f"<= {(DRAIN + RECONNECT) * 1000:.0f} ms",
                worst <= (DRAIN + RECONNECT) * 1000,
                " ms",
            ),
            Goal(
                "interrupt() to the stream's end, slowest case",
                slowest_interrupt,
                "<= 5 ms",
                slowest_interrupt <= 5,
                " ms",
            ),
        ],
    }


def report(data: dict[str, Any]) -> None:
    print(f"Next turn after an interrupt ({RUNS} runs each, drain_timeout {DRAIN} s):")
    for line in data["table"]:
        print("  " + line)
    print_goals(data)


def main() -> None:
    data = results()
    report(data)
    emit(data)


if __name__ == "__main__":
    main()
    sys.exit(0)
