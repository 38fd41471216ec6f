"""Client CPU per second of assistant audio received over the Realtime API (GA).

    python -m bench.realtime [--json PATH]

The server (``bench/_realtime_wire.py``, its own process) speaks one answer of 24 kHz
PCM16 in 20 ms audio deltas with transcript deltas between them. Each client reads the
whole answer, decoding every audio delta to bytes, and the CPU time of this process
(``time.process_time``) is divided by the seconds of audio received. Clients, same run:

- **responses_client**: ``Client.realtime()``, iterating the session (events parsed and
  fed to the session protocol, ``.pcm`` of every audio delta);
- **openai-python**: ``AsyncOpenAI().realtime.connect()``, iterating the connection and
  base64-decoding every audio delta;
- **hand-written loop**: ``websockets`` ``recv()``, ``validate_json`` into openai-python's
  ``RealtimeServerEvent`` union, base64 decode of audio deltas;
- **recv alone**: ``websockets`` ``recv()`` and nothing else (the floor).

Two modes: **bulk**, one long answer sent as fast as the socket allows; **real time**,
50 concurrent sessions, each audio frame arriving at its 20 ms pace, so every frame costs
a wake-up. Then the G.711 μ-law codec and the 24 → 8 kHz resampler of
``responses_client.realtime.audio`` in samples/s, against NumPy versions written here.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import math
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench._common import BENCH, QUICK, ROOT, Goal, Spread, print_goals, run_benchmark

BULK_SECONDS = 60.0 if QUICK else 240.0
PACED_SECONDS = 2.0 if QUICK else 4.0
SESSIONS = 50
ROUNDS = 2 if QUICK else 3
CODEC_SAMPLES = 24000 * (2 if QUICK else 10)


@contextmanager
def realtime_server(seconds: float) -> Iterator[int]:
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "_realtime_wire.py"), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the realtime server did not start")
        yield int(line)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- the clients: each reads one whole answer and returns the bytes of audio decoded ------


async def run_ours(base: str) -> int:
    from responses_client import Client
    from responses_client.realtime import events

    audio = 0
    async with Client(base_url=f"http://{base}", api_key="sk-bench") as client:
        async with client.realtime(model="gpt-realtime") as session:
            await session.respond()
            async for event in session:
                if isinstance(event, events.OutputAudioDeltaEvent):
                    audio += len(event.pcm)
                elif isinstance(event, events.ResponseDoneEvent):
                    return audio
    raise AssertionError("no response.done")


async def run_openai(base: str) -> int:
    from openai import AsyncOpenAI

    audio = 0
    client = AsyncOpenAI(base_url=f"http://{base}", api_key="sk-bench")
    async with client.realtime.connect(model="gpt-realtime") as conn:
        await conn.response.create()
        async for event in conn:
            if event.type == "response.output_audio.delta":
                audio += len(base64.b64decode(event.delta))
            elif event.type == "response.done":
                return audio
    raise AssertionError("no response.done")


_ADAPTER: Any = None


async def run_hand(base: str) -> int:
    from websockets.asyncio.client import connect

    global _ADAPTER
    if _ADAPTER is None:
        from openai.types.realtime import RealtimeServerEvent
        from pydantic import TypeAdapter

        _ADAPTER = TypeAdapter(RealtimeServerEvent)
    validate = _ADAPTER.validate_json
    audio = 0
    async with connect(
        f"ws://{base}/realtime?model=gpt-realtime", compression=None, max_size=None
    ) as ws:
        await ws.send('{"type":"response.create"}')
        while True:
            event = validate(await ws.recv())
            if event.type == "response.output_audio.delta":
                audio += len(base64.b64decode(event.delta))
            elif event.type == "response.done":
                return audio


async def run_recv(base: str) -> int:
    from websockets.asyncio.client import connect

    size = 0
    async with connect(
        f"ws://{base}/realtime?model=gpt-realtime", compression=None, max_size=None
    ) as ws:
        await ws.send('{"type":"response.create"}')
        while True:
            message = await ws.recv()
            size += len(message)
            if message.startswith('{"event_id":"event_', 0) and '"response.done"' in message[:60]:
                return size


CLIENTS: dict[str, Callable[[str], Awaitable[int]]] = {
    "responses_client": run_ours,
    "openai-python": run_openai,
    "hand-written loop": run_hand,
    "recv alone": run_recv,
}


async def _cpu_ms_per_audio_s(
    run: Callable[[str], Awaitable[int]], base: str, sessions: int, seconds: float
) -> float:
    gc.collect()
    started = time.process_time()
    await asyncio.gather(*(run(base) for _ in range(sessions)))
    cpu = time.process_time() - started
    return cpu * 1000 / (sessions * seconds)


async def _measure(port: int, path: str, sessions: int, seconds: float) -> dict[str, list[float]]:
    base = f"127.0.0.1:{port}/{path}/v1"
    figures: dict[str, list[float]] = {name: [] for name in CLIENTS}
    for run in CLIENTS.values():  # warm-up: imports, schema builds, connection code
        await run(base)
    for _ in range(ROUNDS):
        for name, run in CLIENTS.items():
            figures[name].append(await _cpu_ms_per_audio_s(run, base, sessions, seconds))
    return figures


# -- codecs: ours against NumPy ---------------------------------------------------------------


def _numpy_ulaw_encode(np: Any, samples: Any) -> Any:
    # G.711 μ-law reads 14 bits: the two low bits go first (as audioop did).
    samples = (samples.astype(np.int32) >> 2) << 2
    sign = np.where(samples < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(samples), 32635) + 0x84
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)


def _numpy_ulaw_decode(np: Any, codes: Any) -> Any:
    inverted = ~codes.astype(np.int32) & 0xFF
    magnitude = (((inverted & 0x0F) << 3) + 0x84) << ((inverted & 0x70) >> 4)
    return np.where(inverted & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)


def _numpy_downsample3(np: Any, samples: Any) -> Any:
    whole = len(samples) - len(samples) % 3
    return samples[:whole].astype(np.int32).reshape(-1, 3).sum(axis=1) // 3


def _numpy_upsample3(np: Any, samples: Any) -> Any:
    positions = np.arange(len(samples) * 3) / 3
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.int16)


def _rate(fn: Callable[[], object], samples: int) -> float:
    best = math.inf
    for _ in range(5):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return samples / best


def codecs() -> dict[str, dict[str, float]]:
    import numpy as np

    from responses_client.realtime import audio

    tone = np.array(
        [int(12000 * math.sin(2 * math.pi * 440 * i / 24000)) for i in range(CODEC_SAMPLES)],
        dtype=np.int16,
    )
    pcm = tone.tobytes()
    narrow = audio.resample(pcm, 24000, 8000)
    narrow_samples = np.frombuffer(narrow, dtype=np.int16)
    ulaw = audio.ulaw_encode(pcm)
    codes = np.frombuffer(ulaw, dtype=np.uint8)
    # The NumPy versions compute the same bytes (checked here, so the race is fair).
    assert _numpy_ulaw_encode(np, tone).tobytes() == ulaw
    assert _numpy_ulaw_decode(np, codes).tobytes() == audio.ulaw_decode(ulaw)
    return {
        "mu-law encode": {
            "ours": _rate(lambda: audio.ulaw_encode(pcm), CODEC_SAMPLES),
            "numpy": _rate(lambda: _numpy_ulaw_encode(np, tone), CODEC_SAMPLES),
        },
        "mu-law decode": {
            "ours": _rate(lambda: audio.ulaw_decode(ulaw), CODEC_SAMPLES),
            "numpy": _rate(lambda: _numpy_ulaw_decode(np, codes), CODEC_SAMPLES),
        },
        "resample 24 -> 8 kHz": {
            "ours": _rate(lambda: audio.resample(pcm, 24000, 8000), CODEC_SAMPLES),
            "numpy": _rate(lambda: _numpy_downsample3(np, tone), CODEC_SAMPLES),
        },
        "resample 8 -> 24 kHz": {
            "ours": _rate(lambda: audio.resample(narrow, 8000, 24000), len(narrow) // 2),
            "numpy": _rate(lambda: _numpy_upsample3(np, narrow_samples), len(narrow) // 2),
        },
    }


def results() -> dict[str, Any]:
    with realtime_server(BULK_SECONDS) as port:
        bulk = asyncio.run(_measure(port, "bulk", 1, BULK_SECONDS))
    with realtime_server(PACED_SECONDS) as port:
        paced = asyncio.run(_measure(port, "paced", SESSIONS, PACED_SECONDS))
    bulk_spread = {name: Spread.of(values) for name, values in bulk.items()}
    paced_spread = {name: Spread.of(values) for name, values in paced.items()}
    ours_bulk = bulk_spread["responses_client"].median
    ours_paced = paced_spread["responses_client"].median
    vs_openai = bulk_spread["openai-python"].median / ours_bulk
    vs_hand = paced_spread["hand-written loop"].median / ours_paced
    vs_recv = paced_spread["recv alone"].median / ours_paced
    codec = codecs()
    table = [
        "| operation | ours (samples/s) | NumPy (samples/s) | ours / NumPy |",
        "|---|---|---|---|",
    ]
    for name, pair in codec.items():
        ratio = pair["ours"] / pair["numpy"]
        table.append(f"| {name} | {pair['ours']:,.0f} | {pair['numpy']:,.0f} | {ratio:.2f} |")
    table += [
        "",
        "| client | bulk (ms CPU / audio s) | real time, 50 sessions (ms CPU / audio s) |",
        "|---|---|---|",
    ]
    for name in CLIENTS:
        table.append(
            f"| {name} | {bulk_spread[name].text('.2f')} | {paced_spread[name].text('.2f')} |"
        )
    return {
        "benchmark": "realtime",
        "unit": "ms CPU per second of audio",
        "bulk_seconds": BULK_SECONDS,
        "paced_seconds": PACED_SECONDS,
        "sessions": SESSIONS,
        "bulk": bulk_spread,
        "paced": paced_spread,
        "codecs": codec,
        "table": table,
        "goals": [
            Goal("bulk: openai-python CPU / ours", vs_openai, ">= 5x", vs_openai >= 5),
            Goal("real time: hand-written loop CPU / ours", vs_hand, ">= 1.0x", vs_hand >= 1.0),
            Goal(
                "real time: sessions per core, ours / recv alone",
                vs_recv * 100,
                ">= 75%",
                vs_recv >= 0.75,
                unit="%",
            ),
        ],
    }


def report(data: dict[str, Any]) -> None:
    print(f"Realtime, client {data['unit']}:")
    print(f"  bulk (one answer of {data['bulk_seconds']:.0f} s, as fast as the socket allows):")
    for name, spread in data["bulk"].items():
        print(f"    {name:20s} {spread.text('.2f')}")
    sessions, each = data["sessions"], data["paced_seconds"]
    print(f"  real time ({sessions} sessions, 20 ms pace, {each:.0f} s each):")
    for name, spread in data["paced"].items():
        print(f"    {name:20s} {spread.text('.2f')}")
    print("  codecs, samples/s (ours vs NumPy):")
    for name, pair in data["codecs"].items():
        print(f"    {name:22s} {pair['ours']:>14,.0f} {pair['numpy']:>14,.0f}")
    print_goals(data)


def main() -> None:
    run_benchmark(results, report)


if __name__ == "__main__":
    main()
