"""The pytest fixture, the thread runner and the blocking `serve` for the CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from responses_client.emulator import Emulator, ScriptedModel

from ._wire import sse_events


@pytest.mark.anyio
async def test_fixture_gives_a_running_emulator(responses_emulator: Emulator) -> None:
    responses_emulator.model = ScriptedModel(["from the fixture"])
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{responses_emulator.base_url}/responses", json={"model": "m", "input": "hi"}
        )
    assert answer.json()["output"][0]["content"][0]["text"] == "from the fixture"
    assert responses_emulator.websocket_url.endswith("/v1/responses")
    assert responses_emulator.http_requests[0].body == {"model": "m", "input": "hi"}


def test_fixture_serves_a_sync_test_from_a_thread(responses_emulator: Emulator) -> None:
    responses_emulator.model = ScriptedModel(["from a thread"])
    answer = httpx.post(
        f"{responses_emulator.base_url}/responses", json={"model": "m", "input": "hi"}
    )
    assert answer.json()["output"][0]["content"][0]["text"] == "from a thread"


STRICT_MODE_TESTS = """
import pytest

from responses_client import Client
from responses_client.emulator import ScriptedModel


@pytest.mark.asyncio
@pytest.mark.parametrize("transport", ["websocket", "sse"])
async def test_a_conversation(responses_emulator, transport):
    responses_emulator.model = ScriptedModel(["Hello from strict mode."])
    url = responses_emulator.base_url
    async with Client(base_url=url, api_key="k", transport=transport) as client:
        async with client.conversation() as convo:
            assert (await convo.send("Hi")).text == "Hello from strict mode."
    assert responses_emulator.responses[0].resolved_input[-1]["content"] == "Hi"
    await responses_emulator.close_connections()  # the emulator runs in this loop
"""


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_fixture_works_under_pytest_asyncio(tmp_path: Path, mode: str) -> None:
    pytest.importorskip("pytest_asyncio")
    (tmp_path / "test_under_pytest_asyncio.py").write_text(STRICT_MODE_TESTS)
    command = [sys.executable, "-m", "pytest", "-p", "asyncio", f"--asyncio-mode={mode}"]
    command += ["-o", "asyncio_default_fixture_loop_scope=function", "-W", "error"]
    command += ["-p", "no:cacheprovider", "-q", "test_under_pytest_asyncio.py"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout


def test_thread_runner_serves_sync_code() -> None:
    emu = Emulator(ScriptedModel(["from a thread"]))
    emu.start_in_thread()
    try:
        answer = httpx.post(
            f"{emu.base_url}/responses", json={"model": "m", "input": "hi", "stream": True}
        )
    finally:
        emu.stop_thread()
    assert sse_events(answer.text)[-1]["response"]["output"][0]["content"][0]["text"] == (
        "from a thread"
    )
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{emu.base_url}/responses", json={"model": "m", "input": "hi"})


def test_not_started_has_no_address() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = Emulator().base_url


def test_serve_calls_on_ready_once_it_accepts_connections() -> None:
    program = textwrap.dedent(
        """
        import sys
        from responses_client.emulator import serve

        def ready(host, port):
            sys.stdout.write(f"listening on http://{host}:{port}/v1\\n")
            sys.stdout.flush()

        serve("127.0.0.1", 0, on_ready=ready)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        try:
            line = process.stdout.readline().strip()
            assert line.startswith("listening on http://127.0.0.1:")
            base_url = line.removeprefix("listening on ")
            answer = httpx.post(f"{base_url}/responses", json={"model": "m", "input": "ping"})
            assert answer.status_code == 200
            assert "ping" in answer.json()["output"][0]["content"][0]["text"]
        finally:
            # Ctrl-C is how the CLI stops it: a clean exit, no traceback.
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Traceback" not in errors
