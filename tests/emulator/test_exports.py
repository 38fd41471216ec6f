"""The emulator's public surface: sorted, and every object claims the public module."""

from __future__ import annotations

import pytest

import responses_client.emulator as emulator
from responses_client.emulator import CallTool, SendError, SendUnknown

# The directives that clashed with the client's types, by their old names.
RENAMED = {"ErrorEvent": SendError, "ToolCall": CallTool, "UnknownEvent": SendUnknown}


def test_all_is_sorted_and_complete() -> None:
    assert emulator.__all__ == sorted(emulator.__all__)
    assert {"Emulator", "ScriptedModel", "Reply", "create_app", "serve"} <= set(emulator.__all__)
    directives = {"CallTool", "Drop", "HttpStatus", "Malformed", "Pause", "SendError"}
    assert directives | {"SendUnknown", "Fault"} <= set(emulator.__all__)


def test_public_objects_claim_the_module() -> None:
    for name in emulator.__all__:
        if name == "Fault":  # a union of the fault classes, not a class of its own
            continue
        module = getattr(getattr(emulator, name), "__module__", "responses_client.emulator")
        assert module == "responses_client.emulator", name


def test_no_public_name_clashes_with_a_client_type() -> None:
    import responses_client
    import responses_client.events as events

    client_names = set(responses_client.__all__) | set(events.__all__)
    assert not client_names & set(emulator.__all__)


@pytest.mark.parametrize(("old", "new"), sorted(RENAMED.items()))
def test_old_directive_names_warn_and_are_the_same_objects(old: str, new: type) -> None:
    assert old not in emulator.__all__
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated.*use {new.__name__}"):
        assert getattr(emulator, old) is new


def test_old_names_import_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="ToolCall is deprecated"):
        from responses_client.emulator import ToolCall
    assert ToolCall is CallTool


def test_unknown_names_are_still_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = emulator.Nope  # type: ignore[attr-defined]
