"""Small wire helpers for the emulator tests: parse SSE text, collect WebSocket events."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio

TERMINAL = {"response.completed", "response.failed", "response.incomplete"}

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"],
    },
}


def parse_sse(text: str) -> list[tuple[str | None, str]]:
    """(event name, data) per SSE message, with LF line endings (what the emulator sends)."""
    messages = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name = None
        data = []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        messages.append((name, "\n".join(data)))
    return messages


def sse_events(text: str) -> list[dict[str, Any]]:
    events = []
    for name, data in parse_sse(text):
        event = json.loads(data)
        assert event["type"] == name
        events.append(event)
    return events


async def ws_until_terminal(ws: Any) -> list[dict[str, Any]]:
    events = []
    while True:
        event = json.loads(await ws.recv())
        events.append(event)
        if event["type"] in TERMINAL or event["type"] == "error":
            return events


def create(input: Any = "Hello", **fields: Any) -> str:
    return json.dumps({"type": "response.create", "model": "gpt-4.1", "input": input, **fields})


async def read_until(ws: Any, done: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """WebSocket events up to and including the first one ``done`` accepts (5 s at most)."""
    events: list[dict[str, Any]] = []
    with anyio.fail_after(5):
        while not events or not done(events[-1]):
            events.append(json.loads(await ws.recv()))
    return events
