"""Per-event latency the SDK adds over WebSocket, against a raw ``websockets`` receiver.

    python -m bench.ws_latency [--json PATH]

``bench/_wire.py`` sends 2,000 text deltas one every 2 ms, each stamped at send time with
``time.monotonic_ns()`` (one clock for every process on Linux). Each client notes
``monotonic_ns()`` the moment an event reaches it, and keeps the event; the stamps are read
out after the run, so nothing but the clock call sits on the timed path:

- **websockets recv**: ``await ws.recv()`` returned the frame (the reference);
- **responses_client**: the event reached the caller's ``async for convo.stream()``;
- **openai-python**: the event reached ``async for`` over ``responses.connect()``.

Pacing keeps the socket idle between events, so each figure is one event's trip through
the stack, not queueing behind earlier ones.

Two figures, because on a shared machine the end-to-end tail is mostly scheduler noise:

- **end to end**: arrival - stamp. It includes the server's write, the kernel and the event
  loop's wake-up, which are the same for every client; "added" is the SDK's percentile minus
  the raw receiver's (per run, median over alternating runs). Its p50 is meaningful; its
  p99 difference mostly compares two samples of noise.
- **in process** (the goal): for every frame, the time from the point where a raw receiver
  would hold it to the event reaching the caller. openai-python reads with ``recv()``: the
  window starts when ``ClientConnection.recv`` returns. responses_client queues parsed
  frames itself (its connection subclass) and its stream takes them with ``take()``: the
  window starts when ``take()`` returns, in the reader task after its wake-up, as for
  ``recv()``. That is what the SDK adds on top of a raw receiver, measured per event, so
  its p99 is the p99 of the added latency itself. The wrappers' own work sits inside the
  windows, so the figures err high.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from bench._common import QUICK, Goal, print_goals, run_benchmark, wire_server

ROUNDS = 2 if QUICK else 5
CREATE = json.dumps({"type": "response.create", "model": "gpt-4.1", "input": "hi"})
TERMINAL = ("response.completed", "response.failed", "response.incomplete", "error")
DELTA = "response.output_text.delta"

Runner = Callable[[str], Awaitable[tuple[list[int], list[int]]]]


def _latencies(arrivals: list[tuple[int, str]]) -> list[int]:
    return [now - int(stamp) for now, stamp in arrivals]


_received: list[int] = []
"""``monotonic_ns()`` when each SDK's receiver handed over each frame, in order."""


def _note_receive_times() -> None:
    """Wrap both SDKs' receivers (in this process) to note when each frame comes out."""
    from responses_client._transports._ws import Inbox as _Inbox

    original_recv = ClientConnection.recv
    original_take = _Inbox.take
    clock = time.monotonic_ns

    async def recv(self: ClientConnection, *args: Any, **kwargs: Any) -> Any:
        frame = await original_recv(self, *args, **kwargs)
        _received.append(clock())
        return frame

    def take(self: _Inbox) -> bytes:
        message = original_take(self)
        _received.append(clock())
        return message

    ClientConnection.recv = recv  # type: ignore[method-assign]
    _Inbox.take = take  # type: ignore[method-assign]


def _in_process(kept: list[tuple[int, Any]]) -> list[int]:
    """Per event: arrival at the caller - recv() returning its frame (deltas only)."""
    if len(_received) != len(kept):
        raise AssertionError(f"{len(_received)} frames received but {len(kept)} events seen")
    return [now - got for got, (now, e) in zip(_received, kept, strict=True) if e.type == DELTA]


async def run_raw(base: str) -> tuple[list[int], list[int]]:
    clock = time.monotonic_ns
    frames: list[tuple[int, Any]] = []
    async with websockets.connect(f"ws://{base}/responses", compression=None, max_size=None) as ws:
        await ws.send(CREATE)
        while True:
            frame = await ws.recv()
            frames.append((clock(), frame))
            if '"response.completed"' in frame[:40]:  # type comes first in these frames
                break
    arrivals = []
    for now, frame in frames:
        event = json.loads(frame)
        if event["type"] == DELTA:
            arrivals.append((now, event["obfuscation"]))
    return _latencies(arrivals), [0] * len(arrivals)


async def run_ours(base: str) -> tuple[list[int], list[int]]:
    from responses_client import Client

    clock = time.monotonic_ns
    kept: list[tuple[int, Any]] = []
    _received.clear()
    async with Client(base_url=f"http://{base}", api_key="sk-bench", max_retries=0) as client:
        convo = client.conversation(model="gpt-4.1", transport="websocket")
        async for event in convo.stream("hi"):
            kept.append((clock(), event))
        await convo.aclose()
    return _latencies([(now, e.obfuscation) for now, e in kept if e.type == DELTA]), _in_process(
        kept
    )


async def run_openai(base: str) -> tuple[list[int], list[int]]:
    from openai import AsyncOpenAI

    clock = time.monotonic_ns
    kept: list[tuple[int, Any]] = []
    _received.clear()
    client = AsyncOpenAI(base_url=f"http://{base}", api_key="sk-bench", max_retries=0)
    try:
        async with client.responses.connect() as connection:
            await connection.response.create(model="gpt-4.1", input="hi")
            async for event in connection:
                kept.append((clock(), event))
                if event.type in TERMINAL:
                    break
    finally:
        await client.close()
    return _latencies([(now, e.obfuscation) for now, e in kept if e.type == DELTA]), _in_process(
        kept
    )


CLIENTS: dict[str, Runner] = {
    "websockets recv": run_raw,
    "responses_client": run_ours,
    "openai-python": run_openai,
}


def _pct(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


async def _measure(port: int) -> dict[str, list[dict[str, float]]]:
    for run in CLIENTS.values():
        await run(f"127.0.0.1:{port}/paced/v1")
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in CLIENTS}
    for _ in range(ROUNDS):
        for name, run in CLIENTS.items():
            gc.collect()
            end_to_end, in_process = await run(f"127.0.0.1:{port}/paced/v1")
            runs[name].append(
                {
                    "p50": _pct(end_to_end, 0.50),
                    "p99": _pct(end_to_end, 0.99),
                    "in_p50": _pct(in_process, 0.50),
                    "in_p99": _pct(in_process, 0.99),
                    "in_max": max(in_process) / 1000,
                }
            )
    return runs


def results() -> dict[str, Any]:
    _note_receive_times()
    with wire_server(100_000) as (port, counts):
        runs = asyncio.run(_measure(port))
    keys = ("p50", "p99", "in_p50", "in_p99", "in_max")
    summary = {
        name: {q: statistics.median(r[q] for r in values) for q in keys}
        for name, values in runs.items()
    }
    raw = runs["websockets recv"]
    added = {
        name: {
            q: statistics.median(m[q] - r[q] for m, r in zip(runs[name], raw, strict=True))
            for q in ("p50", "p99")
        }
        for name in CLIENTS
        if name != "websockets recv"
    }
    ours = summary["responses_client"]["in_p99"]
    table = [
        "| client | end to end p50 / p99 µs | added vs raw p50 / p99 µs |"
        " in process (added) p50 / p99 / max µs |",
        "|---|---|---|---|",
    ]
    for name, s in summary.items():
        a = added.get(name)
        vs_raw = f"{a['p50']:+.0f} / {a['p99']:+.0f}" if a else "(reference)"
        inside = (
            f"{s['in_p50']:.1f} / {s['in_p99']:.1f} / {s['in_max']:.0f}" if a else "0 (reference)"
        )
        table.append(f"| {name} | {s['p50']:.0f} / {s['p99']:.0f} | {vs_raw} | {inside} |")
    return {
        "benchmark": "ws_latency",
        "unit": "µs",
        "events": counts["paced"],
        "latency": summary,
        "added": added,
        "runs": runs,
        "table": table,
        "goals": [
            Goal("responses_client added p99 (in process)", ours, "<= 50 µs", ours <= 50, " µs")
        ],
    }


def report(data: dict[str, Any]) -> None:
    print(f"WebSocket per-event latency, {data['events']:,} paced events, µs (median of runs):")
    for name, s in data["latency"].items():
        line = f"  {name:18s} end to end p50 {s['p50']:6.0f} p99 {s['p99']:6.0f}"
        if name in data["added"]:
            a = data["added"][name]
            line += f" (vs raw {a['p50']:+.0f} / {a['p99']:+.0f});"
            line += f" in process p50 {s['in_p50']:.1f} p99 {s['in_p99']:.1f} max {s['in_max']:.0f}"
        print(line)
    print_goals(data)


def main() -> None:
    run_benchmark(results, report)


if __name__ == "__main__":
    main()
