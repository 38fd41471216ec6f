"""The emulator keeps bearer keys out of its own (uvicorn's) logs, even at DEBUG."""

from __future__ import annotations

import json
import logging

import pytest
from websockets.asyncio.client import connect

from responses_client.emulator import Emulator

pytestmark = pytest.mark.anyio

KEY = "sk-emulator-log-secret-123"


async def test_handshake_headers_are_logged_without_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with Emulator(api_keys=[KEY]) as emu:
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        caplog.set_level(logging.DEBUG)
        uvicorn_logger = logging.getLogger("uvicorn")  # uvicorn does not propagate to root
        uvicorn_logger.addHandler(caplog.handler)
        quiet = logging.getLogger("tests.quiet-client")
        quiet.setLevel(logging.WARNING)
        headers = {"Authorization": f"Bearer {KEY}"}
        async with connect(emu.websocket_url, additional_headers=headers, logger=quiet) as ws:
            await ws.send(json.dumps({"type": "response.create", "model": "m", "input": "hi"}))
            while json.loads(await ws.recv())["type"] != "response.completed":
                pass
        uvicorn_logger.removeHandler(caplog.handler)
    lines = [record.getMessage() for record in caplog.records]
    assert any("Bearer ***" in line for line in lines)  # the header was logged, redacted
    assert not [line for line in lines if KEY in line]
