"""pytest plugin: the ``responses_emulator`` fixture, registered by a ``pytest11`` entry point.

Installed with ``responses-client``, it gives each test a running ``Emulator`` on
``127.0.0.1`` and a free port, with the ``DefaultModel``::

    @pytest.mark.anyio
    async def test_my_bot(responses_emulator):
        responses_emulator.model = ScriptedModel(["Hello!"])
        client = Client(base_url=responses_emulator.base_url, api_key="test")
        ...
        assert responses_emulator.responses[0].resolved_input[-1]["content"] == "Hi"

Where the emulator runs depends on who runs the test:

- an anyio test (``@pytest.mark.anyio``): in the test's own event loop;
- a pytest-asyncio test (``@pytest.mark.asyncio``, or any async test in its auto mode), in
  strict mode too: in the test's own event loop, through a ``pytest_asyncio.fixture``;
- any other test (a plain ``def`` one): in a thread with an event loop of its own
  (``Emulator.start_in_thread``).

The plugin imports the emulator (starlette, uvicorn: the ``emulator`` extra) only when a
test asks for the fixture, so installing the SDK without the extra costs nothing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._server import Emulator

__all__ = ["responses_emulator"]


@pytest.fixture
def responses_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A running ``Emulator`` for one test; replace its model with ``.model = ...``."""
    if "anyio_backend" in request.fixturenames:  # anyio runs the async fixture in its loop
        yield request.getfixturevalue("_responses_emulator_in_loop")
    elif request.node.get_closest_marker("asyncio") is not None and _PYTEST_ASYNCIO:
        yield request.getfixturevalue("_responses_emulator_in_asyncio_loop")
    else:
        from ._server import Emulator

        emulator = Emulator()
        emulator.start_in_thread()
        try:
            yield emulator
        finally:
            emulator.stop_thread()


async def _serve() -> AsyncIterator[Emulator]:
    from ._server import Emulator

    async with Emulator() as emulator:
        yield emulator


_responses_emulator_in_loop = pytest.fixture(name="_responses_emulator_in_loop")(_serve)

_PYTEST_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None
"""Whether pytest-asyncio is installed (it runs only the async fixtures it was given)."""

if _PYTEST_ASYNCIO:
    import pytest_asyncio

    _in_asyncio_loop: Any = pytest_asyncio.fixture(name="_responses_emulator_in_asyncio_loop")
    _responses_emulator_in_asyncio_loop = _in_asyncio_loop(_serve)
