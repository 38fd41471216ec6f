"""SSE decoder throughput on a realistic Responses stream, beside json.loads on the same data.

100,000 ``response.output_text.delta`` messages (about 250 bytes of JSON each), fed in
64 KiB chunks. Run: ``.venv/bin/python bench/sse_decoder.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from responses_client._sse import SSEDecoder

N = 100_000
CHUNK = 64 * 1024


def make_stream(n: int = N) -> bytes:
    parts = []
    for i in range(n):
        payload = {
            "type": "response.output_text.delta",
            "sequence_number": i,
            "item_id": "msg_68a1b2c3d4e5f60718293a4b5c6d7e8f0123456789abcdef",
            "output_index": 0,
            "content_index": 0,
            "delta": " word",
            "logprobs": [],
            "obfuscation": "aB3dE9fG",
        }
        data = json.dumps(payload, separators=(",", ":"))
        data += " " * max(0, 250 - len(data))
        parts.append(f"event: response.output_text.delta\ndata: {data}\n\n")
    return "".join(parts).encode()


def best_of(fn: Callable[[], object], runs: int = 7) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    stream = make_stream()
    chunks = [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]

    def decode() -> None:
        decoder = SSEDecoder()
        count = 0
        for chunk in chunks:
            count += len(decoder.feed(chunk))
        count += len(decoder.flush())
        assert count == N

    decoder = SSEDecoder()
    payloads = [data for chunk in chunks for data in decoder.feed(chunk)]

    def parse() -> None:
        for payload in payloads:
            json.loads(payload)

    def both() -> None:
        decoder = SSEDecoder()
        for chunk in chunks:
            for data in decoder.feed(chunk):
                json.loads(data)

    print(f"{N} messages, {len(stream) / 1e6:.1f} MB in {len(chunks)} chunks of 64 KiB")
    for name, fn in (("SSEDecoder.feed", decode), ("json.loads", parse), ("both", both)):
        seconds = best_of(fn)
        print(f"{name:16s} {seconds * 1e3:7.1f} ms {N / seconds:>11,.0f} msg/s")


if __name__ == "__main__":
    main()
