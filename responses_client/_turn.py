"""The turn machine: every decision of a turn, purely (what it returns is in ``_result``).

A turn is one or more *rounds*; each round is one response, folded by
``_fold.ResponseFold``. ``TurnMachine`` is told what happened (a response's stream ended,
the stream failed, the tools ran, the caller interrupted) and answers with the actions to
take next (``Send``, ``Emit``, ``Wait``, ``Forget``, ``Remember``, ``Keep``, ``RunTools``,
``Finish``, ``Fail``). The conversation only carries them out; see ``TurnMachine`` for the
rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ._exceptions import (
    APIStatusError,
    ResponsesError,
    RetryAfterOutputError,
    ToolError,
    TransportError,
)
from ._fold import Ending, ResponseFold, Tokens
from ._items import FunctionCall, FunctionCallOutput, Item, Message, OutputText
from ._planner import ForgetReason, Plan
from ._result import TurnResult, TurnStats, TurnStatus
from ._retry import RetryPolicy, is_retryable_status, retry_after
from ._steer import STEER_ANSWERS, SteerBook, SteerOutcome, successor_input
from .events import (
    ErrorEvent,
    Event,
    ResponseCreatedEvent,
    RetryEvent,
    ServerEvent,
    SteerRestartEvent,
    ToolResultEvent,
    UnknownEvent,
)

__all__ = [
    "Action",
    "Emit",
    "Fail",
    "Finish",
    "Forget",
    "Keep",
    "Remember",
    "RunTools",
    "Send",
    "TurnMachine",
    "TurnResult",
    "TurnStats",
    "TurnStatus",
    "Wait",
]


# -- the turn machine ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Plan a request from the history and stream its response into ``TurnMachine.sending``."""

    full_context: bool
    """Resend the whole history without ``previous_response_id`` (after a fault the
    server's memory of earlier responses is not to be trusted)."""


@dataclass(frozen=True, slots=True)
class Emit:
    """Hand an event the SDK made (``client.retry``, ``client.tool.result``) to the caller."""

    event: Event


@dataclass(frozen=True, slots=True)
class Wait:
    """Sleep before the next action (backoff, or what the server asked for)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Forget:
    """Tell the planner that the server's context no longer matches ours."""

    reason: ForgetReason


@dataclass(frozen=True, slots=True)
class Remember:
    """Tell the planner which response now holds the history, for the next delta."""

    response_id: str
    plan: Plan
    output: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Keep:
    """Append a finished round's items to the history."""

    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class RunTools:
    """Run these calls (concurrently), then report with ``TurnMachine.tools_ran``."""

    calls: tuple[FunctionCall, ...]


@dataclass(frozen=True, slots=True)
class Finish:
    """The turn is over; build its result with ``TurnMachine.result``."""

    status: TurnStatus
    incomplete_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Fail:
    """The turn is over; raise this."""

    error: Exception


Action = Send | Emit | Wait | Forget | Remember | Keep | RunTools | Finish | Fail
"""What ``TurnMachine`` asks its driver to do, in order."""


class ToolOutcome(Protocol):
    """What the machine reads of a tool call that ran (``_tools.ToolOutcome`` fits)."""

    @property
    def call_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def arguments(self) -> str: ...
    @property
    def output(self) -> str: ...
    @property
    def error(self) -> str | None: ...


class TurnMachine:
    """Every decision of one turn, as a pure state machine; the conversation drives it.

    The driver starts with ``start(now)``, carries out each action in order and reports back:

    - ``Send``: plan the request, call ``sending(plan, items_sent)`` for the fold to feed
      every event into, stream the response, then report ``stream_ended(yielded=...)``,
      or ``stream_failed(exc, yielded=...)`` when the transport raised; ``yielded`` says
      whether any event of this attempt reached the caller.
    - ``RunTools``: run the calls, then report ``tools_ran(outcomes)`` (``None`` when the
      run was cancelled).
    - ``Finish`` / ``Fail``: stop (``result(finish, now, ...)`` builds the ``TurnResult``).

    ``interrupt()`` may come at any time; the next report then finishes the turn as
    ``"interrupted"``.

    The rules:

    - **Retries.** A request is sent at most ``retry.max_retries + 1`` times; this is the
      only place in the SDK that sends anything again. Retried: a dropped or refused
      connection, a timeout, an HTTP status worth it (408, 409, 429, 5xx; after the
      ``Retry-After`` the server asked for), and the ``error`` codes after which the server
      has forgotten our context (``RETRYABLE_ERROR_CODES``, sent again at once). Every retry
      resends the full context. A retry after events reached the caller emits
      ``client.retry`` first, or fails with ``RetryAfterOutputError`` when
      ``retry_after_output`` is off. Anything else fails the turn at once.
    - **What is kept.** A round is kept only when it is finished: a completed response
      without calls, or a completed response whose calls have all run (their outputs are
      kept with it). An incomplete, failed, interrupted or retried attempt keeps nothing.
    - **Tool rounds.** A turn runs at most ``max_tool_rounds`` rounds of tool calls; the
      calls of the round beyond are not run and the turn fails with ``ToolError``.
    - **The planner** forgets the server's context whenever it may differ from ours: after
      a fault ("connection changed", "server forgot"), after a response that was not kept
      ("response not kept"), and after a round sent without history ("no previous
      response"); otherwise it remembers the kept response.
    - **Steering** (``steer_sent`` before the transport sends one, else ``steer_locally``).
      At a steered response's successor's ``response.created`` (same stream), what the
      server built it from is kept (``_steer.successor_input``), and the successor is the
      next round. A steer pending after a response with calls is kept between the calls
      and their outputs (where the server prepends it), not sent again. A steer the SDK
      applies itself is kept after its round and starts the next; a response streaming
      then is cut (``stopping()``), void (``client.steer.restart``), and not kept.
    - **Warm-up** (``warmup=True``): a completed answer without output is remembered.
    """

    # Slots: a machine per turn in flight (bench/scale.py measures the peak).
    __slots__ = (
        "_attempt",
        "_bytes_before",
        "_deferred",
        "_items_held",
        "_items_sent",
        "_keep_heard",
        "_kept",
        "_max_tool_rounds",
        "_plan",
        "_retries",
        "_retry",
        "_retry_after_output",
        "_rounds",
        "_tokens",
        "_tool_rounds",
        "first_output",
        "fold",
        "interrupted",
        "on_steer_answer",
        "started",
        "steers",
        "streaming",
        "warmup",
    )

    def __init__(
        self,
        *,
        retry: RetryPolicy,
        max_tool_rounds: int,
        retry_after_output: bool,
        warmup: bool = False,
    ) -> None:
        self.warmup = warmup
        """Whether the turn is a warm-up (``generate: false``): nothing is kept."""
        self._retry = retry
        self._max_tool_rounds = max_tool_rounds
        self._retry_after_output = retry_after_output
        self.started = 0.0
        """When the turn started (the driver's clock, given to ``start``)."""
        self.first_output: float | None = None
        """When the first output arrived; the driver sets it."""
        self.interrupted = False
        """Whether the caller asked the turn to stop."""
        self.steers = SteerBook()
        """The turn's steers (``_steer``)."""
        self.fold = ResponseFold(listener=self._heard)
        """The fold of the response in flight (or the last one)."""
        self.streaming = False
        """Whether a response is being streamed (between ``sending`` and its report)."""
        self.on_steer_answer: Callable[[], None] = lambda: None
        """Called when a steer got its first answer (``steers.answers``); the driver sets it."""
        self._deferred: list[Action] = []
        self._plan: Plan | None = None
        self._attempt = 1
        self._tool_rounds = 0
        self._rounds = 0
        self._retries = 0
        self._items_sent = 0
        self._items_held = 0
        self._bytes_before = 0
        self._keep_heard: bool | str = False
        self._tokens: Tokens | None = None
        self._kept: list[Item] = []

    def start(self, now: float, *, bytes_sent: int = 0) -> list[Action]:
        """The first actions (send the first request).

        ``now`` is when the turn starts, ``bytes_sent`` the transport's count of bytes
        written so far (``result`` reports the difference).
        """
        self.started = now
        self._bytes_before = bytes_sent
        self._rounds = 1
        return [Send(full_context=False)]

    @property
    def has_started(self) -> bool:
        """Whether ``start`` ran (the turn got past waiting for an earlier one)."""
        return self._rounds > 0

    def interrupt(self, *, keep: bool | str = False) -> None:
        """The caller wants the turn to stop (from any task); idempotent.

        ``keep`` puts what the user heard in the history: ``True`` the text streamed so
        far, a string that text instead (a voice agent knows what it played), as one
        assistant message with ``status="incomplete"``.
        """
        self.interrupted = True
        if keep:
            self._keep_heard = keep

    def stopping(self) -> bool:
        """Whether the response streaming now is to stop: ``interrupt()``, or a restart.

        A call, not the attribute, where another task may have interrupted since the last
        look: type checkers would keep the value narrowed across the await.
        """
        return self.interrupted or self.steers.restart

    def sending(self, plan: Plan, items_sent: int) -> ResponseFold:
        """A request planned so is going out; returns the fold to feed its events into.

        Over the WebSocket a steered response's successor follows on the same stream: the
        driver then reads on with ``fold``, which the machine replaces at the successor's
        ``response.created`` (any event after the ending may do it).
        """
        self._plan = plan
        self._items_sent += items_sent
        self._items_held += plan.items_held
        self.fold = ResponseFold(listener=self._heard)
        self.streaming = True
        return self.fold

    # -- steering ------------------------------------------------------------------

    def steer_sent(self, items: Sequence[Item]) -> int:
        """A ``response.steer`` is about to go out; returns its ticket (``steers.answers``)."""
        return self.steers.send(tuple(items))

    def steer_locally(
        self, items: Sequence[Item], *, reason: str, ticket: int | None = None
    ) -> SteerOutcome:
        """The SDK applies a steer (``ticket``: a sent one, taken back); ``"restarted"``: cut."""
        if ticket is not None:
            self.steers.unsend(ticket)
        running = self.streaming and self.fold.ending is None
        restarted = self.steers.queue(list(items), reason=reason, streaming=running)
        return "restarted" if restarted else "queued"

    def _heard(self, fold: ResponseFold, event: ServerEvent | UnknownEvent) -> None:
        """The fold's listener: steer answers, and what follows a response's end."""
        if fold is not self.fold:
            return
        if isinstance(event, STEER_ANSWERS):
            self.steers.answered(event, streaming=fold.ending is None)
            self.on_steer_answer()
        elif isinstance(event, ResponseCreatedEvent | ErrorEvent):
            self._successor(fold, event)

    def _successor(self, steered: ResponseFold, event: ResponseCreatedEvent | ErrorEvent) -> None:
        """A steered response's successor opens: keep what the server built it from."""
        items, exact = successor_input(steered, self.steers.commit())
        plan = self._plan
        self._plan = plan.extended(items) if exact and plan and plan.input_len else None
        self._kept.extend(items)
        self._deferred.append(Keep(items))
        self._add_tokens(steered.tokens)
        self._rounds += 1
        self.fold = ResponseFold(listener=self._heard)
        self.fold.apply(event)

    # -- reports ---------------------------------------------------------------------

    def stream_ended(self, *, yielded: bool) -> list[Action]:
        """The response's stream ended (a terminal event, an ``error``, or an interrupt)."""
        self._stream_over()
        deferred, self._deferred = self._deferred, []
        return [*deferred, *self._ended(yielded)]

    def _stream_over(self) -> None:
        self.streaming = False
        self.fold.listener = None  # no more events; and no cycle keeps the two alive
        if self.steers.stream_over():
            self.on_steer_answer()

    def _ended(self, yielded: bool) -> list[Action]:
        fold = self.fold
        if self.steers.restart and not self.interrupted and fold.ending is not Ending.COMPLETED:
            return self._restarted()
        if self.interrupted or fold.ending is None:
            return self._interrupted()
        reason = fold.retry_reason()
        if reason is not None:
            # The server forgot our context: sending it all again needs no wait.
            return self._again(reason, fold.failure(), yielded=yielded, wait=0.0)
        refused = fold.status_failure()
        if refused is not None:  # an error event standing for an HTTP status: HTTP's rules
            return self._failed(refused, yielded)
        if fold.ending is Ending.INCOMPLETE and self.steers.queued:
            return self._succeed(fold)
        if fold.ending is Ending.INCOMPLETE:
            details = fold.incomplete_details
            reason = details.reason if details is not None else None
            return [Forget("response not kept"), Finish("incomplete", reason)]
        if fold.ending is not Ending.COMPLETED:
            return [Forget("response not kept"), Fail(fold.failure())]
        if self.warmup:
            if fold.output or fold.response_id is None or self._plan is None:
                return [Forget("response not kept"), Finish("completed")]
            return [Remember(fold.response_id, self._plan, ()), Finish("completed")]
        calls = fold.function_calls()
        if not calls:
            return [*self._keep(fold.output), *self._next_round(Finish("completed"))]
        self._tool_rounds += 1
        if self._tool_rounds > self._max_tool_rounds:
            return [
                Forget("response not kept"),
                Fail(
                    ToolError(
                        f"the model asked for tools in more than {self._max_tool_rounds} "
                        "rounds in one turn (max_tool_rounds); the last calls were not run"
                    )
                ),
            ]
        return [RunTools(tuple(calls))]

    def stream_failed(self, error: Exception, *, yielded: bool) -> list[Action]:
        """The transport raised while sending or streaming the response."""
        self._stream_over()
        deferred, self._deferred = self._deferred, []
        return [*deferred, *self._failed(error, yielded)]

    def _failed(self, error: Exception, yielded: bool) -> list[Action]:
        if self.steers.restart and not self.interrupted:
            return self._restarted()
        if self.interrupted:
            return self._interrupted()
        if isinstance(error, APIStatusError):
            if not is_retryable_status(error.status_code):
                return [Fail(error)]
            return self._again(
                f"http_{error.status_code}",
                error,
                yielded=yielded,
                wait=retry_after(error.headers, cap=self._retry.retry_after_cap),
            )
        if isinstance(error, TransportError):
            return self._again("connection_dropped", error, yielded=yielded, wait=None)
        return [Fail(error)]

    def tools_ran(self, outcomes: Sequence[ToolOutcome] | None) -> list[Action]:
        """The calls of ``RunTools`` ran (``None``: the run was cancelled)."""
        if outcomes is None or self.interrupted:
            return self._interrupted()
        actions: list[Action] = [
            Emit(
                ToolResultEvent(
                    type="client.tool.result",
                    call_id=outcome.call_id,
                    name=outcome.name,
                    arguments=outcome.arguments,
                    output=outcome.output,
                    error=outcome.error,
                )
            )
            for outcome in outcomes
        ]
        outputs = [FunctionCallOutput(call_id=o.call_id, output=o.output) for o in outcomes]
        # A pending steer: the server puts it between the calls and their outputs.
        pending, queued = self.steers.take()
        output = [*self.fold.output, *pending]
        actions.extend(self._keep([*output, *outputs], held=output))
        actions.extend(self._keep_steer(queued))
        self._rounds += 1
        self._attempt = 1
        actions.append(Send(full_context=False))
        return actions

    def result(self, finish: Finish, now: float, *, bytes_sent: int = 0) -> TurnResult:
        """The turn's result, for the ``Finish`` action that ended it.

        ``bytes_sent`` is the transport's count of bytes written by now (as for ``start``).
        """
        fold = self.fold
        if finish.status == "completed":
            text = _text_of(fold.output)
        else:
            self._add_tokens(fold.tokens)  # what the cut response cost is part of the turn
            text = fold.streamed_text
        return TurnResult(
            status=finish.status,
            text=text,
            output=tuple(self._kept),
            response_id=fold.response_id,
            tokens=self._tokens,
            incomplete_reason=finish.incomplete_reason,
            stats=TurnStats(
                time_to_first_token=(
                    None if self.first_output is None else self.first_output - self.started
                ),
                duration=now - self.started,
                rounds=self._rounds,
                items_sent=self._items_sent,
                items_held=self._items_held,
                bytes_sent=bytes_sent - self._bytes_before,
                retries=self._retries,
            ),
        )

    def _again(
        self, reason: str, failure: ResponsesError, *, yielded: bool, wait: float | None
    ) -> list[Action]:
        """Send the request again with full context, if the policy allows.

        ``wait`` is what the server asked for (``None``: the policy's backoff decides; 0:
        at once, without a ``Wait``).
        """
        actions: list[Action] = [
            Forget(
                "server forgot" if reason == "previous_response_not_found" else "connection changed"
            )
        ]
        delay = self._retry.delay(self._attempt, retry_after=wait)
        if delay is None:
            actions.append(Fail(failure))
            return actions
        self._attempt += 1
        self._retries += 1
        if yielded:
            if not self._retry_after_output:
                error = RetryAfterOutputError(
                    f"{reason} after output had reached the caller; retry_after_output is off"
                )
                error.__cause__ = failure
                actions.append(Fail(error))
                return actions
            actions.append(
                Emit(RetryEvent(type="client.retry", attempt=self._attempt, reason=reason))
            )
        if wait is None or wait > 0:
            actions.append(Wait(delay))
        actions.append(Send(full_context=True))
        return actions

    def _next_round(self, finish: Finish) -> list[Action]:
        """After a finished round: a new round for the steers to apply, else ``finish``."""
        pending, queued = self.steers.take()
        if not pending and not queued:
            return [finish]
        self._rounds += 1
        self._attempt = 1
        return [*self._keep_steer([*pending, *queued]), Send(full_context=False)]

    def _succeed(self, fold: ResponseFold) -> list[Action]:
        """A response stopped for a steer the server then failed: the SDK makes the successor."""
        items, _ = successor_input(fold, self.steers.take()[1])
        self._add_tokens(fold.tokens)
        self._rounds += 1
        self._attempt = 1
        return [*self._keep_steer(items), Send(full_context=False)]

    def _restarted(self) -> list[Action]:
        """The response was cut for a steer: it is void, the next round carries the steer."""
        reason = self.steers.restart_reason
        _, queued = self.steers.take()
        self._add_tokens(self.fold.tokens)
        self._rounds += 1
        self._attempt = 1
        event = SteerRestartEvent(type="client.steer.restart", reason=reason)
        return [Emit(event), *self._keep_steer(queued), Send(full_context=False)]

    def _keep_steer(self, items: Sequence[Item]) -> list[Action]:
        self._kept.extend(items)
        return [Keep(tuple(items))] if items else []

    def _interrupted(self) -> list[Action]:
        """Finish as interrupted, keeping what the user heard when ``interrupt`` asked."""
        heard = self._keep_heard
        text = heard if isinstance(heard, str) else self.fold.streamed_text if heard else ""
        if not text:
            return [Finish("interrupted")]
        message = Message(role="assistant", content=(OutputText(text=text),), status="incomplete")
        self._kept.append(message)
        return [Keep((message,)), Finish("interrupted")]

    def _keep(self, items: Sequence[Item], held: Sequence[Item] | None = None) -> list[Action]:
        """Keep a finished round.

        ``held`` is what the server holds after the round's input when it is not the
        response's output (a pending steer, which the server prepends).
        """
        fold, plan = self.fold, self._plan
        self._kept.extend(items)
        self._add_tokens(fold.tokens)
        keep = Keep(tuple(items))
        if fold.response_id is not None and plan is not None and plan.input_len > 0:
            output = tuple(fold.output if held is None else held)
            return [Remember(fold.response_id, plan, output), keep]
        # The request carried the instructions as a developer message (empty history): the
        # server's context is not our history, so the next turn sends it all.
        return [Forget("no previous response"), keep]

    def _add_tokens(self, more: Tokens | None) -> None:
        self._tokens = more if self._tokens is None else self._tokens.plus(more)


def _text_of(items: Sequence[Item]) -> str:
    return "".join(
        item.text for item in items if isinstance(item, Message) and item.role == "assistant"
    )
