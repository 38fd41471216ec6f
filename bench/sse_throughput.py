"""Events per second over SSE: responses_client, openai-python, a hand-written loop, httpx.

    python -m bench.sse_throughput [--json PATH]

One response of 100,000 ``response.output_text.delta`` events plus its lifecycle events
(``bench/_wire.py`` builds them with the emulator's event builder) is replayed by a server in
another process over a real loopback socket; every client reads the identical bytes:

- **responses_client**: ``convo.stream()``: decoder, ``parse_event``, turn fold, the
  caller's ``async for`` (a new conversation per run, so each run is one turn);
- **openai-python**: ``AsyncOpenAI().responses.create(stream=True)`` and ``async for``;
- **hand-written loop**: what a user writes instead of an SDK, and the typed ceiling:
  httpx streaming, the bytes split into lines, and one pydantic ``validate_json`` per
  ``data:`` line over the same event union (``responses_client.events.ServerEvent``),
  all inline in one ``async for``. No SSE field rules, no errors explained, no turn state;
- **httpx + json.loads**: the same loop with ``json.loads`` instead of the typed union;
- **httpx bytes**: raw httpx streaming, counting bytes only: the floor, no per-event work.

The headline framing is the one real servers use: the API (and the emulator, uvicorn)
flushes every event as an HTTP chunk of its own, so every client pays httpx's cost per
chunk (h11, httpcore and httpx layers) once per event, the floor included. The goals are
measured there. The same bytes in 64 KiB chunks, where each client's own work per event
dominates, make the secondary table.

The clock runs from sending the request to the last event; the clients take turns
(interleaved), several rounds after a warm-up, each round starting one client later
(``_common.rotated``), and each figure is the median with its range.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pydantic import TypeAdapter

from bench._common import QUICK, Goal, Spread, print_goals, rotated, run_benchmark, wire_server
from responses_client.events import ServerEvent

FLUSHED_ROUNDS = 2 if QUICK else 5
CHUNKED_ROUNDS = 2 if QUICK else 3
BODY = {"model": "gpt-4.1", "input": "Tell me a long story.", "stream": True}
PROMPT = "Tell me a long story."
HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-bench"}

Runner = Callable[[str], Awaitable[tuple[int, float]]]


async def run_ours(base_url: str) -> tuple[int, float]:
    from responses_client import Client

    async with Client(base_url=base_url, api_key="sk-bench", max_retries=0) as client:
        convo = client.conversation(model="gpt-4.1", transport="sse")
        count = 0
        start = time.perf_counter()
        async for _event in convo.stream(PROMPT):
            count += 1
        return count, time.perf_counter() - start


async def run_openai(base_url: str) -> tuple[int, float]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)
    try:
        count = 0
        start = time.perf_counter()
        stream = await client.responses.create(model="gpt-4.1", input=PROMPT, stream=True)
        async for _event in stream:
            count += 1
        return count, time.perf_counter() - start
    finally:
        await client.close()


async def _timed(
    base_url: str, read: Callable[[httpx.Response], Awaitable[int]]
) -> tuple[int, float]:
    """Time one streaming request over raw httpx whose body ``read`` consumes (a count)."""
    async with httpx.AsyncClient() as http:
        start = time.perf_counter()
        async with http.stream(
            "POST", base_url + "/responses", json=BODY, headers=HEADERS
        ) as response:
            count = await read(response)
        return count, time.perf_counter() - start


EVENTS: TypeAdapter[ServerEvent] = TypeAdapter(ServerEvent)
"""The hand-written loop's validator: the SDK's event union, built once as the SDK's is."""


async def _hand_written(response: httpx.Response) -> int:
    count = 0
    rest = b""
    async for chunk in response.aiter_bytes():
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()  # the start of a line that the next chunk ends
        for line in lines:
            if line.startswith(b"data: "):
                _event = EVENTS.validate_json(line[6:])
                count += 1
    return count


async def _json_loads(response: httpx.Response) -> int:
    count = 0
    rest = b""
    async for chunk in response.aiter_bytes():
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            if line.startswith(b"data: "):
                _event = json.loads(line[6:])
                count += 1
    return count


async def _bytes(response: httpx.Response) -> int:
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
    return size


async def run_hand_written(base_url: str) -> tuple[int, float]:
    return await _timed(base_url, _hand_written)


async def run_httpx_json(base_url: str) -> tuple[int, float]:
    return await _timed(base_url, _json_loads)


async def run_httpx_bytes(base_url: str) -> tuple[int, float]:
    return await _timed(base_url, _bytes)


CLIENTS: dict[str, Runner] = {
    "responses_client": run_ours,
    "openai-python": run_openai,
    "hand-written loop": run_hand_written,
    "httpx + json.loads": run_httpx_json,
    "httpx bytes (floor)": run_httpx_bytes,
}


async def _measure(
    port: int, counts: dict[str, int], stream: str, rounds: int
) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {name: [] for name in CLIENTS}
    for run in CLIENTS.values():  # warm-up: imports, schema builds, connection code
        await run(f"http://127.0.0.1:{port}/warm/v1")
    expected = counts[stream]
    for round_ in range(rounds):
        for name, run in rotated(CLIENTS, round_):
            gc.collect()
            count, seconds = await run(f"http://127.0.0.1:{port}/{stream}/v1")
            if name.startswith("httpx bytes"):
                count = expected  # the floor counts bytes, not events
            elif count != expected:
                raise AssertionError(f"{name} saw {count} events, expected {expected}")
            rates[name].append(expected / seconds)
    return rates


def results() -> dict[str, Any]:
    with wire_server(100_000) as (port, counts):
        flushed_rates = asyncio.run(_measure(port, counts, "flushed", FLUSHED_ROUNDS))
        chunked_rates = asyncio.run(_measure(port, counts, "big", CHUNKED_ROUNDS))
    flushed = {name: Spread.of(values) for name, values in flushed_rates.items()}
    chunked = {name: Spread.of(values) for name, values in chunked_rates.items()}
    ours = flushed["responses_client"].median
    vs_hand = ours / flushed["hand-written loop"].median
    vs_openai = ours / flushed["openai-python"].median
    chunked_ours = chunked["responses_client"].median
    return {
        "benchmark": "sse_throughput",
        "unit": "events/s",
        "events": counts["flushed"],
        "caption": "one HTTP chunk per event, as the API flushes them",
        "clients": flushed,
        "chunked": chunked,
        "table": [
            "The same bytes in 64 KiB chunks (events/s; median, range, runs):",
            "",
            "| client | median | range | runs | responses_client / client |",
            "|---|---|---|---|---|",
            *(
                f"| {name} | {spread.median:,.0f} | {spread.low:,.0f}–{spread.high:,.0f}"
                f" | {spread.runs} | {chunked_ours / spread.median:.2f}x |"
                for name, spread in chunked.items()
            ),
        ],
        "goals": [
            Goal("responses_client / hand-written loop", vs_hand, ">= 1.0x", vs_hand >= 1.0),
            Goal("responses_client / openai-python", vs_openai, ">= 7x", vs_openai >= 7),
        ],
        "notes": {
            "responses_client / httpx + json.loads": ours / flushed["httpx + json.loads"].median,
            "responses_client / httpx bytes floor": ours / flushed["httpx bytes (floor)"].median,
            "hand-written loop / httpx bytes floor": flushed["hand-written loop"].median
            / flushed["httpx bytes (floor)"].median,
        },
    }


def report(data: dict[str, Any]) -> None:
    print(f"SSE throughput, {data['events']:,} events per response, {data['unit']}:")
    for title, key in (
        ("one chunk per event, as the API flushes them", "clients"),
        ("in 64 KiB chunks", "chunked"),
    ):
        print(f"  {title}:")
        ours = data[key]["responses_client"].median
        for name, spread in data[key].items():
            print(f"    {name:22s} {spread.text()}  (ours / this = {ours / spread.median:.2f}x)")
    print_goals(data)


def main() -> None:
    run_benchmark(results, report)


if __name__ == "__main__":
    main()
