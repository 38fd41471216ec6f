"""Reliability tests: one emulator per module, and a summary of the matrix sizes that ran."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from responses_client import Client, RetryPolicy, zero_delays
from responses_client.emulator import Emulator, ScriptedModel

from ._support import KEY, FaultyHTTP

MATRIX_RUNS: Counter[str] = Counter()
"""Runs that passed, per matrix; tests add to it, the terminal summary reports it."""


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    # Module scope lets the emulator and client fixtures live for a whole module.
    return "asyncio"


@pytest.fixture(scope="module")
async def emulator() -> AsyncIterator[Emulator]:
    """One emulator per module, accepting ``KEY``; tests set ``emulator.model`` as they go."""
    async with Emulator(ScriptedModel([]), api_keys=[KEY]) as emu:
        yield emu


@pytest.fixture(scope="module")
async def faulty() -> FaultyHTTP:
    """An httpx transport that can inject connection faults (see ``_support``)."""
    return FaultyHTTP()


@pytest.fixture(scope="module")
async def client(emulator: Emulator, faulty: FaultyHTTP) -> AsyncIterator[Client]:
    """A client of the module's emulator whose HTTP goes through ``faulty``.

    Modules that need other client settings define their own ``client``.
    """
    async with httpx.AsyncClient(transport=faulty) as http:
        async with Client(
            base_url=emulator.base_url,
            api_key=KEY,
            http_client=http,
            retry=RetryPolicy(max_retries=2, delays=zero_delays),
        ) as client:
            yield client


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not MATRIX_RUNS:
        return
    terminalreporter.section("reliability matrices")
    for name, runs in sorted(MATRIX_RUNS.items()):
        terminalreporter.write_line(f"{name}: {runs} runs passed")
    terminalreporter.write_line(f"total: {sum(MATRIX_RUNS.values())} runs passed")
