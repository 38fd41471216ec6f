"""``Conversation``: the items of a dialogue, and the turns that extend them.

The only stateful orchestrator. A turn runs as one async generator:

    plan (planner) -> body (request) -> events (transport) -> fold (turn)
        -> tool calls (tools) -> outputs appended -> next round, until a response has no calls

History rules (see docs/concepts/turns.md):

- The caller's input is appended when the turn starts and stays, whatever happens next.
- A round is appended only when it is finished: its response completed and, when it asked for
  tools, every call has its output. Then each completed response's output is in the history
  exactly once, and nothing of a failed, incomplete, cancelled or retried attempt is.
- One turn at a time. A turn that starts while an earlier stream is parked (abandoned after a
  ``break``, nobody iterating it) closes that stream first, which cancels its response; a turn
  that starts while another task is iterating waits for it to end.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
import warnings
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
from dataclasses import replace
from types import AsyncGeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio

from ._chat import items_from_message
from ._exceptions import APIStatusError, InputError, ResponsesError, TransportError
from ._fold import Ending, ResponseFold
from ._items import FunctionCall, Item, Message
from ._planner import DigestChain, Planner
from ._request import RequestSettings, build_body, redact_body
from ._retry import RetryPolicy
from ._tools import Tool, ToolOutcome, Toolset, run_tool_calls
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

if TYPE_CHECKING:
    import asyncio

__all__ = ["Conversation", "TurnStream"]

logger = logging.getLogger("responses_client")

InputLike = str | Item | Mapping[str, Any] | Sequence[str | Item | Mapping[str, Any]] | None
"""What ``stream()`` / ``send()`` accept: text (a user message), an item, a chat-style or
Responses-style dict, or a list of those. ``None`` runs a turn on the history as it is."""

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


def coerce_items(value: InputLike) -> list[Item]:
    """Turn what a caller passed as input into items (``[]`` for ``None``).

    Raises:
        InputError: a dict fits no rule, or a value is of an unsupported type.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [Message.user(value)]
    if isinstance(value, Mapping):
        return items_from_message(value)
    if isinstance(value, Sequence):
        items: list[Item] = []
        for element in value:
            if isinstance(element, str):
                items.append(Message.user(element))
            elif isinstance(element, Mapping):
                items.extend(items_from_message(element))
            elif _is_item(element):
                items.append(element)
            else:
                raise InputError(f"cannot use {type(element).__name__} as conversation input")
        return items
    if _is_item(value):
        return [value]
    raise InputError(f"cannot use {type(value).__name__} as conversation input")


def _is_item(value: object) -> bool:
    return hasattr(value, "to_wire") and hasattr(value, "digest")


class TurnStream:
    """The events of one turn: an async iterator that is also an async context manager.

    ``async for event in convo.stream(...)`` runs the turn; ``async with convo.stream(...) as
    events`` also closes it (cancelling the response in flight) when the block is left early.
    After the iteration ends, ``result`` holds the ``TurnResult``.
    """

    def __init__(self, conversation: Conversation, input: InputLike) -> None:
        self._conversation = conversation
        self._generator = cast(
            "AsyncGeneratorType[Event, None]", conversation._run_turn(self, coerce_items(input))
        )
        self._result: TurnResult | None = None
        self._done = False
        self._finished: anyio.Event | None = None
        """Made only when a task waits for the turn to end (rare: most turns end first)."""
        self._machine = conversation._new_machine()
        self._tool_scope: anyio.CancelScope | None = None

    def __aiter__(self) -> AsyncIterator[Event]:
        # ``async for`` then steps the generator itself, without a Python call per event.
        return self._generator

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
        await self._generator.aclose()
        self._finish()

    async def __aenter__(self) -> TurnStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def finished(self) -> bool:
        """Whether the turn has ended (completed, failed, interrupted or closed)."""
        return self._done

    async def _wait_finished(self) -> None:
        if self._done:
            return
        if self._finished is None:
            self._finished = anyio.Event()
        await self._finished.wait()

    @property
    def result(self) -> TurnResult:
        """The turn's result, once the iteration has ended.

        Raises:
            ResponsesError: the turn has not ended, or ended with an error or was closed.
        """
        if self._result is None:
            raise ResponsesError("the turn has no result: it has not completed")
        return self._result

    def _finish(self, result: TurnResult | None = None) -> None:
        if result is not None:
            self._result = result
        self._done = True
        if self._finished is not None:
            self._finished.set()
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
    ) -> None:
        """Create a conversation; prefer ``Client.conversation()``, which fills these in."""
        if max_tool_rounds < 1:
            raise InputError("max_tool_rounds must be at least 1")
        self._transport = transport
        self._settings = settings
        self._tools = tools
        self._items: list[Item] = []
        self._chain = DigestChain()
        self._planner = Planner()
        self._max_tool_rounds = max_tool_rounds
        self._retry = retry or RetryPolicy()
        self._retry_after_output = retry_after_output
        self._clock = clock
        self._on_close = on_close
        self._current: TurnStream | None = None
        self._closed = False
        self._context_key = self._settings_digest()
        self._append(list(items))

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
            f"<Conversation model={self._settings.model!r} items={len(self._items)} "
            f"transport={self._transport.name!r}>"
        )

    # -- the history ----------------------------------------------------------------

    @property
    def items(self) -> tuple[Item, ...]:
        """The history, oldest first. Items are immutable; edit with the methods below."""
        return tuple(self._items)

    @property
    def model(self) -> str:
        """The model every turn asks for."""
        return self._settings.model

    @property
    def instructions(self) -> str | None:
        """The system instructions sent with every request."""
        return self._settings.instructions

    @instructions.setter
    def instructions(self, value: str | None) -> None:
        self._settings = replace(self._settings, instructions=value)
        self._context_key = self._settings_digest()

    @property
    def tools(self) -> Toolset:
        """The tools the model may call."""
        return self._tools

    def add_user(self, content: str | Sequence[Any]) -> Message:
        """Append a user message (text, or a list of content parts) and return it."""
        (item,) = coerce_items({"role": "user", "content": content})
        self._append([item])
        assert isinstance(item, Message)
        return item

    def add_message(self, message: Mapping[str, Any] | Item) -> list[Item]:
        """Append a chat-style or Responses-style dict, or an item; return what was appended.

        Raises:
            InputError: the dict fits no rule.
        """
        items = coerce_items(message)
        self._append(items)
        return items

    def add_items(self, items: Iterable[Item | Mapping[str, Any]]) -> None:
        """Append several items or dicts at once."""
        self._append(coerce_items(list(items)))

    def replace_item(self, index: int, item: Item | Mapping[str, Any]) -> None:
        """Replace the item at ``index``; the next turn resends the full context."""
        (new,) = coerce_items([item])
        self._edit(index, [new], 1)

    def remove_items(self, start: int, stop: int | None = None) -> None:
        """Remove ``items[start:stop]``; the next turn resends the full context."""
        count = (len(self._items) if stop is None else stop) - start
        self._edit(start, [], max(count, 0))

    def clear(self) -> None:
        """Forget the whole history."""
        self._edit(0, [], len(self._items))

    def to_input(self) -> list[dict[str, Any]]:
        """The full ``input`` list a request would carry now (wire dicts)."""
        return [item.to_wire() for item in self._items]

    def _append(self, items: Sequence[Item]) -> None:
        self._items.extend(items)
        self._chain.extend(items)

    def _edit(self, index: int, new: list[Item], count: int) -> None:
        self._check_idle()
        if index < 0:
            index += len(self._items)
        if not 0 <= index <= len(self._items):
            raise InputError(f"index {index} is outside the history ({len(self._items)} items)")
        self._items[index : index + count] = new
        self._chain.truncate(index)
        self._chain.extend(self._items[index:])
        self._planner.forget("history changed")

    def _check_idle(self) -> None:
        if self._current is not None and not self._current.finished:
            raise InputError("the history cannot be edited while a turn is running")

    def _settings_digest(self) -> bytes:
        settings = self._settings
        key = json.dumps(
            [settings.model, settings.instructions, [t for t in settings.tools]],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(key.encode()).digest()

    # -- turns --------------------------------------------------------------------

    def stream(self, input: InputLike = None) -> TurnStream:
        """Run a turn and yield its events as they arrive.

        Args:
            input: New input for this turn (text, items, dicts, or a list of them); ``None``
                runs a turn on the history as it is. It is appended when iteration starts.

        Returns:
            A ``TurnStream``: iterate it with ``async for``, ideally inside ``async with`` so
            that leaving early cancels the response at once. Its ``result`` holds the
            ``TurnResult`` once the iteration ends.
        """
        if self._closed:
            raise ResponsesError("the conversation is closed")
        return TurnStream(self, input)

    async def send(self, input: InputLike = None) -> TurnResult:
        """Run a turn without streaming and return its result (same logic as ``stream``).

        Raises:
            ResponseFailedError: the server failed the response.
            APIStatusError: the server answered with an HTTP error.
            TransportError: the connection failed and retries did not help.
            ProtocolError: the server sent malformed data.
            ToolError: the tool loop ran more than ``max_tool_rounds`` rounds.
        """
        async with self.stream(input) as events:
            async for event in events:
                del event  # not held while the next one is awaited (see _run_turn)
        return events.result

    async def interrupt(self) -> None:
        """Stop the running turn, from any task (for example when the user barges in).

        The response in flight is cancelled on the server and running tools are cancelled;
        the stream ends and its result has status ``"interrupted"``. Does nothing when no
        turn runs.
        """
        current = self._current
        if current is None or current.finished:
            return
        current._machine.interrupt()
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
            if previous._pulling:
                await previous._wait_finished()
            else:
                logger.debug("closing an abandoned turn before starting a new one")
                await previous.aclose()
        self._current = stream

    async def _run_turn(self, stream: TurnStream, items: list[Item]) -> AsyncGenerator[Event, None]:
        # A pump over the turn machine's actions: every decision is the machine's.
        await self._begin(stream)
        machine, transport, error_ending = stream._machine, self._transport, Ending.ERROR
        bytes_before = transport.bytes_sent
        try:
            self._append(items)
            actions = deque(machine.start(self._clock()))
            while actions:
                match actions.popleft():
                    case Send() if machine.stopping():  # before the request went out: send none
                        actions.extend(machine.stream_ended(yielded=False))
                    case Send(full_context=full_context):
                        fold, body = self._request(machine, full_context)
                        apply, yielded = fold.apply, False
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
                        sent = transport.bytes_sent - bytes_before
                        stream._finish(machine.result(finish, self._clock(), bytes_sent=sent))
                        return
                    case Fail(error=error):
                        raise error
                    case bookkeeping:
                        self._record(bookkeeping)
        finally:
            stream._finish()

    def _record(self, action: Forget | Remember | Keep) -> None:
        """Carry out what the machine decided for the planner and the history."""
        match action:
            case Forget(reason=reason):
                self._planner.forget(reason)
            case Remember(response_id=response_id, plan=plan, output=output):
                self._planner.record(response_id, plan, output)
            case Keep(items=items):
                self._append(items)

    async def _run_tools(
        self, stream: TurnStream, calls: Sequence[FunctionCall]
    ) -> list[ToolOutcome] | None:
        """Run one round's calls; ``None`` when ``interrupt()`` cancelled them."""
        with anyio.CancelScope() as scope:
            stream._tool_scope = scope
            outcomes = await run_tool_calls(calls, self._tools)
        stream._tool_scope = None
        return None if scope.cancelled_caught else outcomes

    def _request(
        self, machine: TurnMachine, full_context: bool
    ) -> tuple[ResponseFold, dict[str, Any]]:
        """Plan the next request and build its body; returns the fold for its events."""
        items = self._items
        plan = self._planner.plan(
            items, self._chain, epoch=self._transport.epoch, context_key=self._context_key
        )
        can_refer = self._transport.supports_previous_response(store=self._settings.store)
        if plan.incremental and (full_context or not can_refer):
            plan = replace(
                plan, previous_response_id=None, start=0, reason="full context requested"
            )
        logger.debug(
            "context plan: %s (%d of %d items sent)", plan.reason, plan.items_sent, len(items)
        )
        body = build_body(
            self._settings,
            [item.to_wire() for item in items[plan.start :]],
            previous_response_id=plan.previous_response_id,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("request body: %s", json.dumps(redact_body(body), default=str)[:4000])
        return machine.sending(plan, len(body["input"])), body

    # -- persistence and life ----------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The items and settings as JSON-ready data (no connection state, no tool code).

        ``client.restore(data, tools=...)`` rebuilds it, in this process or another one.
        """
        return {
            "version": _JSON_VERSION,
            "settings": self._settings.to_json(),
            "tools": [tool.name for tool in self._tools.values()],
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
