"""The Realtime conversation's items, purely: their client events, and adding an item.

``conversation.item.create`` / ``.retrieve`` / ``.delete`` / ``.truncate``; an item added
is announced with its ``added`` / ``done`` events.

Unknown items: ``item_retrieve_invalid_item_id``, ``item_delete_invalid_item_id``,
``item_truncate_invalid_item_id``; a truncate beyond the audio generated, or of an item
with no audio: ``invalid_value``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._errors import JSON, WireError, invalid_value, missing

if TYPE_CHECKING:
    from ._realtime_engine import RealtimeEngine

__all__ = ["add_item", "item_create", "item_delete", "item_retrieve", "item_truncate"]


def add_item(
    engine: RealtimeEngine, item: JSON, previous_id: str | None = None, shown: JSON | None = None
) -> list[JSON]:
    """Put ``item`` after ``previous_id`` (else last); its ``added`` and ``done`` events.

    ``shown`` is what the events carry instead of the item, when the client sees less.
    """
    items = engine.items
    if previous_id is None:
        previous = items[-1]["id"] if items else None
        items.append(item)
    else:
        index = next(i for i, known in enumerate(items) if known["id"] == previous_id)
        previous = previous_id
        items.insert(index + 1, item)
    return [
        engine.stamp(
            {
                "type": "conversation.item.added",
                "previous_item_id": previous,
                "item": shown or item,
            }
        ),
        engine.stamp(
            {
                "type": "conversation.item.done",
                "previous_item_id": previous,
                "item": shown or item,
            }
        ),
    ]


def _find(engine: RealtimeEngine, item_id: object) -> JSON | None:
    return next((item for item in engine.items if item["id"] == item_id), None)


def _named(engine: RealtimeEngine, event: JSON, code: str) -> JSON:
    """The item ``event["item_id"]`` names; an error with ``code`` when there is none."""
    item = _find(engine, event.get("item_id"))
    if item is None:
        raise WireError(
            400, f"Item with id '{event.get('item_id')}' not found.", code=code, param="item_id"
        )
    return item


def item_create(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``conversation.item.create``: a message, function call or output added."""
    item = event.get("item")
    if not isinstance(item, dict):
        raise missing("item")
    kind = item.get("type")
    kinds = ["message", "function_call", "function_call_output"]
    if kind not in kinds:
        raise invalid_value(kind, kinds, "item.type")
    previous = event.get("previous_item_id")
    if previous is not None and _find(engine, previous) is None:
        raise WireError(
            400,
            f"Previous item with id '{previous}' not found.",
            code="invalid_value",
            param="previous_item_id",
        )
    stored = {"object": "realtime.item", "status": "completed", **item}
    ids = engine.ids
    stored.setdefault("id", ids.message() if kind == "message" else ids.function_call())
    if kind == "message":
        stored["content"] = [dict(part) for part in item.get("content") or []]
    return add_item(engine, stored, previous)


def item_retrieve(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``conversation.item.retrieve``: the item as the server holds it."""
    item = _named(engine, event, "item_retrieve_invalid_item_id")
    return [engine.stamp({"type": "conversation.item.retrieved", "item": item})]


def item_delete(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``conversation.item.delete``: the item removed from the conversation."""
    item = _named(engine, event, "item_delete_invalid_item_id")
    engine.items.remove(item)
    return [engine.stamp({"type": "conversation.item.deleted", "item_id": item["id"]})]


def item_truncate(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``conversation.item.truncate``: an assistant item's audio cut where the user stopped it."""
    item_id = event.get("item_id")
    item = _find(engine, item_id)
    if item is None or item.get("role") != "assistant":
        raise WireError(
            400,
            f"Item with id '{item_id}' not found.",
            code="item_truncate_invalid_item_id",
            param="item_id",
        )
    end = event.get("audio_end_ms")
    if not isinstance(end, int) or isinstance(end, bool) or end < 0:
        raise WireError(400, "Invalid 'audio_end_ms'.", code="invalid_value", param="audio_end_ms")
    generated = engine.audio_ms.get(str(item_id), 0)
    if generated == 0:
        raise WireError(
            400, "The item has no audio to truncate.", code="invalid_value", param="item_id"
        )
    if end > generated:
        raise WireError(
            400,
            f"Audio content of {generated}ms is already shorter than {end}ms",
            code="invalid_value",
            param="audio_end_ms",
        )
    engine.audio_ms[str(item_id)] = end
    for part in item.get("content", []):
        if part.get("type") == "output_audio":
            part["transcript"] = ""
    return [
        engine.stamp(
            {
                "type": "conversation.item.truncated",
                "item_id": item_id,
                "content_index": event.get("content_index", 0),
                "audio_end_ms": end,
            }
        )
    ]
