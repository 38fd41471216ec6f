"""1,000 concurrent conversations over WebSocket in one process, against the emulator in another.

    python -m bench.scale [CONVERSATIONS] [--json PATH]

The emulator runs as ``python -m responses_client serve --port 0`` (its default model: a
message that names the weather tool gets a tool call, a tool output gets a text answer).
This process opens 1,000 conversations, one WebSocket each, and runs them all at once:
3 turns per conversation, each turn a tool call and then an answer (two responses). Every
turn must complete with its tool round; the figures are turn times (p50 / p99) and the
client's resident memory per idle conversation once all turns are done (RSS growth over a
warmed-up baseline, divided by the number of conversations; the connections stay open).
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import anyio

from bench._common import QUICK, ROOT, Goal, emit, print_goals
from responses_client import Client, tool

CONVERSATIONS = 200 if QUICK else 1_000
TURNS = 3
CITIES = ("Paris", "Rome", "Oslo", "Lima", "Cairo", "Tokyo")


@tool
def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: The city's name, e.g. "Paris".
    """
    return f"clear in {city}, 21 °C"


def rss() -> int:
    """Resident set size of this process, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def raise_fd_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        soft = hard if hard == resource.RLIM_INFINITY else min(hard, max(needed, soft))
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


async def _conversation(client: Client, index: int, times: list[float], failures: list[str]) -> Any:
    convo = client.conversation(
        model="gpt-4.1", instructions="Be brief.", tools=[get_weather], transport="websocket"
    )
    for turn in range(TURNS):
        city = CITIES[(index + turn) % len(CITIES)]
        start = time.perf_counter()
        try:
            result = await convo.send(f"What is the weather in {city}?")
        except Exception as exc:
            failures.append(f"conversation {index} turn {turn}: {type(exc).__name__}: {exc}")
            return convo
        times.append(time.perf_counter() - start)
        if result.status != "completed" or result.stats.rounds != 2 or city not in result.text:
            failures.append(f"conversation {index} turn {turn}: {result.status} {result.text!r}")
    return convo


async def _run(base_url: str, n: int) -> dict[str, Any]:
    times: list[float] = []
    failures: list[str] = []
    async with Client(base_url=base_url, api_key="sk-bench") as client:
        # Warm up: imports, schemas and code paths are built before the baseline.
        warm = await _conversation(client, 0, [], failures)
        await warm.aclose()
        gc.collect()
        baseline = rss()
        conversations: list[Any] = [None] * n

        async def one(i: int) -> None:
            conversations[i] = await _conversation(client, i, times, failures)

        start = time.perf_counter()
        async with anyio.create_task_group() as group:
            for i in range(n):
                group.start_soon(one, i)
        wall = time.perf_counter() - start
        gc.collect()
        idle = rss()
        open_connections = sum(
            1 for c in conversations if c is not None and c.transport.holds_connection
        )
        for convo in conversations:
            if convo is not None:
                await convo.aclose()
    ordered = sorted(times)
    return {
        "conversations": n,
        "turns": n * TURNS,
        "completed_turns": len(times),
        "failures": len(failures),
        "failure_examples": failures[:5],
        "turn_p50_ms": statistics.median(ordered) * 1000 if ordered else float("nan"),
        "turn_p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1000 if ordered else float("nan"),
        "wall_s": wall,
        "rss_baseline_mb": baseline / 1e6,
        "rss_idle_mb": idle / 1e6,
        "kb_per_idle_conversation": (idle - baseline) / n / 1024,
        "open_connections": open_connections,
    }


def results(n: int = CONVERSATIONS) -> dict[str, Any]:
    fd_limit = raise_fd_limit(2 * n + 256)  # the emulator inherits it
    server = subprocess.Popen(
        [sys.executable, "-m", "responses_client", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "listening on http://127.0.0.1:PORT/v1"
        if "http://" not in line:
            raise RuntimeError(f"the emulator did not start: {line!r}")
        base_url = line.split()[-1]
        data = anyio.run(_run, base_url, n)
    finally:
        server.terminate()
        server.wait(timeout=10)
    kb = data["kb_per_idle_conversation"]
    data.update(
        benchmark="scale",
        fd_limit=fd_limit,
        table=[
            "| conversations | turns completed | failures | turn p50 ms | turn p99 ms |"
            " wall s | KB per idle conversation |",
            "|---|---|---|---|---|---|---|",
            f"| {n:,} | {data['completed_turns']:,} / {data['turns']:,} | {data['failures']} |"
            f" {data['turn_p50_ms']:.0f} | {data['turn_p99_ms']:.0f} | {data['wall_s']:.1f} |"
            f" {kb:.1f} |",
        ],
        goals=[
            Goal(
                f"failed turns of {data['turns']:,}",
                data["failures"],
                "0",
                data["failures"] == 0 and data["completed_turns"] == data["turns"],
                "",
            ),
            Goal("client RSS per idle conversation", kb, "<= 50 KB", kb <= 50, " KB"),
        ],
    )
    return data


def report(data: dict[str, Any]) -> None:
    print(
        f"Scale: {data['conversations']:,} conversations over WebSocket x {TURNS} tool turns,"
        f" emulator in another process (fd limit {data['fd_limit']}):"
    )
    print(
        f"  turns completed {data['completed_turns']:,} / {data['turns']:,},"
        f" failures {data['failures']}, wall {data['wall_s']:.1f} s"
    )
    print(f"  turn time p50 {data['turn_p50_ms']:.0f} ms, p99 {data['turn_p99_ms']:.0f} ms")
    print(
        f"  client RSS {data['rss_baseline_mb']:.1f} MB -> {data['rss_idle_mb']:.1f} MB with"
        f" {data['open_connections']:,} idle connections open:"
        f" {data['kb_per_idle_conversation']:.1f} KB per conversation"
    )
    for example in data["failure_examples"]:
        print(f"  failure: {example}")
    print_goals(data)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else CONVERSATIONS
    data = results(n)
    report(data)
    emit(data)


if __name__ == "__main__":
    main()
