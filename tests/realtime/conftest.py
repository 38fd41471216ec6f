"""Fixtures of the realtime tests: an emulator on 127.0.0.1 and a client pointed at it."""

from __future__ import annotations

import math
from array import array
from collections.abc import AsyncIterator
from typing import Any

import pytest

from responses_client import Client
from responses_client.emulator import Emulator, ScriptedModel

KEY = "sk-test-realtime-0123456789SECRETKEY"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A running emulator accepting only ``KEY``, with an empty script (set ``.model``)."""
    async with Emulator(ScriptedModel([]), api_keys=[KEY]) as running:
        yield running


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[Client]:
    async with Client(base_url=emu.base_url, api_key=KEY) as made:
        yield made


def speech(ms: int, amplitude: int = 10000) -> bytes:
    """A loud 300 Hz tone of ``ms`` ms at 24 kHz: the emulator's VAD hears speech."""
    count = 24 * ms
    return array(
        "h", (int(amplitude * math.sin(2 * math.pi * 300 * i / 24000)) for i in range(count))
    ).tobytes()


def silence(ms: int) -> bytes:
    return b"\x00\x00" * 24 * ms


def sent(emu: Emulator, kind: str, connection: int = -1) -> list[dict[str, Any]]:
    """The client events of ``kind`` the emulator received on a connection."""
    return [
        frame
        for frame in emu.connections[connection].frames
        if isinstance(frame, dict) and frame.get("type") == kind
    ]
