"""The history: items and digest chain always in step, and what may enter it (no server)."""

from __future__ import annotations

import json

import pytest

from responses_client import InputError, Message
from responses_client._history import History, coerce_items
from responses_client._planner import DigestChain


def in_step(history: History) -> bool:
    fresh = DigestChain(history.items)
    return len(history.chain) == len(history.items) and all(
        history.chain.prefix(n) == fresh.prefix(n) for n in range(len(history.items) + 1)
    )


def test_append_and_edit_keep_items_and_chain_in_step() -> None:
    history = History([Message.user("a"), Message.user("b")])
    history.append([Message.assistant("c")])
    history.edit(1, [Message.user("B"), Message.user("B2")], 1)
    history.edit(-1, [], 1)
    assert [m.text for m in history.items] == ["a", "B", "B2"]  # type: ignore[union-attr]
    assert in_step(history)


def test_an_item_that_cannot_be_encoded_changes_nothing() -> None:
    history = History([Message.user("ok")])
    broken = Message.user(json.loads('"x \\ud83d"'))
    with pytest.raises(InputError, match="lone surrogate"):
        history.append([Message.user("fine"), broken])
    with pytest.raises(InputError, match="lone surrogate"):
        history.edit(0, [broken], 1)
    assert [m.text for m in history.items] == ["ok"] and in_step(history)  # type: ignore[union-attr]


def test_an_index_outside_the_history_is_refused() -> None:
    with pytest.raises(InputError, match="outside the history"):
        History().edit(3, [], 0)


@pytest.mark.parametrize(
    ("value", "roles"),
    [
        (None, []),
        ("hi", ["user"]),
        ({"role": "system", "content": "s"}, ["developer"]),
        (
            ["a", {"role": "assistant", "content": "b"}, Message.user("c")],
            ["user", "assistant", "user"],
        ),
    ],
)
def test_coerce_items_takes_text_dicts_items_and_lists(value: object, roles: list[str]) -> None:
    assert [item.to_wire()["role"] for item in coerce_items(value)] == roles  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "named"), [(b"x", "bytes"), (3, "int"), ([1.5], "float")])
def test_coerce_items_names_what_it_cannot_use(value: object, named: str) -> None:
    with pytest.raises(InputError, match=f"cannot use {named}"):
        coerce_items(value)  # type: ignore[arg-type]
