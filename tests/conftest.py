"""Shared fixtures. The anyio plugin runs async tests; the backend is pinned to asyncio."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

# ``make test`` draws the same Hypothesis examples every run: a failure shows up again on
# the next run, and CI cannot turn red on the luck of the draw. HYPOTHESIS_PROFILE=explore
# draws new examples each run, to look for what the repeatable ones miss.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


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
