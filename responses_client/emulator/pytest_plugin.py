"""pytest plugin: the ``responses_emulator`` fixture, registered by a ``pytest11`` entry point.

Installed with ``responses-client``, it gives each test a running ``Emulator`` on
``127.0.0.1`` and a free port, with the ``DefaultModel``. Async tests use it through
the anyio pytest plugin (``@pytest.mark.anyio``)::

    @pytest.mark.anyio
    async def test_my_bot(responses_emulator):
        responses_emulator.model = ScriptedModel(["Hello!"])
        client = Client(base_url=responses_emulator.base_url, api_key="test")
        ...
        assert responses_emulator.responses[0].resolved_input[-1]["content"] == "Hi"

The plugin imports the emulator (starlette, uvicorn: the ``emulator`` extra) only when a
test asks for the fixture, so installing the SDK without the extra costs nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._server import Emulator

__all__ = ["responses_emulator"]


@pytest.fixture
async def responses_emulator() -> AsyncIterator[Emulator]:
    """A running ``Emulator`` for one test; replace its model with ``.model = ...``."""
    from ._server import Emulator

    async with Emulator() as emulator:
        yield emulator
