"""Incremental context: which items a request must carry, and which the server already holds.

Over a WebSocket the server keeps, per connection, every response it produced: the input it
resolved and the output it generated. A request may then name that response as
``previous_response_id`` and carry only the items that follow its input and output. This
module decides, turn by turn, whether that is safe, in time proportional to the previous
response's output, never to the history.

Two pieces, both pure (values in, values out):

``DigestChain``
    Prefix digests of a conversation's items: ``prefix(n) = H(prefix(n - 1) + digest(item n))``
    with ``prefix(0)`` a fixed constant. Each item's own digest is computed once, when the
    item is made; appending costs one SHA-256 over 64 bytes. Equal prefix digests mean equal
    item sequences (short of a SHA-256 collision), so a whole prefix is compared in O(1).

``Planner``
    Remembers the last completed response and turns ``(items, chain)`` into a ``Plan``: send
    everything, or send ``items[start:]`` with ``previous_response_id``.

Invariants (the rest of the SDK relies on these):

1. **The chain describes the items.** The caller keeps ``len(chain) == len(items)`` and
   ``chain.prefix(n)`` built from ``items[:n]``: append to both together, and on any edit or
   removal at index ``i`` call ``chain.truncate(i)`` and re-append ``items[i:]``. ``plan``
   checks the lengths and raises ``InputError`` when they differ.
2. **What is remembered is what the server holds.** The planner remembers a response only
   through ``record``, called after ``response.completed``, with the ``Plan`` that produced
   the request. It then holds: the response id, the length ``L`` and prefix digest ``D`` of
   the full input that request stood for, the response's output items ``O``, and the
   connection epoch and context key of that request. Failed, incomplete and cancelled
   responses, ``previous_response_not_found``, reconnects and history edits call ``forget``.
3. **A delta is sent only when the server's view plus the delta is the full input.** That
   is, when something is remembered, the epoch and the context key are unchanged,
   ``len(items) > L + len(O)``, ``chain.prefix(L) == D`` and ``items[L:L + len(O)]`` match
   ``O`` item by item (rules in ``output_matches``). Then ``previous_response_id`` is the
   remembered id and ``start = L + len(O)``.
4. **Planning is O(len(O)).** ``plan`` reads one prefix digest and the ``len(O)`` items after
   it; it never visits ``items[:L]`` nor the new items after the output. ``plan`` changes no
   state: calling it twice gives the same ``Plan``.
5. **A request always has input.** When nothing follows the output, the plan is full context
   (reason ``"nothing new"``), because the API rejects an empty ``input``.

The output rules follow Pipecat's WebSocket service (a message matches by role and text, a
function call by ``call_id``) with one change: an item of any other type (``reasoning``,
``web_search_call``, ...) matches when its digest is equal, where Pipecat gave up on any
type it did not know. Any item whose digest equals the output item's matches, whatever its
type. The loose rules exist because a history may hold the server's output in another
form (a message's text as a plain string instead of ``output_text`` parts). Their price: an
edit that keeps a message's role and text, or a function call's ``call_id``, is invisible
here, so whoever edits history calls ``forget("history changed")`` as well.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ._exceptions import InputError

__all__ = [
    "EMPTY_PREFIX",
    "DigestChain",
    "ForgetReason",
    "Item",
    "Plan",
    "PlanReason",
    "Planner",
    "output_matches",
]


class Item(Protocol):
    """What the planner needs from a conversation item.

    Messages also have ``role: str`` and ``text: str`` (the string content, or the
    concatenation of its ``input_text`` / ``output_text`` parts); function calls also have
    ``call_id: str``. The planner reads those with ``getattr`` only for items of that type.
    """

    @property
    def type(self) -> str:
        """The wire ``type``: ``"message"``, ``"function_call"``, ``"reasoning"``, ..."""

    @property
    def digest(self) -> bytes:
        """SHA-256 of the item's canonical wire JSON, computed once."""


PlanReason = Literal[
    "no previous response",
    "connection changed",
    "settings changed",
    "history changed",
    "response not kept",
    "server forgot",
    "full context requested",
    "output mismatch",
    "nothing new",
    "incremental",
]
"""Why a plan is full context, or ``"incremental"`` when it is a delta."""

ForgetReason = Literal[
    "no previous response",
    "connection changed",
    "settings changed",
    "history changed",
    "response not kept",
    "server forgot",
]
"""Why the remembered response was dropped; reported by the next plan."""

EMPTY_PREFIX = hashlib.sha256(b"responses_client digest chain v1").digest()
"""``DigestChain.prefix(0)``: the digest of no items."""


# -- digest chain --------------------------------------------------------------


class DigestChain:
    """Prefix digests of a sequence of items, kept up to date one item at a time.

    ``prefix(n)`` is ``sha256(prefix(n - 1) + items[n - 1].digest)`` and ``prefix(0)`` is
    ``EMPTY_PREFIX``. The caller appends every item it appends to the history, and after
    editing or removing the item at index ``i`` calls ``truncate(i)`` and re-appends
    ``items[i:]``.

    The digests sit end to end in one ``bytearray`` (32 bytes each) rather than one
    ``bytes`` object each (65 bytes and a list slot): every conversation keeps one digest
    per item for its life (bench/scale.py measures memory per idle conversation).
    """

    __slots__ = ("_prefixes",)

    def __init__(self, items: Iterable[Item] = ()) -> None:
        self._prefixes = bytearray(EMPTY_PREFIX)
        self.extend(items)

    def __len__(self) -> int:
        return len(self._prefixes) // _SIZE - 1

    def __repr__(self) -> str:
        return f"DigestChain(len={len(self)}, head={self.head.hex()[:12]})"

    @property
    def head(self) -> bytes:
        """The digest of all items: ``prefix(len(self))``."""
        return bytes(self._prefixes[-_SIZE:])

    def append(self, item: Item) -> None:
        """Chain one more item (one SHA-256 over 64 bytes)."""
        prefixes = self._prefixes
        prefixes += _chained(bytes(prefixes[-_SIZE:]), item)

    def extend(self, items: Iterable[Item]) -> None:
        """Chain several items, in order."""
        prefixes = self._prefixes
        last = bytes(prefixes[-_SIZE:])
        sha256 = hashlib.sha256
        for item in items:
            last = sha256(last + item.digest).digest()
            prefixes += last

    def truncate(self, n: int) -> None:
        """Keep the digests of the first ``n`` items only.

        Raises:
            InputError: ``n`` is negative or larger than ``len(self)``.
        """
        if not 0 <= n <= len(self):
            raise InputError(f"cannot truncate a digest chain of {len(self)} items to {n}")
        del self._prefixes[(n + 1) * _SIZE :]

    def prefix(self, n: int) -> bytes:
        """The digest of the first ``n`` items.

        Raises:
            InputError: ``n`` is negative or larger than ``len(self)``.
        """
        if not 0 <= n <= len(self):
            raise InputError(f"no prefix of {n} items in a digest chain of {len(self)}")
        return bytes(self._prefixes[n * _SIZE : (n + 1) * _SIZE])


_SIZE = hashlib.sha256().digest_size
"""Bytes of one digest."""


def _chained(prefix: bytes, item: Item) -> bytes:
    """The prefix digest after ``item``, given the one before it."""
    return hashlib.sha256(prefix + item.digest).digest()


# -- output matching ---------------------------------------------------------------


def _same_output_item(have: Item, want: Item) -> bool:
    # An identical item always matches; this is also the only rule for types without one.
    if have.digest == want.digest:
        return True
    kind = want.type
    if have.type != kind:
        return False
    if kind == "message":
        return bool(
            getattr(have, "role", None) == getattr(want, "role", None)
            and getattr(have, "text", None) == getattr(want, "text", None)
        )
    if kind == "function_call":
        return bool(getattr(have, "call_id", None) == getattr(want, "call_id", None))
    return False


def output_matches(items: Sequence[Item], start: int, output: Sequence[Item]) -> bool:
    """Whether ``items[start:]`` begins with items that stand for ``output``.

    A history item stands for an output item when their digests are equal, or, for a
    ``message``, when the role and text are equal, or, for a ``function_call``, when the
    ``call_id`` is equal. Costs O(len(output)).
    """
    if len(items) - start < len(output):
        return False
    for offset, want in enumerate(output, start):
        if not _same_output_item(items[offset], want):
            return False
    return True


# -- planner -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """What one request carries: the items from ``start`` on, after ``previous_response_id``.

    A full-context plan has ``previous_response_id=None`` and ``start=0``.
    """

    previous_response_id: str | None
    """The response whose context the server reuses, or ``None`` for full context."""
    start: int
    """Send ``items[start:]``."""
    reason: PlanReason
    """Why this plan is full context, or ``"incremental"``."""
    input_len: int
    """Length of the full input this request stands for (all the items when planned)."""
    input_digest: bytes
    """``chain.prefix(input_len)``: what ``record`` remembers for the next plan."""
    epoch: int
    """Connection generation the plan was made for."""
    context_key: bytes | str
    """Instructions/model/tools key the plan was made for."""

    def extended(self, items: Sequence[Item]) -> Plan:
        """The plan as if this request's input had been followed by ``items``.

        What the server made a steered response's successor from: this request's input,
        the steered response's output and the steer input (``items``), which the history
        holds next, so ``record`` can remember the successor.
        """
        digest = self.input_digest
        for item in items:
            digest = _chained(digest, item)
        return Plan(
            self.previous_response_id,
            self.start,
            self.reason,
            self.input_len + len(items),
            digest,
            self.epoch,
            self.context_key,
        )

    @property
    def incremental(self) -> bool:
        """True when the request names a previous response and carries a delta."""
        return self.previous_response_id is not None

    @property
    def items_sent(self) -> int:
        """How many items the request carries."""
        return self.input_len - self.start

    @property
    def items_held(self) -> int:
        """How many items of the full input the server already holds."""
        return self.start


@dataclass(frozen=True, slots=True)
class _Remembered:
    response_id: str
    input_len: int
    input_digest: bytes
    output: tuple[Item, ...]
    epoch: int
    context_key: bytes | str


class Planner:
    """Remembers the last completed response and plans each request against it.

    Call ``plan`` right before sending a request, ``record`` after its
    ``response.completed`` with the same ``Plan``, and ``forget`` whenever the server may
    not hold that response any more, or the history was edited.
    """

    __slots__ = ("_forgotten", "_last")

    def __init__(self) -> None:
        self._last: _Remembered | None = None
        self._forgotten: ForgetReason = "no previous response"

    def __repr__(self) -> str:
        if self._last is None:
            return f"Planner(empty, {self._forgotten!r})"
        last = self._last
        return f"Planner({last.response_id!r}, input={last.input_len}, output={len(last.output)})"

    def plan(
        self,
        items: Sequence[Item],
        chain: DigestChain,
        *,
        epoch: int,
        context_key: bytes | str,
    ) -> Plan:
        """Decide what the next request carries; changes no state.

        Args:
            items: The full history, which the request stands for.
            chain: The digest chain of exactly ``items``.
            epoch: The connection generation the request will be sent on.
            context_key: A key of the request's instructions, model and tools.

        Returns:
            A full-context plan, or a delta after the remembered response.

        Raises:
            InputError: ``chain`` does not have one digest per item.
        """
        n = len(items)
        if len(chain) != n:
            raise InputError(f"digest chain has {len(chain)} items, history has {n}")
        digest = chain.head
        last = self._last
        reason: PlanReason
        if last is None:
            reason = self._forgotten
        elif last.epoch != epoch:
            reason = "connection changed"
        elif last.context_key != context_key:
            reason = "settings changed"
        elif n < last.input_len or chain.prefix(last.input_len) != last.input_digest:
            reason = "history changed"
        elif not output_matches(items, last.input_len, last.output):
            reason = "output mismatch"
        elif n == last.input_len + len(last.output):
            reason = "nothing new"
        else:
            start = last.input_len + len(last.output)
            return Plan(last.response_id, start, "incremental", n, digest, epoch, context_key)
        return Plan(None, 0, reason, n, digest, epoch, context_key)

    def record(self, response_id: str, plan: Plan, output: Sequence[Item]) -> None:
        """Remember a completed response for the next plan.

        Args:
            response_id: The ``id`` of the completed response.
            plan: The plan the request was built from.
            output: The response's output items, in order, as the server produced them.
        """
        self._last = _Remembered(
            response_id,
            plan.input_len,
            plan.input_digest,
            tuple(output),
            plan.epoch,
            plan.context_key,
        )

    def forget(self, reason: ForgetReason = "no previous response") -> None:
        """Drop the remembered response; the next plan is full context, giving ``reason``.

        Call it when a response failed, was incomplete or cancelled, when the server
        answered ``previous_response_not_found``, when the connection was replaced, and
        when the history was edited.
        """
        self._last = None
        self._forgotten = reason
