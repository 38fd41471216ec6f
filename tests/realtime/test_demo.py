"""``python -m responses_client demo --realtime``, run as a user runs it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import anyio
import pytest

from responses_client.realtime import audio

pytestmark = pytest.mark.anyio


async def test_realtime_demo_barges_in_calls_a_tool_and_writes_a_wav(tmp_path: Path) -> None:
    target = tmp_path / "out.wav"
    with anyio.fail_after(30):
        done = await anyio.run_process(
            [sys.executable, "-m", "responses_client", "demo", "--realtime", "--out", str(target)],
            check=False,
        )
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    # Playback runs 100 ms behind the audio received; the cut is where playback was.
    cut = int(re.search(r"item truncated at (\d+) ms", out).group(1))  # type: ignore[union-attr]
    generated, played = map(
        int,
        re.search(r"cancelled: (\d+) ms of audio generated, (\d+) ms played", out).groups(),  # type: ignore[union-attr]
    )
    assert cut == played == generated - 100 >= 500
    assert "-> calls get_weather(" in out and "<- get_weather returned" in out
    assert out.strip().endswith(str(target))
    wav = audio.read_wav(target)
    # The cut first answer (500 ms) and the whole last one.
    assert (wav.rate, wav.channels) == (24000, 1)
    assert audio.duration_ms(len(wav.pcm)) > 1000
