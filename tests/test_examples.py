"""Every docs/examples/*.py runs, as a user would run it, against the emulator."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio
import pytest

from responses_client.emulator import Emulator

pytestmark = pytest.mark.anyio

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "docs" / "examples").glob("*.py"))


async def run_example(path: Path, emulator: Emulator) -> str:
    env = {
        **os.environ,
        "OPENAI_BASE_URL": emulator.base_url,
        "OPENAI_API_KEY": "sk-example",
    }
    with anyio.fail_after(30):
        done = await anyio.run_process([sys.executable, str(path)], env=env, check=False)
    output = done.stdout.decode()
    assert done.returncode == 0, f"{path.name} failed:\n{output}\n{done.stderr.decode()}"
    return output


def test_there_are_examples() -> None:
    assert {path.name for path in EXAMPLES} >= {"quickstart.py", "interrupt.py"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
async def test_example_runs(path: Path) -> None:
    async with Emulator() as emulator:
        output = await run_example(path, emulator)
    assert output.strip(), f"{path.name} printed nothing"
    assert emulator.responses, f"{path.name} sent no request"


async def test_quickstart_calls_the_tool() -> None:
    async with Emulator() as emulator:
        output = await run_example(
            EXAMPLES[[p.name for p in EXAMPLES].index("quickstart.py")], emulator
        )
    assert "[get_weather -> Sunny and 21 °C in Paris]" in output
