"""Tools: plain Python functions the model may call, and running the model's calls.

A ``Tool`` is built once from a function: ``_tool_schema`` reads its name, description and
parameter schema from the signature and the docstring, with a validator for the model's
arguments, so nothing is derived again per call. ``run_tool_calls`` runs the calls of one
response concurrently and turns every failure (bad arguments, an exception, a timeout, an
unknown name) into an error *output* the model can read: a ``function_call`` sent back to
the API always gets exactly one ``function_call_output``.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import json
import logging
import time
import types
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, cast, overload

import anyio
import anyio.lowlevel
import anyio.to_thread
import pydantic
import pydantic_core

from ._exceptions import InputError
from ._tool_schema import function_schema, tool_name

__all__ = [
    "Tool",
    "ToolCall",
    "ToolOutcome",
    "Toolset",
    "run_tool_calls",
    "tool",
]

logger = logging.getLogger("responses_client.tools")

P = ParamSpec("P")
R = TypeVar("R")


# -- Tool ------------------------------------------------------------------------


class _BadArguments(Exception):
    """The model's arguments failed parsing or validation; the message is for the model."""


class Tool(Generic[P, R]):
    """A function the model may call, with its name, description and parameter schema.

    Build one with ``@tool``, ``@tool(...)`` or ``Tool.from_function(fn)``. A ``Tool`` is
    still callable like the function it wraps. ``name``, ``description``, ``parameters``
    and ``strict`` are read-only; the schema dicts are shared with every request that
    sends the tool, so do not mutate them either.

    Attributes:
        name: The name the model calls the tool by (``^[A-Za-z0-9_-]{1,64}$``).
        description: What the tool does, for the model ("" when there is none).
        parameters: The JSON schema of the arguments, as sent to the API.
        strict: Whether the API is asked to hold the model to ``parameters`` exactly.
        timeout: Seconds one call may take before it ends with an error output, or
            ``None`` for no limit.
        fn: The wrapped function, sync or async.
    """

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
        name = tool_name(fn, name)
        if timeout is not None and not timeout > 0:
            raise InputError(f"tool {name!r}: timeout must be positive or None, got {timeout!r}")
        self._spec, self._sig = function_schema(fn, name, description=description, strict=strict)
        self.timeout = None if timeout is None else float(timeout)
        self.fn = fn
        # A callable object counts as async when its __call__ is a coroutine function.
        self._is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            type(fn).__call__
        )
        self._wire = self._spec.to_responses()

    # The neutral fields, read-only (documented in the class docstring's Attributes).

    @property
    def name(self) -> str:
        return self._spec.name

    @property
    def description(self) -> str:
        return self._spec.description

    @property
    def parameters(self) -> dict[str, Any]:
        return self._spec.parameters

    @property
    def strict(self) -> bool:
        return self._spec.strict

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
        for name in self._sig.null_is_default:
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


ToolLike = Tool[..., Any] | Callable[..., Any] | Mapping[str, Any]
"""What ``tools=[...]`` takes: functions, ``Tool`` objects, and hosted tools as dicts
(``{"type": "web_search"}``, ``{"type": "file_search", "vector_store_ids": [...]}``)."""


def split_tools(tools: Iterable[ToolLike]) -> tuple[Toolset, tuple[Mapping[str, Any], ...]]:
    """The function tools as a ``Toolset``, and the request's whole ``tools`` list.

    Hosted tools (dicts) run on the server: they are sent as given, after the function
    tools, and never run here.

    Raises:
        InputError: A dict has no ``type``, or is a function tool without its code.
    """
    functions: list[Tool[..., Any] | Callable[..., Any]] = []
    hosted: list[dict[str, Any]] = []
    for entry in tools:
        if not isinstance(entry, Mapping):
            functions.append(entry)
        elif "type" not in entry:
            raise InputError(f"a hosted tool must be a dict with a 'type', got {entry!r}")
        elif entry["type"] == "function":
            raise InputError(
                f"function tool {entry.get('name')!r} given as a dict: pass the function "
                "(or a Tool) so that the SDK can run it"
            )
        else:
            hosted.append(dict(entry))
    toolset = Toolset(functions)
    return toolset, (*toolset.to_wire(), *hosted)


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


def _well_formed(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so that it encodes as UTF-8.

    A tool's output goes back to the model whatever it holds; a lone surrogate (what a
    JSON ``\ud83d`` escape without its pair decodes to) could be neither sent nor digested.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16, valid surrogate pairs join and lone ones become U+FFFD.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


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
        error = _well_formed(error)
        output = f"Error: {error}"
    return ToolOutcome(
        call_id=call.call_id,
        name=name,
        arguments=call.arguments,
        output=_well_formed(output),
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
