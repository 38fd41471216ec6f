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


async def test_demo_runs_over_chat_completions() -> None:
    with anyio.fail_after(10):
        done = await anyio.run_process(
            [sys.executable, "-m", "responses_client", "demo", "--transport", "chat"], check=False
        )
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert "a conversation over chat" in out and out.count("[turn ") == 3
    assert "-> calls get_weather(" in out and "<- get_weather returned" in out


async def test_chat_talks_to_a_chat_completions_server() -> None:
    from responses_client.emulator import Emulator, ScriptedModel

    async with Emulator(ScriptedModel(["Hello from the chat wire."])) as emulator:
        command = [sys.executable, "-m", "responses_client", "chat"]
        command += ["--transport", "chat", "--base-url", emulator.base_url, "--model", "llama"]
        with anyio.fail_after(15):
            done = await anyio.run_process(command, input=b"Hi\n\n", check=False)
        assert done.returncode == 0, done.stderr.decode()
        assert "Hello from the chat wire." in done.stdout.decode()
        (request,) = emulator.http_requests
    assert request.path == "/v1/chat/completions" and request.body["model"] == "llama"
    assert "authorization" not in request.headers  # no key: none sent


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
        with anyio.fail_after(60):  # a bound for a loaded machine, not a wait
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
