"""Folding the events of one response, purely: events in, ending / output / failure out.

``ResponseFold`` takes the events of one response in order (``apply``) and ends in exactly
one ``Ending``:

- ``COMPLETED``: ``response.completed``. Its output is appended to the history and its
  function calls are run, once.
- ``INCOMPLETE``: ``response.incomplete`` (``max_output_tokens``, content filter, or a
  cancel). Nothing is appended and no tool runs.
- ``FAILED``: ``response.failed``. Nothing is appended; the turn raises.
- ``ERROR``: an ``error`` event. Either a retry (``retry_reason`` says which) or the turn
  raises.

Invariants: ``apply`` never raises for a well-typed event; events after the ending change
nothing (they go to the ``listener``, with the steer answers: over the WebSocket a steered
response's successor follows it on the same stream, and the turn machine folds it anew);
the output of a completed response is ``response.output`` when the server sent it, else the
``output_item.done`` items in ``output_index`` order (some compatible servers send an empty
``output`` on ``response.completed``), else, when neither came, one assistant message
holding the text deltas.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ._exceptions import APIStatusError, ResponseFailedError, status_error
from ._items import FunctionCall, Item, Message, OutputText
from .events import (
    ErrorEvent,
    IncompleteDetails,
    OutputItemDoneEvent,
    OutputTextDeltaEvent,
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseError,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseSteerAcceptedEvent,
    ResponseSteerFailedEvent,
    ResponseSteerPendingEvent,
    ServerEvent,
    UnknownEvent,
    Usage,
)

__all__ = ["RETRYABLE_ERROR_CODES", "Ending", "ResponseFold", "Tokens"]


RETRYABLE_ERROR_CODES = frozenset(
    {"previous_response_not_found", "websocket_connection_limit_reached"}
)
"""``error`` codes after which the same request is retried with full context."""


class Tokens(NamedTuple):
    """Token counts as five ints, summed over rounds and turned into a ``Usage`` at the end.

    A ``Usage`` is three pydantic models (~1.8 KB); a fold holds its counts while tools
    run, and with many conversations in their tool rounds that is part of the memory peak.
    Counts a server adds beyond the five (an ``audio_tokens`` detail, say) ride along in
    ``more`` and are summed too; without them ``more`` is the one shared empty tuple.
    """

    input: int
    output: int
    total: int
    cached: int
    reasoning: int
    more: tuple[tuple[tuple[str, ...], float], ...] = ()
    """Other numbers of the usage object: (path of keys, value), in the server's order."""

    @classmethod
    def of(cls, usage: Usage | None) -> Tokens | None:
        """The counts of a ``Usage`` (``None`` for none)."""
        if usage is None:
            return None
        more: list[tuple[tuple[str, ...], float]] = []
        for path, extra in (
            ((), usage.model_extra),
            (("input_tokens_details",), usage.input_tokens_details.model_extra),
            (("output_tokens_details",), usage.output_tokens_details.model_extra),
        ):
            for key, value in (extra or {}).items():
                more.extend(_numbers((*path, key), value))
        return cls(
            usage.input_tokens,
            usage.output_tokens,
            usage.total_tokens,
            usage.cached_tokens,
            usage.reasoning_tokens,
            tuple(more),
        )

    def plus(self, more: Tokens | None) -> Tokens:
        """The sum of both counts, field by field (other numbers by their path)."""
        if more is None:
            return self
        extra = self.more
        if more.more:
            sums = dict(self.more)
            for path, value in more.more:
                sums[path] = sums.get(path, 0) + value
            extra = tuple(sums.items())
        return Tokens(
            self.input + more.input,
            self.output + more.output,
            self.total + more.total,
            self.cached + more.cached,
            self.reasoning + more.reasoning,
            extra,
        )

    def usage(self) -> Usage:
        """The counts as the public ``Usage`` model, other numbers where the server put them."""
        data: dict[str, Any] = {
            "input_tokens": self.input,
            "output_tokens": self.output,
            "total_tokens": self.total,
            "input_tokens_details": {"cached_tokens": self.cached},
            "output_tokens_details": {"reasoning_tokens": self.reasoning},
        }
        for path, value in self.more:
            node = data
            for key in path[:-1]:
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    break  # a number here in one round, an object in another: keep the first
            else:
                node.setdefault(path[-1], value)
        return Usage.model_validate(data)


def _numbers(path: tuple[str, ...], value: object) -> list[tuple[tuple[str, ...], float]]:
    """The numbers in ``value`` (nested objects walked), each with its path of keys."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, inner in value.items() for found in _numbers((*path, key), inner)]
    return []


class Ending(enum.Enum):
    """How a response ended."""

    COMPLETED = "completed"
    """``response.completed``: output kept, tools run."""
    INCOMPLETE = "incomplete"
    """``response.incomplete``: cut short (token limit, filter, cancel); nothing kept."""
    FAILED = "failed"
    """``response.failed``: the model failed; nothing kept."""
    ERROR = "error"
    """An ``error`` event: retried when the code allows, else the turn fails."""


@dataclass
class ResponseFold:
    """Accumulates the events of one response. Feed every event to ``apply``."""

    response_id: str | None = None
    """Set by ``response.created``."""
    ending: Ending | None = None
    """Set by the terminal event; ``None`` while the response runs."""
    tokens: Tokens | None = None
    """Token counts from the terminal event's response object, when sent."""
    response_error: ResponseError | None = None
    """The error the terminal response object carried (``response.failed``)."""
    incomplete_details: IncompleteDetails | None = None
    """Why the response was cut short (``response.incomplete``)."""
    error: ErrorEvent | None = None
    """The ``error`` event, when that is how the response ended."""
    first_output: bool = False
    """Whether any output (text delta or finished item) has arrived yet."""
    listener: Callable[[ResponseFold, ServerEvent | UnknownEvent], None] | None = field(
        default=None, repr=False, compare=False
    )
    """Told of each steer answer, and of every event after the ending."""
    _done_items: dict[int, Item] = field(default_factory=dict)
    _text: list[str] = field(default_factory=list)
    _output: list[Item] | None = None

    def apply(self, event: ServerEvent | UnknownEvent) -> None:
        """Fold one event in. Events after the ending change nothing."""
        if type(event) is OutputTextDeltaEvent:  # most events: skip the match below
            if self.ending is None:
                self._text.append(event.delta)
                self.first_output = True
            return
        if self.ending is not None:
            if self.listener is not None:
                self.listener(self, event)
            return
        match event:
            case OutputTextDeltaEvent():
                self._text.append(event.delta)
                self.first_output = True
            case OutputItemDoneEvent():
                index = event.output_index
                self._done_items[len(self._done_items) if index is None else index] = event.item
                self.first_output = True
            case ResponseCreatedEvent():
                self.response_id = event.response.id
            case ResponseCompletedEvent():
                self._end(Ending.COMPLETED, event.response)
            case ResponseIncompleteEvent():
                self._end(Ending.INCOMPLETE, event.response)
            case ResponseFailedEvent():
                self._end(Ending.FAILED, event.response)
            case ErrorEvent():
                self.error = event
                self.ending = Ending.ERROR
            case (
                ResponseSteerAcceptedEvent()
                | ResponseSteerFailedEvent()
                | ResponseSteerPendingEvent()
            ) if self.listener is not None:
                self.listener(self, event)
            case _:
                pass

    def _end(self, ending: Ending, response: Response) -> None:
        # Keep what the turn reads, not the response object: it echoes the request (tools
        # with their schemas, instructions, settings) and weighs ~10 KB, which would stay
        # alive while tools run; with many conversations that is the memory peak.
        self.ending = ending
        self.response_id = response.id or self.response_id
        self.tokens = Tokens.of(response.usage)
        self.response_error = response.error
        self.incomplete_details = response.incomplete_details
        if response.output:
            self._output = list(response.output)
            self._done_items.clear()  # the same items, parsed a second time

    @property
    def output(self) -> list[Item]:
        """The response's output items (see the module docstring for the fallback)."""
        if self._output is not None:
            return list(self._output)
        if not self._done_items and self._text and self.ending is Ending.COMPLETED:
            # Neither ``output`` nor ``output_item.done``, yet text was streamed (a server
            # cutting corners): the message the stream built is the output.
            text = OutputText(text="".join(self._text))
            return [Message(role="assistant", content=(text,), status="completed")]
        return [self._done_items[index] for index in sorted(self._done_items)]

    @property
    def streamed_text(self) -> str:
        """The text deltas received so far, joined (partial output of a cut response)."""
        return "".join(self._text)

    def function_calls(self) -> list[FunctionCall]:
        """The function calls of a completed response, in output order."""
        return [item for item in self.output if isinstance(item, FunctionCall)]

    def retry_reason(self) -> str | None:
        """The error code when the response ended in an ``error`` that is worth a retry."""
        if self.error is not None and self.error.code in RETRYABLE_ERROR_CODES:
            return self.error.code
        return None

    def status_failure(self) -> APIStatusError | None:
        """The HTTP error an ``error`` event stands for, when it carries a status.

        Over the WebSocket the server answers a request it refuses (a rate limit, a server
        error, a bad parameter) with an ``error`` event carrying the HTTP status it would
        have answered (and, for a rate limit, its headers). It becomes the same
        ``APIStatusError`` subclass as over HTTP, so that retries and ``except`` clauses
        work the same on every transport.
        """
        error = self.error
        if error is None or error.status is None or error.status < 400:
            return None
        extra = error.model_extra or {}
        # Where a server puts them: beside ``status``, or in the nested error object.
        nested = (error.error.model_extra or {}) if error.error is not None else {}
        headers = extra.get("headers", nested.get("headers"))
        body = {"error": {"message": error.message, "code": error.code, "param": error.param}}
        return status_error(
            error.status,
            body,
            request_id=extra.get("request_id")
            if isinstance(extra.get("request_id"), str)
            else None,
            headers=headers if isinstance(headers, dict) else None,
        )

    def failure(self) -> ResponseFailedError:
        """The exception for a response that ended ``FAILED`` or ``ERROR``."""
        if self.error is not None:
            code, message = self.error.code, self.error.message or "no message"
            return ResponseFailedError(
                f"server error {code}: {message}" if code else f"server error: {message}",
                code=code,
                response_id=self.response_id,
                status=self.error.status,
                param=self.error.param,
            )
        detail = self.response_error
        code = detail.code if detail is not None else None
        message = detail.message if detail is not None else "no error detail"
        return ResponseFailedError(
            f"response {self.response_id} failed: {code or 'error'}: {message}",
            code=code,
            response_id=self.response_id,
        )
