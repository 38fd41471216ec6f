"""Chat Completions stream -> Responses events: folding ``chat.completion.chunk`` objects.

Pure: chunks in, typed events out. ``ChunkFolder`` turns the chunks of one streamed chat
completion into the same ``responses_client.events`` models the Responses transports
yield, so a conversation cannot tell the wires apart:

- the first chunk opens the response (``response.created``);
- ``delta.content`` opens an assistant message (``output_item.added``,
  ``content_part.added``) and streams ``output_text.delta``; ``delta.refusal`` streams
  ``refusal.delta`` in a refusal part of the same message;
- ``delta.reasoning_content`` or ``delta.reasoning`` (what vLLM, DeepSeek and Ollama send)
  streams ``reasoning_text.delta`` in a reasoning item;
- ``delta.tool_calls`` fragments accumulate by ``index`` into function calls
  (``output_item.added`` once the name is known, ``function_call_arguments.delta``);
- ``end()``, at ``[DONE]`` or the end of the body, closes every open part and item and
  sends ``response.completed``, or ``response.incomplete`` for ``finish_reason``
  ``length`` / ``content_filter``, with the usage mapped to the Responses names.

Synthesised fields: the response id is the chunks' ``id`` (``chatcmpl_<n>`` when they have
none); item ids are ``msg_`` / ``rs_`` / ``fc_`` + the response id + the output index; a
call without ``id`` gets ``call_<index>``; statuses are ``in_progress`` while streaming and
``completed`` (``incomplete`` on a cut response) at the end; sequence numbers count from 0.

Lenient where compatible servers cut corners: a tool-call fragment without ``index``
continues the last call (or starts one when it carries an ``id``); ``finish_reason:
"stop"`` after tool calls is a completed response with calls; usage may come unasked, or
in a chunk that also carries choices; ``object`` may be missing or empty. Strict where
meaning lives: a tool call that never gets a name, or a chunk that is not an object, is a
``RemoteProtocolError``; an ``{"error": ...}`` object becomes an ``error`` event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic_core import from_json

from ._exceptions import RemoteProtocolError
from ._items import FunctionCall, Item, Message, OutputText, Reasoning, Refusal
from .events import (
    ContentPartAddedEvent,
    ContentPartDoneEvent,
    ErrorEvent,
    FunctionCallArgumentsDeltaEvent,
    FunctionCallArgumentsDoneEvent,
    IncompleteDetails,
    OutputItemAddedEvent,
    OutputItemDoneEvent,
    OutputTextDeltaEvent,
    OutputTextDoneEvent,
    ReasoningTextDeltaEvent,
    ReasoningTextDoneEvent,
    RefusalDeltaEvent,
    RefusalDoneEvent,
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseIncompleteEvent,
    ServerEvent,
    Usage,
)

__all__ = ["ChunkFolder", "usage_from_chat"]

_INCOMPLETE_REASONS = {"length": "max_output_tokens", "content_filter": "content_filter"}
"""``finish_reason`` values that cut the response short, and the Responses reason for each."""


def usage_from_chat(usage: Mapping[str, Any]) -> Usage:
    """A Chat Completions ``usage`` object under the Responses names.

    ``prompt_tokens`` → ``input_tokens``, ``completion_tokens`` → ``output_tokens``,
    ``prompt_tokens_details`` → ``input_tokens_details`` and ``completion_tokens_details``
    → ``output_tokens_details`` (``cached_tokens``, ``reasoning_tokens`` and any other
    count kept). Missing or null numbers are 0.
    """
    prompt = _count(usage.get("prompt_tokens"))
    completion = _count(usage.get("completion_tokens"))
    total = usage.get("total_tokens")
    data: dict[str, Any] = {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": _count(total) if total is not None else prompt + completion,
        "input_tokens_details": _details(usage.get("prompt_tokens_details")),
        "output_tokens_details": _details(usage.get("completion_tokens_details")),
    }
    return Usage.model_validate(data)


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _details(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        return {}
    # Null counts (some servers send them) are left out so the defaults (0) apply.
    return {key: inner for key, inner in value.items() if inner is not None}


_new_text_delta = OutputTextDeltaEvent.__pydantic_validator__.validate_python
"""Builds a text delta from a dict of its fields (the model's validator, built here)."""

_TEXT_KEYS = frozenset({"content", "role"})


def _parse(data: bytes | str) -> dict[str, Any]:
    """One SSE ``data`` payload as a JSON object, else ``RemoteProtocolError``."""
    try:
        # Keys repeat in every chunk; values (ids, text) rarely do: cache only keys.
        chunk = from_json(data, cache_strings="keys")
    except ValueError:
        raise RemoteProtocolError("chat completion chunk is not valid JSON", data=data) from None
    if not isinstance(chunk, dict):
        raise RemoteProtocolError("chat completion chunk is not a JSON object", data=data)
    return chunk


class _SameFrame:
    """The bytes around the strings that change between a stream's text chunks.

    A speed trick, guarded by ``bench/chat_throughput.py``. A server writes the text chunks
    of one stream alike: the same keys in the same order, the same id and model, so only
    the text differs, and on OpenAI the ``obfuscation`` padding, letters and digits of
    random length at the end of each chunk. Such a chunk is ``head + text + tail``, or
    ``head + text + middle + padding + tail``. A text without quote, backslash or control
    character stands in JSON as itself, and so does a padding of letters and digits, so a
    payload made of the same literal pieces around such strings is, field for field, the
    chunk ``learn`` saw with another text (and another padding, which nothing reads).

    ``learn`` finds the strings in a parsed text-alone chunk's bytes and proves where they
    sit: the pieces around probe strings parse to a chunk whose text alone is the first
    probe and whose padding is the second, so a string repeated elsewhere in the chunk is
    never taken for them. Any other payload is parsed as usual. A stream whose chunks
    differ in more than that (a ``created`` that moves) rarely hits: after ``_TRIES`` tries
    in a row without a hit, ``learn`` stops trying.
    """

    __slots__ = ("_head", "_middle", "_tail", "_tries")

    _TRIES = 2
    _PROBES = ("x", "y")

    def __init__(self) -> None:
        self._head: bytes | None = None
        """The bytes before the text, up to its opening quote; None until learnt."""
        self._middle = b""
        """The bytes after the text: from its closing quote to the end, or when the chunks
        are padded, to the padding's opening quote."""
        self._tail: bytes | None = None
        """The bytes after the padding, from its closing quote; None when there is none."""
        self._tries = 0
        """Tries to learn a frame since the last hit."""

    def text(self, data: bytes | str) -> str | None:
        """The text of ``data`` if it is the frame around a simple text, else None."""
        head = self._head
        if head is None or type(data) is not bytes or not data.startswith(head):
            return None
        start = len(head)
        end = data.find(b'"', start)  # the text has no quote: its closing one
        middle = self._middle
        if end <= start or not data.startswith(middle, end):
            return None
        at = end + len(middle)
        tail = self._tail
        if tail is not None:
            stop = data.find(b'"', at)
            if stop < 0 or not data[at:stop].isalnum() or not data.startswith(tail, stop):
                return None
            at = stop + len(tail)
        if at != len(data):
            return None
        try:
            text = data[start:end].decode()
        except UnicodeDecodeError:
            return None
        if not text.isprintable() or "\\" in text:
            return None
        self._tries = 0
        return text

    def learn(
        self,
        data: bytes | str,
        chunk: Mapping[str, Any],
        text: str,
        text_alone: Callable[[Mapping[str, Any]], str | None],
    ) -> None:
        """Learn the frame of ``data``, a text-alone chunk (``chunk`` parsed) ``text()`` missed.

        ``text_alone`` is the folder's test of a parsed chunk (``ChunkFolder._text_alone``).
        """
        if self._tries >= self._TRIES or type(data) is not bytes or not _simple(text):
            return
        self._tries += 1
        # Each string's last occurrence, quotes included: the text comes after the id and
        # the model, the padding after the text.
        start = data.rfind(f'"{text}"'.encode()) + 1
        end = start + len(text.encode())
        if start == 0:
            return
        head, middle, tail = data[:start], data[end:], None
        padding = chunk.get("obfuscation")
        if padding is not None:
            if type(padding) is not str or not padding.isascii() or not padding.isalnum():
                return
            at = data.rfind(f'"{padding}"'.encode()) + 1
            if at <= end:
                return  # not after the text
            middle, tail = data[end:at], data[at + len(padding) :]
        probe = head + self._PROBES[0].encode() + middle
        if tail is not None:
            probe += self._PROBES[1].encode() + tail
        try:
            parsed = from_json(probe, cache_strings="keys")
        except ValueError:
            return
        if (
            type(parsed) is dict
            and text_alone(parsed) == self._PROBES[0]
            and parsed.get("obfuscation") == (None if padding is None else self._PROBES[1])
        ):
            self._head, self._middle, self._tail = head, middle, tail


def _simple(text: str) -> bool:
    """Whether ``text`` stands in JSON as itself between quotes (and a frame may hold it)."""
    return text.isprintable() and '"' not in text and "\\" not in text


class _Call:
    """A function call being accumulated from its fragments."""

    __slots__ = ("arguments", "call_id", "item_id", "name", "output_index", "pending")

    def __init__(self, call_id: str | None) -> None:
        self.call_id = call_id
        self.name: str | None = None
        self.arguments: list[str] = []
        self.pending: list[str] = []
        """Argument fragments that came before the name (sent once it is known)."""
        self.output_index: int | None = None
        self.item_id = ""


class ChunkFolder:
    """Folds the chunks of one chat completion into Responses events.

    Feed each chunk (``feed`` for a parsed object, ``feed_data`` for an SSE data payload)
    and then call ``end()`` once the stream is over. Each call returns the events it made,
    in order.
    """

    def __init__(self, *, model: str | None = None, created_at: float | None = None) -> None:
        """Start folding a new response.

        Args:
            model: The model asked for, until a chunk names the one that answered.
            created_at: The Unix time to report until a chunk carries ``created``.
        """
        self._model = model
        self._created_at = created_at
        self._response_id: str | None = None
        self._sequence = 0
        self._items: list[Item | None] = []  # finished items by output index (None: open)
        # The open message: its output index, item id, parts and the open part's kind.
        self._message_index: int | None = None
        self._message_id = ""
        self._parts: list[tuple[str, list[str]]] = []
        self._open_text: list[str] | None = None
        """The pieces of the open part when it is text: a chunk of text alone then takes
        ``_text_event``."""
        self._frame = _SameFrame()
        """The bytes the text chunks of this stream share, once learnt (``feed_data``)."""
        # The open reasoning item.
        self._reasoning_index: int | None = None
        self._reasoning: list[str] = []
        self._calls: dict[int, _Call] = {}
        self._last_call: int | None = None
        self._finish_reason: str | None = None
        self._usage: Usage | None = None
        self.errored = False
        """Whether an ``{"error": ...}`` object arrived (its ``error`` event ends the stream)."""

    @property
    def finished(self) -> bool:
        """Whether a ``finish_reason`` arrived: the body may then end without ``[DONE]``."""
        return self._finish_reason is not None

    def feed_data(self, data: bytes | str) -> list[ServerEvent]:
        """Fold one SSE ``data`` payload (a JSON chunk).

        Raises:
            RemoteProtocolError: The payload is not a JSON object.
        """
        if self._open_text is not None:
            text = self._frame.text(data)
            if text is not None:
                return [self._text_event(text)]
        chunk = _parse(data)
        text = self._text_alone(chunk)
        if text is None:
            return self._fold(chunk)
        self._frame.learn(data, chunk, text, self._text_alone)
        return [self._text_event(text)]

    def feed(self, chunk: Mapping[str, Any]) -> list[ServerEvent]:
        """Fold one ``chat.completion.chunk`` object (or an ``{"error": ...}`` object)."""
        text = self._text_alone(chunk)
        return self._fold(chunk) if text is None else [self._text_event(text)]

    def _fold(self, chunk: Mapping[str, Any]) -> list[ServerEvent]:
        """``feed`` for every chunk that ``_text_alone`` does not take."""
        events: list[ServerEvent] = []
        if "error" in chunk and not chunk.get("choices"):
            events.append(self._error(chunk["error"]))
            return events
        if self._response_id is None:
            self._open(chunk, events)
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            if isinstance(choice, Mapping):
                delta = choice.get("delta")
                if isinstance(delta, Mapping):
                    self._delta(delta, events)
                reason = choice.get("finish_reason")
                if isinstance(reason, str) and reason:
                    self._finish_reason = reason
        usage = chunk.get("usage")
        if isinstance(usage, Mapping):
            self._usage = usage_from_chat(usage)
        return events

    def end(self) -> list[ServerEvent]:
        """Close every open part and item and send the terminal event.

        Call it at ``[DONE]``, or when the body ends after a finish reason.

        Raises:
            RemoteProtocolError: A tool call never got a name.
        """
        events: list[ServerEvent] = []
        if self._response_id is None:
            self._open({}, events)
        reason = _INCOMPLETE_REASONS.get(self._finish_reason or "")
        status = "incomplete" if reason is not None else "completed"
        self._close_reasoning(events, status)
        self._close_message(events, status)
        for index in sorted(self._calls):
            self._close_call(self._calls[index], events, status)
        output = [item for item in self._items if item is not None]
        response = self._response(status, output)
        if reason is None:
            events.append(self._numbered(ResponseCompletedEvent, response=response))
        else:
            response = response.model_copy(
                update={"incomplete_details": IncompleteDetails(reason=reason)}
            )
            events.append(self._numbered(ResponseIncompleteEvent, response=response))
        return events

    # -- the response --------------------------------------------------------------

    def _open(self, chunk: Mapping[str, Any], events: list[ServerEvent]) -> None:
        chunk_id = chunk.get("id")
        self._response_id = chunk_id if isinstance(chunk_id, str) and chunk_id else "chatcmpl_0"
        model = chunk.get("model")
        if isinstance(model, str) and model:
            self._model = model
        created = chunk.get("created")
        if isinstance(created, int | float) and not isinstance(created, bool):
            self._created_at = created
        events.append(
            self._numbered(ResponseCreatedEvent, response=self._response("in_progress", []))
        )

    def _response(self, status: str, output: list[Item]) -> Response:
        return Response(
            id=self._response_id or "chatcmpl_0",
            created_at=self._created_at,
            status=status,
            model=self._model,
            output=output,
            usage=self._usage,
        )

    def _numbered(self, model: type[Any], **fields: Any) -> Any:
        event = model(sequence_number=self._sequence, **fields)
        self._sequence += 1
        return event

    def _error(self, error: object) -> ErrorEvent:
        self.errored = True
        if not isinstance(error, Mapping):
            error = {"message": str(error)}
        code = error.get("code")
        message = error.get("message")
        status = error.get("status") if isinstance(error.get("status"), int) else None
        event: ErrorEvent = self._numbered(
            ErrorEvent,
            code=None if code is None else str(code),
            message=message if isinstance(message, str) else "",
            param=error.get("param") if isinstance(error.get("param"), str) else None,
            status=status,
        )
        return event

    # -- deltas ----------------------------------------------------------------------

    def _delta(self, delta: Mapping[str, Any], events: list[ServerEvent]) -> None:
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            self._reasoning_delta(reasoning, events)
        content = delta.get("content")
        if isinstance(content, str) and content:
            self._text_delta("output_text", content, events)
        refusal = delta.get("refusal")
        if isinstance(refusal, str) and refusal:
            self._text_delta("refusal", refusal, events)
        tool_calls = delta.get("tool_calls")
        if isinstance(tool_calls, list):
            for fragment in tool_calls:
                if isinstance(fragment, Mapping):
                    self._call_fragment(fragment, events)

    def _new_index(self) -> int:
        self._items.append(None)
        return len(self._items) - 1

    def _reasoning_delta(self, text: str, events: list[ServerEvent]) -> None:
        if self._reasoning_index is None:
            index = self._reasoning_index = self._new_index()
            item = Reasoning(id=self._item_id("rs", index), status="in_progress")
            events.append(self._numbered(OutputItemAddedEvent, output_index=index, item=item))
            events.append(
                self._numbered(
                    ContentPartAddedEvent,
                    item_id=item.id,
                    output_index=index,
                    content_index=0,
                    part={"type": "reasoning_text", "text": ""},
                )
            )
        self._reasoning.append(text)
        events.append(
            self._numbered(
                ReasoningTextDeltaEvent,
                item_id=self._item_id("rs", self._reasoning_index),
                output_index=self._reasoning_index,
                content_index=0,
                delta=text,
            )
        )

    def _text_delta(self, kind: str, text: str, events: list[ServerEvent]) -> None:
        """Stream text (``output_text``) or a refusal into the open message.

        The hot path of a chat stream (one call per text chunk): guarded by
        ``bench/chat_throughput.py``.
        """
        index = self._message_index
        if index is None:
            index = self._message_index = self._new_index()
            self._message_id = self._item_id("msg", index)
            item = Message(id=self._message_id, role="assistant", content=(), status="in_progress")
            events.append(self._numbered(OutputItemAddedEvent, output_index=index, item=item))
        parts = self._parts
        if not parts or parts[-1][0] != kind:
            if parts:
                self._close_part(events)
            parts.append((kind, []))
            empty: Any = OutputText(text="") if kind == "output_text" else Refusal(refusal="")
            events.append(
                self._numbered(
                    ContentPartAddedEvent,
                    item_id=self._message_id,
                    output_index=index,
                    content_index=len(parts) - 1,
                    part=empty,
                )
            )
        self._open_text = parts[-1][1] if kind == "output_text" else None
        parts[-1][1].append(text)
        model = OutputTextDeltaEvent if kind == "output_text" else RefusalDeltaEvent
        events.append(
            self._numbered(
                model,
                item_id=self._message_id,
                output_index=index,
                content_index=len(parts) - 1,
                delta=text,
            )
        )

    def _text_alone(self, chunk: Mapping[str, Any]) -> str | None:
        """The text of a chunk holding text alone while a text part is open, else None.

        Such a chunk makes exactly one event, ``_text_event(text)``; ``_fold`` would make
        the same one. Text alone: no finish reason, usage or error, and ``content`` the
        only non-empty key of the delta. Part of the hot path (``_text_event``).
        """
        choices = chunk.get("choices")
        if (
            self._open_text is None
            or not choices
            or chunk.get("usage") is not None
            or "error" in chunk
        ):
            return None
        choice = choices[0]
        delta = choice.get("delta") if type(choice) is dict else None
        if type(delta) is not dict or choice.get("finish_reason") is not None:
            return None
        text = delta.get("content")
        if type(text) is not str or not text:
            return None
        # Any other non-empty key (a refusal, reasoning, tool calls) takes the general path.
        if len(delta) > 1 and any(value for key, value in delta.items() if key not in _TEXT_KEYS):
            return None
        return text

    def _text_event(self, text: str) -> OutputTextDeltaEvent:
        """The delta of a chunk that ``_text_alone`` (or ``_SameFrame``) found text alone in.

        The hot path of a chat stream (one call per chunk), guarded by
        ``bench/chat_throughput.py``: no list of events, no dispatch on the delta's keys,
        and the event built by its model's validator from one dict.
        """
        texts = self._open_text
        assert texts is not None  # _text_alone said so
        texts.append(text)
        sequence = self._sequence
        self._sequence = sequence + 1
        event: OutputTextDeltaEvent = _new_text_delta(
            {
                "item_id": self._message_id,
                "output_index": self._message_index,
                "content_index": len(self._parts) - 1,
                "delta": text,
                "sequence_number": sequence,
            }
        )
        return event

    def _call_fragment(self, fragment: Mapping[str, Any], events: list[ServerEvent]) -> None:
        index = fragment.get("index")
        call_id = fragment.get("id")
        call_id = call_id if isinstance(call_id, str) and call_id else None
        if not isinstance(index, int) or isinstance(index, bool):
            # No index (some servers): a fragment with an id starts a call, one without
            # continues the last.
            if call_id is not None or self._last_call is None:
                index = max(self._calls, default=-1) + 1
            else:
                index = self._last_call
        call = self._calls.get(index)
        if call is None:
            call = self._calls[index] = _Call(call_id)
        elif call.call_id is None:
            call.call_id = call_id
        self._last_call = index
        function = fragment.get("function")
        if not isinstance(function, Mapping):
            return
        name = function.get("name")
        if call.name is None and isinstance(name, str) and name:
            call.name = name
            self._start_call(index, call, events)
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            call.arguments.append(arguments)
            if call.output_index is None:
                call.pending.append(arguments)
            else:
                self._arguments_delta(call, arguments, events)

    def _start_call(self, index: int, call: _Call, events: list[ServerEvent]) -> None:
        output_index = call.output_index = self._new_index()
        call.item_id = self._item_id("fc", output_index)
        if call.call_id is None:
            call.call_id = f"call_{index}"
        item = FunctionCall(
            id=call.item_id,
            call_id=call.call_id,
            name=call.name or "",
            arguments="",
            status="in_progress",
        )
        events.append(self._numbered(OutputItemAddedEvent, output_index=output_index, item=item))
        for pending in call.pending:
            self._arguments_delta(call, pending, events)
        call.pending.clear()

    def _arguments_delta(self, call: _Call, delta: str, events: list[ServerEvent]) -> None:
        events.append(
            self._numbered(
                FunctionCallArgumentsDeltaEvent,
                item_id=call.item_id,
                output_index=call.output_index,
                delta=delta,
            )
        )

    # -- closing -------------------------------------------------------------------

    def _item_id(self, prefix: str, index: int) -> str:
        return f"{prefix}_{self._response_id}_{index}"

    def _close_part(self, events: list[ServerEvent]) -> None:
        self._open_text = None
        content_index = len(self._parts) - 1
        kind, texts = self._parts[-1]
        text = "".join(texts)
        common = {
            "item_id": self._message_id,
            "output_index": self._message_index,
            "content_index": content_index,
        }
        if kind == "output_text":
            events.append(self._numbered(OutputTextDoneEvent, text=text, **common))
            part: Any = OutputText(text=text)
        else:
            events.append(self._numbered(RefusalDoneEvent, refusal=text, **common))
            part = Refusal(refusal=text)
        events.append(self._numbered(ContentPartDoneEvent, part=part, **common))

    def _close_message(self, events: list[ServerEvent], status: str) -> None:
        index = self._message_index
        if index is None:
            return
        self._close_part(events)
        parts: list[Any] = [
            OutputText(text="".join(texts))
            if kind == "output_text"
            else Refusal(refusal="".join(texts))
            for kind, texts in self._parts
        ]
        item = Message(id=self._message_id, role="assistant", content=tuple(parts), status=status)
        self._items[index] = item
        events.append(self._numbered(OutputItemDoneEvent, output_index=index, item=item))

    def _close_reasoning(self, events: list[ServerEvent], status: str) -> None:
        index = self._reasoning_index
        if index is None:
            return
        item_id = self._item_id("rs", index)
        text = "".join(self._reasoning)
        part = {"type": "reasoning_text", "text": text}
        common = {"item_id": item_id, "output_index": index, "content_index": 0}
        events.append(self._numbered(ReasoningTextDoneEvent, text=text, **common))
        events.append(self._numbered(ContentPartDoneEvent, part=part, **common))
        item = Reasoning(id=item_id, content=(part,), status=status)
        self._items[index] = item
        events.append(self._numbered(OutputItemDoneEvent, output_index=index, item=item))

    def _close_call(self, call: _Call, events: list[ServerEvent], status: str) -> None:
        if call.name is None or call.output_index is None:
            raise RemoteProtocolError(
                f"tool call {call.call_id or '(no id)'} never got a function name",
                data="".join(call.arguments),
            )
        arguments = "".join(call.arguments)
        events.append(
            self._numbered(
                FunctionCallArgumentsDoneEvent,
                item_id=call.item_id,
                output_index=call.output_index,
                arguments=arguments,
            )
        )
        item = FunctionCall(
            id=call.item_id,
            call_id=call.call_id or "",
            name=call.name,
            arguments=arguments,
            status=status,
        )
        self._items[call.output_index] = item
        events.append(
            self._numbered(OutputItemDoneEvent, output_index=call.output_index, item=item)
        )
