"""The command line, run as a user runs it: ``python -m responses_client ...``."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import anyio
import anyio.abc
import httpx
import pytest

from responses_client.emulator import Emulator, Pause, Reply, ScriptedModel

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


class _Screen:
    """What a process printed, read from its pipe only as far as the next awaited text."""

    def __init__(self, stream: anyio.abc.ByteReceiveStream) -> None:
        self._stream = stream
        self.seen = bytearray()
        self._at = 0
        """Where the text awaited last ended: the next is looked for after it."""

    async def wait_for(self, text: bytes) -> None:
        """Read until ``text`` appears after the text awaited before."""
        while (found := self.seen.find(text, self._at)) < 0:
            try:
                self.seen += await self._stream.receive()
            except anyio.EndOfStream:
                raise AssertionError(f"{text!r} never came: {bytes(self.seen)!r}") from None
        self._at = found + len(text)


@contextlib.asynccontextmanager
async def _chat_with(base_url: str) -> AsyncIterator[anyio.abc.Process]:
    """``python -m responses_client chat`` against ``base_url``, killed if still running."""
    command = [sys.executable, "-u", "-m", "responses_client", "chat", "--base-url", base_url]
    process = await anyio.open_process(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert process.stdin is not None and process.stdout is not None
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _interrupt_a_reply(chat: anyio.abc.Process, screen: _Screen) -> None:
    """Ask for a reply, and press Ctrl-C once its first delta ("first ") is printed."""
    assert chat.stdin is not None
    await chat.stdin.send(b"Tell me a long story\n")
    await screen.wait_for(b"first ")
    chat.send_signal(signal.SIGINT)
    await screen.wait_for(b"(interrupted)")


async def test_ctrl_c_during_a_reply_interrupts_it_and_the_chat_goes_on() -> None:
    # The reply stops after its first delta until the client cancels it: Ctrl-C lands
    # mid-reply for sure, without the test sleeping.
    slow = Reply(text=["first ", "second ", "third"], faults=[Pause(at=5, seconds=300)])
    async with Emulator(ScriptedModel([slow, "After the interruption."])) as emulator:
        async with _chat_with(emulator.base_url) as chat:
            assert chat.stdin is not None and chat.stdout is not None
            screen = _Screen(chat.stdout)
            with anyio.fail_after(60):  # a bound for a loaded machine, not a wait
                await _interrupt_a_reply(chat, screen)
                await screen.wait_for(b"you: ")
                await chat.stdin.send(b"Go on\n")
                await screen.wait_for(b"After the interruption.")
                await chat.stdin.aclose()  # Ctrl-D at the prompt quits
                code = await chat.wait()
    assert code == 0, bytes(screen.seen)
    assert b"second" not in screen.seen
    assert [response.status for response in emulator.responses] == ["cancelled", "completed"]


async def test_a_second_ctrl_c_after_interrupting_a_reply_quits() -> None:
    # The server ignores the cancel: its side of the reply never ends, the client's does.
    slow = Reply(text=["first ", "second "], faults=[Pause(at=5, seconds=300)])
    async with Emulator(ScriptedModel([slow]), cancel_mode="ignore") as emulator:
        async with _chat_with(emulator.base_url) as chat:
            assert chat.stdout is not None
            screen = _Screen(chat.stdout)
            with anyio.fail_after(60):  # a bound for a loaded machine, not a wait
                await _interrupt_a_reply(chat, screen)
                chat.send_signal(signal.SIGINT)
                code = await chat.wait()
    assert code == 130, bytes(screen.seen)
