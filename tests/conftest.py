"""Shared fixtures. The anyio plugin runs async tests; the backend is pinned to asyncio."""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import settings

from responses_client import Client, RetryPolicy, zero_delays
from responses_client.emulator import Emulator, ScriptedModel

from .helpers import KEY, Clock

# ``make test`` draws the same Hypothesis examples every run: a failure shows up again on
# the next run, and CI cannot turn red on the luck of the draw. HYPOTHESIS_PROFILE=explore
# draws new examples each run, to look for what the repeatable ones miss.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# The conformance tests judge our wire by openai-python's own types. `make test-minimum`
# runs without openai (every release needs a newer typing_extensions than our floor), so
# there the modules that import it are not collected; `make test` runs them all.
if importlib.util.find_spec("openai") is None:
    collect_ignore = [
        "emulator/test_chat_endpoint.py",
        "emulator/test_conformance.py",
        "emulator/test_conformance_websocket_modes.py",
        "emulator/test_realtime_conformance.py",
        "realtime/test_events.py",
    ]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_ambient_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a developer's real key and proxies out of every test."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _restore_logger_levels() -> Iterator[None]:
    """Put every logger's level back after each test.

    Tests that prove no secret reaches a log turn every logger up to DEBUG; left there, a
    later test's memory bound would count the log records its capture handler keeps.
    """
    manager = logging.root.manager
    levels = {
        name: logger.level
        for name, logger in manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    root_level = logging.root.level
    yield
    for name, logger in list(manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(levels.get(name, logging.NOTSET))
    logging.root.setLevel(root_level)


# -- the emulator, a client of it, a clock: defined once, on the shipped plugin's fixture ---


@pytest.fixture
def script() -> ScriptedModel:
    """The emulator's script: a test adds replies (``script.extend([...])``) as it goes."""
    return ScriptedModel([])


@pytest.fixture
async def emulator(responses_emulator: Emulator, script: ScriptedModel) -> Emulator:
    """The plugin's ``responses_emulator``, answering from ``script``, accepting ``KEY``."""
    responses_emulator.model = script
    responses_emulator.api_keys = [KEY]
    return responses_emulator


@pytest.fixture
def transport() -> str:
    """The transport of the ``client`` fixture's conversations; modules override it."""
    return "websocket"


@pytest.fixture
async def client(emulator: Emulator, transport: str) -> AsyncIterator[Client]:
    """A client of ``emulator`` with ``KEY``, retrying without waiting the backoff."""
    retry = RetryPolicy(delays=zero_delays)
    async with Client(
        base_url=emulator.base_url,
        api_key=KEY,
        transport=transport,  # type: ignore[arg-type]
        retry=retry,
    ) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    """A clock the test moves by hand."""
    return Clock()
