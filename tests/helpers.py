"""Small helpers shared by tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def without_ids(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Wire items with their server-assigned ``id`` left out, as a ``store=false`` request
    carries them (reasoning items aside, which these tests do not produce)."""
    return [{key: value for key, value in item.items() if key != "id"} for item in items]
