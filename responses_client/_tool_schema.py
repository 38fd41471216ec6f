"""Tool schemas: a function's signature and docstring -> a name, a description, a JSON schema.

Pure: nothing here touches I/O or the event loop. ``function_schema`` reads a function once
and returns a ``ToolSpec``, the neutral fields every wire describes a tool by, and a
``Signature``, which tells the tool runner how to check the model's arguments and call the
function. Each wire writes its own tool shape from a ``ToolSpec``: ``to_responses`` is the
Responses API's, ``to_chat`` the Chat Completions one.

Schema rules (see ``docs/concepts/tools.md``):

- The name is ``name=`` or the function's ``__name__``, within the API's rule for names.
- The description is the docstring before its first Google-style section; a parameter's
  description comes from ``Annotated[..., Field(description=...)]`` or, failing that, from
  the docstring's ``Args:`` section.
- Parameter types go through pydantic's public ``TypeAdapter(...).json_schema()``.
- Strict mode follows the API's structured-output subset. ``strict=None`` means "strict when
  the schema allows it". A parameter with a default is then required and nullable, and a
  ``null`` from the model means "use the default".
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, cast

import pydantic
import pydantic_core
from pydantic.fields import FieldInfo

from ._exceptions import InputError

if sys.version_info >= (3, 12):
    from typing import NotRequired, Required, TypedDict
else:  # pydantic takes only typing_extensions' TypedDict before 3.12 (a declared dependency)
    from typing_extensions import NotRequired, Required, TypedDict

__all__ = ["Signature", "ToolSpec", "function_schema", "tool_name"]


@dataclasses.dataclass(frozen=True)
class ToolSpec:
    """A tool as every wire describes it; each wire's codec writes its own shape from it."""

    name: str
    """The name the model calls the tool by."""
    description: str
    """What the tool does, for the model ("" when there is none)."""
    parameters: dict[str, Any]
    """The JSON schema of the arguments (shared: do not mutate)."""
    strict: bool
    """Whether the server is asked to hold the model to ``parameters`` exactly."""

    def to_responses(self) -> dict[str, Any]:
        """The Responses API's function-tool object, flat: ``{"type": "function", "name", …}``."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "strict": self.strict,
        }

    def to_chat(self) -> dict[str, Any]:
        """The Chat Completions tool object, nested: ``{"type": "function", "function": …}``."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
                "strict": self.strict,
            },
        }


@dataclasses.dataclass(frozen=True)
class Signature:
    """What the tool runner needs to check the model's arguments and call the function."""

    adapter: pydantic.TypeAdapter[dict[str, Any]]
    """Validates the arguments object (unknown names rejected) into Python values."""
    defaults: dict[str, Any]
    """The parameters that have a default, with it."""
    positional: tuple[str, ...]
    """Positional-only parameters, in order: they are passed by position."""
    binds_self: bool
    """The function is a method decorated in its class body (first parameter ``self``)."""
    null_is_default: tuple[str, ...]
    """Parameters whose type rejects null: a null from the model means "the default"."""


# The API's rule for function names.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def tool_name(fn: object, name: str | None) -> str:
    """The tool's name: ``name``, or else ``fn.__name__``.

    Raises:
        InputError: There is no name, or it breaks the API's rule for names.
    """
    if name is None:
        name = getattr(fn, "__name__", None)
        if not isinstance(name, str):
            raise InputError(f"cannot name the tool {fn!r}: pass name=")
    if not _NAME.match(name):
        raise InputError(
            f"tool name {name!r} is not valid for the API: use 1 to 64 letters, digits,"
            " '_' or '-' (pass name= to choose one)"
        )
    return name


def function_schema(
    fn: Callable[..., Any], name: str, *, description: str | None, strict: bool | None
) -> tuple[ToolSpec, Signature]:
    """Read a function's signature and docstring once.

    Args:
        fn: The function (sync or async, or any callable with a signature).
        name: The tool's name (see ``tool_name``), for the spec and for error messages.
        description: Overrides the description taken from the docstring.
        strict: ``True`` requires a strict schema, ``False`` never asks for one, ``None``
            is strict whenever the schema allows it.

    Raises:
        InputError: The function cannot be a tool, or cannot be strict with ``strict=True``
            (the message says why).
    """
    doc_description, param_docs = _parse_docstring(inspect.getdoc(fn))
    read = _read_signature(fn, name, param_docs)
    schema = read.schema
    defaulted = list(read.defaults)
    # A nullable parameter with a non-None default: null cannot also mean "the default".
    ambiguous = [
        n
        for n in defaulted
        if _admits_null(schema["properties"][n]) and read.defaults[n] is not None
    ]
    try:
        if ambiguous:
            raise _NotStrict(
                f"{ambiguous[0]} accepts null but defaults to "
                f"{read.defaults[ambiguous[0]]!r}, so null cannot mean 'use the default'"
            )
        strict_schema = _strict_schema(schema, defaulted)
    except _NotStrict as exc:
        if strict:
            raise InputError(f"tool {name!r} cannot be strict: {exc}") from None
        strict = False
    else:
        if strict is not False:
            strict = True
            schema = strict_schema
    spec = ToolSpec(
        name=name,
        description=doc_description if description is None else description,
        parameters=schema,
        strict=strict,
    )
    signature = Signature(
        adapter=read.adapter,
        defaults=read.defaults,
        positional=read.positional,
        binds_self=read.binds_self,
        null_is_default=tuple(n for n in defaulted if n not in ambiguous),
    )
    return spec, signature


# -- docstrings ------------------------------------------------------------------

_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Returns?|Yields?"
    r"|Raises|Examples?|Notes?|Attributes|See Also|Warnings?|Todo|References)\s*:\s*$"
)
_ARG_SECTIONS = frozenset(
    {"Args", "Arguments", "Parameters", "Params", "Keyword Args", "Keyword Arguments"}
)
_ARG_ENTRY = re.compile(r"^\*{0,2}([A-Za-z_]\w*)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def _parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into (description, {parameter: description}).

    The description is every line before the first section header (summary and body).
    """
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    params: dict[str, str] = {}
    i = 0
    while i < len(lines) and not _SECTION.match(lines[i]):
        description.append(lines[i])
        i += 1
    while i < len(lines):
        header = _SECTION.match(lines[i])
        i += 1
        body: list[str] = []
        # A section lasts while its lines are indented (or blank).
        while i < len(lines) and (not lines[i].strip() or lines[i][:1].isspace()):
            body.append(lines[i])
            i += 1
        if header is not None and header.group(1) in _ARG_SECTIONS:
            params.update(_parse_args_section(body))
    return "\n".join(description).strip(), params


def _parse_args_section(lines: list[str]) -> dict[str, str]:
    entries: dict[str, list[str]] = {}
    entry_indent: int | None = None
    current: list[str] | None = None
    for line in lines:
        text = line.strip()
        if not text:
            continue
        indent = len(line) - len(line.lstrip())
        if entry_indent is None:
            entry_indent = indent
        match = _ARG_ENTRY.match(text) if indent <= entry_indent else None
        if match is not None:
            current = entries.setdefault(match.group(1), [])
            if match.group(2):
                current.append(match.group(2))
        elif current is not None:
            current.append(text)  # a continuation line of the entry above
    return {name: " ".join(words) for name, words in entries.items() if words}


# -- schemas ---------------------------------------------------------------------

# Keywords the API accepts in a strict schema (its structured-outputs subset).
_STRICT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "items",
        "anyOf",
        "enum",
        "description",
        "$ref",
        "$defs",
        "pattern",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "minItems",
        "maxItems",
    }
)
_STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
# Value constraints the strict subset lacks. They are left out of the strict schema and
# named in the description instead; the local validator still enforces them, so a value
# that breaks one comes back to the model as an error output.
_DESCRIBED_ONLY = frozenset(
    {"minLength", "maxLength", "uniqueItems", "minProperties", "maxProperties", "format"}
)
_SUBSCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_SUBSCHEMA_ONE = ("items", "not", "additionalProperties")


class _NotStrict(Exception):
    """The schema uses something outside the API's strict subset (the message says what)."""


def _strip_titles(node: Any) -> Any:
    """Drop pydantic's generated ``title`` keywords, which only cost the model tokens."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key in ("properties", "$defs"):
            out[key] = {name: _strip_titles(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS:
            out[key] = [_strip_titles(sub) for sub in value]
        elif key in _SUBSCHEMA_ONE:
            out[key] = _strip_titles(value)
        else:
            out[key] = value
    return out


def _admits_null(node: Mapping[str, Any]) -> bool:
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if "anyOf" in node:
        return any(_admits_null(sub) for sub in node["anyOf"])
    # No type, enum, const or reference at all: any value, null included.
    return not ({"type", "enum", "const", "$ref", "oneOf", "allOf"} & node.keys())


def _resolve(root: Mapping[str, Any], ref: str) -> dict[str, Any]:
    prefix = "#/$defs/"
    if not ref.startswith(prefix) or ref[len(prefix) :] not in root.get("$defs", {}):
        raise _NotStrict(f"an unresolvable reference {ref!r}")
    return cast("dict[str, Any]", root["$defs"][ref[len(prefix) :]])


def _strict_node(node: Mapping[str, Any], root: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Rewrite one subschema for strict mode, or raise ``_NotStrict`` naming the obstacle."""
    if "$ref" in node and len(node) > 1:
        # The API takes no keywords beside a $ref in strict mode: inline the target.
        target = _resolve(root, node["$ref"])
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    out: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in node.items():
        if key in ("title", "default", "required", "additionalProperties"):
            if key == "additionalProperties" and value is not False:
                raise _NotStrict(f"{where} is a free-form mapping")
            continue  # required and additionalProperties are set below for every object
        if key == "const":
            out["enum"] = [value]
        elif key == "properties":
            out[key] = {
                name: _strict_node(sub, root, f"{where}.{name}" if where else name)
                for name, sub in value.items()
            }
        elif key == "items":
            out[key] = _strict_node(value, root, f"{where}[]")
        elif key == "anyOf":
            out[key] = [_strict_node(sub, root, where) for sub in value]
        elif key == "$defs":
            out[key] = {name: _strict_node(sub, root, name) for name, sub in value.items()}
        elif key == "format" and value in _STRICT_FORMATS:
            out[key] = value
        elif key in _DESCRIBED_ONLY:
            notes.append(f"{key}: {json.dumps(value)}")
        elif key in _STRICT_KEYWORDS:
            out[key] = value
        else:
            raise _NotStrict(f"{where or 'the schema'} uses {key!r}")
    if not ({"type", "anyOf", "enum", "$ref"} & out.keys()):
        raise _NotStrict(f"{where} accepts a value of any type")
    if out.get("type") == "object" and node is not root:  # the root is handled by the caller
        properties = out.get("properties")
        if not properties:
            raise _NotStrict(f"{where} is an object without declared fields")
        optional = set(properties) - set(node.get("required", ()))
        if optional:
            raise _NotStrict(f"{where} has optional fields {sorted(optional)}")
    if out.get("type") == "object":
        out["required"] = list(out.get("properties", {}))
        out["additionalProperties"] = False
    if notes:
        description = out.get("description", "")
        out["description"] = f"{description} ({'; '.join(notes)})".lstrip()
    return out


def _strict_schema(schema: dict[str, Any], defaulted: Iterable[str]) -> dict[str, Any]:
    """The strict form of a parameters schema, or raise ``_NotStrict``.

    Parameters with a default become required and nullable; the caller maps a ``null``
    back to the default before validation.
    """
    properties = dict(schema["properties"])
    for name in defaulted:
        prop = properties[name]
        if _admits_null(prop):
            continue
        inner = {k: v for k, v in prop.items() if k not in ("description", "default")}
        nullable: dict[str, Any] = {"anyOf": [inner, {"type": "null"}]}
        if "description" in prop:
            nullable["description"] = prop["description"]
        properties[name] = nullable
    root = {**schema, "properties": properties, "required": list(properties)}
    strict = _strict_node(root, root, "")
    # The root object has declared fields by construction; allow a tool with no parameters.
    strict.setdefault("properties", {})
    strict["required"] = list(strict["properties"])
    strict["additionalProperties"] = False
    return strict


# -- signatures ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Read:
    """What one function's signature yields before strict mode: validator, plain schema."""

    adapter: pydantic.TypeAdapter[dict[str, Any]]
    schema: dict[str, Any]
    defaults: dict[str, Any]
    positional: tuple[str, ...]
    binds_self: bool


# Called with a computed name and fields, which the type checker cannot follow.
_make_typed_dict: Any = TypedDict


def _read_signature(fn: Callable[..., Any], name: str, param_docs: Mapping[str, str]) -> _Read:
    try:
        # eval_str resolves ``from __future__ import annotations`` strings; it keeps
        # Annotated metadata, like typing.get_type_hints(include_extras=True).
        signature = inspect.signature(fn, eval_str=True)
    except (NameError, TypeError, ValueError) as exc:
        raise InputError(f"cannot read the signature of tool {name!r}: {exc}") from exc
    fields: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    positional: list[str] = []
    binds_self = False
    for index, param in enumerate(signature.parameters.values()):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise InputError(
                f"tool {name!r} takes *{param.name} or **{param.name}: the model can only "
                "send named arguments, so every parameter must be named"
            )
        if index == 0 and param.name in ("self", "cls") and inspect.isfunction(fn):
            binds_self = True  # a method decorated in its class body; bound by __get__
            continue
        if param.kind is param.POSITIONAL_ONLY:
            positional.append(param.name)
        annotation = Any if param.annotation is param.empty else param.annotation
        doc = param_docs.get(param.name)
        if doc is not None and not _has_field_description(annotation):
            annotation = _annotated(annotation, doc)
        if param.default is param.empty:
            fields[param.name] = Required[annotation]
        else:
            fields[param.name] = NotRequired[annotation]
            defaults[param.name] = param.default
    try:
        arguments = _make_typed_dict(name, fields, total=False)
        pydantic.with_config(pydantic.ConfigDict(extra="forbid"))(arguments)
        adapter: pydantic.TypeAdapter[dict[str, Any]] = pydantic.TypeAdapter(arguments)
        schema = _strip_titles(adapter.json_schema())
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError) as exc:
        raise InputError(f"tool {name!r} has a parameter type pydantic cannot use: {exc}") from exc
    schema.setdefault("properties", {})
    for param_name, default in defaults.items():
        try:
            schema["properties"][param_name]["default"] = pydantic_core.to_jsonable_python(default)
        except pydantic_core.PydanticSerializationError:
            pass  # a default JSON cannot show stays out of the schema; it still applies
    return _Read(adapter, schema, defaults, tuple(positional), binds_self)


def _has_field_description(annotation: Any) -> bool:
    metadata = getattr(annotation, "__metadata__", ())
    return any(isinstance(m, FieldInfo) and m.description for m in metadata)


def _annotated(annotation: Any, description: str) -> Any:
    return Annotated[annotation, pydantic.Field(description=description)]
