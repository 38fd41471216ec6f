"""Per-turn settings, settable model / instructions / tools, and hosted tools (issue 13, item 10).

Asserted on what the emulator received, over both transports.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, get_type_hints

import pytest

from responses_client import Client, InputError, tool
from responses_client._request import RequestSettings, TurnOptions
from responses_client.emulator import CallTool, Emulator, Reply, ScriptedModel

pytestmark = pytest.mark.anyio

WEB_SEARCH = {"type": "web_search"}


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"Sunny in {city}"


@pytest.fixture(params=["sse", "websocket"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def sent(emulator: Emulator, index: int = -1) -> dict[str, Any]:
    request = dict(emulator.responses[index].request)
    request.pop("type", None)
    return request


def test_turn_options_are_the_settings_but_the_tools() -> None:
    fields = {f.name for f in dataclasses.fields(RequestSettings)} - {"tools"}
    assert set(get_type_hints(TurnOptions)) == fields


async def test_per_turn_settings_go_with_that_turn_only(client: Client, emulator: Emulator) -> None:
    emulator.model = ScriptedModel(["One.", "Two.", "Three."])
    async with client.conversation(model="gpt-4.1", instructions="Base.") as convo:
        await convo.send("a")
        await convo.send(
            "b",
            model="gpt-4.1-mini",
            instructions="Just this once.",
            tool_choice="none",
            max_output_tokens=50,
        )
        await convo.send("c")
    first, second, third = (sent(emulator, i) for i in range(3))
    assert (first["model"], first["instructions"]) == ("gpt-4.1", "Base.")
    assert (second["model"], second["instructions"]) == ("gpt-4.1-mini", "Just this once.")
    assert (second["tool_choice"], second["max_output_tokens"]) == ("none", 50)
    assert (third["model"], third["instructions"]) == ("gpt-4.1", "Base.")
    assert "tool_choice" not in third and "max_output_tokens" not in third
    # Another model sees other context: the overridden turn and the one after it carry the
    # whole history rather than a delta.
    assert "previous_response_id" not in second and "previous_response_id" not in third
    assert [i.to_wire().get("role") for i in convo.items].count("assistant") == 3


async def test_a_bad_per_turn_setting_is_refused_before_anything_is_sent(
    client: Client, emulator: Emulator
) -> None:
    async with client.conversation() as convo:
        with pytest.raises(InputError, match="model"):
            convo.stream("a", model="")
    assert emulator.responses == [] and convo.items == ()


async def test_setters_change_the_next_turns(client: Client, emulator: Emulator) -> None:
    emulator.model = ScriptedModel(["One.", "Two."])
    async with client.conversation(model="gpt-4.1") as convo:
        await convo.send("a")
        convo.model = "gpt-4.1-mini"
        convo.instructions = "Now brief."
        convo.tools = [get_weather, WEB_SEARCH]
        await convo.send("b")
        assert (convo.model, list(convo.tools)) == ("gpt-4.1-mini", ["get_weather"])
    second = sent(emulator)
    assert (second["model"], second["instructions"]) == ("gpt-4.1-mini", "Now brief.")
    assert [t["type"] for t in second["tools"]] == ["function", "web_search"]
    assert "tools" not in sent(emulator, 0)


async def test_hosted_tools_go_beside_function_tools_and_functions_still_run(
    client: Client, emulator: Emulator
) -> None:
    emulator.model = ScriptedModel(
        [Reply(tool_calls=[CallTool("get_weather", {"city": "Rome"})]), "Sunny."]
    )
    async with client.conversation(tools=[get_weather, WEB_SEARCH]) as convo:
        result = await convo.send("Weather in Rome?")
        saved = json.loads(json.dumps(convo.to_json()))
        copy = client.restore(saved, tools=[get_weather])
        assert copy.settings.tools == convo.settings.tools
        await copy.aclose()
    assert result.text == "Sunny."
    assert [t["type"] for t in sent(emulator, 0)["tools"]] == ["function", "web_search"]
    assert sent(emulator)["input"][-1]["output"] == "Sunny in Rome"


@pytest.mark.parametrize(
    ("entry", "message"),
    [({"name": "x"}, "with a 'type'"), ({"type": "function", "name": "f"}, "pass the function")],
)
async def test_a_tool_dict_that_cannot_be_sent_as_is_is_refused(
    client: Client, entry: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        client.conversation(tools=[entry])
