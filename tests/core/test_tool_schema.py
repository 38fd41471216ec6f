"""Tool schemas: names, descriptions and JSON schemas from signatures and docstrings, strictness."""

# No ``from __future__ import annotations`` here: the functions below are defined inside
# test functions, and their annotations must be objects, not strings to resolve later.

from typing import Annotated, Any, Literal, Optional

import pytest
from pydantic import Field

from responses_client import InputError, Tool, tool
from tests.helpers import Customer, Filters, Point, Unit

# -- names, descriptions, wire shape -------------------------------------------------------


def test_to_wire_is_the_flat_function_tool_shape() -> None:
    @tool
    def ping(host: str) -> str:
        """Ping a host."""
        return host

    wire = ping.to_wire()
    assert set(wire) == {"type", "name", "description", "parameters", "strict"}
    assert wire["type"] == "function"
    assert wire["name"] == "ping"
    assert wire["parameters"] is ping.parameters
    assert wire["strict"] is True


def test_description_is_the_docstring_before_its_sections() -> None:
    def f(city: str, unit: str, days: int) -> None:
        """Current weather for a city.

        Uses the nearest station.

        Args:
            city: The city name, e.g. "Paris".
            unit (str): Temperature
                unit, C or F.
            days: How many
                days ahead.

        Returns:
            Nothing useful.
        """

    t = Tool.from_function(f)
    assert t.description == "Current weather for a city.\n\nUses the nearest station."
    props = t.parameters["properties"]
    assert props["city"]["description"] == 'The city name, e.g. "Paris".'
    assert props["unit"]["description"] == "Temperature unit, C or F."
    assert props["days"]["description"] == "How many days ahead."


def test_field_description_wins_over_the_docstring() -> None:
    def f(query: Annotated[str, Field(description="name or email")]) -> None:
        """Find.

        Args:
            query: from the docstring.
        """

    props = Tool.from_function(f).parameters["properties"]
    assert props["query"]["description"] == "name or email"


def test_no_docstring_gives_an_empty_description_and_no_titles() -> None:
    def f(a: int) -> None:
        pass

    t = Tool.from_function(f)
    assert t.description == ""
    assert "title" not in t.parameters
    assert "title" not in t.parameters["properties"]["a"]


@pytest.mark.parametrize("name", ["has space", "", "x" * 65, "dotted.name"])
def test_invalid_names_are_rejected(name: str) -> None:
    with pytest.raises(InputError, match="not valid"):
        Tool.from_function(lambda: None, name=name)


def test_lambda_needs_a_name() -> None:
    with pytest.raises(InputError, match="name="):
        Tool.from_function(lambda: None)
    assert Tool.from_function(lambda: None, name="noop").name == "noop"


def test_var_args_and_kwargs_are_rejected() -> None:
    def star(*items: int) -> None: ...

    def double_star(**options: int) -> None: ...

    for fn in (star, double_star):
        with pytest.raises(InputError, match="named"):
            Tool.from_function(fn)


def test_a_type_pydantic_cannot_use_is_an_input_error() -> None:
    class Opaque:
        pass

    def f(thing: Opaque) -> None: ...

    with pytest.raises(InputError, match="thing|Opaque"):
        Tool.from_function(f)


# -- schema structure ------------------------------------------------------------------


def test_scalar_literal_enum_and_required_in_strict_schema() -> None:
    def f(
        city: str,
        count: int,
        ratio: float,
        flag: bool,
        mode: Literal["fast", "slow"],
        unit: Unit,
        only: Literal["x"],
    ) -> None: ...

    t = Tool.from_function(f)
    schema = t.parameters
    props = schema["properties"]
    assert t.strict is True
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert (
        schema["required"]
        == list(props)
        == [
            "city",
            "count",
            "ratio",
            "flag",
            "mode",
            "unit",
            "only",
        ]
    )
    assert [props[n]["type"] for n in ("city", "count", "ratio", "flag")] == [
        "string",
        "integer",
        "number",
        "boolean",
    ]
    assert props["mode"]["enum"] == ["fast", "slow"]
    # The Enum lives in $defs, referenced by a bare $ref (the API accepts $defs/$ref).
    assert props["unit"] == {"$ref": "#/$defs/Unit"}
    assert schema["$defs"]["Unit"]["enum"] == ["C", "F"]
    # A one-value Literal is sent as a one-value enum (const is not in the strict subset).
    assert props["only"]["enum"] == ["x"] and "const" not in props["only"]


def test_strict_defaults_become_required_and_nullable() -> None:
    def f(city: str, unit: Literal["C", "F"] = "C", note: str | None = None) -> None:
        """Weather.

        Args:
            city: City.
            unit: Unit.
        """

    t = Tool.from_function(f)
    props = t.parameters["properties"]
    assert t.strict is True
    assert t.parameters["required"] == ["city", "unit", "note"]
    assert props["unit"] == {
        "anyOf": [{"enum": ["C", "F"], "type": "string"}, {"type": "null"}],
        "description": "Unit.",
    }
    # Already nullable: left as it is, and the strict schema carries no default keyword.
    assert {"type": "null"} in props["note"]["anyOf"]
    assert all("default" not in p for p in props.values())


def test_nested_models_and_dataclasses_are_strict_objects() -> None:
    def f(customer: Customer, points: list[Point]) -> None: ...

    t = Tool.from_function(f)
    defs = t.parameters["$defs"]
    assert t.strict is True
    for name in ("Customer", "Point"):
        assert defs[name]["type"] == "object"
        assert defs[name]["additionalProperties"] is False
        assert defs[name]["required"] == list(defs[name]["properties"])
    assert t.parameters["properties"]["points"] == {
        "items": {"$ref": "#/$defs/Point"},
        "type": "array",
    }


def test_ref_with_a_description_is_inlined_in_strict_mode() -> None:
    def f(point: Point) -> None:
        """Go.

        Args:
            point: Where to go.
        """

    prop = Tool.from_function(f).parameters["properties"]["point"]
    assert "$ref" not in prop
    assert prop["description"] == "Where to go."
    assert prop["type"] == "object" and prop["additionalProperties"] is False
    assert prop["required"] == ["x", "y"]


def test_constraints_in_the_strict_subset_are_kept_others_move_to_the_description() -> None:
    def f(
        n: Annotated[int, Field(ge=1, le=10)],
        code: Annotated[str, Field(max_length=3, description="Code")],
        when: Annotated[str, Field(pattern=r"^\d+$")],
    ) -> None: ...

    t = Tool.from_function(f)
    props = t.parameters["properties"]
    assert t.strict is True
    assert (props["n"]["minimum"], props["n"]["maximum"]) == (1, 10)
    assert "maxLength" not in props["code"]
    assert props["code"]["description"] == "Code (maxLength: 3)"
    assert props["when"]["pattern"] == r"^\d+$"


@pytest.mark.parametrize(
    ("annotation", "reason"),
    [
        (dict[str, int], "free-form mapping"),
        (tuple[int, str], "prefixItems"),
        (Any, "any type"),
        (Filters, "optional fields"),
    ],
)
def test_auto_strict_falls_back_when_the_schema_needs_it(annotation: Any, reason: str) -> None:
    def f(value) -> None: ...  # type: ignore[no-untyped-def]

    f.__annotations__["value"] = annotation
    auto = Tool.from_function(f)
    assert auto.strict is False
    assert auto.to_wire()["strict"] is False
    with pytest.raises(InputError, match=reason):
        Tool.from_function(f, strict=True)


def test_nullable_parameter_with_a_non_null_default_cannot_be_strict() -> None:
    def f(limit: Optional[int] = 5) -> None: ...  # noqa: UP045 (typing.Optional on purpose)

    assert Tool.from_function(f).strict is False
    with pytest.raises(InputError, match="null"):
        Tool.from_function(f, strict=True)


def test_non_strict_schema_keeps_optional_parameters_and_their_defaults() -> None:
    def f(query: str, limit: int = 5, extra: dict[str, int] | None = None) -> None: ...

    t = Tool.from_function(f, strict=False)
    props = t.parameters["properties"]
    assert t.strict is False
    assert t.parameters["required"] == ["query"]
    assert props["limit"] == {"type": "integer", "default": 5}
    assert props["extra"]["default"] is None
    # Unknown arguments are rejected in both modes, so the schema says so.
    assert t.parameters["additionalProperties"] is False


def test_no_parameters_is_an_empty_strict_object() -> None:
    def now() -> str:
        return "noon"

    t = Tool.from_function(now)
    assert t.strict is True
    assert t.parameters == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


def test_string_annotations_resolve() -> None:
    def f(city: "str", unit: "Unit") -> None: ...

    props = Tool.from_function(f).parameters["properties"]
    assert props["city"] == {"type": "string"}
    assert props["unit"] == {"$ref": "#/$defs/Unit"}
