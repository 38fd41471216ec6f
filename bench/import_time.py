"""Import time in a fresh process: `import responses_client` vs `from openai import AsyncOpenAI`.

    python -m bench.import_time [--json PATH]

Each sample is one new interpreter that imports the module and reports the seconds the
import statement took (``time.perf_counter`` around it, so interpreter start-up is left
out). The two statements take turns, 7 samples each; figures are medians with ranges.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from bench._common import QUICK, Goal, Spread, emit

SAMPLES = 3 if QUICK else 7
STATEMENTS = {
    "responses_client": "import responses_client",
    "openai-python": "from openai import AsyncOpenAI",
}
_PROBE = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"


def sample(statement: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(statement)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout)


def heavy_modules() -> list[str]:
    """Modules ``import responses_client`` loads that it should not need at import."""
    code = "import sys, responses_client; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = out.stdout.split()
    unwanted = (
        "starlette",
        "uvicorn",
        "websockets.asyncio.server",
        "openai",
        "responses_client.emulator",
    )
    return [name for name in loaded if name.startswith(unwanted)]


def results() -> dict[str, Any]:
    times: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    for statement in STATEMENTS.values():  # warm the file cache, untimed
        sample(statement)
    for _ in range(SAMPLES):
        for name, statement in STATEMENTS.items():
            times[name].append(sample(statement))
    spreads = {name: Spread.of([t * 1000 for t in values]) for name, values in times.items()}
    ratio = spreads["responses_client"].median / spreads["openai-python"].median
    return {
        "benchmark": "import_time",
        "unit": "ms",
        "clients": spreads,
        "heavy_modules": heavy_modules(),
        "goals": [
            Goal("import responses_client / openai", ratio * 100, "<= 40%", ratio <= 0.40, "%")
        ],
    }


def report(data: dict[str, Any]) -> None:
    print("Import time in a fresh process, ms:")
    for name, spread in data["clients"].items():
        print(f"  {name:22s} {spread.text(',.0f')}")
    heavy = data["heavy_modules"]
    print(f"  modules not needed at import but loaded: {', '.join(heavy) if heavy else 'none'}")
    for goal in data["goals"]:
        print("  " + goal.line())


def main() -> None:
    data = results()
    report(data)
    emit(data)


if __name__ == "__main__":
    main()
