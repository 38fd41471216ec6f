"""Small helpers shared by tests."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

KEY = "sk-test-0123456789abcdefSECRET"
"""The API key the shared ``client`` fixture uses and the shared ``emulator`` accepts."""


class Clock:
    """A monotonic clock a test moves by hand (``clock.now += 61``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def without_ids(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Wire items with their server-assigned ``id`` left out, as a ``store=false`` request
    carries them (reasoning items aside, which these tests do not produce)."""
    return [{key: value for key, value in item.items() if key != "id"} for item in items]


# -- parameter types of the tool tests (schemas, and arguments converted to them) ---------


class Unit(enum.Enum):
    CELSIUS = "C"
    FAHRENHEIT = "F"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Customer(BaseModel):
    name: str
    tags: list[str]


class Filters(BaseModel):
    country: str
    active: bool = True  # an optional nested field: not expressible in strict mode
