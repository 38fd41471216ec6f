"""``Conversation``: the items of a dialogue, and the turns that extend them.

The only stateful orchestrator. A turn runs as one async generator:

    plan (planner) -> body (request) -> events (transport) -> fold (turn)
        -> tool calls (tools) -> outputs appended -> next round, until a response has no calls

History rules (see docs/concepts/turns.md):

- The caller's input is appended when the turn starts and stays, whatever happens next.
- A round is appended only when it is finished: its response completed and, when it asked for
  tools, every call has its output. Then each completed response's output is in the history
  exactly once, and nothing of a failed, incomplete, cancelled or retried attempt is.
- One turn at a time. A turn that starts while an earlier stream is abandoned (its loop
  left, nobody inside it) closes that stream first, which cancels its response; a turn that
  another task starts while a stream is consumed (an ``async for`` loop or ``async with``
  block holds it) waits for it to end. A turn started inside a loop of the same task, or by
  a tool of the conversation, raises ``InputError``: it could only wait for itself.
- Edits of the history are refused while a turn runs; an item that cannot be encoded is
  refused before it is appended.
- A request over ``max_request_bytes`` is refused before it is sent (``_request_size``);
  when it is the turn's first, the turn's input is taken out again, so nothing was added.
  A tool output too large to send goes back to the model as an error text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
import warnings
import weakref
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import aclosing
from contextvars import ContextVar
from dataclasses import replace
from types import AsyncGeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio

from ._exceptions import (
    APIStatusError,
    APITimeoutError,
    InputError,
    ResponsesError,
    TransportError,
)
from ._fold import Ending, ResponseFold
from ._history import History, InputLike, coerce_items
from ._items import FunctionCall, Item, Message
from ._planner import Planner
from ._request import RequestSettings, TurnOptions, build_body, plain_json, redact_body
from ._request_size import check_request, fit_tool_outputs
from ._retry import RetryPolicy
from ._tools import Tool, ToolLike, ToolOutcome, Toolset, run_tool_calls, split_tools
from ._transports.base import Transport
from ._turn import (
    Emit,
    Fail,
    Finish,
    Forget,
    Keep,
    Remember,
    RunTools,
    Send,
    TurnMachine,
    TurnResult,
    Wait,
)
from .events import Event

if sys.version_info >= (3, 11):
    from typing import Unpack
else:  # pragma: no cover (3.10)
    from typing_extensions import Unpack

if TYPE_CHECKING:
    import asyncio

__all__ = ["Conversation", "TurnStream"]

logger = logging.getLogger("responses_client")

_RUNNING_TOOLS_OF: ContextVar[Conversation | None] = ContextVar(
    "responses_client_running_tools_of", default=None
)
"""The conversation whose tools the current task runs for (tasks inherit it)."""

_JSON_VERSION = 2
"""Version 2 keeps the settings as one object; ``Client.restore`` reads version 1 too."""


class _Restorer(Protocol):
    """What ``from_json`` needs of a client (``Client`` fits)."""

    def restore(
        self,
        data: Mapping[str, Any],
        *,
        tools: Iterable[Tool[..., Any] | Callable[..., Any]] = (),
        transport: Any = None,
    ) -> Conversation: ...


# Transport closes started by ``Conversation.__del__``, kept until done (a task nobody
# references may be collected before it runs).
_cleanups: set[asyncio.Task[None]] = set()


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


def _context_key(settings: RequestSettings) -> bytes:
    """What the server's context depends on beside the items: model, instructions, tools."""
    key = json.dumps(
        [settings.model, settings.instructions, list(settings.tools)],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(key.encode()).digest()


def _current_task_id() -> int:
    return anyio.get_current_task().id


class TurnStream:
    """The events of one turn: an async iterator that is also an async context manager.

    ``async for event in convo.stream(...)`` runs the turn; ``async with convo.stream(...) as
    events`` also closes it (cancelling the response in flight) when the block is left early.
    After the iteration ends, ``result`` holds the ``TurnResult``.
    """

    def __init__(
        self,
        conversation: Conversation,
        input: InputLike,
        settings: RequestSettings,
        context_key: bytes,
    ) -> None:
        self._conversation = conversation
        self._settings = settings
        """The settings of this turn (the conversation's, or per-turn overrides of them)."""
        self._context_key = context_key
        self._toolset = conversation._tools
        self._generator = cast(
            "AsyncGeneratorType[Event, None]", conversation._run_turn(self, coerce_items(input))
        )
        self._result: TurnResult | None = None
        self._done = False
        self._changed: anyio.Event | None = None
        """Set when the turn ends or is let go of; made only when a task waits."""
        self._loops = 0
        self._loop_refs: set[weakref.ref[_Iteration]] = set()
        self._entered = 0
        self._consumer: int | None = None
        """The task that last began consuming the stream."""
        self._machine = conversation._new_machine()
        self._tool_scope: anyio.CancelScope | None = None

    def __aiter__(self) -> AsyncIterator[Event]:
        # The iterator lives exactly as long as the ``async for`` loop holding it: while it
        # does, the stream is being consumed (its task may be awaiting in the loop body),
        # and a turn started by another task waits instead of closing it.
        iteration = _Iteration(self._generator)
        self._loops += 1
        self._loop_refs.add(weakref.ref(iteration, self._loop_ended))
        self._consumer = _current_task_id()
        return iteration

    def _loop_ended(self, ref: weakref.ref[_Iteration]) -> None:
        self._loop_refs.discard(ref)
        self._loops -= 1
        self._signal()

    @property
    def _consumed(self) -> bool:
        """Whether a caller holds the stream: an ``async for`` loop or ``async with`` block."""
        return self._loops > 0 or self._entered > 0

    def _consumed_by_this_task(self) -> bool:
        return self._consumed and self._consumer == _current_task_id()

    def __anext__(self) -> Awaitable[Event]:
        # For ``anext(stream)``: the generator's own awaitable, not a coroutine around it.
        return self._generator.__anext__()

    @property
    def _pulling(self) -> bool:
        """Whether a task is inside the stream now (running it, not parked at an event)."""
        return self._generator.ag_running

    async def aclose(self) -> None:
        """Stop the turn now; a response in flight is cancelled on the server.

        Safe from any task: when another task is inside the stream, the turn is interrupted
        and this waits until that task has unwound it.
        """
        if self._pulling:
            if self._conversation._current is self:
                await self._conversation.interrupt()
            await self._wait_finished()
            return
        ended = self._done
        await self._generator.aclose()
        if not ended and self._result is None and self._machine.has_started:
            # Closed before its end: what it streamed so far stays readable.
            self._finish(self._conversation._result_of(self._machine, Finish("interrupted")))
        else:
            self._finish()

    async def __aenter__(self) -> TurnStream:
        self._entered += 1
        self._consumer = _current_task_id()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered -= 1
        self._signal()
        await self.aclose()

    @property
    def finished(self) -> bool:
        """Whether the turn has ended (completed, failed, interrupted or closed)."""
        return self._done

    async def _wait_finished(self) -> None:
        while not self._done:
            await self._wait_change()

    async def _wait_released(self) -> None:
        """Wait until the turn ends, or until nobody is inside it or holding it."""
        while not self._done and (self._pulling or self._consumed):
            await self._wait_change()

    async def _wait_change(self) -> None:
        if self._changed is None:
            self._changed = anyio.Event()
        await self._changed.wait()

    def _signal(self) -> None:
        # The event is made only when a task waits (rare: most turns end first).
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    @property
    def result(self) -> TurnResult:
        """The turn's result, once the iteration has ended.

        A turn closed before its end (``aclose()``, leaving ``async with`` early, or closed by
        the next turn after a ``break``) has an ``"interrupted"`` result holding the text
        streamed so far.

        Raises:
            ResponsesError: the turn has not ended, or ended with an error.
        """
        if self._result is None:
            raise ResponsesError("the turn has no result: it has not completed")
        return self._result

    def _finish(self, result: TurnResult | None = None) -> None:
        if result is not None:
            self._result = result
        self._done = True
        self._signal()
        # A finished turn counts as no turn everywhere; letting go of it frees its
        # generator, event and result while the conversation idles.
        if self._conversation._current is self:
            self._conversation._current = None


class Conversation:
    """A dialogue with a model: its items, its settings, and the turns that extend it.

    Make one with ``Client.conversation(...)``. Only one turn runs at a time; many
    conversations can run concurrently in one process.

    Close it with ``aclose()`` (or ``async with``), or close its ``Client``. One that is
    garbage-collected while it still holds a connection (a parked stream, an open
    WebSocket) warns ``ResourceWarning``, like an unclosed file, and closes its transport
    on the running loop.
    """

    def __init__(
        self,
        *,
        transport: Transport,
        settings: RequestSettings,
        tools: Toolset,
        items: Iterable[Item] = (),
        max_tool_rounds: int = 10,
        retry: RetryPolicy | None = None,
        retry_after_output: bool = True,
        clock: Callable[[], float] = time.perf_counter,
        on_close: Callable[[Conversation], None] | None = None,
        max_request_bytes: int | None = None,
    ) -> None:
        """Create a conversation; prefer ``Client.conversation()``, which fills these in."""
        if max_tool_rounds < 1:
            raise InputError("max_tool_rounds must be at least 1")
        if max_request_bytes is None:  # the wire's own limit, if it has one
            max_request_bytes = getattr(transport, "max_request_bytes", None)
        self._max_request_bytes = max_request_bytes
        self._transport = transport
        self._settings = settings
        self._tools = tools
        self._history = History()
        self._planner = Planner()
        self._max_tool_rounds = max_tool_rounds
        self._retry = retry or RetryPolicy()
        self._retry_after_output = retry_after_output
        self._clock = clock
        self._on_close = on_close
        self._current: TurnStream | None = None
        self._latest: weakref.ref[TurnStream] | None = None
        """The stream made last, which ``interrupt()`` reaches before it runs."""
        self._closed = False
        self._context_key = _context_key(settings)
        self._history.append(list(items))

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # Like an unclosed file: a conversation dropped while it still holds a connection
        # (a parked stream, an open WebSocket) warns, and its transport is closed on the
        # running loop. One that holds nothing needs no closing and stays silent.
        if self.__dict__.get("_closed", True) or not self._holds_connection():
            return
        _warn(f"unclosed conversation {self!r}", ResourceWarning, stacklevel=2, source=self)
        self._closed = True
        # asyncio is not imported at import time (it costs about 25 ms); a running loop
        # implies it was imported by someone.
        running = sys.modules.get("asyncio")
        try:
            loop = running.get_running_loop() if running is not None else None
        except RuntimeError:
            loop = None
        if loop is None:
            return  # no loop to close it on: the process is ending
        task = loop.create_task(self._transport.aclose())
        _cleanups.add(task)
        task.add_done_callback(_cleanups.discard)

    def _holds_connection(self) -> bool:
        """Whether closing this conversation would close something (a stream, a socket)."""
        if self._current is not None and not self._current.finished:
            return True
        return self._transport.holds_connection

    def __repr__(self) -> str:
        return (
            f"<Conversation model={self._settings.model!r} items={len(self._history)} "
            f"transport={self._transport.name!r}>"
        )

    # -- the history ----------------------------------------------------------------

    @property
    def items(self) -> tuple[Item, ...]:
        """The history, oldest first. Items are immutable; edit with the methods below."""
        return tuple(self._history.items)

    @property
    def model(self) -> str:
        """The model every turn asks for; set it to change models from the next turn on."""
        return self._settings.model

    @model.setter
    def model(self, value: str) -> None:
        self._set(model=value)

    @property
    def instructions(self) -> str | None:
        """The system instructions sent with every request (settable, like ``model``)."""
        return self._settings.instructions

    @instructions.setter
    def instructions(self, value: str | None) -> None:
        self._set(instructions=value)

    @property
    def tools(self) -> Toolset:
        """The function tools the model may call.

        Settable, from the next turn on: functions, ``@tool`` objects, and hosted tools as
        dicts such as ``{"type": "web_search"}``.
        """
        return self._tools

    @tools.setter
    def tools(self, value: Iterable[ToolLike]) -> None:
        toolset, schemas = split_tools(value)
        self._tools = toolset
        self._set(tools=schemas)

    @property
    def transport(self) -> Transport:
        """The transport this conversation talks over (its ``name``: ``"websocket"``, …)."""
        return self._transport

    @property
    def settings(self) -> RequestSettings:
        """Every setting requests carry (an immutable value)."""
        return self._settings

    def _set(self, **changes: Any) -> None:
        """Change settings from the next turn on (the running turn keeps its own)."""
        self._settings = replace(self._settings, **changes)
        self._context_key = _context_key(self._settings)

    def add_user(self, content: str | Sequence[Any]) -> Message:
        """Append a user message (text, or a list of content parts) and return it.

        Like every edit of the history, refused while a turn runs (``InputError``): pass
        the input to the next ``stream()`` / ``send()`` instead.
        """
        self._check_idle()
        (item,) = coerce_items({"role": "user", "content": content})
        self._history.append([item])
        assert isinstance(item, Message)
        return item

    def add_message(self, message: Mapping[str, Any] | Item) -> list[Item]:
        """Append a chat-style or Responses-style dict, or an item; return what was appended.

        Raises:
            InputError: the dict fits no rule.
        """
        self._check_idle()
        items = coerce_items(message)
        self._history.append(items)
        return items

    def add_items(self, items: Iterable[Item | Mapping[str, Any]]) -> None:
        """Append several items or dicts at once."""
        self._check_idle()
        self._history.append(coerce_items(list(items)))

    def replace_item(self, index: int, item: Item | Mapping[str, Any]) -> None:
        """Replace the item at ``index``; the next turn resends the full context."""
        (new,) = coerce_items([item])
        self._edit(index, [new], 1)

    def remove_items(self, start: int, stop: int | None = None) -> None:
        """Remove ``items[start:stop]``; the next turn resends the full context."""
        count = (len(self._history) if stop is None else stop) - start
        self._edit(start, [], max(count, 0))

    def clear(self) -> None:
        """Forget the whole history."""
        self._edit(0, [], len(self._history))

    def to_input(self) -> list[dict[str, Any]]:
        """The full ``input`` list a request would carry now (wire dicts)."""
        return self._history.to_input()

    def _edit(self, index: int, new: list[Item], count: int) -> None:
        self._check_idle()
        self._history.edit(index, new, count)
        self._planner.forget("history changed")

    def _check_idle(self) -> None:
        if self._current is not None and not self._current.finished:
            raise InputError(
                "the history cannot be edited while a turn is running (a stream left "
                "unfinished counts: close it, or iterate it inside `async with`); pass the "
                "input to the next stream() or send() instead"
            )

    # -- turns --------------------------------------------------------------------

    def stream(self, input: InputLike = None, **options: Unpack[TurnOptions]) -> TurnStream:
        """Run a turn and yield its events as they arrive.

        Args:
            input: New input for this turn (text, items, dicts, or a list of them); ``None``
                runs a turn on the history as it is. It is appended when iteration starts.
            **options: Settings for this turn only (``model``, ``instructions``,
                ``tool_choice``, ``max_output_tokens``, ``temperature``, ``reasoning``, …);
                the conversation's own settings stay as they are.

        Returns:
            A ``TurnStream``: iterate it with ``async for``, ideally inside ``async with`` so
            that leaving early cancels the response at once. Its ``result`` holds the
            ``TurnResult`` once the iteration ends.
        """
        if self._closed:
            raise ResponsesError("the conversation is closed")
        if _RUNNING_TOOLS_OF.get() is self:
            raise InputError(
                "a tool of this conversation cannot run a turn of it: the turn is waiting "
                "for the tool's output, so the new turn would wait forever"
            )
        if not options:
            made = TurnStream(self, input, self._settings, self._context_key)
        else:
            settings = replace(self._settings, **options)
            made = TurnStream(self, input, settings, _context_key(settings))
        self._latest = weakref.ref(made)
        return made

    async def send(
        self,
        input: InputLike = None,
        *,
        timeout: float | None = None,
        **options: Unpack[TurnOptions],
    ) -> TurnResult:
        """Run a turn without streaming and return its result (same logic as ``stream``).

        ``timeout`` bounds the whole turn, every round, retry and tool run included (the
        client's ``timeout`` bounds each read); ``options`` are settings for this turn only,
        as for ``stream()``.

        Raises:
            ResponseFailedError: the server failed the response.
            APIStatusError: the server answered with an HTTP error.
            TransportError: the connection failed and retries did not help.
            ProtocolError: the server sent malformed data.
            ToolError: the tool loop ran more than ``max_tool_rounds`` rounds.
            APITimeoutError: the turn took longer than ``timeout``.
        """
        with anyio.move_on_after(timeout) as deadline:
            async with self.stream(input, **options) as events:
                async for event in events:
                    del event  # not held while the next one is awaited (see _run_turn)
        if deadline.cancelled_caught:
            raise APITimeoutError(
                f"the turn did not end within {timeout} s; its response was cancelled"
            )
        return events.result

    async def interrupt(self, *, keep: bool | str = False) -> None:
        """Stop the running turn, from any task (for example when the user barges in).

        Args:
            keep: Put what the user heard in the history, as an assistant message with
                ``status="incomplete"``: ``True`` keeps the text streamed so far; a string
                keeps that text instead (what a voice agent actually played). By default
                the partial answer is dropped.

        The response in flight is cancelled on the server and running tools are cancelled;
        the stream ends and its result has status ``"interrupted"``. A stream made with
        ``stream()`` but not iterated yet is interrupted too: when iterated, it sends
        nothing. Does nothing when no turn runs or waits.
        """
        current = self._current
        if current is None or current.finished:
            # A stream made but not iterated yet: it will send nothing and end interrupted.
            waiting = self._latest() if self._latest is not None else None
            if waiting is not None and not waiting._machine.has_started:
                waiting._machine.interrupt(keep=keep)
            return
        current._machine.interrupt(keep=keep)
        if current._tool_scope is not None:
            current._tool_scope.cancel()
        await self._transport.cancel()

    def _new_machine(self) -> TurnMachine:
        return TurnMachine(
            retry=self._retry,
            max_tool_rounds=self._max_tool_rounds,
            retry_after_output=self._retry_after_output,
        )

    async def _begin(self, stream: TurnStream) -> None:
        while self._current is not None and not self._current.finished:
            previous = self._current
            if previous._consumed_by_this_task():
                raise InputError(
                    "a turn of this conversation is still being consumed by this task: "
                    "leave its loop (or its async with block) before starting another"
                )
            if previous._pulling or previous._consumed:
                await previous._wait_released()
            else:
                logger.debug("closing an abandoned turn before starting a new one")
                await previous.aclose()
        self._current = stream

    async def _run_turn(self, stream: TurnStream, items: list[Item]) -> AsyncGenerator[Event, None]:
        # A pump over the turn machine's actions: every decision is the machine's.
        await self._begin(stream)
        machine, transport, error_ending = stream._machine, self._transport, Ending.ERROR
        before, sent = len(self._history), False
        try:
            self._history.append(items)
            actions = deque(machine.start(self._clock(), bytes_sent=transport.bytes_sent))
            while actions:
                match actions.popleft():
                    case Send() if machine.stopping():  # before the request went out: send none
                        actions.extend(machine.stream_ended(yielded=False))
                    case Send(full_context=full_context):
                        try:
                            fold, body = self._request(stream, full_context)
                        except InputError as exc:  # too large to send
                            if sent:
                                raise
                            self._history.edit(before, [], len(self._history) - before)
                            raise InputError(f"{exc}; nothing was added to the history") from None
                        apply, yielded, sent = fold.apply, False, True
                        try:
                            async with aclosing(transport.stream(body)) as events:
                                del body  # not kept alive while the server answers
                                async for event in events:  # the hot loop, once per event
                                    apply(event)
                                    if fold.ending is error_ending:
                                        break  # not the caller's: the machine decides
                                    if machine.first_output is None and fold.first_output:
                                        machine.first_output = self._clock()
                                    yielded = True
                                    yield event
                                    del event  # ~10 KB for a response; many turns may wait
                                    if machine.stopping():
                                        break
                        except (TransportError, APIStatusError) as exc:
                            actions.extend(machine.stream_failed(exc, yielded=yielded))
                        else:
                            actions.extend(machine.stream_ended(yielded=yielded))
                    case RunTools(calls=calls):
                        actions.extend(machine.tools_ran(await self._run_tools(stream, calls)))
                    case Emit(event=made):
                        yield made
                    case Wait(seconds=seconds):
                        await (self._retry.sleep or anyio.sleep)(seconds)
                    case Finish() as finish:
                        stream._finish(self._result_of(machine, finish))
                        return
                    case Fail(error=error):
                        raise error
                    case bookkeeping:
                        self._record(bookkeeping)
        finally:
            stream._finish()

    def _result_of(self, machine: TurnMachine, finish: Finish) -> TurnResult:
        return machine.result(finish, self._clock(), bytes_sent=self._transport.bytes_sent)

    def _record(self, action: Forget | Remember | Keep) -> None:
        """Carry out what the machine decided for the planner and the history."""
        match action:
            case Forget(reason=reason):
                self._planner.forget(reason)
            case Remember(response_id=response_id, plan=plan, output=output):
                self._planner.record(response_id, plan, output)
            case Keep(items=items):
                self._history.append(items)

    async def _run_tools(
        self, stream: TurnStream, calls: Sequence[FunctionCall]
    ) -> list[ToolOutcome] | None:
        """Run one round's calls; ``None`` when ``interrupt()`` cancelled them."""
        with anyio.CancelScope() as scope:
            stream._tool_scope = scope
            running = _RUNNING_TOOLS_OF.set(self)  # seen by the tools' tasks (contextvars)
            try:
                outcomes = await run_tool_calls(calls, stream._toolset)
            finally:
                _RUNNING_TOOLS_OF.reset(running)
        stream._tool_scope = None
        if scope.cancelled_caught:
            return None
        if self._max_request_bytes is not None:
            outcomes = fit_tool_outputs(
                outcomes,
                limit=self._max_request_bytes,
                settings=stream._settings,
                previous_response_id=stream._machine.fold.response_id,
            )
        return outcomes

    def _request(
        self, stream: TurnStream, full_context: bool
    ) -> tuple[ResponseFold, dict[str, Any]]:
        """Plan the next request and build its body; returns the fold for its events."""
        items, settings = self._history.items, stream._settings
        plan = self._planner.plan(
            items, self._history.chain, epoch=self._transport.epoch, context_key=stream._context_key
        )
        can_refer = self._transport.supports_previous_response(store=settings.store)
        if plan.incremental and (full_context or not can_refer):
            plan = replace(
                plan, previous_response_id=None, start=0, reason="full context requested"
            )
        logger.debug(
            "context plan: %s (%d of %d items sent)", plan.reason, plan.items_sent, len(items)
        )
        body = build_body(
            settings,
            [item.to_wire() for item in items[plan.start :]],
            previous_response_id=plan.previous_response_id,
        )
        if self._max_request_bytes is not None:
            check_request(body, self._max_request_bytes)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("request body: %s", json.dumps(redact_body(body), default=str)[:4000])
        return stream._machine.sending(plan, len(body["input"])), body

    # -- persistence and life ----------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The items and settings as JSON-ready data (no connection state, no tool code).

        ``client.restore(data, tools=...)`` rebuilds it, in this process or another one.
        """
        return {
            "version": _JSON_VERSION,
            "settings": self._settings.to_json(),
            "tools": [tool.name for tool in self._tools.values()],
            "hosted_tools": [
                plain_json(schema)
                for schema in self._settings.tools
                if schema["type"] != "function"
            ],
            "items": self.to_input(),
        }

    @classmethod
    def from_json(
        cls,
        client: _Restorer,
        data: Mapping[str, Any],
        *,
        tools: Iterable[Tool[..., Any] | Callable[..., Any]] = (),
        transport: Any = None,
    ) -> Conversation:
        """Deprecated: use ``client.restore(data, tools=..., transport=...)``."""
        warnings.warn(
            "Conversation.from_json(client, data) is deprecated; use client.restore(data)",
            DeprecationWarning,
            stacklevel=2,
        )
        return client.restore(data, tools=tools, transport=transport)

    async def aclose(self) -> None:
        """End a running turn and close the conversation's connection; idempotent."""
        if self._closed:
            return
        self._closed = True
        current = self._current
        if current is not None and not current.finished:
            await current.aclose()
        await self._transport.aclose()
        if self._on_close is not None:
            self._on_close(self)

    async def __aenter__(self) -> Conversation:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
