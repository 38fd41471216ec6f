"""The pure core never touches I/O: its modules may not import networking, event loops,
threads or the clock, neither directly nor through another module of the package."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator, Mapping, Set
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "responses_client"

# The modules DESIGN.md marks ◇: they take values and return values. One path a line,
# sorted, so that each new pure module is a one-line change. A listed module must exist.
PURE_MODULES = [
    "_cancel.py",
    "_chat.py",
    "_chat_stream.py",
    "_config.py",
    "_exceptions.py",
    "_fold.py",
    "_history.py",
    "_items.py",
    "_planner.py",
    "_request.py",
    "_request_size.py",
    "_result.py",
    "_retry.py",
    "_sse.py",
    "_steer.py",
    "_tool_schema.py",
    "_turn.py",
    "emulator/_chat_engine.py",
    "emulator/_chat_input.py",
    "emulator/_engine.py",
    "emulator/_errors.py",
    "emulator/_input.py",
    "emulator/_models.py",
    "emulator/_realtime_engine.py",
    "emulator/_realtime_input.py",
    "emulator/_realtime_items.py",
    "emulator/_realtime_plan.py",
    "emulator/_realtime_responses.py",
    "emulator/_realtime_session.py",
    "emulator/_script.py",
    "events.py",
    "realtime/_history.py",
    "realtime/_protocol.py",
    "realtime/audio.py",
    "realtime/events.py",
]

# Networking, event loops, threads and the clock.
FORBIDDEN = frozenset(
    {
        "anyio",
        "asyncio",
        "httpcore",
        "httpx",
        "socket",
        "starlette",
        "threading",
        "time",
        "trio",
        "uvicorn",
        "websockets",
    }
)

# Debts, each with its reason; delete an entry once its module no longer needs it.
ALLOWED: Mapping[str, Set[str]] = {
    # retry_after() reads the wall clock when its caller passes no `now`.
    "_retry.py": {"time"},
}


def _imports(source: str) -> Iterator[tuple[int, str, list[str]]]:
    """Every import statement as (relative level, module, imported names).

    Imports under ``if TYPE_CHECKING:`` count too: the pure core does not name the I/O
    shell's types, the shell depends on the core and not the other way round.
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or "", [alias.name for alias in node.names]


def imported_roots(source: str) -> set[str]:
    """The top-level names of the absolute imports in ``source``."""
    return {module.split(".")[0] for level, module, _ in _imports(source) if level == 0}


def _file_of(package: Path, dotted: str) -> str | None:
    """The file, relative to ``package``, of the module or package ``dotted`` names."""
    parts = dotted.split(".")[1:]
    if not parts:
        return "__init__.py"
    for candidate in (Path(*parts, "__init__.py"), Path(*parts[:-1], f"{parts[-1]}.py")):
        if (package / candidate).is_file():
            return candidate.as_posix()
    return None


def _dotted(package: Path, module: str) -> str:
    parts = [package.name, *Path(module).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _edges(package: Path, module: str) -> tuple[set[str], set[str]]:
    """What ``module`` imports: the package's modules it names, and the other roots.

    A package's ``__init__`` runs whenever one of its modules is imported: that is how
    Python loads packages, not a dependency of the module, so it counts only when the
    module imports a name from the ``__init__`` itself (``from .emulator import Reply``).
    """
    name = _dotted(package, module)
    here = name if module.endswith("__init__.py") else name.rpartition(".")[0]
    inside: set[str] = set()
    outside: set[str] = set()
    for level, target, names in _imports((package / module).read_text()):
        absolute = importlib.util.resolve_name("." * level + target, here) if level else target
        if absolute.split(".")[0] != package.name:
            outside.add(absolute.split(".")[0])
            continue
        # `from x import y` imports the module x.y when there is one, else a name of x.
        submodules = [_file_of(package, f"{absolute}.{n}") for n in names]
        inside.update(s for s in submodules if s is not None)
        if not names or None in submodules:
            found = _file_of(package, absolute)
            if found is None:
                raise LookupError(f"{module} imports {absolute}, which does not exist")
            inside.add(found)
    return inside, outside


def impurities(
    package: Path,
    module: str,
    forbidden: Set[str] = FORBIDDEN,
    allowed: Mapping[str, Set[str]] = ALLOWED,
) -> list[str]:
    """Each forbidden import ``module`` reaches, as the chain of modules that leads to it."""
    chains = {module: [module]}
    todo = [module]
    found: list[str] = []
    while todo:
        current = todo.pop()
        inside, outside = _edges(package, current)
        for root in sorted((outside & forbidden) - allowed.get(current, set())):
            found.append(" -> ".join([*chains[current], root]))
        for target in sorted(inside - chains.keys()):
            chains[target] = [*chains[current], target]
            todo.append(target)
    return sorted(found)


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_imports_no_io(module: str) -> None:
    assert (PACKAGE / module).is_file(), f"{module} is listed as pure but does not exist"
    bad = impurities(PACKAGE, module)
    assert not bad, f"{module} is pure but reaches I/O: {bad}"


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_each_allowance_is_still_needed(module: str) -> None:
    assert module in PURE_MODULES
    _, outside = _edges(PACKAGE, module)
    unused = ALLOWED[module] - outside
    assert not unused, f"{module} no longer imports {sorted(unused)}: delete its allowance"


# -- the checker itself, on a package written for the purpose ------------------------


def _write_package(root: Path, files: Mapping[str, str]) -> Path:
    package = root / "pkg"
    for name, source in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(source)
    return package


SYNTHETIC = {
    "__init__.py": "import httpx\n",  # loaded with every module; a dependency of none
    "pure.py": "from . import helper\nfrom .sub.leaf import value\n",
    "helper.py": "from ._util import tidy\n",
    "_util.py": "import json\n",
    "sub/__init__.py": "",
    "sub/leaf.py": "from .. import deep\nvalue = 1\n",
    "deep.py": "from asyncio import sleep\nimport socket\n",
    "via_init.py": "from . import CONSTANT\n",
    "via_sub_init.py": "from .sub import leaf\n",
    "absolute.py": "import pkg.sub.leaf\n",
    "broken.py": "from ._gone import x\n",
    "types_only.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import anyio\n",
}


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("helper.py", []),
        (
            "pure.py",
            [
                "pure.py -> sub/leaf.py -> deep.py -> asyncio",
                "pure.py -> sub/leaf.py -> deep.py -> socket",
            ],
        ),
        ("sub/leaf.py", ["sub/leaf.py -> deep.py -> asyncio", "sub/leaf.py -> deep.py -> socket"]),
        ("via_init.py", ["via_init.py -> __init__.py -> httpx"]),
        (
            "via_sub_init.py",
            [
                "via_sub_init.py -> sub/leaf.py -> deep.py -> asyncio",
                "via_sub_init.py -> sub/leaf.py -> deep.py -> socket",
            ],
        ),
        (
            "absolute.py",
            [
                "absolute.py -> sub/leaf.py -> deep.py -> asyncio",
                "absolute.py -> sub/leaf.py -> deep.py -> socket",
            ],
        ),
        ("types_only.py", ["types_only.py -> anyio"]),
    ],
)
def test_checker_follows_relative_and_transitive_imports(
    tmp_path: Path, module: str, expected: list[str]
) -> None:
    package = _write_package(tmp_path, SYNTHETIC)
    assert impurities(package, module) == expected


def test_checker_honours_an_allowance_only_where_it_is_given(tmp_path: Path) -> None:
    package = _write_package(tmp_path, SYNTHETIC)
    assert impurities(package, "deep.py", allowed={"deep.py": {"asyncio"}}) == ["deep.py -> socket"]
    assert impurities(package, "sub/leaf.py", allowed={"deep.py": {"asyncio", "socket"}}) == []


def test_checker_reports_an_import_of_a_missing_module(tmp_path: Path) -> None:
    package = _write_package(tmp_path, SYNTHETIC)
    with pytest.raises(LookupError, match="pkg._gone"):
        impurities(package, "broken.py")


def test_checker_catches_io_imports() -> None:
    source = "import asyncio\nfrom httpx import AsyncClient\nfrom . import _items\n"
    assert imported_roots(source) & FORBIDDEN == {"asyncio", "httpx"}
