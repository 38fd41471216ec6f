"""The saved form of a conversation: what ``to_json()`` writes and ``Client.restore`` reads.

Pure. A saved conversation is JSON-ready data holding the settings, the tool names (tool
code is never saved: the tools are given again when it is restored), the hosted tools and
the items in their wire form. Version 2 keeps the settings as one object; version 1 kept
them at the top level, beside the items, and is still read.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from ._exceptions import InputError, ResponsesError
from ._items import Item, parse_item
from ._request import RequestSettings, plain_json
from ._tools import Toolset

__all__ = ["VERSION", "Restorer", "dump", "load", "restore_deprecated"]

VERSION = 2
"""The version ``dump`` writes."""


def dump(settings: RequestSettings, toolset: Toolset, items: Sequence[Item]) -> dict[str, Any]:
    """A conversation's saved form: its settings, tool names, hosted tools and items."""
    return {
        "version": VERSION,
        "settings": settings.to_json(),
        "tools": [tool.name for tool in toolset.values()],
        "hosted_tools": [
            plain_json(schema) for schema in settings.tools if schema["type"] != "function"
        ],
        "items": [item.to_wire() for item in items],
    }


def load(
    data: Mapping[str, Any], tools: Iterable[Any]
) -> tuple[RequestSettings, Toolset, list[Item]]:
    """Read a saved conversation back, with ``tools`` standing in for the saved names.

    Raises:
        InputError: ``data`` is not a saved conversation, a saved tool is not among
            ``tools``, or an item is malformed.
    """
    if not isinstance(data, Mapping) or data.get("version") not in (1, 2):
        raise InputError("not a saved conversation (expected to_json() data, version 1 or 2)")
    toolset = Toolset(tools)
    missing = [name for name in data.get("tools", []) if name not in toolset]
    if missing:
        raise InputError(f"the saved conversation used tools that were not given: {missing}")
    if data["version"] == 1:  # settings at the top level, beside the items
        saved = {k: v for k, v in data.items() if k not in {"version", "tools", "items"}}
    else:
        saved = data.get("settings") or {}
    hosted = data.get("hosted_tools") or []
    settings = RequestSettings.from_json(saved, tools=[*toolset.to_wire(), *hosted])
    try:
        items = [parse_item(raw) for raw in data["items"]]
    except ResponsesError as exc:
        raise InputError(f"a saved item is malformed: {exc}") from exc
    return settings, toolset, items


class Restorer(Protocol):
    """What ``Conversation.from_json`` needs of a client (``Client`` fits)."""

    def restore(self, data: Mapping[str, Any], **options: Any) -> Any: ...


def restore_deprecated(client: Restorer, data: Mapping[str, Any], **options: Any) -> Any:
    """``Conversation.from_json(client, data)``: ``client.restore(data)``, with a warning."""
    warnings.warn(
        "Conversation.from_json(client, data) is deprecated; use client.restore(data)",
        DeprecationWarning,
        stacklevel=3,
    )
    return client.restore(data, **options)
