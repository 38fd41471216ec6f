"""Request bytes of a long tool-using conversation: WebSocket (incremental) vs SSE (full resend).

    python -m bench.upload [turns] [--json PATH]

A conversation of `turns` turns (50 by default) against the local emulator, where every
turn takes two responses: the model calls a tool, then answers in text. The same script
runs over both transports with the same model, instructions and tool:

- **websocket**: one connection; after the first request each `response.create` carries
  `previous_response_id` and only the new items (the user's message, or the tool's output).
- **sse**: `store=false`, so every `POST /v1/responses` carries the whole history.

Counted: the bytes of every request body / frame the client wrote (`Transport.bytes_sent`,
cross-checked against what the emulator received). Instructions and the tool schema go with
every request on both transports, so they are part of both figures. `measure()` returns the
figures as data; `main()` prints them beside the goal (WebSocket at most 4% of full resend).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from typing import Any, Literal

import anyio

from bench._common import emit
from responses_client._client import Client
from responses_client._tools import tool
from responses_client.emulator import CallTool, Emulator, Reply, ScriptedModel

TURNS = 50
GOAL = 0.04
"""WebSocket bytes as a share of full-resend bytes, at most."""

INSTRUCTIONS = "You are a concise travel assistant. Use the weather tool when asked about weather."
CITIES = ("Paris", "Rome", "Oslo", "Lima", "Cairo", "Tokyo", "Quito", "Perth", "Dakar", "Riga")


@tool
def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: The city's name, e.g. "Paris".
    """
    return json.dumps({"city": city, "sky": "clear", "celsius": 21, "wind_kmh": 9})


def script(turns: int) -> ScriptedModel:
    """Per turn: a tool call, then a two-sentence answer."""
    replies: list[Reply | str] = []
    for turn in range(turns):
        city = CITIES[turn % len(CITIES)]
        replies.append(Reply(tool_calls=[CallTool("get_weather", {"city": city})]))
        replies.append(
            f"It is clear in {city} at 21 degrees with a light wind. "
            "A good day for a walk along the river."
        )
    return ScriptedModel(replies)


def question(turn: int) -> str:
    city = CITIES[turn % len(CITIES)]
    return f"What is the weather like in {city} today, and is it a good day to walk around?"


@dataclass(frozen=True)
class Run:
    """One transport's figures."""

    transport: str
    bytes_sent: int
    """Bytes the client wrote: every request body (SSE) or frame (WebSocket)."""
    bytes_received_by_server: int
    """The same, measured on the emulator's side (request bodies / frames re-encoded)."""
    requests: int
    items_sent: int
    items_held: int
    history_items: int
    per_turn: tuple[int, ...]
    """Request bytes of each turn (both of its requests)."""


async def _run(transport: Literal["websocket", "sse"], turns: int) -> Run:
    async with (
        Emulator(script(turns)) as emulator,
        Client(base_url=emulator.base_url, api_key="bench", transport=transport) as client,
    ):
        convo = client.conversation(model="gpt-4.1", instructions=INSTRUCTIONS, tools=[get_weather])
        items_sent = items_held = 0
        per_turn: list[int] = []
        for turn in range(turns):
            result = await convo.send(question(turn))
            per_turn.append(result.stats.bytes_sent)
            items_sent += result.stats.items_sent
            items_held += result.stats.items_held
        if transport == "sse":
            bodies = [request.body for request in emulator.http_requests]
        else:
            bodies = [frame for c in emulator.connections for frame in c.frames]
        received = sum(len(json.dumps(body, separators=(",", ":")).encode()) for body in bodies)
        return Run(
            transport=transport,
            bytes_sent=convo.transport.bytes_sent,
            bytes_received_by_server=received,
            requests=len(bodies),
            items_sent=items_sent,
            items_held=items_held,
            history_items=len(convo.items),
            per_turn=tuple(per_turn),
        )


@dataclass(frozen=True)
class Figures:
    turns: int
    websocket: Run
    sse: Run

    @property
    def ratio(self) -> float:
        """WebSocket bytes as a share of SSE (full resend) bytes."""
        return self.websocket.bytes_sent / self.sse.bytes_sent

    @property
    def goal_met(self) -> bool:
        return self.ratio <= GOAL


def measure(turns: int = TURNS) -> Figures:
    """Run the conversation over both transports; returns the figures."""

    async def both() -> Figures:
        return Figures(turns, await _run("websocket", turns), await _run("sse", turns))

    return anyio.run(both)


def results(turns: int = TURNS) -> dict[str, Any]:
    """Figures and the goal as plain data, for `make bench` to collect."""
    figures = measure(turns)
    return {
        "benchmark": "upload",
        "unit": "request bytes written by the client",
        "turns": figures.turns,
        "websocket": asdict(figures.websocket),
        "sse": asdict(figures.sse),
        "ratio": figures.ratio,
        "per_turn": {
            "websocket (incremental)": figures.websocket.per_turn,
            "sse (full resend)": figures.sse.per_turn,
        },
        "table": [
            "| transport | bytes sent | requests | items sent | items held |",
            "|---|---|---|---|---|",
            *(
                f"| {run.transport} | {run.bytes_sent:,} | {run.requests} | {run.items_sent:,}"
                f" | {run.items_held:,} |"
                for run in (figures.websocket, figures.sse)
            ),
        ],
        "goals": [
            {
                "name": f"websocket bytes / sse bytes over {figures.turns} tool turns",
                "value": figures.ratio * 100,
                "target": f"<= {GOAL:.0%}",
                "met": figures.goal_met,
                "unit": "%",
            }
        ],
    }


def main() -> None:
    turns = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else TURNS
    data = results(turns)
    emit(data)
    print(f"Upload over a {turns}-turn conversation with a tool call in every turn")
    print(
        f"{'transport':>10} {'bytes sent':>12} {'server got':>12} {'requests':>9}"
        f" {'items sent':>11} {'held':>7}"
    )
    for name in ("websocket", "sse"):
        run = data[name]
        print(
            f"{name:>10} {run['bytes_sent']:>12,} {run['bytes_received_by_server']:>12,}"
            f" {run['requests']:>9} {run['items_sent']:>11,} {run['items_held']:>7,}"
        )
    for goal in data["goals"]:
        verdict = "met" if goal["met"] else "NOT MET"
        print(f"goal: {goal['name']} = {goal['value']:.2f}% (target {goal['target']}): {verdict}")


if __name__ == "__main__":
    main()
