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
"""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings
import weakref
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import replace
from types import AsyncGeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, cast

import anyio

from . import _saved as saved
from ._exceptions import APIStatusError, APITimeoutError, InputError, ResponsesError, TransportError
from ._fold import Ending, ResponseFold
from ._history import History, InputLike, coerce_items
from ._items import FunctionCall, Item, Message
from ._planner import Planner
from ._request import RequestSettings, TurnOptions, build_body, context_key, redact_body
from ._request_size import check_request, fit_tool_outputs
from ._retry import RetryPolicy
from ._steer import SteerOutcome, settle, steer_items
from ._stream import Turn, TurnStream, tools_running_for
from ._tools import ToolLike, ToolOutcome, Toolset, split_tools
from ._transports.base import Steerable, Transport, close_soon
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
    pass

__all__ = ["Conversation"]

logger = logging.getLogger("responses_client")


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
        self._max_request_bytes = max_request_bytes or getattr(transport, "max_request_bytes", None)
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
        self._current: Turn | None = None
        self._latest: weakref.ref[Turn] | None = None
        """The stream made last, which ``interrupt()`` reaches before it runs."""
        self._closed = False
        self._context_key = context_key(settings)
        self._history.append(list(items))

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # Like an unclosed file: a conversation dropped while it still holds a connection
        # (a parked stream, an open WebSocket) warns, and its transport is closed on the
        # running loop. One that holds nothing needs no closing and stays silent.
        if self.__dict__.get("_closed", True) or not self._holds_connection():
            return
        _warn(f"unclosed conversation {self!r}", ResourceWarning, stacklevel=2, source=self)
        self._closed = True
        close_soon(self._transport.aclose)

    def _holds_connection(self) -> bool:
        """Whether closing this conversation would close something (a stream, a socket)."""
        if self._current is not None and not self._current.done:
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
        self._context_key = context_key(self._settings)

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
        if self._current is not None and not self._current.done:
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
        return self._start(input, options)

    def _start(self, input: InputLike, options: TurnOptions, *, warmup: bool = False) -> TurnStream:
        if self._closed:
            raise ResponsesError("the conversation is closed")
        if tools_running_for() is self:
            raise InputError(
                "a tool of this conversation cannot run a turn of it: the turn is waiting "
                "for the tool's output, so the new turn would wait forever"
            )
        settings, key = self._settings, self._context_key
        if options:
            settings = replace(settings, **options)
            key = context_key(settings)
        turn = Turn(
            settings=settings,
            context_key=key,
            toolset=self._tools,
            machine=self._new_machine(warmup),
            release=self._release,
            interrupt=self._interrupt_turn,
            closed_early=self._closed_early,
        )
        self._latest = weakref.ref(turn)
        generator = self._run_turn(turn, coerce_items(input))
        return turn.run(cast("AsyncGeneratorType[Event, None]", generator))

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

    async def steer(self, input: InputLike, *, restart: bool = False) -> SteerOutcome:
        """Add user input (text or user messages) to the running turn, which goes on with it.

        Over the WebSocket the server steers the response in flight and the stream goes on
        with its successor; where it cannot, elsewhere, or with ``restart=True``, that
        response is cancelled (``client.steer.restart``) and a new one carries the input
        (docs/concepts/steering.md). Returns once the server answered (``"accepted"``) or
        the SDK applied it (``"restarted"``, ``"queued"``); from the loop consuming the
        stream, at once (``"sent"``). Raises ``InputError`` (no turn runs, not user
        messages) or ``SteerFailedError`` (refused for good; the turn goes on).
        """
        current = self._current
        if current is None or current.done or current.machine.interrupted:
            raise InputError("steer() needs a running turn (start one with stream() or send())")
        items, machine, transport = steer_items(input), current.machine, self._transport
        reason = "requested" if restart else "unsupported"
        ticket = None
        if not restart and isinstance(transport, Steerable) and machine.streaming:
            ticket = machine.steer_sent(items)
            if await transport.steer([item.to_wire() for item in items]):
                if not current.consumed or current.consumed_by_this_task():
                    return "sent"  # the answer is read by that loop (this one), later
                return settle(await current.steer_answer(ticket))
            reason = "response_not_active"
        outcome = machine.steer_locally(items, reason=reason, ticket=ticket)
        if outcome == "restarted":
            await transport.cancel()
        return outcome

    async def prewarm(self, **options: Unpack[TurnOptions]) -> TurnResult | None:
        """Send the instructions, tools and history with ``generate: false`` (WebSocket).

        The next turn then sends only its new input, after the warm-up's id; the history
        stays as it is. Returns the warm-up's result (no output), or ``None`` on a transport
        without warm-up (SSE, Chat Completions: nothing is sent). Raises as ``send()``.
        """
        if not isinstance(self._transport, Steerable):
            return None
        async with self._start(None, options, warmup=True) as events:
            async for event in events:
                del event
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
        if current is None or current.done:
            # A stream made but not iterated yet: it will send nothing and end interrupted.
            waiting = self._latest() if self._latest is not None else None
            if waiting is not None and not waiting.machine.has_started:
                waiting.machine.interrupt(keep=keep)
            return
        current.machine.interrupt(keep=keep)
        if current.tool_scope is not None:
            current.tool_scope.cancel()
        await self._transport.cancel()

    async def _interrupt_turn(self, turn: Turn) -> None:
        if self._current is turn:
            await self.interrupt()

    def _release(self, turn: Turn) -> None:
        if self._current is turn:
            self._current = None

    def _closed_early(self, turn: Turn) -> TurnResult:
        return self._result_of(turn.machine, Finish("interrupted"))

    def _new_machine(self, warmup: bool = False) -> TurnMachine:
        return TurnMachine(
            retry=self._retry,
            max_tool_rounds=self._max_tool_rounds,
            retry_after_output=self._retry_after_output,
            warmup=warmup,
        )

    async def _begin(self, turn: Turn) -> None:
        while self._current is not None and not self._current.done:
            previous = self._current
            if previous.consumed_by_this_task():
                raise InputError(
                    "a turn of this conversation is still being consumed by this task: "
                    "leave its loop (or its async with block) before starting another"
                )
            if previous.pulling or previous.consumed:
                await previous.wait_released()
            else:
                logger.debug("closing an abandoned turn before starting a new one")
                await previous.close()
        self._current = turn

    async def _run_turn(self, turn: Turn, items: list[Item]) -> AsyncGenerator[Event, None]:
        # A pump over the turn machine's actions: every decision is the machine's.
        await self._begin(turn)
        machine, transport, error_ending, sent = turn.machine, self._transport, Ending.ERROR, False
        try:
            self._history.append(items)
            actions = list(machine.start(self._clock(), bytes_sent=transport.bytes_sent))
            while actions:  # a list: few at a time; a deque is 600 bytes (bench/scale.py)
                match actions.pop(0):
                    case Send() if machine.stopping():  # before the request went out: send none
                        actions.extend(machine.stream_ended(yielded=False))
                    case Send(full_context=full_context):
                        fold, body = self._request(turn, full_context, None if sent else items)
                        apply, yielded, sent = fold.apply, False, True
                        try:
                            async with aclosing(transport.stream(body)) as events:
                                del body  # not kept alive while the server answers
                                async for event in events:  # the hot loop, once per event
                                    apply(event)
                                    if fold.ending is not None:  # a steered one's successor
                                        apply = (fold := machine.fold).apply  # may follow
                                        if fold.ending is error_ending:
                                            break  # not the caller's: the machine decides
                                    if machine.first_output is None and fold.first_output:
                                        machine.first_output = self._clock()
                                    yielded = True
                                    yield event
                                    del event  # ~10 KB for a response; many turns may wait
                                    if machine.stopping():  # interrupt(), or a steer
                                        break
                        except (TransportError, APIStatusError) as exc:
                            actions.extend(machine.stream_failed(exc, yielded=yielded))
                        else:
                            actions.extend(machine.stream_ended(yielded=yielded))
                    case RunTools(calls=calls):
                        actions.extend(machine.tools_ran(await self._run_tools(turn, calls)))
                    case Emit(event=made):
                        yield made
                    case Wait(seconds=seconds):
                        await (self._retry.sleep or anyio.sleep)(seconds)
                    case Finish() as finish:
                        turn.finish(self._result_of(machine, finish))
                        return
                    case Fail(error=error):
                        raise error
                    case bookkeeping:
                        self._record(bookkeeping)
        finally:
            turn.finish()

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
        self, turn: Turn, calls: Sequence[FunctionCall]
    ) -> list[ToolOutcome] | None:
        """Run a round's calls (``None``: interrupted); an output too large becomes an error."""
        outcomes = await turn.run_tools(calls, self)
        if outcomes is None:
            return None
        fold, limit = turn.machine.fold, self._max_request_bytes
        return fit_tool_outputs(outcomes, limit, turn.settings, fold.response_id)

    def _request(
        self, turn: Turn, full_context: bool, unsent: list[Item] | None
    ) -> tuple[ResponseFold, dict[str, Any]]:
        """Plan the next request and build its body; returns the fold for its events.

        ``unsent``: the turn's input, while no request of the turn went out; a request too
        large to send takes it out of the history again (``InputError``).
        """
        items, settings = self._history.items, turn.settings
        plan = self._planner.plan(
            items, self._history.chain, epoch=self._transport.epoch, context_key=turn.context_key
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
            generate=not turn.machine.warmup,
        )
        try:
            check_request(body, self._max_request_bytes)
        except InputError as exc:
            if unsent is None:
                raise
            self._history.edit(len(self._history) - len(unsent), [], len(unsent))
            raise InputError(f"{exc}; nothing was added") from None
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("request body: %s", json.dumps(redact_body(body), default=str)[:4000])
        return turn.machine.sending(plan, len(body["input"])), body

    # -- persistence and life ----------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The items and settings as JSON-ready data (no connection state, no tool code).

        ``client.restore(data, tools=...)`` rebuilds it, in this process or another one.
        """
        return saved.dump(self._settings, self._tools, self._history.items)

    @classmethod
    def from_json(
        cls, client: saved.Restorer, data: Mapping[str, Any], **options: Any
    ) -> Conversation:
        """Deprecated: use ``client.restore(data, tools=..., transport=...)``."""
        restored: Conversation = saved.restore_deprecated(client, data, **options)
        return restored

    async def aclose(self) -> None:
        """End a running turn and close the conversation's connection; idempotent."""
        if self._closed:
            return
        self._closed = True
        current = self._current
        if current is not None and not current.done:
            await current.close()
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
