"""What the benchmark scripts share: the replay server's process, statistics, goals, output."""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
T = TypeVar("T")
QUICK = os.environ.get("BENCH_QUICK") == "1"
"""``BENCH_QUICK=1``: fewer runs, for trying the scripts out (figures are noisier)."""


@dataclass(frozen=True)
class Goal:
    name: str
    value: float
    target: str
    met: bool
    unit: str = "x"

    def line(self) -> str:
        verdict = "met" if self.met else "NOT MET"
        shown = f"{self.value:.2f}{self.unit}" if self.unit else f"{self.value:.2f}"
        return f"goal: {self.name} = {shown} (target {self.target}): {verdict}"


@dataclass(frozen=True)
class Spread:
    """Median and range of repeated measurements."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values), len(values))

    def text(self, fmt: str = ",.0f") -> str:
        return f"{self.median:{fmt}} ({self.low:{fmt}}–{self.high:{fmt}}, {self.runs} runs)"


def rotated(clients: Mapping[str, T], round_: int) -> list[tuple[str, T]]:
    """The clients in round ``round_``'s order: each round starts one client later.

    With a fixed order one client always runs right after openai-python's long run and
    another always before it, and that position alone moved a client's rate by about 15%
    here (the same code, the same instructions per event under callgrind). Rotating puts
    every client in every position once over as many rounds as there are clients.
    """
    items = list(clients.items())
    start = round_ % len(items)
    return items[start:] + items[:start]


@contextmanager
def wire_server(n: int) -> Iterator[tuple[int, dict[str, int]]]:
    """Start ``bench/_wire.py`` in its own process; yields its port and event counts."""
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "_wire.py"), str(n)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the replay server did not start")
        port, counts = line.split(" ", 1)
        yield int(port), json.loads(counts)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Collect first, then keep the collector out of a timed region (as ``timeit`` does)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def print_goals(data: dict[str, Any]) -> None:
    """Print each goal's line, indented, under a benchmark's figures."""
    for goal in data["goals"]:
        print("  " + goal.line())


def run_benchmark(
    results: Callable[[], dict[str, Any]], report: Callable[[dict[str, Any]], None]
) -> None:
    """A benchmark script's ``main``: measure, print, and write ``--json PATH`` if given."""
    data = results()
    report(data)
    emit(data)


def emit(data: dict[str, Any]) -> None:
    """Write results as JSON to the path given after ``--json``, if any."""
    if "--json" in sys.argv:
        path = Path(sys.argv[sys.argv.index("--json") + 1])
        path.write_text(json.dumps(data, indent=2, default=_plain))


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    raise TypeError(type(value).__name__)


def versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("responses-client", "openai", "httpx", "websockets", "pydantic", "anyio")
    return {name: version(name) for name in names}
