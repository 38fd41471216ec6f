"""Conversation items between the Responses shape and the Realtime shape (text both ways).

A ``Conversation``'s items (or chat-style dicts) seed a realtime session's history
(:func:`to_realtime`), and a session's items continue as a ``Conversation``
(:func:`to_responses`). Text carries over both ways; audio does not: a user's audio
part becomes its transcript as text, and the assistant's audio its transcript. Items
with no text meaning (reasoning, built-in tool calls) are left out.

Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._chat import items_from_message
from .._exceptions import InputError
from .._items import Item

__all__ = ["to_realtime", "to_responses"]

_SEED_ROLES = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}
"""Realtime has no ``developer`` role: its instructions-like messages are ``system``."""


def _as_dicts(entry: Item | Mapping[str, Any]) -> list[dict[str, Any]]:
    if isinstance(entry, Mapping):
        if entry.get("type") in ("function_call", "function_call_output"):
            return [dict(entry)]
        return [item.to_wire() for item in items_from_message(entry)]
    return [entry.to_wire()]


def _text(part: Mapping[str, Any]) -> str | None:
    for key in ("text", "transcript"):
        value = part.get(key)
        if isinstance(value, str):
            return value
    return None


def to_realtime(entries: Iterable[Item | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Realtime items for ``conversation.item.create``, from Responses items or chat dicts.

    Raises:
        InputError: A dict fits no item rule (see ``Conversation.add_message``).
    """
    out: list[dict[str, Any]] = []
    for entry in entries:
        for item in _as_dicts(entry):
            converted = _one_to_realtime(item)
            if converted is not None:
                out.append(converted)
    return out


def _one_to_realtime(item: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = item.get("type", "message")
    if kind == "function_call":
        return {
            "type": "function_call",
            "call_id": item["call_id"],
            "name": item["name"],
            "arguments": item["arguments"],
        }
    if kind == "function_call_output":
        output = item.get("output")
        return {
            "type": "function_call_output",
            "call_id": item["call_id"],
            "output": output if isinstance(output, str) else str(output),
        }
    if kind != "message":
        return None
    role = _SEED_ROLES.get(str(item.get("role")))
    if role is None:
        raise InputError(
            f"a message's role must be user, assistant or system, got {item.get('role')!r}"
        )
    content = item.get("content")
    texts = (
        [content]
        if isinstance(content, str)
        else [
            text
            for part in content or []
            if isinstance(part, Mapping) and (text := _text(part)) is not None
        ]
    )
    part_type = "output_text" if role == "assistant" else "input_text"
    return {
        "type": "message",
        "role": role,
        "content": [{"type": part_type, "text": text} for text in texts],
    }


def to_responses(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Responses-style item dicts (for ``Client.conversation(items=...)``) from realtime ones.

    Items still in progress, or of other types, are left out.
    """
    out: list[dict[str, Any]] = []
    for item in items:
        if item.get("status") == "in_progress":
            continue
        kind = item.get("type")
        if kind in ("function_call", "function_call_output"):
            out.append({key: item[key] for key in _CALL_FIELDS[kind] if key in item})
            continue
        if kind != "message":
            continue
        role = item.get("role")
        part_type = "output_text" if role == "assistant" else "input_text"
        texts = [text for part in item.get("content") or [] if (text := _text(part))]
        out.append(
            {
                "type": "message",
                "role": "developer" if role == "system" else role,
                "content": [{"type": part_type, "text": text} for text in texts],
            }
        )
    return out


_CALL_FIELDS = {
    "function_call": ("type", "call_id", "name", "arguments"),
    "function_call_output": ("type", "call_id", "output"),
}
