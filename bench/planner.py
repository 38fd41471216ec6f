"""Per-turn cost of deciding what context to send: our digest chain vs. a whole-prefix hash.

    python bench/planner.py

One turn of a long conversation: a user message arrives, the request is planned against the
previous response, the response completes with one assistant message, and the planner
remembers it. Timed for histories of 10 to 10,000 items.

- **ours**: build the two new items (each digests its canonical JSON once), append them to
  the history and the `DigestChain`, `Planner.plan`, `Planner.record`.
- **seed**: Pipecat's algorithm, re-implemented here: `json.dumps(sort_keys=True)` + SHA-256
  over the whole previous input to check the prefix, the loose match of the previous
  output, and the same hash over the whole new input to remember it. The history's wire
  dicts are taken as given (Pipecat also rebuilds them every turn; that is not counted).

Each repetition starts from the same history of `n` items (the turn is undone, untimed),
with the garbage collector off while timing, like `timeit`. `measure()` returns the figures
as data; `main()` prints them with the goals.
"""

from __future__ import annotations

import gc
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from responses_client._planner import DigestChain, Item, Planner

SIZES = (10, 100, 1_000, 10_000)
OURS_REPEATS = 3_001
SEED_SECONDS_PER_SIZE = 1.0
SEED_REPEATS = (11, 3_001)
WireDict = dict[str, Any]


# -- the item factory: the one function to switch to the real `_items` classes ---------


@dataclass(frozen=True)
class BenchItem:
    """Stand-in for the real items: type, digest of the canonical JSON, message fields."""

    type: str
    digest: bytes
    role: str | None = None
    text: str | None = None
    call_id: str | None = None


def make_item(wire: WireDict) -> Item:
    """Build one immutable item from its wire dict, digesting it once."""
    encoded = json.dumps(wire, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    content = wire.get("content")
    text = content if isinstance(content, str) or content is None else _parts_text(content)
    return BenchItem(
        type=wire["type"],
        digest=hashlib.sha256(encoded.encode()).digest(),
        role=wire.get("role"),
        text=text,
        call_id=wire.get("call_id"),
    )


def _parts_text(parts: list[WireDict]) -> str:
    return "".join(p.get("text", "") for p in parts if p.get("type") in _TEXT_PARTS)


_TEXT_PARTS = ("input_text", "output_text")


# -- a realistic history ----------------------------------------------------------------


def user_wire(i: int) -> WireDict:
    return {"type": "message", "role": "user", "content": f"Question {i}: " + "words " * 15}


def assistant_wire(i: int, *, parts: bool = True) -> WireDict:
    """An assistant message as the server outputs it, or (``parts=False``) in input form."""
    text = f"Answer {i}: " + "longer reply text " * 16
    content: Any = [{"type": "output_text", "text": text, "annotations": []}] if parts else text
    return {"type": "message", "role": "assistant", "content": content}


def history_wire(n: int) -> list[WireDict]:
    """`n` items cycling user, reasoning, function_call, function_call_output, assistant.

    `n` is a multiple of 5, so the last item is the previous response's answer.
    """
    if n % 5:
        raise ValueError(f"history size {n} is not a multiple of 5")
    items: list[WireDict] = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            items.append(user_wire(i))
        elif kind == 1:
            summary = [{"type": "summary_text", "text": "Thinking about it " * 5}]
            items.append({"type": "reasoning", "id": f"rs_{i}", "summary": summary})
        elif kind == 2:
            items.append(
                {
                    "type": "function_call",
                    "call_id": f"call_{i}",
                    "name": "get_weather",
                    "arguments": '{"city": "Paris", "unit": "celsius"}',
                }
            )
        elif kind == 3:
            output = '{"temperature": 21, "sky": "clear"}'
            items.append(
                {"type": "function_call_output", "call_id": f"call_{i - 1}", "output": output}
            )
        else:
            items.append(assistant_wire(i, parts=False))
    return items


# -- ours -------------------------------------------------------------------------------


def time_ours(
    n: int,
    repeats: int,
    factory: Callable[[WireDict], Item] = make_item,
    *,
    build_items: bool = True,
) -> list[int]:
    """Nanoseconds per turn, one figure per repetition, from a history of `n` items.

    With `build_items=False` the turn's two items are built once, outside the clock: what
    is left is the planner's own share (chain appends, plan, record).
    """
    wires = history_wire(n)
    items = [factory(w) for w in wires]
    chain = DigestChain(items)
    planner = Planner()
    # Steady state: the last item is the previous response's output.
    before = planner.plan(items[:-1], DigestChain(items[:-1]), epoch=0, context_key="k")
    last_output = [items[-1]]
    user, answer = user_wire(n), assistant_wire(n + 1)
    if not build_items:
        prebuilt = {id(user): factory(user), id(answer): factory(answer)}
        factory = lambda wire: prebuilt[id(wire)]  # noqa: E731
    timings: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(repeats):
        planner.record("resp_prev", before, last_output)
        start = clock()
        item = factory(user)
        items.append(item)
        chain.append(item)
        plan = planner.plan(items, chain, epoch=0, context_key="k")
        output = [factory(answer)]
        planner.record("resp_next", plan, output)
        items.extend(output)
        chain.extend(output)
        timings.append(clock() - start)
        if plan.start != n:
            raise AssertionError(f"expected a delta after {n} items, got {plan}")
        del items[n:]
        chain.truncate(n)
    return timings


# -- the seed's algorithm, re-implemented ----------------------------------------------


def _hash_prefix(items: Sequence[WireDict]) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()


def _wire_text(content: Any, part_type: str) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if p.get("type") == part_type)
    return str(content)


def _loose_output_match(items: Sequence[WireDict], output: Sequence[WireDict]) -> bool:
    if len(items) < len(output):
        return False
    for want, have in zip(output, items, strict=False):
        kind = want.get("type")
        if kind == "message":
            if have.get("role") != want.get("role", "assistant"):
                return False
            want_text = _wire_text(want.get("content", []), "output_text")
            if want_text != _wire_text(have.get("content", ""), "input_text"):
                return False
        elif kind == "function_call":
            if have.get("type") != "function_call" or have.get("call_id") != want.get("call_id"):
                return False
        else:
            return False
    return True


@dataclass
class SeedState:
    response_id: str | None = None
    input_len: int = 0
    input_hash: str = ""
    output: Sequence[WireDict] = ()

    def plan(self, full_input: list[WireDict]) -> list[WireDict]:
        if self.response_id is None or len(full_input) <= self.input_len:
            return full_input
        if _hash_prefix(full_input[: self.input_len]) != self.input_hash:
            return full_input
        after = full_input[self.input_len :]
        if not _loose_output_match(after, self.output):
            return full_input
        return after[len(self.output) :]

    def store(self, response_id: str, full_input: list[WireDict], output: list[WireDict]) -> None:
        self.response_id = response_id
        self.input_len = len(full_input)
        self.input_hash = _hash_prefix(full_input)
        self.output = output


def time_seed(n: int, repeats: int) -> list[int]:
    """Nanoseconds per turn of the whole-prefix algorithm, from a history of `n` items."""
    full_input = history_wire(n)
    state = SeedState()
    state.store("resp_prev", full_input[:-1], [full_input[-1]])
    saved = (state.input_len, state.input_hash, state.output)
    user, answer = user_wire(n), assistant_wire(n + 1)
    timings: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(repeats):
        state.response_id = "resp_prev"
        state.input_len, state.input_hash, state.output = saved
        start = clock()
        full_input.append(user)
        delta = state.plan(full_input)
        state.store("resp_next", full_input, [answer])
        full_input.append(answer)
        timings.append(clock() - start)
        if len(delta) != 1:
            raise AssertionError(f"expected a one-item delta after {n} items, got {len(delta)}")
        del full_input[n:]
    return timings


# -- figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """Median microseconds per turn for one history size."""

    items: int
    ours_us: float
    """Ours, including building and digesting the turn's two new items."""
    planner_us: float
    """Ours without building the items: chain appends, plan and record only."""
    seed_us: float
    ours_repeats: int
    seed_repeats: int

    @property
    def speedup(self) -> float:
        """How many times faster ours is than the seed's."""
        return self.seed_us / self.ours_us


@dataclass(frozen=True)
class Goal:
    name: str
    value: float
    target: str
    met: bool


def _median_us(timings: list[int]) -> float:
    return statistics.median(timings) / 1_000


def _timed(run: Callable[[], list[int]]) -> list[int]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        return run()
    finally:
        if enabled:
            gc.enable()


def measure(sizes: Sequence[int] = SIZES, *, ours_repeats: int = OURS_REPEATS) -> list[Figure]:
    """Time both algorithms for each history size; returns one `Figure` per size."""
    figures: list[Figure] = []
    time_ours(min(sizes), 200)  # warm up, so the first size is not charged for it
    for n in sizes:
        ours = _timed(partial(time_ours, n, ours_repeats))
        planner_only = _timed(partial(time_ours, n, ours_repeats, build_items=False))
        probe = _median_us(_timed(partial(time_seed, n, 3)))
        low, high = SEED_REPEATS
        seed_repeats = max(low, min(high, int(SEED_SECONDS_PER_SIZE * 1e6 / probe)))
        seed = _timed(partial(time_seed, n, seed_repeats))
        figures.append(
            Figure(
                items=n,
                ours_us=_median_us(ours),
                planner_us=_median_us(planner_only),
                seed_us=_median_us(seed),
                ours_repeats=ours_repeats,
                seed_repeats=seed_repeats,
            )
        )
    return figures


def goals(figures: Sequence[Figure]) -> list[Goal]:
    """The two goals: flat cost in history length, and far below the seed's at 10,000."""
    by_size = {f.items: f for f in figures}
    small, large = by_size[min(by_size)], by_size[max(by_size)]
    growth = large.ours_us / small.ours_us
    return [
        Goal(f"ours at {large.items:,} / ours at {small.items:,}", growth, "<= 2x", growth <= 2.0),
        Goal(f"seed / ours at {large.items:,}", large.speedup, ">= 100x", large.speedup >= 100.0),
    ]


def results() -> dict[str, Any]:
    """Figures and goals as plain data, for `make bench` to collect."""
    figures = measure()
    return {
        "benchmark": "planner",
        "unit": "microseconds per turn (median)",
        "figures": [{**asdict(f), "speedup": f.speedup} for f in figures],
        "goals": [asdict(g) for g in goals(figures)],
    }


def main() -> None:
    data = results()
    print(f"Planning one turn, {data['unit']}; python {sys.version.split()[0]}")
    print(f"{'items':>8} {'ours':>10} {'(planner)':>10} {'seed':>12} {'seed/ours':>10}")
    for f in data["figures"]:
        print(
            f"{f['items']:>8,} {f['ours_us']:>10.2f} {f['planner_us']:>10.2f}"
            f" {f['seed_us']:>12.2f} {f['speedup']:>9.0f}x"
        )
    print("ours: build + digest the 2 new items, chain appends, plan, record;")
    print("(planner): the same without building the items; seed: whole-prefix hash, twice")
    for g in data["goals"]:
        verdict = "met" if g["met"] else "NOT MET"
        print(f"goal: {g['name']} = {g['value']:.2f}x (target {g['target']}): {verdict}")


if __name__ == "__main__":
    main()
