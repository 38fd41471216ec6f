"""Reliability tests: one emulator per module, and a summary of the matrix sizes that ran."""

from __future__ import annotations

from collections import Counter

import pytest

MATRIX_RUNS: Counter[str] = Counter()
"""Runs that passed, per matrix; tests add to it, the terminal summary reports it."""


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    # Module scope lets the emulator and client fixtures live for a whole module.
    return "asyncio"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not MATRIX_RUNS:
        return
    terminalreporter.section("reliability matrices")
    for name, runs in sorted(MATRIX_RUNS.items()):
        terminalreporter.write_line(f"{name}: {runs} runs passed")
    terminalreporter.write_line(f"total: {sum(MATRIX_RUNS.values())} runs passed")
