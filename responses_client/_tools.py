"""Tools: plain Python functions the model may call, their JSON schemas, and running them.

A ``Tool`` is built once from a function: its name, description and parameter schema come
from the signature and the docstring, and a validator for the model's arguments is built
at the same time, so nothing is derived again per call. ``run_tool_calls`` runs the calls of
one response concurrently and turns every failure (bad arguments, an exception, a timeout,
an unknown name) into an error *output* the model can read: a ``function_call`` sent back to
the API always gets exactly one ``function_call_output``.

Schema rules (see ``docs/concepts/tools.md``):

- The description is the docstring before its first Google-style section; a parameter's
  description comes from ``Annotated[..., Field(description=...)]`` or, failing that, from
  the docstring's ``Args:`` section.
- Parameter types go through pydantic's public ``TypeAdapter(...).json_schema()``.
- Strict mode follows the API's structured-output subset. ``strict=None`` means "strict when
  the schema allows it". A parameter with a default is then required and nullable, and a
  ``null`` from the model means "use the default".
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import json
import logging
import re
import sys
import time
import types
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Generic, ParamSpec, Protocol, TypeVar, cast, overload

import anyio
import anyio.lowlevel
import anyio.to_thread
import pydantic
import pydantic_core
from pydantic.fields import FieldInfo

from ._exceptions import InputError

if sys.version_info >= (3, 12):
    from typing import NotRequired, Required, TypedDict
else:  # pydantic takes only typing_extensions' TypedDict before 3.12 (a declared dependency)
    from typing_extensions import NotRequired, Required, TypedDict

__all__ = [
    "Tool",
    "ToolCall",
    "ToolOutcome",
    "Toolset",
    "run_tool_call",
    "run_tool_calls",
    "tool",
]

logger = logging.getLogger("responses_client.tools")

P = ParamSpec("P")
R = TypeVar("R")

# The API's rule for function names.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


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


@dataclasses.dataclass(frozen=True)
class _Signature:
    """What one function's signature yields: validator, schema, and how to call it."""

    adapter: pydantic.TypeAdapter[dict[str, Any]]
    schema: dict[str, Any]
    defaults: dict[str, Any]
    positional: tuple[str, ...]
    binds_self: bool


# Called with a computed name and fields, which the type checker cannot follow.
_make_typed_dict: Any = TypedDict


def _analyse(fn: Callable[..., Any], name: str, param_docs: Mapping[str, str]) -> _Signature:
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
    return _Signature(adapter, schema, defaults, tuple(positional), binds_self)


def _has_field_description(annotation: Any) -> bool:
    metadata = getattr(annotation, "__metadata__", ())
    return any(isinstance(m, FieldInfo) and m.description for m in metadata)


def _annotated(annotation: Any, description: str) -> Any:
    return Annotated[annotation, pydantic.Field(description=description)]


# -- Tool ------------------------------------------------------------------------


class _BadArguments(Exception):
    """The model's arguments failed parsing or validation; the message is for the model."""


class Tool(Generic[P, R]):
    """A function the model may call, with its name, description and parameter schema.

    Build one with ``@tool``, ``@tool(...)`` or ``Tool.from_function(fn)``. A ``Tool`` is
    still callable like the function it wraps. Treat its attributes as read-only: the
    schema dicts are shared with every request that sends the tool.

    Attributes:
        name: The name the model calls the tool by (``^[A-Za-z0-9_-]{1,64}$``).
        description: What the tool does, for the model ("" when there is none).
        parameters: The JSON schema of the arguments, as sent to the API.
        strict: Whether the API is asked to hold the model to ``parameters`` exactly.
        timeout: Seconds one call may take before it ends with an error output, or
            ``None`` for no limit.
        fn: The wrapped function, sync or async.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool
    timeout: float | None
    fn: Callable[P, R]

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool | None = None,
        timeout: float | None = None,
    ) -> None:
        if not callable(fn):
            raise InputError(f"a tool must be a function, not {type(fn).__name__}")
        if name is None:
            name = getattr(fn, "__name__", None)
            if not isinstance(name, str):
                raise InputError(f"cannot name the tool {fn!r}: pass name=")
        if not _NAME.match(name):
            raise InputError(
                f"tool name {name!r} is not valid for the API: use 1 to 64 letters, digits,"
                " '_' or '-' (pass name= to choose one)"
            )
        if timeout is not None and not timeout > 0:
            raise InputError(f"tool {name!r}: timeout must be positive or None, got {timeout!r}")
        doc_description, param_docs = _parse_docstring(inspect.getdoc(fn))
        sig = _analyse(fn, name, param_docs)
        wire_schema = sig.schema
        defaulted = list(sig.defaults)
        try:
            ambiguous = [n for n in defaulted if _admits_null(sig.schema["properties"][n])]
            ambiguous = [n for n in ambiguous if sig.defaults[n] is not None]
            if ambiguous:
                raise _NotStrict(
                    f"{ambiguous[0]} accepts null but defaults to "
                    f"{sig.defaults[ambiguous[0]]!r}, so null cannot mean 'use the default'"
                )
            strict_schema = _strict_schema(sig.schema, defaulted)
        except _NotStrict as exc:
            if strict:
                raise InputError(f"tool {name!r} cannot be strict: {exc}") from None
            strict = False
        else:
            if strict is not False:
                strict = True
                wire_schema = strict_schema
        self.name = name
        self.description = doc_description if description is None else description
        self.parameters = wire_schema
        self.strict = strict
        self.timeout = None if timeout is None else float(timeout)
        self.fn = fn
        self._sig = sig
        # Parameters whose type rejects null: a null from the model means "the default".
        self._null_is_default = tuple(n for n in defaulted if n not in ambiguous)
        # A callable object counts as async when its __call__ is a coroutine function.
        self._is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            type(fn).__call__
        )
        self._wire = {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "strict": self.strict,
        }

    @classmethod
    def from_function(
        cls,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool | None = None,
        timeout: float | None = None,
    ) -> Tool[P, R]:
        """Build a tool from a sync or async function.

        Args:
            fn: The function. Every parameter must be named (no ``*args``/``**kwargs``);
                its annotations, defaults and Google-style docstring make the schema.
            name: The tool's name; defaults to ``fn.__name__``.
            description: Overrides the description taken from the docstring.
            strict: ``True`` requires a strict schema (``InputError`` if the signature
                cannot have one), ``False`` never asks for one, ``None`` (the default)
                is strict whenever the schema allows it.
            timeout: Seconds one call may take, or ``None`` for no limit.

        Raises:
            InputError: The function cannot be a tool (the message says why).
        """
        return cls(fn, name=name, description=description, strict=strict, timeout=timeout)

    def to_wire(self) -> dict[str, Any]:
        """The Responses API function-tool object for the request's ``tools`` (do not mutate)."""
        return self._wire

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __get__(self, instance: object, owner: type | None = None) -> Tool[..., R]:
        # Only a tool made from a method in its class body (first parameter ``self``)
        # binds; a tool merely stored on a class stays as it is.
        if instance is None or not self._sig.binds_self:
            return self
        bound = copy.copy(self)
        bound.fn = types.MethodType(self.fn, instance)
        return bound

    def __repr__(self) -> str:
        params = list(self.parameters.get("properties", {}))
        return (
            f"Tool(name={self.name!r}, parameters={params}, strict={self.strict}, "
            f"timeout={self.timeout})"
        )

    # -- calling ---------------------------------------------------------------

    def _parse_arguments(self, raw: str) -> dict[str, Any]:
        """Turn the model's JSON arguments into validated Python values, or raise _BadArguments."""
        try:
            # The API sends "" for a call without arguments on some paths; read it as {}.
            data = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise _BadArguments(f"arguments are not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise _BadArguments(
                f"arguments must be a JSON object, not {_json_kind(data)}"
            ) from None
        for name in self._null_is_default:
            if name in data and data[name] is None:
                del data[name]
        try:
            return self._sig.adapter.validate_python(data)
        except pydantic.ValidationError as exc:
            raise _BadArguments(_describe_validation(exc)) from None

    async def _invoke(self, arguments: dict[str, Any]) -> Any:
        args = [arguments.pop(n, self._sig.defaults.get(n)) for n in self._sig.positional]
        call = functools.partial(self.fn, *args, **arguments)
        if self._is_async:
            return await cast("Callable[[], Awaitable[Any]]", call)()
        # A thread cannot be interrupted: on timeout or cancellation it is abandoned and
        # runs to its end in the background, its result dropped.
        result = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
        if inspect.isawaitable(result):
            result = await result
        return result


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string" if isinstance(value, str) else "an array"


def _describe_validation(exc: pydantic.ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "(arguments)"
        if error["type"] == "missing":
            problems.append(f"- {where}: missing (this argument is required)")
        elif error["type"] == "extra_forbidden":
            problems.append(f"- {where}: unexpected argument (the tool takes no such parameter)")
        else:
            got = json.dumps(error["input"], default=repr)
            if len(got) > 60:
                got = got[:57] + "..."
            problems.append(f"- {where}: {error['msg']} (got {got})")
    return "invalid arguments:\n" + "\n".join(problems)


@overload
def tool(fn: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
    timeout: float | None = None,
) -> Callable[[Callable[P, R]], Tool[P, R]]: ...


def tool(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
    timeout: float | None = None,
) -> Tool[P, R] | Callable[[Callable[P, R]], Tool[P, R]]:
    """Make a function a tool, bare (``@tool``) or with options (``@tool(timeout=5.0)``).

    The options are those of `Tool.from_function`. The result is a `Tool`, still callable
    like the function.
    """

    def decorate(f: Callable[P, R]) -> Tool[P, R]:
        return Tool(f, name=name, description=description, strict=strict, timeout=timeout)

    return decorate if fn is None else decorate(fn)


# -- Toolset ---------------------------------------------------------------------


class Toolset(Mapping[str, "Tool[..., Any]"]):
    """An immutable mapping of tool name to `Tool`, in the order given.

    Args:
        tools: Tools, or plain sync/async functions (wrapped with default options), or
            another `Toolset` (its tools are reused as they are).

    Raises:
        InputError: Two tools share a name, or a function cannot be a tool.
    """

    __slots__ = ("_tools", "_wire")

    def __init__(
        self,
        tools: Iterable[Tool[..., Any] | Callable[..., Any]] | Mapping[str, Tool[..., Any]] = (),
    ) -> None:
        items = tools.values() if isinstance(tools, Mapping) else tools
        built: dict[str, Tool[..., Any]] = {}
        for item in items:
            one = item if isinstance(item, Tool) else Tool(item)
            if one.name in built:
                raise InputError(f"two tools are named {one.name!r}; tool names must be unique")
            built[one.name] = one
        self._tools = built
        self._wire = [one.to_wire() for one in built.values()]

    def __getitem__(self, name: str) -> Tool[..., Any]:
        return self._tools[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tools)

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        return f"Toolset({list(self._tools)})"

    def to_wire(self) -> list[dict[str, Any]]:
        """The request's ``tools`` list (built once; do not mutate)."""
        return self._wire


# -- running calls -----------------------------------------------------------------


class ToolCall(Protocol):
    """Any object with these three attributes, such as a ``function_call`` output item."""

    @property
    def call_id(self) -> str:
        """The id the output must echo."""

    @property
    def name(self) -> str:
        """The tool the model called."""

    @property
    def arguments(self) -> str:
        """The arguments as the model wrote them: a JSON object, as text."""


@dataclasses.dataclass(frozen=True)
class ToolOutcome:
    """The result of one tool call, ready to send back as a ``function_call_output``."""

    call_id: str
    """The call's id, echoed from the ``function_call``."""
    name: str
    """The name the model called."""
    arguments: str
    """The arguments as the model sent them."""
    output: str
    """The text for the model: the encoded return value, or ``"Error: ..."``."""
    error: str | None
    """What went wrong (also in ``output``), or ``None`` when the tool succeeded."""
    duration: float
    """Seconds from the start of validation to the outcome."""


def _encode(value: object) -> str:
    """The output text for a return value: str as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return pydantic_core.to_json(value).decode()


async def run_tool_call(call: ToolCall, tools: Mapping[str, Tool[..., Any]]) -> ToolOutcome:
    """Run one tool call and return its outcome; every failure becomes an error output.

    Only cancellation of the caller escapes (and then there is no outcome).
    """
    [outcome] = await run_tool_calls([call], tools)
    return outcome


async def _run_call(call: ToolCall, tools: Mapping[str, Tool[..., Any]]) -> ToolOutcome:
    """Run one call; only ever awaited in a task-group child (see ``_invoke_guarded``)."""
    started = time.perf_counter()
    name = call.name
    error: str | None = None
    output = ""
    found = tools.get(name)
    if found is None:
        available = ", ".join(tools) or "none"
        error = f"unknown tool {name!r}; available tools: {available}"
    else:
        try:
            arguments = found._parse_arguments(call.arguments)
        except _BadArguments as exc:
            error = f"tool {name!r}: {exc}"
        else:
            error, output = await _invoke_guarded(found, arguments)
    if error is not None:
        output = f"Error: {error}"
    return ToolOutcome(
        call_id=call.call_id,
        name=name,
        arguments=call.arguments,
        output=output,
        error=error,
        duration=time.perf_counter() - started,
    )


async def _invoke_guarded(
    found: Tool[..., Any], arguments: dict[str, Any]
) -> tuple[str | None, str]:
    """Call the tool under its timeout; return (error, output)."""
    name = found.name
    try:
        # move_on_after, not fail_after: a TimeoutError the tool raises itself is an
        # exception like any other, not our deadline.
        with anyio.move_on_after(found.timeout) as deadline:
            result = await found._invoke(arguments)
    except anyio.get_cancelled_exc_class():
        # Cancel scopes are level-triggered: if the caller's scope was cancelled, this
        # checkpoint raises again and the cancellation propagates. If it returns, the
        # tool cancelled itself (e.g. awaited a task that was cancelled).
        await anyio.lowlevel.checkpoint()
        return f"tool {name!r} was cancelled", ""
    except Exception as exc:
        logger.debug("tool %r raised", name, exc_info=True)
        return f"tool {name!r} raised {type(exc).__name__}: {exc}", ""
    if deadline.cancelled_caught:
        return f"tool {name!r} timed out after {found.timeout} s", ""
    try:
        return None, _encode(result)
    except pydantic_core.PydanticSerializationError:
        return (
            f"tool {name!r} returned a {type(result).__name__}, which cannot be encoded as JSON",
            "",
        )


async def run_tool_calls(
    calls: Sequence[ToolCall], tools: Mapping[str, Tool[..., Any]]
) -> list[ToolOutcome]:
    """Run the tool calls of one response concurrently; outcomes come back in call order.

    Sync tools run in worker threads, async tools on the event loop, all at once. Every
    failure (unknown name, bad arguments, exception, timeout, the tool cancelling itself)
    is an outcome with an error, so each call has exactly one outcome. If the caller's
    scope is cancelled, the cancellation propagates and no outcomes are returned.

    Args:
        calls: The calls, in the order the model made them.
        tools: The tools by name (a `Toolset`).
    """
    outcomes: list[ToolOutcome | None] = [None] * len(calls)

    async def run_into(index: int, call: ToolCall) -> None:
        outcomes[index] = await _run_call(call, tools)

    # Each call runs in a child task even when there is only one: inside a task group,
    # cancelling the caller (an anyio scope or asyncio's edge-triggered task.cancel())
    # becomes a level-triggered cancellation of the children, which _invoke_guarded
    # relies on to tell it from a tool that cancelled itself.
    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(run_into, index, call)
    return cast("list[ToolOutcome]", outcomes)
