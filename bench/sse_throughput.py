"""Events per second over SSE: responses_client, openai-python, and raw httpx bounds.

    python bench/sse_throughput.py [--json PATH]

One response of 100,000 ``response.output_text.delta`` events plus its lifecycle events
(``bench/_wire.py`` builds them with the emulator's event builder) is replayed by a server in
another process over a real loopback socket; every client reads the identical bytes:

- **responses_client**: ``convo.stream()``: decoder, ``parse_event``, turn fold, the
  caller's ``async for`` (a new conversation per run, so each run is one turn);
- **openai-python**: ``AsyncOpenAI().responses.create(stream=True)`` and ``async for``;
- **httpx + json**: raw httpx streaming, lines split by hand, ``json.loads`` on each
  ``data:`` line (what a careful hand-written client does, without types);
- **typed ceiling**: the least a client can do and still hand the caller one validated
  event per message: raw httpx streaming, blocks cut with ``bytes.split(b"\n\n")``, each
  text delta's data validated into an ``OutputTextDeltaEvent`` by the SDK's own compiled
  validator (other events by ``parse_event``), through one async generator to an
  ``async for``. No SSE field rules, no errors explained, no turn state: a bound, not a
  client;
- **split only**: raw httpx streaming, blocks cut with ``bytes.split(b"\n\n")`` and each
  block's bytes yielded as they are, unparsed, through one async generator: what handing
  the caller one object per message costs before any parsing at all;
- **httpx bytes**: raw httpx streaming, counting bytes only: the floor, no per-event work.

Each client reads the stream twice over, in two framings: in 64 KiB chunks, where the
per-event work of each client dominates (the goals are measured here), and with one HTTP
chunk per event, as a server that flushes each event sends it (the emulator, uvicorn, the
API). There httpx's cost per chunk (h11, httpcore and httpx layers, about 13 µs) is paid
once per event by every client, the floor included.

The clock runs from sending the request to the last event; the clients take turns
(interleaved), several rounds after a warm-up, and each figure is the median with its range.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from bench._common import QUICK, Goal, Spread, print_goals, run_benchmark, wire_server

ROUNDS = 2 if QUICK else 5
FLUSHED_ROUNDS = 2 if QUICK else 3  # openai-python needs ~14 s a run in this framing
BODY = {"model": "gpt-4.1", "input": "Tell me a long story.", "stream": True}
PROMPT = "Tell me a long story."

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


async def _raw(
    base_url: str, read: Callable[[httpx.Response], Awaitable[int]]
) -> tuple[int, float]:
    """Time one raw httpx streaming request whose body ``read`` consumes (returns a count)."""
    payload = json.dumps(BODY).encode()
    headers = {"content-type": "application/json", "authorization": "Bearer sk-bench"}
    async with httpx.AsyncClient() as http:
        start = time.perf_counter()
        async with http.stream(
            "POST", base_url + "/responses", content=payload, headers=headers
        ) as response:
            count = await read(response)
        return count, time.perf_counter() - start


async def _read_json(response: httpx.Response) -> int:
    count = 0
    rest = b""
    loads = json.loads
    async for chunk in response.aiter_bytes():
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            if line.startswith(b"data: "):
                loads(line[6:])
                count += 1
    return count


async def _ceiling_events(response: httpx.Response) -> AsyncIterator[Any]:
    from responses_client.events import _DELTA_PREFIX, _validate_delta_json, parse_event

    validate_delta = _validate_delta_json  # the SDK's compiled OutputTextDeltaEvent validator
    rest = b""
    async for chunk in response.aiter_bytes():
        blocks = (rest + chunk).split(b"\n\n")
        rest = blocks.pop()
        for block in blocks:
            data = block[block.find(b"\ndata: ") + 7 :]
            yield validate_delta(data) if data.startswith(_DELTA_PREFIX) else parse_event(data)


async def _blocks(response: httpx.Response) -> AsyncIterator[bytes]:
    rest = b""
    async for chunk in response.aiter_bytes():
        blocks = (rest + chunk).split(b"\n\n")
        rest = blocks.pop()
        for block in blocks:
            yield block


async def _read_blocks(response: httpx.Response) -> int:
    count = 0
    async for _block in _blocks(response):
        count += 1
    return count


async def _read_typed(response: httpx.Response) -> int:
    count = 0
    async for _event in _ceiling_events(response):
        count += 1
    return count


async def _read_bytes(response: httpx.Response) -> int:
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
    return size


async def run_httpx_json(base_url: str) -> tuple[int, float]:
    return await _raw(base_url, _read_json)


async def run_ceiling(base_url: str) -> tuple[int, float]:
    return await _raw(base_url, _read_typed)


async def run_split_only(base_url: str) -> tuple[int, float]:
    return await _raw(base_url, _read_blocks)


async def run_httpx_bytes(base_url: str) -> tuple[int, float]:
    return await _raw(base_url, _read_bytes)


CLIENTS: dict[str, Runner] = {
    "responses_client": run_ours,
    "openai-python": run_openai,
    "httpx + json": run_httpx_json,
    "typed ceiling": run_ceiling,
    "split only": run_split_only,
    "httpx bytes (floor)": run_httpx_bytes,
}


async def _measure(
    port: int, counts: dict[str, int], stream: str, rounds: int
) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {name: [] for name in CLIENTS}
    for run in CLIENTS.values():  # warm-up: imports, schema builds, connection code
        await run(f"http://127.0.0.1:{port}/warm/v1")
    expected = counts[stream]
    for _ in range(rounds):
        for name, run in CLIENTS.items():
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
        rates = asyncio.run(_measure(port, counts, "big", ROUNDS))
        flushed_rates = asyncio.run(_measure(port, counts, "flushed", FLUSHED_ROUNDS))
    spreads = {name: Spread.of(values) for name, values in rates.items()}
    flushed = {name: Spread.of(values) for name, values in flushed_rates.items()}
    ours = spreads["responses_client"].median
    vs_openai = ours / spreads["openai-python"].median
    floor = spreads["httpx bytes (floor)"].median
    vs_floor = ours / floor
    vs_json = ours / spreads["httpx + json"].median
    ceiling = spreads["typed ceiling"].median
    flushed_ours = flushed["responses_client"].median
    return {
        "benchmark": "sse_throughput",
        "unit": "events/s",
        "events": counts["big"],
        "clients": {name: spread for name, spread in spreads.items()},
        "flushed": flushed,
        "table": [
            "One HTTP chunk per event, as servers flush them (events/s; median, range,"
            " runs; the goals are measured on 64 KiB chunks above):",
            "",
            "| client | median | range | runs | responses_client / client |",
            "|---|---|---|---|---|",
            *(
                f"| {name} | {spread.median:,.0f} | {spread.low:,.0f}–{spread.high:,.0f}"
                f" | {spread.runs} | {flushed_ours / spread.median:.2f}x |"
                for name, spread in flushed.items()
            ),
        ],
        "goals": [
            Goal("responses_client / openai-python", vs_openai, ">= 10x", vs_openai >= 10),
            Goal(
                "responses_client / httpx bytes floor",
                vs_floor * 100,
                ">= 85%",
                vs_floor >= 0.85,
                unit="%",
            ),
        ],
        "notes": {
            "responses_client / httpx + json": vs_json,
            "split only / httpx bytes floor": spreads["split only"].median / floor,
            "typed ceiling / httpx bytes floor": ceiling / floor,
            "responses_client / typed ceiling": ours / ceiling,
        },
    }


def report(data: dict[str, Any]) -> None:
    print(f"SSE throughput, {data['events']:,} events per response, {data['unit']}:")
    print("  in 64 KiB chunks:")
    for name, spread in data["clients"].items():
        print(f"    {name:22s} {spread.text()}")
    for name, value in data["notes"].items():
        print(f"    ({name} = {value:.2f}x)")
    print("  one chunk per event, as servers flush them:")
    ours = data["flushed"]["responses_client"].median
    for name, spread in data["flushed"].items():
        print(f"    {name:22s} {spread.text()}  (ours / this = {ours / spread.median:.2f}x)")
    print_goals(data)


def main() -> None:
    run_benchmark(results, report)


if __name__ == "__main__":
    main()
