"""constraints/minimum.txt, which `make test-minimum` installs, pins each runtime and
emulator dependency to the floor pyproject.toml declares: the floors are the tested ones."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _floors(requirements: Iterable[str]) -> dict[str, Version]:
    """Each requirement's name and its one ``>=`` version."""
    floors = {}
    for line in requirements:
        requirement = Requirement(line)
        lower = [s.version for s in requirement.specifier if s.operator == ">="]
        assert len(lower) == 1, f"{line!r} needs exactly one floor (>=) to test"
        floors[canonicalize_name(requirement.name)] = Version(lower[0])
    return floors


def _pins(text: str) -> dict[str, Version]:
    """Each ``name==version`` line of a constraints file."""
    pins = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"{line!r} is not a pin"
            pins[canonicalize_name(requirement.name)] = Version(spec.version)
    return pins


def test_the_constraints_pin_each_declared_floor() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["emulator"]]
    pinned = _pins((ROOT / "constraints" / "minimum.txt").read_text())
    assert pinned == _floors(declared)


def test_floors_and_pins_are_read_by_name_and_version() -> None:
    assert _floors(["Typing_Extensions>=4.6.1; python_version < '3.12'", "ws>=14,<20"]) == {
        "typing-extensions": Version("4.6.1"),
        "ws": Version("14.0"),
    }
    assert _pins("# comment\n\nwebsockets==14.0\n") == {"websockets": Version("14")}
