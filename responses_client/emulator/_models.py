"""The emulator's models: a deterministic default and a scripted one for tests."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ._script import CallTool, HttpStatus, Reply

__all__ = ["DefaultModel", "Model", "ModelRequest", "ScriptedModel", "ScriptExhausted"]


@dataclass(frozen=True)
class ModelRequest:
    """What a model sees for one response.

    Attributes:
        body: The request body (HTTP) or ``response.create`` frame (WebSocket), as sent.
        input: The resolved input: the earlier context (through ``previous_response_id``)
            followed by the new input items, each a dict.
        instructions: The request's ``instructions`` (never carried over).
        tools: The request's ``tools``, as sent.
        transport: ``"http"``, ``"websocket"`` or ``"chat"`` (``/v1/chat/completions``,
            whose messages arrive here as the Responses items they stand for, the leading
            system message as ``instructions``).
    """

    body: Mapping[str, Any]
    input: Sequence[Mapping[str, Any]]
    instructions: str | None
    tools: Sequence[Mapping[str, Any]]
    transport: str


class Model(Protocol):
    """Anything that answers a ``ModelRequest`` with a reply (or an HTTP status)."""

    def reply(self, request: ModelRequest) -> Reply | HttpStatus:
        """Decide the next response."""
        ...


class ScriptExhausted(RuntimeError):
    """A ``ScriptedModel`` with no ``then`` model ran out of replies."""


def _message_text(item: Mapping[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


_STOPWORDS = frozenset(
    """about after again also answer any based because been being call calls current does
    each every from function given have into just like look more most name need only other
    over provide provided result results return returns should some such than that their
    them then there these they this those tool tools under used user uses using value
    values what when where which while will with would your""".split()
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_PLACE = re.compile(r"\b(?:in|for|at|of|to|from|about|near)\s+([A-Z][\w'-]*)")


def _keywords(tool: Mapping[str, Any]) -> set[str]:
    name = str(tool.get("name", ""))
    words = set(re.split(r"[_\W]+", name.lower()))
    words |= {w.lower() for w in _WORD.findall(str(tool.get("description") or ""))}
    return {w for w in words if len(w) >= 4 and w not in _STOPWORDS}


def _string_argument(message: str) -> str:
    match = _PLACE.search(message)
    if match:
        return match.group(1)
    words = _WORD.findall(message)
    capitalised = [w for w in words[1:] if w[0].isupper()]
    if capitalised:
        return str(capitalised[0])
    return str(words[-1]) if words else ""


def _arguments(schema: object, message: str) -> dict[str, Any]:
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    required = schema.get("required")
    names = required if isinstance(required, list) else list(properties)
    numbers = _NUMBER.findall(message)
    arguments: dict[str, Any] = {}
    for name in names:
        spec = properties.get(name)
        spec = spec if isinstance(spec, dict) else {}
        kind = spec.get("type")
        if isinstance(spec.get("enum"), list) and spec["enum"]:
            arguments[name] = spec["enum"][0]
        elif kind in ("number", "integer"):
            value = float(numbers.pop(0)) if numbers else 1.0
            arguments[name] = int(value) if kind == "integer" else value
        elif kind == "boolean":
            arguments[name] = True
        elif kind == "array":
            arguments[name] = []
        elif kind == "object":
            arguments[name] = {}
        else:
            arguments[name] = _string_argument(message)
    return arguments


class DefaultModel:
    """A deterministic stand-in for a real model, good enough for demos and smoke tests.

    - When the last input item is a ``function_call_output``, it answers with that output
      ("The get_weather tool says: …").
    - Otherwise, when the last user message names a function tool, or shares a keyword
      (four letters or more, not a stop word) with the tool's name or description, it
      calls that tool once. Arguments follow the tool's JSON schema: strings get the
      capitalised word after "in"/"for"/… (else a capitalised word, else the last
      word), numbers the message's numbers in order, enums their first value.
    - Otherwise it acknowledges the last user message in two short sentences.
    """

    def reply(self, request: ModelRequest) -> Reply:
        """Answer from the conversation, deterministically."""
        items = request.input
        last = items[-1] if items else None
        if last is not None and last.get("type") == "function_call_output":
            name = next(
                (
                    item.get("name", "tool")
                    for item in reversed(items)
                    if item.get("type") == "function_call"
                    and item.get("call_id") == last.get("call_id")
                ),
                "tool",
            )
            output = last.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            return Reply(text=f"The {name} tool says: {text}")
        message = next(
            (
                _message_text(item)
                for item in reversed(items)
                if item.get("type", "message") == "message" and item.get("role") == "user"
            ),
            "",
        )
        if not message.strip():
            return Reply(text="Hello! How can I help you today?")
        lowered = message.lower()
        words = {w.lower() for w in _WORD.findall(message)}
        for tool in request.tools:
            if tool.get("type") != "function" or not isinstance(tool.get("name"), str):
                continue
            name = tool["name"]
            if name.lower() in lowered or words & _keywords(tool):
                arguments = _arguments(tool.get("parameters"), message)
                return Reply(tool_calls=[CallTool(name=name, arguments=arguments)])
        quoted = message.strip()
        if len(quoted) > 200:
            quoted = quoted[:197] + "..."
        return Reply(text=f'You said: "{quoted}". This is the emulator answering; no model ran.')


class ScriptedModel:
    """A queue of planned replies, consumed one per response, for tests.

    Each entry is a ``Reply``, an ``HttpStatus`` (an error answer before any
    event; the next entry serves the retry), or a plain string (a text reply).

    When the queue is empty the ``then`` model answers; without one (the default) the
    emulator answers HTTP 500 / an ``error`` event whose message says the script ran
    out, so a test that makes one request more than it planned fails loudly.

    Attributes:
        used: The replies consumed so far, in order.
    """

    def __init__(
        self,
        replies: Iterable[Reply | HttpStatus | str] = (),
        *,
        then: Model | None = None,
    ) -> None:
        self._queue: deque[Reply | HttpStatus] = deque()
        self.then = then
        self.used: list[Reply | HttpStatus] = []
        self.extend(replies)

    def add(self, reply: Reply | HttpStatus | str) -> None:
        """Queue one more reply."""
        self._queue.append(Reply(text=reply) if isinstance(reply, str) else reply)

    def extend(self, replies: Iterable[Reply | HttpStatus | str]) -> None:
        """Queue several replies."""
        for reply in replies:
            self.add(reply)

    @property
    def remaining(self) -> int:
        """How many replies are still queued."""
        return len(self._queue)

    def reply(self, request: ModelRequest) -> Reply | HttpStatus:
        """Pop the next planned reply (or ask ``then``)."""
        if self._queue:
            reply = self._queue.popleft()
        elif self.then is not None:
            reply = self.then.reply(request)
        else:
            raise ScriptExhausted(
                f"the emulator's script ran out after {len(self.used)} replies "
                "(queue more with ScriptedModel.add, or pass then=DefaultModel())"
            )
        self.used.append(reply)
        return reply
