"""The emulator's public surface: sorted, and every object claims the public module."""

from __future__ import annotations

import responses_client.emulator as emulator


def test_all_is_sorted_and_complete() -> None:
    assert emulator.__all__ == sorted(emulator.__all__)
    assert {"Emulator", "ScriptedModel", "Reply", "create_app", "serve"} <= set(emulator.__all__)


def test_public_objects_claim_the_module() -> None:
    for name in emulator.__all__:
        if name == "Fault":  # a union of the fault classes, not a class of its own
            continue
        module = getattr(getattr(emulator, name), "__module__", "responses_client.emulator")
        assert module == "responses_client.emulator", name
