"""The planner: prefix digests, plans for every reason, and a model of the server's cache."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responses_client import InputError
from responses_client._planner import (
    EMPTY_PREFIX,
    DigestChain,
    Plan,
    Planner,
    output_matches,
)

# -- a test double for the real items --------------------------------------------


@dataclass(frozen=True)
class Wire:
    """An immutable item over a wire dict, with its digest computed once, like the real ones."""

    type: str
    digest: bytes
    wire_json: str
    role: str | None = None
    text: str | None = None
    call_id: str | None = None


def wire(data: dict[str, Any]) -> Wire:
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = None
    content = data.get("content")
    if isinstance(content, str):
        text = content
    elif isinstance(content, list):
        text = "".join(p["text"] for p in content if p["type"] in ("input_text", "output_text"))
    return Wire(
        type=data["type"],
        digest=hashlib.sha256(encoded.encode()).digest(),
        wire_json=encoded,
        role=data.get("role"),
        text=text,
        call_id=data.get("call_id"),
    )


def user(text: str) -> Wire:
    return wire({"type": "message", "role": "user", "content": text})


def assistant(text: str, *, parts: bool = True) -> Wire:
    content: Any = [{"type": "output_text", "text": text}] if parts else text
    return wire({"type": "message", "role": "assistant", "content": content})


def call(call_id: str, arguments: str = "{}") -> Wire:
    return wire(
        {"type": "function_call", "call_id": call_id, "name": "lookup", "arguments": arguments}
    )


def call_output(call_id: str, output: str = "ok") -> Wire:
    return wire({"type": "function_call_output", "call_id": call_id, "output": output})


def reasoning(summary: str) -> Wire:
    return wire({"type": "reasoning", "summary": [{"type": "summary_text", "text": summary}]})


@dataclass
class History:
    """Items plus their chain, kept together the way the Conversation keeps them."""

    items: list[Wire] = field(default_factory=list)
    chain: DigestChain = field(default_factory=DigestChain)

    def append(self, *items: Wire) -> None:
        self.items.extend(items)
        self.chain.extend(items)

    def replace(self, index: int, item: Wire) -> None:
        self.items[index] = item
        self.chain.truncate(index)
        self.chain.extend(self.items[index:])

    def remove(self, index: int) -> None:
        del self.items[index]
        self.chain.truncate(index)
        self.chain.extend(self.items[index:])

    def digests(self) -> list[bytes]:
        return [item.digest for item in self.items]


# -- digest chain ------------------------------------------------------------------


def test_empty_chain_has_the_constant_prefix() -> None:
    chain = DigestChain()
    assert len(chain) == 0
    assert chain.prefix(0) == chain.prefix(len(chain)) == EMPTY_PREFIX


def test_prefix_is_the_chained_hash_of_item_digests() -> None:
    a, b = user("a"), user("b")
    chain = DigestChain([a, b])
    first = hashlib.sha256(EMPTY_PREFIX + a.digest).digest()
    assert chain.prefix(1) == first
    assert chain.prefix(2) == chain.prefix(len(chain)) == hashlib.sha256(first + b.digest).digest()


def test_append_and_extend_agree_and_order_matters() -> None:
    a, b, c = user("a"), assistant("b"), call("c")
    one_by_one = DigestChain()
    for item in (a, b, c):
        one_by_one.append(item)
    assert [one_by_one.prefix(n) for n in range(4)] == [
        DigestChain([a, b, c]).prefix(n) for n in range(4)
    ]
    assert DigestChain([a, b]).prefix(2) != DigestChain([b, a]).prefix(2)


def test_truncate_then_reappend_restores_the_same_digests() -> None:
    items = [user("a"), assistant("b"), user("c")]
    chain = DigestChain(items)
    before = [chain.prefix(n) for n in range(4)]
    chain.truncate(1)
    assert len(chain) == 1
    assert chain.prefix(1) == before[1]
    chain.extend(items[1:])
    assert [chain.prefix(n) for n in range(4)] == before


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="xy", max_size=2), max_size=12),
    st.lists(st.tuples(st.booleans(), st.integers(0, 100), st.text(alphabet="xy", max_size=2))),
)
def test_incremental_chain_equals_a_fresh_one(texts: list[str], edits: list[Any]) -> None:
    history = History()
    history.append(*(user(t) for t in texts))
    for remove, index, text in edits:
        if remove and history.items:
            history.remove(index % len(history.items))
        elif history.items:
            history.replace(index % len(history.items), user(text))
        else:
            history.append(user(text))
        fresh = DigestChain(history.items)
        assert len(history.chain) == len(fresh) == len(history.items)
        assert [history.chain.prefix(n) for n in range(len(fresh) + 1)] == [
            fresh.prefix(n) for n in range(len(fresh) + 1)
        ]


@pytest.mark.parametrize("n", [-1, 4])
def test_out_of_range_prefix_and_truncate_raise(n: int) -> None:
    chain = DigestChain([user("a"), user("b"), user("c")])
    with pytest.raises(InputError, match=str(n)):
        chain.prefix(n)
    with pytest.raises(InputError, match=str(n)):
        chain.truncate(n)
    assert len(chain) == 3


# -- output matching ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("have", "want", "matches"),
    [
        # The history may hold an output message in input form: role and text decide.
        (assistant("hi", parts=False), assistant("hi"), True),
        (assistant("hi"), assistant("hi!"), False),
        (user("hi"), assistant("hi"), False),
        # Function calls are matched by call_id alone (the seed's rule, kept on purpose).
        (call("c1", '{"a": 1}'), call("c1", '{"a": 2}'), True),
        (call("c2"), call("c1"), False),
        (call_output("c1"), call("c1"), False),
        # Other types: equal digests match; Pipecat rejected every such item.
        (reasoning("think"), reasoning("think"), True),
        (reasoning("think"), reasoning("other"), False),
        (
            wire({"type": "web_search_call", "id": "ws_1", "status": "completed"}),
            wire({"type": "web_search_call", "id": "ws_1", "status": "completed"}),
            True,
        ),
        (assistant("hi"), reasoning("hi"), False),
    ],
)
def test_output_item_rules(have: Wire, want: Wire, matches: bool) -> None:
    assert output_matches([user("before"), have], 1, [want]) is matches


def test_output_matches_needs_every_output_item() -> None:
    out = [reasoning("r"), call("c1")]
    assert output_matches([user("u"), reasoning("r"), call("c1"), call_output("c1")], 1, out)
    assert not output_matches([user("u"), reasoning("r")], 1, out)
    assert output_matches([user("u")], 1, [])


# -- plans, one per reason -----------------------------------------------------------


@dataclass
class Scene:
    """One completed turn: [user] sent in full, answered with [reasoning, assistant]."""

    history: History
    planner: Planner
    epoch: int = 0
    context_key: bytes | str = b"ctx"

    def plan(self) -> Plan:
        return self.planner.plan(
            self.history.items, self.history.chain, epoch=self.epoch, context_key=self.context_key
        )


def completed_turn() -> Scene:
    scene = Scene(History(), Planner())
    scene.history.append(user("hello"))
    first = scene.plan()
    output = [reasoning("greet"), assistant("hi there")]
    scene.planner.record("resp_1", first, output)
    scene.history.append(*output)
    return scene


def _append_user(s: Scene) -> None:
    s.history.append(user("and then?"))


def _reconnect(s: Scene) -> None:
    s.epoch += 1
    _append_user(s)


def _new_settings(s: Scene) -> None:
    s.context_key = b"other"
    _append_user(s)


def _edit_input(s: Scene) -> None:
    s.history.replace(0, user("HELLO"))
    _append_user(s)


def _remove_input(s: Scene) -> None:
    s.history.remove(0)
    _append_user(s)


def _shrink(s: Scene) -> None:
    s.history.remove(2)
    s.history.remove(1)
    s.history.remove(0)


def _edit_output(s: Scene) -> None:
    s.history.replace(2, assistant("hi there, edited"))
    _append_user(s)


def _drop_output(s: Scene) -> None:
    s.history.remove(1)
    _append_user(s)


def _forget(reason: Any) -> Callable[[Scene], None]:
    def mutate(s: Scene) -> None:
        s.planner.forget(reason)
        _append_user(s)

    return mutate


def _nothing(s: Scene) -> None:
    del s


@pytest.mark.parametrize(
    ("mutate", "reason", "start"),
    [
        (_append_user, "incremental", 3),
        (_nothing, "nothing new", 0),
        (_reconnect, "connection changed", 0),
        (_new_settings, "settings changed", 0),
        (_edit_input, "history changed", 0),
        (_remove_input, "history changed", 0),
        (_shrink, "history changed", 0),
        (_edit_output, "output mismatch", 0),
        (_drop_output, "output mismatch", 0),
        (_forget("no previous response"), "no previous response", 0),
        (_forget("connection changed"), "connection changed", 0),
        (_forget("history changed"), "history changed", 0),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else str(v),
)
def test_plan_reasons(mutate: Callable[[Scene], None], reason: str, start: int) -> None:
    scene = completed_turn()
    mutate(scene)
    plan = scene.plan()
    assert (plan.reason, plan.start) == (reason, start)
    assert plan.incremental is (reason == "incremental")
    assert plan.previous_response_id == ("resp_1" if plan.incremental else None)
    assert plan.items_held == start
    assert plan.items_sent == len(scene.history.items) - start
    assert plan.input_len == len(scene.history.items)
    assert plan.input_digest == scene.history.chain.head


def test_first_plan_is_full_context() -> None:
    history = History()
    history.append(user("hello"))
    plan = Planner().plan(history.items, history.chain, epoch=0, context_key="k")
    assert (plan.previous_response_id, plan.start, plan.reason) == (None, 0, "no previous response")
    assert (plan.items_sent, plan.items_held) == (1, 0)


def test_plan_changes_no_state_and_record_chains_turns() -> None:
    scene = completed_turn()
    _append_user(scene)
    second = scene.plan()
    assert scene.plan() == second
    assert second.previous_response_id == "resp_1"
    scene.planner.record("resp_2", second, [assistant("fine")])
    scene.history.append(assistant("fine"), user("bye"))
    third = scene.plan()
    assert (third.previous_response_id, third.start, third.items_sent) == ("resp_2", 5, 1)


def test_plan_rejects_a_chain_that_is_not_the_history() -> None:
    scene = completed_turn()
    scene.history.items.append(user("not chained"))
    with pytest.raises(InputError, match="3 items, history has 4"):
        scene.plan()


class WatchedItems(Sequence[Wire]):
    """A history that records which indices the planner reads."""

    def __init__(self, items: list[Wire]) -> None:
        self._items = items
        self.read: set[int] = set()

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Wire: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Wire]: ...
    def __getitem__(self, index: int | slice) -> Wire | Sequence[Wire]:
        if isinstance(index, slice):
            raise AssertionError("the planner must not copy the history")
        self.read.add(index)
        return self._items[index]

    def __iter__(self) -> Iterator[Wire]:
        raise AssertionError("the planner must not walk the history")


def test_planning_reads_only_the_previous_output() -> None:
    history = History()
    history.append(*(user(f"m{i}") for i in range(500)))
    planner = Planner()
    first = planner.plan(history.items, history.chain, epoch=0, context_key="k")
    output = [reasoning("r"), call("c1")]
    planner.record("resp_1", first, output)
    history.append(*output, call_output("c1"), *(user(f"n{i}") for i in range(500)))
    watched = WatchedItems(history.items)
    plan = planner.plan(watched, history.chain, epoch=0, context_key="k")
    assert (plan.reason, plan.start, plan.items_sent) == ("incremental", 502, 501)
    assert watched.read == {500, 501}


# -- property: a delta always rebuilds the full input on the server ------------------

Op = tuple[Any, ...]

OP_ARGUMENTS: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "user": st.tuples(st.text(alphabet="ab", max_size=2)),
    "pair": st.tuples(),
    "turn": st.tuples(st.sampled_from(["message", "tools", "reasoning"]), st.booleans()),
    "edit": st.tuples(st.integers(0, 10_000), st.booleans()),
    "remove": st.tuples(st.integers(0, 10_000), st.booleans()),
    "settings": st.tuples(),
    "reconnect": st.tuples(st.booleans()),
    "evict": st.tuples(),
}
# Appends and turns are the common case; a break now and then tests the recovery.
OP_WEIGHTS = ["user"] * 3 + ["pair"] + ["turn"] * 4 + ["edit", "remove", "settings"]
OP_WEIGHTS += ["reconnect", "evict"]
ops = st.sampled_from(OP_WEIGHTS).flatmap(
    lambda name: OP_ARGUMENTS[name].map(lambda arguments: (name, *arguments))
)


def edited(item: Wire) -> Wire:
    """A different item in the same place: every edit changes what the planner compares."""
    data = json.loads(item.wire_json)
    if data["type"] == "message":
        content = data["content"]
        if isinstance(content, str):
            data["content"] = content + "!"
        else:
            content[0]["text"] += "!"
    elif "call_id" in data:
        data["call_id"] += "!"
    else:
        data["summary"][0]["text"] += "!"
    return wire(data)


class Server:
    """The server's view: per connection, each response's resolved input + output.

    It also keeps the settings key each response was made under: a delta made under other
    instructions, model or tools would mix two contexts.
    """

    def __init__(self) -> None:
        self.held: dict[str, tuple[str, list[bytes]]] = {}
        self.count = 0

    def respond(self, key: str, context: list[bytes], kind: str) -> tuple[str, list[Wire]]:
        self.count += 1
        n = self.count
        output: list[Wire]
        if kind == "message":
            output = [assistant(f"answer {n}")]
        elif kind == "reasoning":
            output = [reasoning(f"thought {n}"), assistant(f"answer {n}")]
        else:
            output = [reasoning(f"thought {n}"), call(f"call_{n}a"), call(f"call_{n}b")]
        response_id = f"resp_{n}"
        self.held[response_id] = (key, context + [item.digest for item in output])
        return response_id, output


@settings(max_examples=400, deadline=None)
@given(st.lists(ops, min_size=4, max_size=60))
def test_a_delta_always_rebuilds_the_full_input(script: list[Op]) -> None:
    history, planner, server = History(), Planner(), Server()
    epoch, context_key = 0, "ctx-0"
    evicted = False
    # Set after a completed, recorded turn; cleared by anything but appends.
    safe_from: int | None = None
    calls = 0
    for op in script:
        name = op[0]
        if name == "user":
            history.append(user(op[1]))
        elif name == "pair":
            calls += 1
            history.append(call(f"user_call_{calls}"), call_output(f"user_call_{calls}"))
        elif name in ("edit", "remove") and history.items:
            index = op[1] % len(history.items)
            if name == "edit":
                history.replace(index, edited(history.items[index]))
            else:
                history.remove(index)
            if op[2]:
                planner.forget("history changed")
            safe_from = None
        elif name == "settings":
            context_key += "+"
            safe_from = None
        elif name == "reconnect":
            epoch += 1
            server.held.clear()
            if op[1]:
                planner.forget("connection changed")
            safe_from = None
        elif name == "evict":
            # The server lost its cache without a reconnect: previous_response_not_found.
            server.held.clear()
            evicted = True
        elif name == "turn":
            if not history.items:
                continue
            full = history.digests()
            plan = planner.plan(history.items, history.chain, epoch=epoch, context_key=context_key)
            if safe_from is not None and len(full) > safe_from:
                assert plan.incremental, plan.reason
                assert plan.start == safe_from
            if plan.incremental and plan.previous_response_id not in server.held:
                assert evicted
                planner.forget("no previous response")
                plan = planner.plan(
                    history.items, history.chain, epoch=epoch, context_key=context_key
                )
            evicted = False
            if plan.incremental:
                assert plan.previous_response_id is not None
                delta = full[plan.start :]
                assert delta, "a request needs at least one input item"
                held_key, held = server.held[plan.previous_response_id]
                assert held_key == context_key
                assert held + delta == full
            else:
                assert plan.start == 0
            assert plan.incremental is (plan.reason == "incremental")
            assert plan.items_sent + plan.items_held == len(full)
            response_id, output = server.respond(context_key, full, op[1])
            if op[2]:
                # Failed, incomplete or cancelled: nothing is appended or remembered.
                planner.forget("no previous response")
                safe_from = None
                continue
            planner.record(response_id, plan, output)
            history.append(*output)
            safe_from = len(history.items)
            history.append(*(call_output(o.call_id) for o in output if o.call_id))
