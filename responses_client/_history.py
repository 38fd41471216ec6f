"""A conversation's history, purely: the items, their digest chain, and what may enter it.

Two lists kept in step: the items, oldest first, and the ``DigestChain`` the planner reads
(``prefix(n)`` is the digest of the first ``n`` items). Every change goes through
``append`` or ``edit``, which keep them equal; an item that cannot be encoded is refused
before either list changes. ``coerce_items`` turns what a caller passes as input (text,
items, chat-style or Responses-style dicts, lists of them) into items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._chat import items_from_message
from ._exceptions import InputError
from ._items import Item, Message
from ._planner import DigestChain

__all__ = ["History", "InputLike", "coerce_items"]

InputLike = str | Item | Mapping[str, Any] | Sequence[str | Item | Mapping[str, Any]] | None
"""What ``stream()`` / ``send()`` accept: text (a user message), an item, a chat-style or
Responses-style dict, or a list of those. ``None`` runs a turn on the history as it is."""


def coerce_items(value: InputLike) -> list[Item]:
    """Turn what a caller passed as input into items (``[]`` for ``None``).

    Raises:
        InputError: a dict fits no rule, or a value is of an unsupported type.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [Message.user(value)]
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise InputError(
            f"cannot use {type(value).__name__} as conversation input: pass text (decode "
            "the bytes first), or binary content as a part (InputAudio, InputImage, InputFile)"
        )
    if isinstance(value, Mapping):
        return items_from_message(value)
    if isinstance(value, Sequence):
        items: list[Item] = []
        for element in value:
            if isinstance(element, str):
                items.append(Message.user(element))
            elif isinstance(element, Mapping):
                items.extend(items_from_message(element))
            elif _is_item(element):
                items.append(element)
            else:
                raise InputError(f"cannot use {type(element).__name__} as conversation input")
        return items
    if _is_item(value):
        return [value]
    raise InputError(f"cannot use {type(value).__name__} as conversation input")


def _is_item(value: object) -> bool:
    return hasattr(value, "to_wire") and hasattr(value, "digest")


class History:
    """The items of a conversation and their digest chain, always of equal length."""

    __slots__ = ("chain", "items")

    def __init__(self, items: Iterable[Item] = ()) -> None:
        self.items: list[Item] = []
        """The items, oldest first (read it; change it only through the methods)."""
        self.chain = DigestChain()
        """Prefix digests of ``items``, for the planner."""
        self.append(list(items))

    def __len__(self) -> int:
        return len(self.items)

    def append(self, items: Sequence[Item]) -> None:
        """Append items at the end.

        Raises:
            InputError: An item cannot be encoded as UTF-8 (a lone surrogate in its text);
                nothing was appended.
        """
        _check_encodable(items)
        self.items.extend(items)
        self.chain.extend(items)

    def edit(self, index: int, new: Sequence[Item], count: int) -> None:
        """Replace ``count`` items from ``index`` (negative counts from the end) by ``new``.

        Raises:
            InputError: ``index`` is outside the history, or a new item cannot be encoded.
        """
        if index < 0:
            index += len(self.items)
        if not 0 <= index <= len(self.items):
            raise InputError(f"index {index} is outside the history ({len(self.items)} items)")
        _check_encodable(new)
        self.items[index : index + count] = new
        self.chain.truncate(index)
        self.chain.extend(self.items[index:])

    def to_input(self) -> list[dict[str, Any]]:
        """The full ``input`` list a request would carry now (wire dicts)."""
        return [item.to_wire() for item in self.items]


def _check_encodable(items: Sequence[Item]) -> None:
    # Every digest first: an item that cannot be encoded must fail before either list
    # changes, or the history and the chain would disagree from then on.
    for index, item in enumerate(items):
        try:
            item.digest  # noqa: B018 (computed once and cached by the item)
        except UnicodeEncodeError as exc:
            raise InputError(
                f"input item {index} cannot be encoded as UTF-8 ({exc.reason} at "
                f"position {exc.start} of its text: a lone surrogate?); nothing was added"
            ) from None
