"""Every third-party module the package imports is one its pyproject.toml declares."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.test_purity import imported_roots

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "responses_client"

# Import names that come with a declared distribution: pydantic pins pydantic-core to one
# exact version, and pydantic's own documentation imports from it.
PROVIDED_BY = {"pydantic_core": "pydantic"}

# Modules that only run inside a tool that brings its own package.
HOSTED = {"emulator/pytest_plugin.py": {"pytest", "pytest_asyncio"}}


def _names(requirements: list[str]) -> set[str]:
    """Distribution names of PEP 508 requirement strings, as import names."""
    names = set()
    for requirement in requirements:
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert match, requirement
        names.add(match.group(0).lower().replace("-", "_"))
    return names


def _declared() -> tuple[set[str], set[str]]:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return _names(project["dependencies"]), _names(project["optional-dependencies"]["emulator"])


def _third_party(path: Path) -> set[str]:
    roots = imported_roots(path.read_text()) - set(sys.stdlib_module_names) - {"responses_client"}
    return {PROVIDED_BY.get(root, root) for root in roots}


@pytest.mark.parametrize(
    "module",
    sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")),
)
def test_module_imports_only_declared_distributions(module: str) -> None:
    runtime, emulator = _declared()
    allowed = runtime | HOSTED.get(module, set())
    if module.startswith("emulator/"):
        allowed |= emulator
    undeclared = _third_party(PACKAGE / module) - allowed
    assert not undeclared, f"{module} imports {sorted(undeclared)}, which pyproject.toml lacks"


def test_requirement_names_are_read_as_import_names() -> None:
    names = _names(["typing_extensions>=4.6.1; python_version < '3.12'", "Pydantic-Core>=2"])
    assert names == {"typing_extensions", "pydantic_core"}
