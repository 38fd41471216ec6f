"""The command line, run as a user runs it: ``python -m responses_client ...``."""

from __future__ import annotations

import subprocess
import sys

import anyio
import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_demo_runs_three_turns_with_a_tool_call_offline() -> None:
    with anyio.fail_after(10):
        done = await anyio.run_process(
            [sys.executable, "-m", "responses_client", "demo"], check=False
        )
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert out.count("[turn ") == 3
    assert "-> calls get_weather(" in out and "<- get_weather returned" in out
    assert out.count("items sent") == 3


async def test_serve_prints_its_address_then_answers() -> None:
    process = await anyio.open_process(
        [sys.executable, "-m", "responses_client", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        with anyio.fail_after(15):
            line = b""
            async for chunk in process.stdout:
                line += chunk
                if b"\n" in line:
                    break
        text = line.decode().strip()
        assert text.startswith("listening on http://127.0.0.1:") and text.endswith("/v1")
        base_url = text.removeprefix("listening on ")
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{base_url}/responses", json={"model": "gpt-4.1", "input": "hello"}
            )
        assert answer.status_code == 200
        assert answer.json()["status"] == "completed"
    finally:
        process.terminate()
        await process.wait()


def test_unknown_command_exits_with_usage() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "responses_client", "fly"], capture_output=True, check=False
    )
    assert done.returncode == 2
    assert b"invalid choice" in done.stderr


async def test_ctrl_c_at_the_chat_prompt_quits_at_once() -> None:
    import signal

    process = await anyio.open_process(
        [sys.executable, "-u", "-m", "responses_client", "chat", "--local"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        with anyio.fail_after(15):
            seen = b""
            async for chunk in process.stdout:
                seen += chunk
                if b"you: " in seen:
                    break
            process.send_signal(signal.SIGINT)  # stdin stays open: no line will come
            code = await process.wait()
        assert code == 130
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
