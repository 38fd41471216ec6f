"""The pure core never touches I/O: its modules may not import networking or event loops."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "responses_client"

# Modules that take values and return values. A module listed here that does not exist yet
# is skipped, so the list can name the whole architecture from the start.
PURE_MODULES = [
    "_config.py",
    "_exceptions.py",
    "_items.py",
    "_chat.py",
    "_chat_stream.py",
    "events.py",
    "_sse.py",
    "_planner.py",
    "_turn.py",
    "_request.py",
    "_retry.py",
    "_cancel.py",
    "_tool_schema.py",
    "emulator/_engine.py",
    "emulator/_chat_engine.py",
    "emulator/_chat_input.py",
    "emulator/_errors.py",
    "emulator/_input.py",
    "emulator/_script.py",
]

FORBIDDEN = {"httpx", "httpcore", "websockets", "anyio", "asyncio", "socket", "trio", "uvicorn"}


def imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_imports_no_io(module: str) -> None:
    path = PACKAGE / module
    if not path.exists():
        pytest.skip(f"{module} not written yet")
    bad = imported_roots(path.read_text()) & FORBIDDEN
    assert not bad, f"{module} is pure but imports {sorted(bad)}"


def test_checker_catches_io_imports() -> None:
    source = "import asyncio\nfrom httpx import AsyncClient\nfrom . import _items\n"
    assert imported_roots(source) & FORBIDDEN == {"asyncio", "httpx"}
