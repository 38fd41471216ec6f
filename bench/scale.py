"""1,000 concurrent conversations over WebSocket in one process, against the emulator in another.

    python -m bench.scale [CONVERSATIONS] [--json PATH]

The emulator runs as ``python -m responses_client serve --port 0`` (its default model: a
message that names the weather tool gets a tool call, a tool output gets a text answer).
A client process opens 1,000 conversations and runs them all at once: 3 turns per
conversation, each turn a tool call and then an answer (two responses). Every turn must
complete with its tool round; the figures are turn times (p50 / p99), the client's
resident memory per idle conversation once all turns are done (RSS growth over a
baseline taken after 40 warm-up conversations, divided by the number of conversations;
the connections stay open)
and the sockets it holds then. Two modes, each in a fresh client process:

- ``sockets``: one WebSocket per conversation (the default transport);
- ``lanes``: every conversation on a lane of one ``client.connection()`` pool (16 lanes
  per connection).
"""

from __future__ import annotations

import gc
import json
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
MODES = ("sockets", "lanes")
WARM_UP = 40
"""Conversations run before the baseline: as many as anyio's default worker threads."""


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


async def _conversation(
    client: Client, index: int, times: list[float], failures: list[str], pool: Any
) -> Any:
    convo = client.conversation(
        model="gpt-4.1",
        instructions="Be brief.",
        tools=[get_weather],
        transport="websocket",
        connection=pool,
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


def client_sockets(port: int) -> int:
    """TCP sockets of this process connected to ``port`` (the emulator's)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                remote = int(fields[2].rsplit(":", 1)[1], 16)
                if remote == port and fields[3] == "01" and fields[9] in inodes:  # ESTABLISHED
                    count += 1
    return count


async def _run(base_url: str, n: int, mode: str) -> dict[str, Any]:
    times: list[float] = []
    failures: list[str] = []
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    async with Client(base_url=base_url, api_key="sk-bench") as client:
        pool = client.connection() if mode == "lanes" else None
        # Warm up, so that what every process pays once is in the baseline: imports,
        # schemas, code paths, and the worker threads that run sync tools (anyio starts up
        # to 40, each with its stack; they would otherwise count as about 2.6 KB per
        # conversation).
        warm: list[Any] = [None] * WARM_UP

        async def warm_one(i: int) -> None:
            warm[i] = await _conversation(client, i, [], failures, pool)

        async with anyio.create_task_group() as group:
            for i in range(WARM_UP):
                group.start_soon(warm_one, i)
        for convo in warm:
            await convo.aclose()
        warm.clear()
        gc.collect()
        baseline = rss()
        conversations: list[Any] = [None] * n

        async def one(i: int) -> None:
            conversations[i] = await _conversation(client, i, times, failures, pool)

        start = time.perf_counter()
        async with anyio.create_task_group() as group:
            for i in range(n):
                group.start_soon(one, i)
        wall = time.perf_counter() - start
        gc.collect()
        idle = rss()
        sockets = client_sockets(port)
        for convo in conversations:
            if convo is not None:
                await convo.aclose()
    ordered = sorted(times)
    return {
        "mode": mode,
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
        "sockets": sockets,
    }


def _client_process(mode: str, base_url: str, n: int) -> dict[str, Any]:
    """One mode's client, in a process of its own (RSS never shrinks after a run)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--client", mode, base_url, str(n)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    data: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return data


def results(n: int = CONVERSATIONS) -> dict[str, Any]:
    fd_limit = raise_fd_limit(2 * n + 256)  # the emulator and the clients inherit it
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
        modes = {mode: _client_process(mode, base_url, n) for mode in MODES}
    finally:
        server.terminate()
        server.wait(timeout=10)
    sockets, lanes = modes["sockets"], modes["lanes"]
    rows = [
        f"| {mode} | {d['completed_turns']:,} / {d['turns']:,} | {d['failures']} |"
        f" {d['turn_p50_ms']:.0f} | {d['turn_p99_ms']:.0f} | {d['wall_s']:.1f} |"
        f" {d['kb_per_idle_conversation']:.1f} | {d['sockets']:,} |"
        for mode, d in modes.items()
    ]
    turns = sockets["turns"] + lanes["turns"]
    failed = sockets["failures"] + lanes["failures"]
    completed = sockets["completed_turns"] + lanes["completed_turns"]
    return {
        "benchmark": "scale",
        "conversations": n,
        "fd_limit": fd_limit,
        "modes": modes,
        # The figures earlier runs reported, from the one-socket-per-conversation mode.
        "kb_per_idle_conversation": sockets["kb_per_idle_conversation"],
        "lanes_kb_per_idle_conversation": lanes["kb_per_idle_conversation"],
        "table": [
            "| mode | turns completed | failures | turn p50 ms | turn p99 ms | wall s |"
            " KB per idle conversation | sockets |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
        ],
        "goals": [
            Goal(f"failed turns of {turns:,}", failed, "0", failed == 0 and completed == turns, ""),
            Goal(
                "client RSS per idle conversation, a socket each",
                sockets["kb_per_idle_conversation"],
                "<= 50 KB",
                sockets["kb_per_idle_conversation"] <= 50,
                " KB",
            ),
            Goal(
                "client RSS per idle conversation, on lanes",
                lanes["kb_per_idle_conversation"],
                "<= 20 KB",
                lanes["kb_per_idle_conversation"] <= 20,
                " KB",
            ),
            Goal("sockets with lanes", lanes["sockets"], "<= 64", lanes["sockets"] <= 64, ""),
        ],
    }


def report(data: dict[str, Any]) -> None:
    print(
        f"Scale: {data['conversations']:,} conversations over WebSocket x {TURNS} tool turns,"
        f" emulator in another process (fd limit {data['fd_limit']}):"
    )
    for mode, d in data["modes"].items():
        print(
            f"  {mode}: turns completed {d['completed_turns']:,} / {d['turns']:,},"
            f" failures {d['failures']}, wall {d['wall_s']:.1f} s,"
            f" turn p50 {d['turn_p50_ms']:.0f} ms, p99 {d['turn_p99_ms']:.0f} ms"
        )
        print(
            f"    client RSS {d['rss_baseline_mb']:.1f} MB -> {d['rss_idle_mb']:.1f} MB,"
            f" {d['sockets']:,} sockets open: {d['kb_per_idle_conversation']:.1f} KB per"
            " idle conversation"
        )
        for example in d["failure_examples"]:
            print(f"    failure: {example}")
    print_goals(data)


def main() -> None:
    if "--client" in sys.argv:
        at = sys.argv.index("--client")
        mode, base_url, n = sys.argv[at + 1], sys.argv[at + 2], int(sys.argv[at + 3])
        print(json.dumps(anyio.run(_run, base_url, n, mode)))
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else CONVERSATIONS
    data = results(n)
    report(data)
    emit(data)


if __name__ == "__main__":
    main()
