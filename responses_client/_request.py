"""Request bodies for ``POST /responses`` and the WebSocket ``response.create`` frame.

Pure: settings and input items in, a JSON-ready ``dict`` out. The transports add what
only they need: the SSE transport sets ``"stream": true``; the WebSocket transport sends
``{"type": "response.create", **body}``. ``redact_body`` makes a copy fit for logs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from ._exceptions import InputError

__all__ = [
    "RequestSettings",
    "TurnOptions",
    "build_body",
    "context_key",
    "plain_json",
    "redact_body",
]


@dataclass(frozen=True, slots=True)
class RequestSettings:
    """The per-conversation parameters of a Responses request.

    Every optional parameter left at ``None`` is omitted from the body, so the server's
    default applies. Tool schemas are built elsewhere (by ``Tool``) and passed through.
    """

    model: str
    """The model name, e.g. ``"gpt-4.1"``."""

    instructions: str | None = None
    """System-level instructions; see ``build_body`` for where they go. ``""`` counts as none."""

    tools: tuple[Mapping[str, Any], ...] = ()
    """Tool schemas in the Responses flat shape
    (``{"type": "function", "name", "description", "parameters", "strict"}``)."""

    temperature: float | None = None
    """Sampling temperature."""

    top_p: float | None = None
    """Nucleus sampling mass."""

    max_output_tokens: int | None = None
    """Upper bound on generated tokens, reasoning included."""

    service_tier: str | None = None
    """``"auto"``, ``"default"``, ``"flex"``, ``"priority"``…"""

    tool_choice: str | Mapping[str, Any] | None = None
    """``"auto"``, ``"none"``, ``"required"`` or a tool-choice object."""

    parallel_tool_calls: bool | None = None
    """Whether the model may call several tools in one response."""

    reasoning: Mapping[str, Any] | None = None
    """Reasoning options for reasoning models, e.g. ``{"effort": "low"}``."""

    include: Sequence[str] | None = None
    """Extra output the response should carry, e.g. ``("reasoning.encrypted_content",)``.
    With ``store=false`` and ``reasoning`` set, ``build_body`` adds
    ``reasoning.encrypted_content`` by itself (see there)."""

    store: bool = False
    """Whether OpenAI stores the response. Sent always, ``false`` unless set: storing is a
    privacy choice the caller makes, not a default."""

    extra: Mapping[str, Any] = field(default_factory=dict)
    """Extra body fields, merged last: they override anything ``build_body`` computed."""

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise InputError(f"model must be a non-empty string, got {self.model!r}")
        # A list is the natural thing to pass; keep the frozen value a tuple. (``tuple()``
        # of a tuple is the same object, so this costs nothing when a tuple came in.)
        object.__setattr__(self, "tools", tuple(self.tools))
        if self.include is not None:
            object.__setattr__(self, "include", tuple(self.include))
        for tool in self.tools:
            if not isinstance(tool, Mapping) or "type" not in tool:
                raise InputError(f"a tool schema must be a mapping with a 'type', got {tool!r}")

    def to_json(self) -> dict[str, Any]:
        """Every setting but ``tools`` as JSON-ready data, by field name.

        Tool schemas are not saved: they come from the tools' code, which is given again
        on restore. Built from the dataclass's fields, so a setting added later is saved
        without anyone remembering to.
        """
        return {name: plain_json(getattr(self, name)) for name in _field_names() if name != "tools"}

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], *, tools: Sequence[Mapping[str, Any]] = ()
    ) -> RequestSettings:
        """The settings ``to_json()`` saved, with these tool schemas.

        Raises:
            InputError: ``data`` names a setting that does not exist, or a value is invalid.
        """
        unknown = sorted(set(data) - set(_field_names()) - {"tools"})
        if unknown:
            raise InputError(f"unknown settings in saved data: {unknown}")
        values = {name: data[name] for name in _field_names() if name in data and name != "tools"}
        return cls(**values, tools=tuple(tools))


class TurnOptions(TypedDict, total=False):
    """Settings one turn may override (``convo.send(..., model=..., tool_choice=...)``).

    Every ``RequestSettings`` field but the tools; a test pins that the two lists agree.
    """

    model: str
    instructions: str | None
    temperature: float | None
    top_p: float | None
    max_output_tokens: int | None
    service_tier: str | None
    tool_choice: str | Mapping[str, Any] | None
    parallel_tool_calls: bool | None
    reasoning: Mapping[str, Any] | None
    include: Sequence[str] | None
    store: bool
    extra: Mapping[str, Any]


def _field_names() -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(RequestSettings))


def plain_json(value: Any) -> Any:
    """A settings value as plain JSON data (read-only mappings become dicts)."""
    if isinstance(value, Mapping):
        return {key: plain_json(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(inner) for inner in value]
    return value


_OPTIONAL = tuple(
    name
    for name in _field_names()
    if name not in {"model", "instructions", "tools", "include", "store", "extra"}
)
"""Parameters sent only when set, in field order (the fields with their own rules aside)."""


def context_key(settings: RequestSettings) -> bytes:
    """What the server's context depends on beside the items: model, instructions, tools."""
    key = json.dumps(
        [settings.model, settings.instructions, list(settings.tools)],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(key.encode()).digest()


def build_body(
    settings: RequestSettings,
    input_items: Sequence[dict[str, Any]],
    *,
    previous_response_id: str | None = None,
    generate: bool = True,
) -> dict[str, Any]:
    """Build the body of one Responses request.

    The instructions follow one rule: with input items (or a ``previous_response_id``)
    they go in the ``instructions`` parameter; with neither, the API would have no input,
    so they become the single input item, a ``developer`` message, and no
    ``instructions`` parameter is sent.

    Reasoning survives without storage: with ``store=false`` and ``reasoning`` set,
    ``include`` asks for ``reasoning.encrypted_content``. A reasoning item can be sent
    back only with it (the server keeps nothing), so the history keeps the model's chain
    of reasoning even when a request must carry the full context: after a reconnect, or
    on a connection that never saw the earlier responses.

    Args:
        settings: The conversation's parameters.
        input_items: The items to send (all of them, or only the new ones after
            ``previous_response_id``), already in wire shape. They are not copied deeply:
            do not mutate them while the body is in use.
        previous_response_id: The response this request continues, when the planner
            sends only new items.
        generate: False for a warm-up (WebSocket only): ``generate: false`` is sent, and
            the instructions stay in their parameter even without input items (a warm-up
            may carry none; what it prepares is the next request's context).

    Returns:
        A new JSON-ready dict, without ``stream`` (the transport adds what it needs).
    """
    instructions = settings.instructions or None
    body: dict[str, Any] = {"model": settings.model}
    if instructions is not None and not input_items and previous_response_id is None and generate:
        body["input"] = [{"type": "message", "role": "developer", "content": instructions}]
    else:
        body["input"] = list(input_items) if settings.store else _unstored(input_items)
        if instructions is not None:
            body["instructions"] = instructions
    if settings.tools:
        body["tools"] = [dict(tool) for tool in settings.tools]
    for name in _OPTIONAL:
        value = getattr(settings, name)
        if value is not None:
            # Mappings may be read-only views; json.dumps wants real dicts.
            body[name] = dict(value) if isinstance(value, Mapping) else value
    include = list(settings.include or ())
    if not settings.store and settings.reasoning is not None and _ENCRYPTED not in include:
        include.append(_ENCRYPTED)
    if include:
        body["include"] = include
    body["store"] = settings.store
    if previous_response_id is not None:
        body["previous_response_id"] = previous_response_id
    if not generate:
        body["generate"] = False
    body.update(settings.extra)
    return body


_ENCRYPTED = "reasoning.encrypted_content"


def _unstored(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Make output items fit for a request with ``store=false``.

    Without storage the API resolves no item ids: an input item that carries the id of an
    earlier output item (``msg_…``, ``fc_…``, ``rs_…``) is answered with 404 "Item with id …
    not found. Items are not persisted when `store` is set to false." So ids are left out,
    and a reasoning item, which the API can only replay from storage or from its
    ``encrypted_content``, is left out entirely when it has no ``encrypted_content``.
    Items without an id are passed through as they are (no copy).
    """
    kept: list[dict[str, Any]] = []
    for item in items:
        if "id" not in item:
            kept.append(item)
        elif item.get("type") == "reasoning":
            if item.get("encrypted_content"):
                kept.append(item)
        else:
            kept.append({key: value for key, value in item.items() if key != "id"})
    return kept


# -- redaction for logs ----------------------------------------------------------------

# Keys whose string values carry binary payloads in the Responses API: input_audio's
# "data", input_file's "file_data", image results' "b64_json".
_BINARY_KEYS = frozenset({"data", "file_data", "b64_json", "audio"})
_SHORT = 64
"""Strings up to this length are kept whatever they hold."""
_LONG_BASE64 = 256
"""A string of only base64 characters this long is taken for a payload under any key."""
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_DATA_URL_PREFIX = re.compile(r"data:[^,]{0,100},")


def redact_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a request body fit for logs.

    ``data:`` URLs, base64 payloads and audio data longer than a few dozen characters
    become a short placeholder giving their length (``"data:image/png;base64,<120000
    chars>"``, ``"<base64, 88000 chars>"``). Everything else is kept. The input is never
    mutated.

    Args:
        body: A body from ``build_body`` (or any JSON-like mapping).

    Returns:
        A new dict; nested dicts and lists are new as well.
    """
    return {key: _redact(value, key) for key, value in body.items()}


def _redact(value: Any, key: str | None) -> Any:
    if isinstance(value, str):
        return _redact_str(value, key) if len(value) > _SHORT else value
    if isinstance(value, Mapping):
        return {k: _redact(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v, None) for v in value]
    return value


def _redact_str(value: str, key: str | None) -> str:
    prefix = _DATA_URL_PREFIX.match(value)
    if prefix is not None:
        return f"{prefix.group()}<{len(value) - prefix.end()} chars>"
    if (key in _BINARY_KEYS or len(value) >= _LONG_BASE64) and _BASE64.fullmatch(value):
        return f"<base64, {len(value)} chars>"
    return value
