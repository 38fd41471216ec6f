"""Decoder + parser throughput: a recorded stream of 100,000 text deltas, no network.

The same bytes go (a) through ``SSEDecoder`` and ``parse_event`` into typed events, and
(b) through a plain split on blank lines and ``json.loads`` alone, for scale. Figures are
events/s, best of several runs. Run: ``.venv/bin/python bench/sse_events.py``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sse_decoder import CHUNK, N, make_stream

from responses_client._sse import SSEDecoder
from responses_client.events import OutputTextDeltaEvent, parse_event


def best_of(fn: Callable[[], int], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        assert fn() == N
        best = min(best, time.perf_counter() - start)
    return best


def results() -> dict[str, float]:
    """Events/s for the SDK's decoder + parser and for json.loads alone."""
    stream = make_stream()
    chunks = [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]

    def sdk() -> int:
        decoder = SSEDecoder()
        count = 0
        for chunk in chunks:
            for data in decoder.feed(chunk):
                event = parse_event(data)
                count += isinstance(event, OutputTextDeltaEvent)
        return count

    def json_only() -> int:
        count = 0
        for block in stream.split(b"\n\n"):
            if block:
                json.loads(block.split(b"data: ", 1)[1])
                count += 1
        return count

    return {"sdk": N / best_of(sdk), "json_loads": N / best_of(json_only)}


def main() -> None:
    figures = results()
    print(f"{N:,} response.output_text.delta events, decoded and parsed from memory")
    print(f"  SSEDecoder + parse_event : {figures['sdk']:>10,.0f} events/s")
    print(f"  split + json.loads only  : {figures['json_loads']:>10,.0f} events/s")
    print(f"  ratio                    : {figures['sdk'] / figures['json_loads']:.2f}")


if __name__ == "__main__":
    main()
