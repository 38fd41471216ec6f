"""The events of one output item as it streams: a message, a reasoning item, a function call.

Pure builders for the engine (``_engine``): each returns the item's events in order, from
``response.output_item.added`` to ``response.output_item.done`` (whose ``item`` is the
finished item), without ``sequence_number`` (the plan numbers them).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

from ._errors import JSON

__all__ = ["call_events", "chunks", "message_events", "obfuscation", "reasoning_events"]

_WORDS = re.compile(r"\s*\S+|\s+$")
_OBFUSCATION = tuple(hashlib.md5(str(i).encode()).hexdigest()[: 3 + i % 12] for i in range(16))


def obfuscation(n: int) -> str:
    """The ``obfuscation`` padding of the ``n``-th delta: 16 strings of 3 to 14 characters."""
    return _OBFUSCATION[n & 15]


def chunks(text: str | Sequence[str]) -> list[str]:
    if isinstance(text, str):
        return _WORDS.findall(text) or ([text] if text else [])
    return list(text)


def _argument_chunks(arguments: str) -> list[str]:
    return [arguments[i : i + 8] for i in range(0, len(arguments), 8)] or [""]


def message_events(item_id: str, index: int, chunks: list[str], status: str) -> list[JSON]:
    text = "".join(chunks)
    events: list[JSON] = [
        {
            "type": "response.output_item.added",
            "output_index": index,
            "item": {
                "id": item_id,
                "type": "message",
                "status": "in_progress",
                "content": [],
                "role": "assistant",
            },
        },
        {
            "type": "response.content_part.added",
            "item_id": item_id,
            "output_index": index,
            "content_index": 0,
            "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
        },
    ]
    for n, chunk in enumerate(chunks):
        events.append(
            {
                "type": "response.output_text.delta",
                "item_id": item_id,
                "output_index": index,
                "content_index": 0,
                "delta": chunk,
                "logprobs": [],
                "obfuscation": obfuscation(n),
            }
        )
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
    events += [
        {
            "type": "response.output_text.done",
            "item_id": item_id,
            "output_index": index,
            "content_index": 0,
            "text": text,
            "logprobs": [],
        },
        {
            "type": "response.content_part.done",
            "item_id": item_id,
            "output_index": index,
            "content_index": 0,
            "part": part,
        },
        {
            "type": "response.output_item.done",
            "output_index": index,
            "item": {
                "id": item_id,
                "type": "message",
                "status": status,
                "content": [part],
                "role": "assistant",
            },
        },
    ]
    return events


def reasoning_events(
    item_id: str, chunks: list[str], seal: Callable[[str, list[JSON]], str] | None
) -> list[JSON]:
    """A reasoning item (output index 0) and its summary's streaming events."""
    text = "".join(chunks)
    where = {"item_id": item_id, "output_index": 0, "summary_index": 0}
    summary = [{"type": "summary_text", "text": text}]
    done: JSON = {"id": item_id, "type": "reasoning", "summary": summary}
    if seal is not None:
        done["encrypted_content"] = seal(item_id, summary)
    events: list[JSON] = [
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"id": item_id, "type": "reasoning", "summary": []},
        },
        {
            "type": "response.reasoning_summary_part.added",
            **where,
            "part": {"type": "summary_text", "text": ""},
        },
    ]
    for n, chunk in enumerate(chunks):
        events.append(
            {
                "type": "response.reasoning_summary_text.delta",
                **where,
                "delta": chunk,
                "obfuscation": obfuscation(n),
            }
        )
    events += [
        {"type": "response.reasoning_summary_text.done", **where, "text": text},
        {"type": "response.reasoning_summary_part.done", **where, "part": dict(summary[0])},
        {"type": "response.output_item.done", "output_index": 0, "item": done},
    ]
    return events


def call_events(item: JSON, index: int, status: str) -> list[JSON]:
    item_id = item["id"]
    arguments = item["arguments"]
    events: list[JSON] = [
        {
            "type": "response.output_item.added",
            "output_index": index,
            "item": {**item, "status": "in_progress", "arguments": ""},
        }
    ]
    for n, chunk in enumerate(_argument_chunks(arguments)):
        events.append(
            {
                "type": "response.function_call_arguments.delta",
                "item_id": item_id,
                "output_index": index,
                "delta": chunk,
                "obfuscation": obfuscation(n),
            }
        )
    events += [
        {
            "type": "response.function_call_arguments.done",
            "item_id": item_id,
            "output_index": index,
            "arguments": arguments,
        },
        {
            "type": "response.output_item.done",
            "output_index": index,
            "item": {**item, "status": status},
        },
    ]
    return events
