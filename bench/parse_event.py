"""How many `response.output_text.delta` frames per second `parse_event` turns into events.

It guards the text-delta fast path inside `events.parse_event` (with bench/ws_throughput.py
and bench/sse_throughput.py, which time it inside each transport's loop).

Run: .venv/bin/python bench/parse_event.py [N]
"""

from __future__ import annotations

import json
import sys
import time

from responses_client.events import OutputTextDeltaEvent, UnknownEvent, parse_event

# A frame as the API sends it, with every field a real delta carries.
DELTA = json.dumps(
    {
        "type": "response.output_text.delta",
        "sequence_number": 42,
        "item_id": "msg_68a1c0f2b7e48190a1b2c3d4e5f60718",
        "output_index": 1,
        "content_index": 0,
        "delta": " world",
        "logprobs": [],
        "obfuscation": "aZ3kQ9",
    }
).encode()
UNKNOWN = json.dumps({"type": "response.hologram.delta", "item_id": "h_1", "delta": "x"}).encode()


def rate(frame: bytes, n: int, rounds: int = 5) -> float:
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            parse_event(frame)
        best = max(best, n / (time.perf_counter() - start))
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    assert isinstance(parse_event(DELTA), OutputTextDeltaEvent)
    assert isinstance(parse_event(UNKNOWN), UnknownEvent)
    floor = 0.0
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            json.loads(DELTA)
        floor = max(floor, n / (time.perf_counter() - start))
    print(f"parse_event, output_text.delta: {rate(DELTA, n):>12,.0f} events/s")
    print(f"parse_event, unknown type:      {rate(UNKNOWN, n):>12,.0f} events/s")
    print(f"json.loads alone (reference):   {floor:>12,.0f} dicts/s")


if __name__ == "__main__":
    main()
