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
from dataclasses import dataclass, field, replace
from types import AsyncGeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, Literal, cast

import anyio

from ._chat import items_from_message
from ._exceptions import (
    APIConnectionError,
    ConnectionClosed,
    InputError,
    ResponsesError,
    RetryAfterOutputError,
    ToolError,
)
from ._items import FunctionCallOutput, Item, Message, parse_item
from ._planner import DigestChain, Plan, Planner
from ._request import RequestSettings, build_body, redact_body
from ._tools import Tool, Toolset, run_tool_calls
from ._transports.base import Transport
from ._turn import Ending, ResponseFold, Tokens, TurnResult, TurnStats
from .events import Event, RetryEvent, ToolResultEvent

if TYPE_CHECKING:
    import asyncio

    from ._client import Client

__all__ = ["Conversation", "TurnStream"]

logger = logging.getLogger("responses_client")

InputLike = str | Item | Mapping[str, Any] | Sequence[str | Item | Mapping[str, Any]] | None
"""What ``stream()`` / ``send()`` accept: text (a user message), an item, a chat-style or
Responses-style dict, or a list of those. ``None`` runs a turn on the history as it is."""

_JSON_VERSION = 1

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


@dataclass
class _TurnCounters:
    started: float
    first_output: float | None = None
    items_sent: int = 0
    items_held: int = 0
    bytes_sent: int = 0
    retries: int = 0
    rounds: int = 0
    tokens: Tokens | None = None
    appended: list[Item] = field(default_factory=list)

    def add_tokens(self, more: Tokens | None) -> None:
        self.tokens = more if self.tokens is None else self.tokens.plus(more)


@dataclass
class _Round:
    fold: ResponseFold = field(default_factory=ResponseFold)
    plan: Plan | None = None


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
        self._interrupted = False
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

    def _stopping(self) -> bool:
        # A call, not the attribute: type checkers would keep a narrowed value across awaits.
        return self._interrupted

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
        max_retries: int = 2,
        retry_after_output: bool = True,
        clock: Callable[[], float] = time.perf_counter,
        client: Client | None = None,
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
        self._max_retries = max_retries
        self._retry_after_output = retry_after_output
        self._clock = clock
        self._client = client
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
        # The WebSocket transport says whether its connection is open; SSE holds nothing
        # between turns (the pool is the client's).
        return bool(getattr(self._transport, "connected", False))

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
        for item in items:
            self._items.append(item)
            self._chain.append(item)

    def _edit(self, index: int, new: list[Item], count: int) -> None:
        self._check_idle()
        if index < 0:
            index += len(self._items)
        if not 0 <= index <= len(self._items):
            raise InputError(f"index {index} is outside the history ({len(self._items)} items)")
        self._items[index : index + count] = new
        self._chain.truncate(index)
        for item in self._items[index:]:
            self._chain.append(item)
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
        current._interrupted = True
        if current._tool_scope is not None:
            current._tool_scope.cancel()
        await self._transport.cancel()

    async def _begin(self, stream: TurnStream) -> None:
        while self._current is not None and not self._current.finished:
            previous = self._current
            if previous._pulling:
                await previous._wait_finished()
            else:
                logger.debug("closing an abandoned turn before starting a new one")
                await previous.aclose()
        self._current = stream

    async def _run_turn(
        self, stream: TurnStream, new_items: list[Item]
    ) -> AsyncGenerator[Event, None]:
        await self._begin(stream)
        counters = _TurnCounters(started=self._clock())
        error_ending = Ending.ERROR  # a local: read once per event
        try:
            self._append(new_items)
            tool_rounds = 0
            while True:
                round_ = _Round()
                counters.rounds += 1
                # One round: send, yield the events, retry with full context where that is
                # safe. Inline, not a generator of its own: that would be one more layer
                # every event passes through. Afterwards ``round_.fold`` holds the last
                # attempt's fold; its ending is ``None`` when the stream was interrupted.
                attempt = 1
                yielded = False
                full_context = False
                while True:
                    if stream._stopping():
                        # interrupt() came before this request was sent: send nothing.
                        break
                    round_.plan, body = self._body(counters, full_context=full_context)
                    sent_before = self._transport.bytes_sent
                    fold = round_.fold = ResponseFold()
                    failure: Exception
                    event: Event | None = None
                    try:
                        responding = self._transport.stream(body)
                        del body  # not kept alive while the server answers
                        async with aclosing(responding) as events:
                            apply = fold.apply
                            timed = counters.first_output is not None
                            async for event in events:
                                apply(event)
                                if fold.ending is error_ending:
                                    break
                                if not timed and fold.first_output:
                                    counters.first_output = self._clock()
                                    timed = True
                                yielded = True
                                yield event
                                # Not kept alive while the next is awaited: a response
                                # object is ~10 KB, and many conversations may be waiting.
                                event = None
                                if stream._interrupted:
                                    break
                    except (APIConnectionError, ConnectionClosed) as exc:
                        if stream._interrupted:
                            break
                        reason, failure = "connection_dropped", exc
                    else:
                        # Also the way out after an interrupt: what reached the caller was not an
                        # ``error`` (that ends the loop before the yield), so there is no reason.
                        reason_code = fold.retry_reason()
                        if reason_code is None:
                            break
                        reason, failure = reason_code, fold.failure()
                    finally:
                        counters.bytes_sent += self._transport.bytes_sent - sent_before
                    self._planner.forget(
                        "server forgot"
                        if reason == "previous_response_not_found"
                        else "connection changed"
                    )
                    full_context = True
                    if attempt > self._max_retries:
                        raise failure
                    attempt += 1
                    counters.retries += 1
                    logger.info("retrying with full context after %s (attempt %d)", reason, attempt)
                    if yielded:
                        if not self._retry_after_output:
                            raise RetryAfterOutputError(
                                f"{reason} after output had reached the caller; "
                                "retry_after_output is off"
                            ) from failure
                        yield RetryEvent(type="client.retry", attempt=attempt, reason=reason)
                        yielded = False  # a later retry voids only what this attempt yields
                fold = round_.fold
                if fold.ending is None or stream._interrupted:
                    stream._finish(self._result("interrupted", fold, counters))
                    return
                if fold.ending is Ending.INCOMPLETE:
                    self._planner.forget("response not kept")
                    details = fold.incomplete_details
                    stream._finish(
                        self._result(
                            "incomplete",
                            fold,
                            counters,
                            incomplete_reason=getattr(details, "reason", None),
                        )
                    )
                    return
                if fold.ending is not Ending.COMPLETED:
                    self._planner.forget("response not kept")
                    raise fold.failure()
                output = fold.output
                calls = fold.function_calls()
                if not calls:
                    self._keep_round(round_, output, counters)
                    stream._finish(self._result("completed", fold, counters))
                    return
                tool_rounds += 1
                if tool_rounds > self._max_tool_rounds:
                    self._planner.forget("response not kept")
                    raise ToolError(
                        f"the model asked for tools in more than {self._max_tool_rounds} rounds "
                        "in one turn (max_tool_rounds); the last calls were not run"
                    )
                with anyio.CancelScope() as scope:
                    stream._tool_scope = scope
                    outcomes = await run_tool_calls(calls, self._tools)
                stream._tool_scope = None
                if scope.cancelled_caught or stream._interrupted:
                    stream._finish(self._result("interrupted", fold, counters))
                    return
                for outcome in outcomes:
                    yield ToolResultEvent(
                        type="client.tool.result",
                        call_id=outcome.call_id,
                        name=outcome.name,
                        arguments=outcome.arguments,
                        output=outcome.output,
                        error=outcome.error,
                    )
                outputs = [FunctionCallOutput(call_id=o.call_id, output=o.output) for o in outcomes]
                self._keep_round(round_, [*output, *outputs], counters)
        finally:
            stream._finish()

    def _body(self, counters: _TurnCounters, *, full_context: bool) -> tuple[Plan, dict[str, Any]]:
        items = self._items
        plan = self._planner.plan(
            items, self._chain, epoch=self._transport.epoch, context_key=self._context_key
        )
        can_refer = self._transport.keeps_responses or self._settings.store
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
        counters.items_sent += len(body["input"])
        counters.items_held += plan.items_held
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("request body: %s", json.dumps(redact_body(body), default=str)[:4000])
        return plan, body

    def _keep_round(self, round_: _Round, items: list[Item], counters: _TurnCounters) -> None:
        """Append a finished round and remember its response for the next plan."""
        fold, plan = round_.fold, round_.plan
        if fold.response_id is not None and plan is not None and plan.input_len > 0:
            self._planner.record(fold.response_id, plan, fold.output)
        else:
            # The request carried the instructions as a developer message (empty history):
            # the server's context is not our history, so the next turn sends it all.
            self._planner.forget("no previous response")
        self._append(items)
        counters.appended.extend(items)
        counters.add_tokens(fold.tokens)

    def _result(
        self,
        status: Literal["completed", "incomplete", "interrupted"],
        fold: ResponseFold,
        counters: _TurnCounters,
        *,
        incomplete_reason: str | None = None,
    ) -> TurnResult:
        if status != "completed":
            counters.add_tokens(fold.tokens)
        now = self._clock()
        text = _text_of(fold.output) if status == "completed" else fold.streamed_text
        return TurnResult(
            status=status,
            text=text,
            output=tuple(counters.appended),
            response_id=fold.response_id,
            usage=None if counters.tokens is None else counters.tokens.usage(),
            incomplete_reason=incomplete_reason,
            stats=TurnStats(
                time_to_first_token=(
                    None
                    if counters.first_output is None
                    else counters.first_output - counters.started
                ),
                duration=now - counters.started,
                rounds=counters.rounds,
                items_sent=counters.items_sent,
                items_held=counters.items_held,
                bytes_sent=counters.bytes_sent,
                retries=counters.retries,
            ),
        )

    # -- persistence and life ----------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The items and settings as JSON-ready data (no connection state, no tool code).

        ``Conversation.from_json(client, data, tools=...)`` rebuilds it, in this process or
        another one.
        """
        settings = self._settings
        return {
            "version": _JSON_VERSION,
            "model": settings.model,
            "instructions": settings.instructions,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "max_output_tokens": settings.max_output_tokens,
            "service_tier": settings.service_tier,
            "store": settings.store,
            "extra": dict(settings.extra),
            "tools": [tool.name for tool in self._tools.values()],
            "items": self.to_input(),
        }

    @classmethod
    def from_json(
        cls,
        client: Client,
        data: Mapping[str, Any],
        *,
        tools: Iterable[Tool[..., Any] | Callable[..., Any]] = (),
        transport: Literal["sse", "websocket"] | Transport | None = None,
    ) -> Conversation:
        """Rebuild a conversation saved with ``to_json()``.

        Args:
            client: The client the conversation will use.
            data: What ``to_json()`` returned (possibly through ``json.dumps``/``loads``).
            tools: The tools again (code is not saved); every tool name the saved
                conversation had must be among them.
            transport: The transport; the client's default when ``None``.

        Raises:
            InputError: the data is not a saved conversation, or a tool is missing.
        """
        if not isinstance(data, Mapping) or data.get("version") != _JSON_VERSION:
            raise InputError("not a saved conversation (expected to_json() data, version 1)")
        toolset = Toolset(tools)
        missing = [name for name in data.get("tools", []) if name not in toolset]
        if missing:
            raise InputError(f"the saved conversation used tools that were not given: {missing}")
        try:
            items = [parse_item(raw) for raw in data["items"]]
        except ResponsesError as exc:
            raise InputError(f"a saved item is malformed: {exc}") from exc
        return client.conversation(
            model=data["model"],
            instructions=data.get("instructions"),
            tools=list(toolset.values()),
            transport=transport,
            temperature=data.get("temperature"),
            top_p=data.get("top_p"),
            max_output_tokens=data.get("max_output_tokens"),
            service_tier=data.get("service_tier"),
            store=bool(data.get("store", False)),
            extra=data.get("extra") or None,
            items=items,
        )

    async def aclose(self) -> None:
        """End a running turn and close the conversation's connection; idempotent."""
        if self._closed:
            return
        self._closed = True
        current = self._current
        if current is not None and not current.finished:
            await current.aclose()
        await self._transport.aclose()
        if self._client is not None:
            self._client._forget(self)

    async def __aenter__(self) -> Conversation:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _text_of(items: Sequence[Item]) -> str:
    return "".join(
        item.text for item in items if isinstance(item, Message) and item.role == "assistant"
    )
