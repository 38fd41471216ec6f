"""Tools: building and binding, toolsets, validation as outputs, and running calls."""

# No ``from __future__ import annotations`` here: several tools below are defined inside
# test functions, and their annotations must be objects, not strings to resolve later.

import dataclasses
import json
import logging
import threading
from collections.abc import Sequence
from typing import Any, Literal

import anyio
import pytest

from responses_client import InputError, Tool, Toolset, tool
from responses_client._tools import ToolOutcome, run_tool_calls
from tests.helpers import Customer, Point, Unit

# -- helpers -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Call:
    """A stand-in for the SDK's function_call item: only the three attributes matter."""

    name: str
    arguments: str = "{}"
    call_id: str = "call_1"


def call(name: str, arguments: Any = None, call_id: str = "call_1") -> Call:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return Call(name=name, arguments=text, call_id=call_id)


async def run_one(t: Tool[..., Any], arguments: Any = None) -> ToolOutcome:
    [outcome] = await run_tool_calls([call(t.name, arguments)], Toolset([t]))
    return outcome


# -- building and binding ------------------------------------------------------------------


def test_bare_decorator_builds_a_tool_that_is_still_callable() -> None:
    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    assert isinstance(add, Tool)
    assert add(2, 3) == 5
    assert add.name == "add"
    assert add.description == "Add two numbers."
    assert add.timeout is None


def test_decorator_options_override_name_description_strict_timeout() -> None:
    @tool(name="lookup", description="Find a customer", strict=False, timeout=5.0)
    def find_customer(query: str) -> str:
        """Ignored summary."""
        return query

    assert (find_customer.name, find_customer.description) == ("lookup", "Find a customer")
    assert find_customer.strict is False
    assert find_customer.timeout == 5.0
    assert "lookup" in repr(find_customer) and "timeout=5.0" in repr(find_customer)


def test_the_fields_every_request_sends_are_read_only() -> None:
    @tool
    def ping(host: str) -> str:
        """Ping a host."""
        return host

    for field in ("name", "description", "parameters", "strict"):
        with pytest.raises(AttributeError):
            setattr(ping, field, None)
    assert ping.to_wire()["name"] == "ping"


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(InputError, match="timeout"):
        Tool.from_function(lambda: None, name="noop", timeout=timeout)


def test_method_decorated_in_its_class_skips_self_and_binds() -> None:
    class Station:
        def __init__(self, city: str) -> None:
            self.city = city

        @tool
        def report(self, unit: str) -> str:
            """Report."""
            return f"{self.city} in {unit}"

    assert list(Station.report.parameters["properties"]) == ["unit"]
    bound = Station("Oslo").report
    assert isinstance(bound, Tool)
    assert bound("C") == "Oslo in C"


# -- Toolset -------------------------------------------------------------------------


def test_toolset_wraps_plain_functions_and_keeps_order() -> None:
    def alpha(a: int) -> int:
        return a

    async def beta() -> None: ...

    gamma = Tool.from_function(alpha, name="gamma")
    tools = Toolset([alpha, beta, gamma])
    assert list(tools) == ["alpha", "beta", "gamma"]
    assert len(tools) == 3
    assert tools["gamma"] is gamma
    assert [w["name"] for w in tools.to_wire()] == ["alpha", "beta", "gamma"]
    assert repr(tools) == "Toolset(['alpha', 'beta', 'gamma'])"


def test_toolset_from_a_toolset_reuses_its_tools() -> None:
    def alpha() -> None: ...

    first = Toolset([alpha])
    second = Toolset(first)
    assert second["alpha"] is first["alpha"]
    assert second.to_wire() == first.to_wire()


def test_toolset_rejects_duplicate_names() -> None:
    def alpha() -> None: ...

    with pytest.raises(InputError, match="alpha"):
        Toolset([alpha, Tool.from_function(lambda: None, name="alpha")])


def test_toolset_is_immutable() -> None:
    tools = Toolset([])
    with pytest.raises(TypeError):
        tools["x"] = Tool.from_function(lambda: None, name="x")  # type: ignore[index]


# -- validation as outputs -----------------------------------------------------------------


class Recorder:
    """A tool body that records its calls, to prove invalid arguments never reach it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def make(self) -> Tool[..., Any]:
        def weather(city: str, days: int = 1, unit: Literal["C", "F"] = "C") -> str:
            self.calls.append({"city": city, "days": days, "unit": unit})
            return f"{city}:{days}:{unit}"

        return Tool.from_function(weather)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"city": "Oslo"', ["not valid JSON"]),
        ("[1, 2]", ["must be a JSON object", "array"]),
        ('"Oslo"', ["must be a JSON object", "string"]),
        ("{}", ["- city: missing"]),
        ('{"city": 3}', ["- city:", "valid string", "(got 3)"]),
        ('{"city": "Oslo", "days": "many"}', ["- days:", "integer"]),
        ('{"city": "Oslo", "unit": "K"}', ["- unit:", "'C' or 'F'"]),
        ('{"city": "Oslo", "zip": "0150"}', ["- zip: unexpected argument"]),
    ],
)
async def test_invalid_arguments_become_an_error_output(
    arguments: str, expected: list[str]
) -> None:
    recorder = Recorder()
    outcome = await run_one(recorder.make(), arguments)
    assert recorder.calls == []
    assert outcome.error is not None
    assert outcome.output == f"Error: {outcome.error}"
    assert "'weather'" in outcome.error
    for fragment in expected:
        assert fragment in outcome.error


@pytest.mark.anyio
async def test_every_invalid_field_is_reported_at_once() -> None:
    outcome = await run_one(Recorder().make(), {"city": 1, "days": "x", "bogus": True})
    assert outcome.error is not None
    assert [line.split(":")[0] for line in outcome.error.splitlines()[1:]] == [
        "- city",
        "- days",
        "- bogus",
    ]


@pytest.mark.anyio
async def test_null_for_a_defaulted_parameter_means_the_default() -> None:
    recorder = Recorder()
    outcome = await run_one(recorder.make(), {"city": "Oslo", "days": None, "unit": None})
    assert outcome.error is None
    assert recorder.calls == [{"city": "Oslo", "days": 1, "unit": "C"}]


@pytest.mark.anyio
async def test_empty_arguments_text_means_no_arguments() -> None:
    def now() -> str:
        return "noon"

    outcome = await run_one(Tool.from_function(now), "")
    assert (outcome.error, outcome.output) == (None, "noon")


@pytest.mark.anyio
async def test_arguments_are_converted_to_the_annotated_types() -> None:
    seen: list[Any] = []

    def f(points: list[Point], customer: Customer, unit: Unit) -> None:
        seen.extend([points, customer, unit])

    outcome = await run_one(
        Tool.from_function(f),
        {"points": [{"x": 1, "y": 2}], "customer": {"name": "Ada", "tags": []}, "unit": "F"},
    )
    assert outcome.error is None
    assert seen == [[Point(1, 2)], Customer(name="Ada", tags=[]), Unit.FAHRENHEIT]


@pytest.mark.anyio
async def test_positional_only_parameters_are_passed_positionally() -> None:
    def f(a: int, b: int = 10, /, *, c: int = 100) -> int:
        return a + b + c

    t = Tool.from_function(f)
    assert (await run_one(t, {"a": 1, "c": 2})).output == "13"
    assert (await run_one(t, {"a": 1, "b": 2})).output == "103"


# -- invocation ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_sync_tools_run_in_a_worker_thread_and_async_ones_on_the_loop() -> None:
    threads: dict[str, int] = {}

    def sync_tool() -> str:
        threads["sync"] = threading.get_ident()
        return "s"

    async def async_tool() -> str:
        threads["async"] = threading.get_ident()
        return "a"

    tools = Toolset([sync_tool, async_tool])
    outcomes = await run_tool_calls(
        [call("sync_tool", call_id="1"), call("async_tool", call_id="2")], tools
    )
    assert [o.output for o in outcomes] == ["s", "a"]
    assert threads["async"] == threading.get_ident()
    assert threads["sync"] != threading.get_ident()


@pytest.mark.anyio
async def test_calls_run_concurrently_and_outcomes_keep_call_order() -> None:
    first_started = anyio.Event()
    second_started = anyio.Event()
    finished: list[str] = []

    async def first() -> str:
        first_started.set()
        await second_started.wait()  # cannot finish unless the second call runs meanwhile
        finished.append("first")
        return "one"

    def second() -> str:
        second_started.set()
        anyio.from_thread.run(first_started.wait)
        finished.append("second")
        return "two"

    tools = Toolset([first, second])
    calls = [call("first", call_id="a"), call("second", call_id="b")]
    with anyio.fail_after(5):  # a safety net only: the events resolve at once
        outcomes = await run_tool_calls(calls, tools)
    assert sorted(finished) == ["first", "second"]
    assert [(o.call_id, o.name, o.output) for o in outcomes] == [
        ("a", "first", "one"),
        ("b", "second", "two"),
    ]


@pytest.mark.anyio
async def test_outcomes_follow_call_order_not_completion_order() -> None:
    release_slow = anyio.Event()

    async def slow() -> str:
        await release_slow.wait()
        return "slow"

    async def fast() -> str:
        release_slow.set()
        return "fast"

    calls = [call("slow", call_id="1"), call("fast", call_id="2"), call("slow", call_id="3")]
    outcomes = await run_tool_calls(calls, Toolset([slow, fast]))
    assert [(o.call_id, o.output) for o in outcomes] == [
        ("1", "slow"),
        ("2", "fast"),
        ("3", "slow"),
    ]
    assert all(o.duration >= 0 for o in outcomes)


@pytest.mark.anyio
async def test_timeout_becomes_an_error_output() -> None:
    never = anyio.Event()

    @tool(timeout=0.05)
    async def hang() -> str:
        await never.wait()
        return "unreachable"

    outcome = await run_one(hang)
    assert outcome.error == "tool 'hang' timed out after 0.05 s"
    assert outcome.output == "Error: tool 'hang' timed out after 0.05 s"


@pytest.mark.anyio
async def test_sync_tool_timeout_abandons_the_thread() -> None:
    release = threading.Event()

    @tool(timeout=0.05)
    def block() -> str:
        release.wait(5)
        return "late"

    try:
        outcome = await run_one(block)
    finally:
        release.set()
    assert outcome.error == "tool 'block' timed out after 0.05 s"


@pytest.mark.anyio
async def test_exception_becomes_an_error_output_and_its_traceback_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def explode(city: str) -> str:
        raise ValueError(f"no station in {city}")

    with caplog.at_level(logging.DEBUG, logger="responses_client.tools"):
        outcome = await run_one(Tool.from_function(explode), {"city": "Atlantis"})
    assert outcome.error == "tool 'explode' raised ValueError: no station in Atlantis"
    assert outcome.output == f"Error: {outcome.error}"
    assert "Traceback" not in outcome.output
    [record] = [r for r in caplog.records if r.name == "responses_client.tools"]
    assert record.levelno == logging.DEBUG
    assert record.exc_info is not None and record.exc_info[0] is ValueError


@pytest.mark.anyio
async def test_a_timeout_error_raised_by_the_tool_is_not_its_deadline() -> None:
    @tool(timeout=60.0)
    async def upstream() -> str:
        raise TimeoutError("upstream took too long")

    outcome = await run_one(upstream)
    assert outcome.error == "tool 'upstream' raised TimeoutError: upstream took too long"


@pytest.mark.anyio
async def test_unknown_tool_lists_the_available_names() -> None:
    def alpha() -> None: ...

    def beta() -> None: ...

    [outcome] = await run_tool_calls([call("gamma", call_id="c9")], Toolset([alpha, beta]))
    assert outcome.call_id == "c9"
    assert outcome.error == "unknown tool 'gamma'; available tools: alpha, beta"


@pytest.mark.anyio
async def test_a_tool_cancelled_internally_gives_a_cancelled_output() -> None:
    async def self_cancelling() -> str:
        with anyio.CancelScope() as inner:
            inner.cancel()
            await anyio.lowlevel.checkpoint()
        # The inner scope swallowed its own cancellation; now leak a bare one.
        raise anyio.get_cancelled_exc_class()()

    async def fine() -> str:
        return "ok"

    calls = [call("self_cancelling", call_id="1"), call("fine", call_id="2")]
    outcomes = await run_tool_calls(calls, Toolset([self_cancelling, fine]))
    assert outcomes[0].error == "tool 'self_cancelling' was cancelled"
    assert (outcomes[1].error, outcomes[1].output) == (None, "ok")


@pytest.mark.anyio
async def test_cancelling_the_caller_propagates_and_produces_no_outcomes() -> None:
    started = anyio.Event()
    never = anyio.Event()
    seen_cancel: list[bool] = []
    results: list[list[ToolOutcome]] = []

    async def hang() -> str:
        started.set()
        try:
            await never.wait()
        except anyio.get_cancelled_exc_class():
            seen_cancel.append(True)
            raise
        return "unreachable"

    async def quick() -> str:
        return "quick"

    tools = Toolset([hang, quick])
    with anyio.CancelScope() as outer:

        async def interrupt() -> None:
            await started.wait()
            outer.cancel()

        async with anyio.create_task_group() as group:
            group.start_soon(interrupt)
            results.append(await run_tool_calls([call("hang"), call("quick")], tools))
    assert outer.cancelled_caught
    assert seen_cancel == [True]
    assert results == []


@pytest.mark.anyio
async def test_cancelling_the_caller_of_a_single_call_propagates_too() -> None:
    never = anyio.Event()
    results: list[ToolOutcome] = []

    async def hang() -> str:
        await never.wait()
        return "unreachable"

    with anyio.move_on_after(0.05) as scope:  # the deadline is the interruption
        results.append(await run_one(Tool.from_function(hang)))
    assert scope.cancelled_caught
    assert results == []


# -- return values ---------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain text", "plain text"),
        ("", ""),
        (None, "null"),
        (42, "42"),
        (1.5, "1.5"),
        (True, "true"),
        ({"a": [1, 2]}, '{"a":[1,2]}'),
        ([Point(1, 2)], '[{"x":1,"y":2}]'),
        (Customer(name="Ada", tags=["vip"]), '{"name":"Ada","tags":["vip"]}'),
        (Unit.CELSIUS, '"C"'),
    ],
)
async def test_return_values_are_encoded(value: object, expected: str) -> None:
    def give() -> object:
        return value

    outcome = await run_one(Tool.from_function(give))
    assert outcome.error is None
    assert outcome.output == expected
    if not isinstance(value, str):
        json.loads(outcome.output)  # JSON the model (and we) can parse


@pytest.mark.anyio
async def test_unserialisable_return_value_names_its_type() -> None:
    class Handle:
        pass

    def give() -> Handle:
        return Handle()

    outcome = await run_one(Tool.from_function(give))
    assert outcome.error == "tool 'give' returned a Handle, which cannot be encoded as JSON"


@pytest.mark.anyio
async def test_outcome_echoes_the_call() -> None:
    def echo(text: str) -> str:
        return text

    calls: Sequence[Call] = [Call(name="echo", arguments='{"text": "hi"}', call_id="fc_7")]
    [outcome] = await run_tool_calls(calls, Toolset([echo]))
    assert (outcome.call_id, outcome.name, outcome.arguments) == (
        "fc_7",
        "echo",
        calls[0].arguments,
    )
    assert (outcome.output, outcome.error) == ("hi", None)


@pytest.mark.anyio
@pytest.mark.parametrize("how_many", [1, 2])
async def test_native_asyncio_cancel_of_the_caller_propagates(how_many: int) -> None:
    # task.cancel() is edge-triggered on asyncio, unlike anyio's cancel scopes: the tool
    # runner must not mistake it for the tool cancelling itself.
    import asyncio

    started = anyio.Event()
    never = anyio.Event()

    async def hang() -> str:
        started.set()
        await never.wait()
        return "unreachable"

    calls = [call("hang", call_id=str(i)) for i in range(how_many)]
    task = asyncio.ensure_future(run_tool_calls(calls, Toolset([hang])))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# -- less common callables ----------------------------------------------------------------


@pytest.mark.anyio
async def test_parameter_names_that_clash_with_pydantic_attributes_work() -> None:
    # The arguments validator is a TypedDict, not a BaseModel, so names such as ``json``
    # or ``model_config`` shadow nothing (and raise no warning, which pytest makes an error).
    def f(json: str, schema: int, model_name: str, model_config: str = "x") -> str:
        return f"{json}{schema}{model_name}{model_config}"

    t = Tool.from_function(f)
    assert t.parameters["required"] == ["json", "schema", "model_name", "model_config"]
    outcome = await run_one(t, {"json": "a", "schema": 1, "model_name": "m", "model_config": None})
    assert outcome.output == "a1mx"


@pytest.mark.anyio
async def test_partial_and_async_callable_objects() -> None:
    import functools

    def scale(value: int, factor: int) -> int:
        return value * factor

    class Doubler:
        async def __call__(self, value: int) -> int:
            return value * 2

    triple = Tool.from_function(functools.partial(scale, factor=3), name="triple")
    doubler = Tool.from_function(Doubler(), name="double")
    assert triple.parameters["required"] == ["value", "factor"]  # factor stays overridable
    assert (await run_one(triple, {"value": 2, "factor": None})).output == "6"
    assert (await run_one(doubler, {"value": 2})).output == "4"
