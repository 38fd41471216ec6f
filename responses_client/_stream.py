"""``TurnStream``, the caller's handle on one turn, and ``Turn``, what it shares with its pump.

A conversation makes a ``Turn`` for every ``stream()``: the turn's settings, its machine,
and who holds it now. The conversation's pump runs the turn's generator and reads the
settings; the ``TurnStream`` around the generator is what the caller iterates, enters and
closes. Who holds a stream decides what a new turn does with it (see
docs/concepts/turns.md):

- an ``async for`` loop over it or an ``async with`` block around it holds it (its task may
  be awaiting in the loop body): a turn of another task waits for it to end;
- a stream nobody holds, left unfinished, is abandoned: the next turn closes it.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from types import AsyncGeneratorType, TracebackType
from typing import Any

import anyio

from ._exceptions import ResponsesError
from ._items import FunctionCall
from ._request import RequestSettings
from ._steer import SteerAnswer
from ._tools import ToolOutcome, Toolset, run_tool_calls
from ._turn import TurnMachine, TurnResult
from .events import Event

__all__ = ["Turn", "TurnStream", "tools_running_for"]

_RUNNING_TOOLS_FOR: ContextVar[Any] = ContextVar("responses_client_running_tools_for", default=None)
"""The conversation whose tools the current task runs for (tasks inherit it)."""


def tools_running_for() -> Any:
    """The conversation whose tools the current task runs for, if any (``Turn.run_tools``)."""
    return _RUNNING_TOOLS_FOR.get()


def _no_waiter() -> None:
    """A finished turn's ``on_steer_answer``: nobody waits for an answer any more."""


def _current_task_id() -> int:
    return anyio.get_current_task().id


class _Iteration:
    """What ``async for`` holds while it iterates a ``TurnStream``: its lifetime is the loop's."""

    __slots__ = ("__weakref__", "_next")

    def __init__(self, generator: AsyncGeneratorType[Event, None]) -> None:
        self._next = generator.__anext__

    def __aiter__(self) -> _Iteration:
        return self

    def __anext__(self) -> Awaitable[Event]:
        # The generator's own awaitable, not a coroutine around it (one call per event).
        return self._next()


class Turn:
    """One turn's state, shared by its stream (the caller's side) and its conversation.

    Args:
        settings: The settings of this turn (the conversation's, or per-turn overrides).
        context_key: What the server's context depends on beside the items (planner key).
        toolset: The function tools this turn may run.
        machine: The turn's decisions (``_turn.TurnMachine``).
        release: Called once when the turn ends: the conversation lets go of it.
        interrupt: Interrupts the turn while another task runs it (``Conversation``'s).
        closed_early: The result of a turn closed before its end (``"interrupted"``).
    """

    # Slots: a turn in flight per conversation (bench/scale.py measures the peak).
    __slots__ = (
        "__weakref__",
        "_changed",
        "_closed_early",
        "_consumer",
        "_entered",
        "_generator",
        "_interrupt",
        "_loop_refs",
        "_loops",
        "_release",
        "context_key",
        "done",
        "machine",
        "result",
        "settings",
        "tool_scope",
        "toolset",
    )

    def __init__(
        self,
        *,
        settings: RequestSettings,
        context_key: bytes,
        toolset: Toolset,
        machine: TurnMachine,
        release: Callable[[Turn], None],
        interrupt: Callable[[Turn], Awaitable[None]],
        closed_early: Callable[[Turn], TurnResult],
    ) -> None:
        self.settings = settings
        self.context_key = context_key
        self.toolset = toolset
        self.machine = machine
        self.tool_scope: anyio.CancelScope | None = None
        """The scope of the tools running now, which ``interrupt()`` cancels."""
        self.result: TurnResult | None = None
        self.done = False
        self._release = release
        self._interrupt = interrupt
        self._closed_early = closed_early
        self._generator: AsyncGeneratorType[Event, None] | None = None
        self._changed: anyio.Event | None = None
        """Set when the turn ends or is let go of; made only when a task waits."""
        self._loops = 0
        self._loop_refs: list[weakref.ref[_Iteration]] = []
        """The live loops' references (a list: there is rarely more than one)."""
        self._entered = 0
        self._consumer: int | None = None
        """The task that last began consuming the stream."""
        machine.on_steer_answer = self._signal  # wakes ``steer_answer``

    # -- who holds it ----------------------------------------------------------------

    def run(self, generator: AsyncGeneratorType[Event, None]) -> TurnStream:
        """The caller's stream over ``generator``, the conversation's pump for this turn."""
        self._generator = generator
        return TurnStream(self, generator)

    @property
    def consumed(self) -> bool:
        """Whether a caller holds the stream: an ``async for`` loop or ``async with`` block."""
        return self._loops > 0 or self._entered > 0

    def consumed_by_this_task(self) -> bool:
        """Whether the task asking is the one holding the stream."""
        return self.consumed and self._consumer == _current_task_id()

    @property
    def pulling(self) -> bool:
        """Whether a task is inside the stream now (running it, not parked at an event)."""
        return self._generator is not None and self._generator.ag_running

    def _loop_started(self, iteration: _Iteration) -> None:
        self._loops += 1
        self._loop_refs.append(weakref.ref(iteration, self._loop_ended))
        self._consumer = _current_task_id()

    def _loop_ended(self, ref: weakref.ref[_Iteration]) -> None:
        if ref in self._loop_refs:
            self._loop_refs.remove(ref)
        self._loops -= 1
        self._signal()

    def _entered_block(self) -> None:
        self._entered += 1
        self._consumer = _current_task_id()

    def _left_block(self) -> None:
        self._entered -= 1
        self._signal()

    async def run_tools(
        self, calls: Sequence[FunctionCall], owner: object
    ) -> list[ToolOutcome] | None:
        """Run one round's calls for ``owner``; ``None`` when ``interrupt()`` cancelled them."""
        with anyio.CancelScope() as scope:
            self.tool_scope = scope
            running = _RUNNING_TOOLS_FOR.set(owner)  # seen by the tools' tasks (contextvars)
            try:
                outcomes = await run_tool_calls(calls, self.toolset)
            finally:
                _RUNNING_TOOLS_FOR.reset(running)
        self.tool_scope = None
        return None if scope.cancelled_caught else outcomes

    # -- waiting for it ----------------------------------------------------------------

    async def wait_finished(self) -> None:
        """Wait until the turn has ended."""
        while not self.done:
            await self._wait_change()

    async def wait_released(self) -> None:
        """Wait until the turn ends, or until nobody is inside it or holding it."""
        while not self.done and (self.pulling or self.consumed):
            await self._wait_change()

    async def steer_answer(self, ticket: int) -> SteerAnswer:
        """Wait for the first answer to the steer ``ticket`` (``"sent"`` if the turn ends)."""
        answers = self.machine.steers.answers
        while ticket not in answers and not self.done:
            await self._wait_change()
        return answers.pop(ticket, SteerAnswer("sent"))

    async def _wait_change(self) -> None:
        if self._changed is None:
            self._changed = anyio.Event()
        await self._changed.wait()

    def _signal(self) -> None:
        # The event is made only when a task waits (rare: most turns end first).
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    # -- ending it ----------------------------------------------------------------------

    def finish(self, result: TurnResult | None = None) -> None:
        """Record the end of the turn (with its result, if it has one) and let go of it."""
        if result is not None:
            self.result = result
        self.done = True
        self._signal()
        # Drop the machine's way back to this turn (``_signal``): without the cycle, a
        # finished turn is freed once nobody holds it, not at some later cyclic garbage
        # collection (bench/scale.py: many conversations end turns at once).
        self.machine.on_steer_answer = _no_waiter
        # A finished turn counts as no turn everywhere; letting go of it frees its
        # generator, event and result while the conversation idles.
        self._release(self)

    async def close(self) -> None:
        """Stop the turn now (see ``TurnStream.aclose``)."""
        generator = self._generator
        if generator is None:
            self.finish()
            return
        if generator.ag_running:
            await self._interrupt(self)
            await self.wait_finished()
            return
        ended = self.done
        await generator.aclose()
        if not ended and self.result is None and self.machine.has_started:
            # Closed before its end: what it streamed so far stays readable.
            self.finish(self._closed_early(self))
        else:
            self.finish()


class TurnStream:
    """The events of one turn: an async iterator that is also an async context manager.

    ``async for event in convo.stream(...)`` runs the turn; ``async with convo.stream(...) as
    events`` also closes it (cancelling the response in flight) when the block is left early.
    After the iteration ends, ``result`` holds the ``TurnResult``.
    """

    __slots__ = ("__weakref__", "_generator", "_turn")

    def __init__(self, turn: Turn, generator: AsyncGeneratorType[Event, None]) -> None:
        """Made by ``Conversation.stream()``; not meant to be built by hand."""
        self._turn = turn
        self._generator = generator

    def __aiter__(self) -> AsyncIterator[Event]:
        # The iterator lives exactly as long as the ``async for`` loop holding it: while it
        # does, the stream is being consumed (its task may be awaiting in the loop body),
        # and a turn started by another task waits instead of closing it.
        iteration = _Iteration(self._generator)
        self._turn._loop_started(iteration)
        return iteration

    def __anext__(self) -> Awaitable[Event]:
        # For ``anext(stream)``: the generator's own awaitable, not a coroutine around it.
        return self._generator.__anext__()

    async def aclose(self) -> None:
        """Stop the turn now; a response in flight is cancelled on the server.

        Safe from any task: when another task is inside the stream, the turn is interrupted
        and this waits until that task has unwound it.
        """
        await self._turn.close()

    async def __aenter__(self) -> TurnStream:
        self._turn._entered_block()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._turn._left_block()
        await self.aclose()

    @property
    def finished(self) -> bool:
        """Whether the turn has ended (completed, failed, interrupted or closed)."""
        return self._turn.done

    @property
    def result(self) -> TurnResult:
        """The turn's result, once the iteration has ended.

        A turn closed before its end (``aclose()``, leaving ``async with`` early, or closed by
        the next turn after a ``break``) has an ``"interrupted"`` result holding the text
        streamed so far.

        Raises:
            ResponsesError: the turn has not ended, or ended with an error.
        """
        if self._turn.result is None:
            raise ResponsesError("the turn has no result: it has not completed")
        return self._turn.result
