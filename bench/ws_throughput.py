"""Events per second over WebSocket: responses_client, openai-python, and two raw floors.

    python -m bench.ws_throughput [--json PATH]

The same response as ``bench/sse_throughput.py`` (100,000 text deltas plus lifecycle events),
replayed by ``bench/_wire.py`` in another process as one text frame per event after each
``response.create``. Every client reads the identical frames:

- **responses_client**: ``convo.stream()`` over ``transport="websocket"``;
- **openai-python**: ``responses.connect()``, ``response.create(...)``, ``async for``;
- **websockets + json**: ``websockets`` ``recv()`` then ``json.loads`` per frame;
- **websockets recv**: ``recv()`` alone (the floor).

Each run opens its own connection (the handshake is inside the clock for every client; it
is about a millisecond of a run that lasts about a second). Clients are interleaved after a
warm-up, each round starting one client later (``_common.rotated``); figures are medians with
ranges.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import websockets

from bench._common import QUICK, Goal, Spread, print_goals, rotated, run_benchmark, wire_server

ROUNDS = 2 if QUICK else 5
PROMPT = "Tell me a long story."
CREATE = json.dumps({"type": "response.create", "model": "gpt-4.1", "input": PROMPT})
TERMINAL = ("response.completed", "response.failed", "response.incomplete", "error")

Runner = Callable[[str, int], Awaitable[tuple[int, float]]]


async def run_ours(base: str, _expected: int) -> tuple[int, float]:
    from responses_client import Client

    async with Client(base_url=f"http://{base}", api_key="sk-bench", max_retries=0) as client:
        convo = client.conversation(model="gpt-4.1", transport="websocket")
        count = 0
        start = time.perf_counter()
        async for _event in convo.stream(PROMPT):
            count += 1
        seconds = time.perf_counter() - start
        await convo.aclose()
        return count, seconds


async def run_openai(base: str, _expected: int) -> tuple[int, float]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=f"http://{base}", api_key="sk-bench", max_retries=0)
    try:
        count = 0
        start = time.perf_counter()
        async with client.responses.connect() as connection:
            await connection.response.create(model="gpt-4.1", input=PROMPT)
            async for event in connection:
                count += 1
                if event.type in TERMINAL:
                    break
        return count, time.perf_counter() - start
    finally:
        await client.close()


async def run_ws_json(base: str, _expected: int) -> tuple[int, float]:
    count = 0
    loads = json.loads
    start = time.perf_counter()
    async with websockets.connect(f"ws://{base}/responses", compression=None, max_size=None) as ws:
        await ws.send(CREATE)
        while True:
            event = loads(await ws.recv())
            count += 1
            if event["type"] in TERMINAL:
                break
    return count, time.perf_counter() - start


async def run_ws_recv(base: str, expected: int) -> tuple[int, float]:
    count = 0
    start = time.perf_counter()
    async with websockets.connect(f"ws://{base}/responses", compression=None, max_size=None) as ws:
        await ws.send(CREATE)
        recv = ws.recv
        while count < expected:  # no parsing, so the count says when the response ends
            await recv()
            count += 1
    return count, time.perf_counter() - start


CLIENTS: dict[str, Runner] = {
    "responses_client": run_ours,
    "openai-python": run_openai,
    "websockets + json": run_ws_json,
    "websockets recv (floor)": run_ws_recv,
}


async def _measure(port: int, counts: dict[str, int]) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {name: [] for name in CLIENTS}
    for run in CLIENTS.values():  # warm-up: imports, schema builds, connection code
        await run(f"127.0.0.1:{port}/warm/v1", counts["warm"])
    expected = counts["big"]
    for round_ in range(ROUNDS):
        for name, run in rotated(CLIENTS, round_):
            gc.collect()
            count, seconds = await run(f"127.0.0.1:{port}/big/v1", expected)
            if count != expected:
                raise AssertionError(f"{name} saw {count} events, expected {expected}")
            rates[name].append(expected / seconds)
    return rates


def results() -> dict[str, Any]:
    with wire_server(100_000) as (port, counts):
        rates = asyncio.run(_measure(port, counts))
    spreads = {name: Spread.of(values) for name, values in rates.items()}
    ours = spreads["responses_client"].median
    vs_openai = ours / spreads["openai-python"].median
    vs_floor = ours / spreads["websockets recv (floor)"].median
    return {
        "benchmark": "ws_throughput",
        "unit": "events/s",
        "events": counts["big"],
        "clients": spreads,
        "goals": [
            Goal("responses_client / openai-python", vs_openai, ">= 12x", vs_openai >= 12),
            Goal(
                "responses_client / websockets recv floor",
                vs_floor * 100,
                ">= 65%",
                vs_floor >= 0.65,
                unit="%",
            ),
        ],
        "notes": {
            "responses_client / websockets + json": ours / spreads["websockets + json"].median
        },
    }


def report(data: dict[str, Any]) -> None:
    print(f"WebSocket throughput, {data['events']:,} events per response, {data['unit']}:")
    for name, spread in data["clients"].items():
        print(f"  {name:24s} {spread.text()}")
    for name, value in data["notes"].items():
        print(f"  ({name} = {value:.2f}x)")
    print_goals(data)


def main() -> None:
    run_benchmark(results, report)


if __name__ == "__main__":
    main()
