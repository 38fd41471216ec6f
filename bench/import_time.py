"""Import time in a fresh process: `import responses_client` vs `from openai import AsyncOpenAI`.

    python -m bench.import_time [--json PATH]

Each sample is one new interpreter running ``python -c "<statement>"``. Two figures per
sample: the wall time of the whole command as the parent sees it (the goal's figure), and
the time of the import statement alone as the child reports it (interpreter start-up left
out). The two statements take turns, 7 samples each, after an untimed warm-up that also
writes this checkout's bytecode cache (as installing a package does); figures are medians
with ranges.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from bench._common import QUICK, Goal, Spread, print_goals, run_benchmark

SAMPLES = 3 if QUICK else 7
STATEMENTS = {
    "responses_client": "import responses_client",
    "openai-python": "from openai import AsyncOpenAI",
}
_PROBE = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"


# An installed package has its bytecode compiled (pip does it); a checkout has it once the
# first import wrote it. PYTHONDONTWRITEBYTECODE in the environment would make every sample
# compile this checkout's sources again while openai's come compiled from site-packages.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def sample(statement: str) -> tuple[float, float]:
    """Seconds for the whole command, and for the import statement alone."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(statement)],
        check=True,
        capture_output=True,
        text=True,
        env=_ENV,
    )
    return time.perf_counter() - start, float(out.stdout)


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
    command: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    statement_only: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    for statement in STATEMENTS.values():  # warm the file cache and write bytecode, untimed
        sample(statement)
    for _ in range(SAMPLES):
        for name, statement in STATEMENTS.items():
            whole, alone = sample(statement)
            command[name].append(whole * 1000)
            statement_only[name].append(alone * 1000)
    spreads = {name: Spread.of(values) for name, values in command.items()}
    alone = {f"{name} (import statement)": Spread.of(v) for name, v in statement_only.items()}
    ratio = spreads["responses_client"].median / spreads["openai-python"].median
    ratio_alone = (
        alone["responses_client (import statement)"].median
        / alone["openai-python (import statement)"].median
    )
    return {
        "benchmark": "import_time",
        "unit": "ms",
        "clients": {**spreads, **alone},
        "heavy_modules": heavy_modules(),
        "notes": {"import statement alone, responses_client / openai (%)": ratio_alone * 100},
        "goals": [
            Goal(
                "python -c 'import responses_client' / openai's",
                ratio * 100,
                "<= 40%",
                ratio <= 0.40,
                "%",
            )
        ],
    }


def report(data: dict[str, Any]) -> None:
    print("Import time in a fresh process, ms (whole command; import statement alone):")
    for name, spread in data["clients"].items():
        print(f"  {name:40s} {spread.text(',.0f')}")
    for name, value in data["notes"].items():
        print(f"  ({name}: {value:.1f}%)")
    heavy = data["heavy_modules"]
    print(f"  modules not needed at import but loaded: {', '.join(heavy) if heavy else 'none'}")
    print_goals(data)


def main() -> None:
    run_benchmark(results, report)


if __name__ == "__main__":
    main()
