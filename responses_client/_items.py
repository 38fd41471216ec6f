"""Typed conversation items: what goes into ``input`` and comes back in ``output``.

Items are immutable pydantic models whose field names are exactly the Responses API's.
Each one knows its wire form (:meth:`to_wire`, computed once) and a stable ``digest`` of it
(sha256 of canonical JSON, computed lazily, once). Because items never change after they
are built, a conversation can compare long histories by digest without serialising them
again: that is what keeps incremental context O(new items).

Fields the SDK does not model (``phase`` on a message, a new flag on a function call, every
field of a ``web_search_call``) are kept verbatim (``extra="allow"``) and survive a round
trip wire → item → wire. ``None`` fields are omitted from the wire form.

Three ways in:

* build items directly: ``Message.user("hi")``, ``FunctionCallOutput(call_id=…, output=…)``;
* :func:`parse_item` for items the *server* sent (``response.output``, ``output_item.*``):
  malformed data raises :class:`~responses_client.RemoteProtocolError`;
* ``_chat.items_from_message`` for chat-style dicts the *caller* built (the Chat
  Completions shape, or Responses-style items): input that fits no rule raises
  :class:`~responses_client.InputError`.
"""

# No ``from __future__ import annotations`` in this module: pydantic would then build each
# field's type from a string at import (about 2 ms of ``import responses_client`` here).

import functools
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Tag,
    TypeAdapter,
    ValidationError,
)

from ._exceptions import RemoteProtocolError

__all__ = [
    "FunctionCall",
    "FunctionCallOutput",
    "InputAudio",
    "InputFile",
    "InputImage",
    "InputText",
    "Item",
    "Message",
    "OutputText",
    "Part",
    "Reasoning",
    "Refusal",
    "UnknownItem",
    "UnknownPart",
    "canonical_json",
    "describe_item_error",
    "parse_item",
    "validate_item",
]


# Field-name sets shared by items and parts (see _WireModel.model_post_init). Bounded:
# extra fields are server-controlled names, so the combinations are not.
_SHARED_FIELDS_SETS: dict[frozenset[str], set[str]] = {}
_SHARED_FIELDS_SETS_MAX = 512


_NO_EXTRA: dict[str, Any] = {}
"""The unknown fields of every model that has none (never written to: models are frozen)."""


class _WireModel(BaseModel):
    """Immutable model that keeps unknown fields, so new server fields survive."""

    # defer_build: no item model is compiled at import (guarded by bench/import_time.py),
    # so importing the SDK builds no validator at all and pydantic's plugin discovery,
    # which scans every installed distribution, waits for the first model used.
    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)

    def model_post_init(self, _context: Any, /) -> None:
        """Share the set of explicitly set field names with equal instances.

        pydantic gives every instance a set of its own (216 bytes, 728 once it holds five
        names), the largest part of an idle conversation's history. Frozen instances never
        change theirs (``model_copy`` copies it before updating), so one set per distinct
        combination is enough. The same goes for the dict of unknown fields, which is
        nearly always empty (64 bytes each): the empty ones share one.
        """
        if not self.__pydantic_extra__:
            object.__setattr__(self, "__pydantic_extra__", _NO_EXTRA)
        names = self.__pydantic_fields_set__
        shared = _SHARED_FIELDS_SETS.get(frozenset(names))
        if shared is None:
            if len(_SHARED_FIELDS_SETS) >= _SHARED_FIELDS_SETS_MAX:
                return  # unusual extra fields: keep the instance's own set
            shared = _SHARED_FIELDS_SETS[frozenset(names)] = names
        object.__setattr__(self, "__pydantic_fields_set__", shared)

    def _wire(self) -> dict[str, Any]:
        # by_alias is not needed (field names are the wire names); mode="json" turns
        # tuples into lists so the result is exactly what json.dumps sends.
        return self.model_dump(mode="json", exclude_none=True)


# -- content parts ---------------------------------------------------------------


class InputText(_WireModel):
    """Text the caller sends (``input_text``)."""

    type: Literal["input_text"] = "input_text"
    text: str
    """The text."""


class InputImage(_WireModel):
    """An image the caller sends (``input_image``), by URL (``https:`` or ``data:``) or file id."""

    type: Literal["input_image"] = "input_image"
    image_url: str | None = None
    """A fully qualified URL or a base64 ``data:`` URL."""
    file_id: str | None = None
    """The id of an uploaded file."""
    detail: Literal["low", "high", "auto", "original"] = "auto"
    """How closely the model looks at the image."""


class InputFile(_WireModel):
    """A file the caller sends (``input_file``): by id, inline base64 data or URL."""

    type: Literal["input_file"] = "input_file"
    file_id: str | None = None
    """The id of an uploaded file."""
    file_data: str | None = None
    """The file's content, base64-encoded (usually a ``data:`` URL)."""
    file_url: str | None = None
    """A URL the server fetches the file from."""
    filename: str | None = None
    """The file's name, shown to the model."""


class AudioData(_WireModel):
    """The payload of an :class:`InputAudio` part."""

    data: str
    """Base64-encoded audio."""
    format: str
    """The encoding: ``"wav"`` or ``"mp3"``."""


class InputAudio(_WireModel):
    """Audio the caller sends (``input_audio``)."""

    type: Literal["input_audio"] = "input_audio"
    input_audio: AudioData
    """The audio data and its format."""


class OutputText(_WireModel):
    """Text the model wrote (``output_text``)."""

    type: Literal["output_text"] = "output_text"
    text: str
    """The text."""
    annotations: tuple[dict[str, Any], ...] = ()
    """Citations and file paths, kept as the server sent them."""
    logprobs: tuple[dict[str, Any], ...] | None = None
    """Token log probabilities, when they were requested."""


class Refusal(_WireModel):
    """The model declined to answer (``refusal``)."""

    type: Literal["refusal"] = "refusal"
    refusal: str
    """The refusal's explanation."""


class UnknownPart(_WireModel):
    """A content part of a type this SDK does not model; every field is kept verbatim."""

    type: str
    """The part's wire type (``reasoning_text``, ``summary_text``, a future type, …)."""


_PART_TAGS = frozenset(
    {"input_text", "input_image", "input_file", "input_audio", "output_text", "refusal"}
)


def _part_tag(value: Any) -> str:
    tag = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return tag if isinstance(tag, str) and tag in _PART_TAGS else "unknown"


Part = Annotated[
    Annotated[InputText, Tag("input_text")]
    | Annotated[InputImage, Tag("input_image")]
    | Annotated[InputFile, Tag("input_file")]
    | Annotated[InputAudio, Tag("input_audio")]
    | Annotated[OutputText, Tag("output_text")]
    | Annotated[Refusal, Tag("refusal")]
    | Annotated[UnknownPart, Tag("unknown")],
    Discriminator(_part_tag),
]
"""One content part of a message; a type the SDK does not know becomes :class:`UnknownPart`."""


# -- items -----------------------------------------------------------------------


class _Item(_WireModel):
    """The wire form and the digest, shared by every item; the digest is computed once."""

    # A slot, not a cached property: that would add a key to every item's instance dict
    # and make most of them grow (about 100 bytes each). pydantic copies, compares and
    # pickles fields only, so a copy or an unpickled item computes its own again.
    __slots__ = ("_digest_slot",)
    if TYPE_CHECKING:  # for the type checker only: pydantic would make it a private field
        _digest_slot: bytes | None

    def model_post_init(self, context: Any, /) -> None:
        """Share the fields-set (see ``_WireModel``) and start with nothing computed."""
        super().model_post_init(context)
        # Set, not left unset: reading an unset slot falls through to pydantic's
        # ``__getattr__``, which costs microseconds. (A copy or an unpickled item skips
        # this and takes that path once: still correct.)
        object.__setattr__(self, "_digest_slot", None)
        _share_repeated_strings(self.__dict__)

    def to_wire(self) -> dict[str, Any]:
        """Return the item exactly as the API's ``input`` expects it, as a new dict.

        ``None`` fields are left out; unknown fields are kept. It is built on each call
        and not kept: an item is sent once over WebSocket, and a history's wire form would
        double the memory every idle conversation holds (bench/scale.py); a request that
        carries the whole history builds it again (about a microsecond an item, against
        two to four for its JSON).
        """
        return self._wire()

    @property
    def digest(self) -> bytes:
        """Sha256 of the item's canonical wire JSON (sorted keys, compact separators).

        Equal items have equal digests; any change to a wire field changes it.
        """
        digest: bytes | None = getattr(self, "_digest_slot", None)
        if digest is None:
            digest = hashlib.sha256(canonical_json(self._wire())).digest()
            object.__setattr__(self, "_digest_slot", digest)
        return digest


_REPEATED_FIELDS = ("status", "name")
"""Fields whose values repeat across items: ``"completed"``, a tool's name."""


def _share_repeated_strings(fields: dict[str, Any]) -> None:
    """Make equal values of ``_REPEATED_FIELDS`` one string object for every item.

    Memory trick, guarded by bench/scale.py (memory per idle conversation): each item
    parsed from the wire has strings of its own, and every function call and answer in
    a history would otherwise hold its own ``"completed"`` and tool name (about 60 bytes
    each). Interned strings are freed like any other once no item holds them.
    """
    for name in _REPEATED_FIELDS:
        value = fields.get(name)
        if type(value) is str:
            fields[name] = sys.intern(value)


class Message(_Item):
    """A message from the user, the developer (system) or the assistant.

    ``content`` is a plain string or a tuple of parts. Messages the model wrote carry
    ``id`` and ``status``; messages the caller builds usually have neither.
    """

    type: Literal["message"] = "message"
    role: Literal["user", "assistant", "system", "developer"]
    """Who speaks. ``system`` is accepted, but a chat-style ``system`` message becomes
    ``developer``, as the Responses API prefers."""
    content: str | tuple[Part, ...]
    """The text, or the parts (text, images, files, audio, output text, refusals)."""
    id: str | None = None
    """The server's item id (``msg_…``), for output messages."""
    status: str | None = None
    """``in_progress``, ``completed`` or ``incomplete``, for output messages."""

    @classmethod
    def user(cls, content: str | Sequence[Part]) -> "Message":
        """Build a user message from text or parts."""
        return cls(role="user", content=_content_arg(content))

    @classmethod
    def developer(cls, content: str | Sequence[Part]) -> "Message":
        """Build a developer (system) message from text or parts."""
        return cls(role="developer", content=_content_arg(content))

    @classmethod
    def assistant(cls, content: str | Sequence[Part]) -> "Message":
        """Build an assistant message, for example to replay an earlier answer."""
        return cls(role="assistant", content=_content_arg(content))

    @property
    def text(self) -> str:
        """The string content, or the text of its ``input_text``/``output_text`` parts joined."""
        if isinstance(self.content, str):
            return self.content
        return "".join(
            part.text for part in self.content if isinstance(part, (InputText, OutputText))
        )


def _content_arg(content: str | Sequence[Part]) -> str | tuple[Part, ...]:
    return content if isinstance(content, str) else tuple(content)


class FunctionCall(_Item):
    """The model asks the caller to run a function tool (``function_call``)."""

    type: Literal["function_call"] = "function_call"
    call_id: str
    """Pairs the call with its :class:`FunctionCallOutput`."""
    name: str
    """The tool's name."""
    arguments: str
    """The arguments as a JSON string, exactly as the model wrote them."""
    id: str | None = None
    """The server's item id (``fc_…``)."""
    status: str | None = None
    """``in_progress``, ``completed`` or ``incomplete``."""


class FunctionCallOutput(_Item):
    """The result of a function call, sent back to the model (``function_call_output``)."""

    type: Literal["function_call_output"] = "function_call_output"
    call_id: str
    """The ``call_id`` of the :class:`FunctionCall` this answers."""
    output: str | tuple[Part, ...]
    """The tool's result: usually a string; the API also accepts a list of parts."""
    id: str | None = None
    """The server's item id, when it has one."""
    status: str | None = None
    """``in_progress``, ``completed`` or ``incomplete``."""


class Reasoning(_Item):
    """The model's reasoning (``reasoning``), kept verbatim to be sent back next turn.

    With ``store=false`` the server can only use it again through ``encrypted_content``,
    which requests ask for whenever ``reasoning`` is set (``include``).
    """

    type: Literal["reasoning"] = "reasoning"
    id: str
    """The server's item id (``rs_…``)."""
    summary: tuple[dict[str, Any], ...] = ()
    """Summary parts (``{"type": "summary_text", "text": …}``), as sent."""
    encrypted_content: str | None = None
    """The opaque, encrypted reasoning the server can read back."""
    content: tuple[dict[str, Any], ...] | None = None
    """Reasoning text parts, when the server sends them."""
    status: str | None = None
    """``in_progress``, ``completed`` or ``incomplete``."""


class UnknownItem(_Item):
    """Any other item type (``web_search_call``, ``mcp_call``, …), every field kept verbatim."""

    type: str
    """The item's wire type."""


_ITEM_TAGS = frozenset({"message", "function_call", "function_call_output", "reasoning"})


def _item_tag(value: Any) -> str:
    if isinstance(value, dict):
        tag = value.get("type")
        # Easy input messages may leave out "type": a role is enough to know them.
        if tag is None and "role" in value:
            return "message"
    else:
        tag = getattr(value, "type", None)
    return tag if isinstance(tag, str) and tag in _ITEM_TAGS else "unknown"


Item = Annotated[
    Annotated[Message, Tag("message")]
    | Annotated[FunctionCall, Tag("function_call")]
    | Annotated[FunctionCallOutput, Tag("function_call_output")]
    | Annotated[Reasoning, Tag("reasoning")]
    | Annotated[UnknownItem, Tag("unknown")],
    Discriminator(_item_tag),
]
"""One conversation item; a type the SDK does not know becomes :class:`UnknownItem`."""


@functools.cache
def _item_adapter() -> TypeAdapter[Item]:
    """The validator of the item union, built on first use (bench/import_time.py)."""
    return TypeAdapter(Item)


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as canonical JSON: sorted keys, compact separators, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# Location segments pydantic adds for union members, not fields of the wire object.
_BRANCH_NAMES = frozenset({"str", "int", "float", "bool", "none", "dict", "list", "tuple"})


def _field_path(loc: tuple[int | str, ...], tags: frozenset[str], in_branch: bool) -> list[str]:
    path = []
    after_tag = in_branch
    for segment in loc:
        text = str(segment)
        if "[" in text or text in _BRANCH_NAMES:
            continue
        # pydantic puts a union's tag right where the union sits; the segment after a tag
        # is always a real field, even when it has the tag's name ("input_audio").
        if not after_tag and isinstance(segment, str) and text in tags:
            after_tag = True
            continue
        after_tag = False
        path.append(text)
    return path


def describe_validation_error(
    error: ValidationError, tags: frozenset[str], *, in_branch: bool = False
) -> str:
    """Name the field and the problem of a validation error, with no pydantic noise.

    Args:
        error: The error pydantic raised.
        tags: The tags of the tagged unions involved, left out of the field path.
        in_branch: The error comes from one branch's own validator, not from its union:
            the first segment is a field, even when it has a tag's name.

    Returns:
        ``"field 'content.0.text': Field required"``; when a union's branches all failed at
        the same depth, their messages joined by ``"; "``.
    """
    found = [
        (_field_path(e["loc"], tags, in_branch), e["msg"])
        for e in error.errors(include_url=False, include_input=False)
    ]
    depth = max(len(path) for path, _ in found)
    deepest = [(path, msg) for path, msg in found if len(path) == depth]
    where = ".".join(deepest[0][0]) or "(object)"
    messages = list(dict.fromkeys(msg for _, msg in deepest))
    return f"field {where!r}: {'; '.join(messages)}"


ALL_TAGS = _ITEM_TAGS | _PART_TAGS | {"unknown"}
"""The union tags of items and parts, which error messages leave out of field paths."""


def describe_item_error(error: ValidationError) -> str:
    """``describe_validation_error`` for an item or part that failed validation."""
    return describe_validation_error(error, ALL_TAGS)


def validate_item(data: Any, error_cls: type[Exception]) -> Item:
    """Build an item from its wire dict, or raise ``error_cls`` naming its type and field.

    Args:
        data: The wire dict (a type the SDK does not know becomes :class:`UnknownItem`).
        error_cls: What a dict that does not fit raises: ``RemoteProtocolError`` for what
            the server sent, ``InputError`` for what the caller built.
    """
    try:
        return _item_adapter().validate_python(data)
    except ValidationError as exc:
        kind = data.get("type") if isinstance(data, Mapping) else None
        label = repr(kind) if isinstance(kind, str) else "item"
        raise error_cls(f"invalid {label} item: {describe_item_error(exc)}") from None


def parse_item(data: Mapping[str, Any]) -> Item:
    """Build the item the server sent (in ``response.output`` or ``output_item.*``).

    Args:
        data: The decoded JSON object.

    Returns:
        The typed item; a type the SDK does not know becomes :class:`UnknownItem`.

    Raises:
        RemoteProtocolError: ``data`` is not an object, has no string ``type``, or is a
            known type with a missing or wrong field (the message names type and field).
    """
    if not isinstance(data, Mapping):
        raise RemoteProtocolError(f"item is not a JSON object but {type(data).__name__}")
    if not isinstance(data.get("type"), str):
        raise RemoteProtocolError("item has no string 'type'")
    return validate_item(dict(data), RemoteProtocolError)
