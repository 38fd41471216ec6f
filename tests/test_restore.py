"""Saving and restoring a conversation keeps every setting (no server needed: nothing is sent)."""

from __future__ import annotations

import inspect
import json

import pytest

from responses_client import Client, InputError, tool

from .core.test_request import SAMPLE_VALUES

pytestmark = pytest.mark.anyio


@tool
def get_weather(city: str) -> str:
    """Weather for a city."""
    return f"Sunny in {city}"


def test_conversation_takes_every_setting_as_a_keyword() -> None:
    # The one list of settings is RequestSettings; Client.conversation must offer each.
    parameters = inspect.signature(Client.conversation).parameters
    assert set(SAMPLE_VALUES) <= set(parameters)


async def test_restore_brings_back_every_setting() -> None:
    async with Client(api_key="sk-test", base_url="http://127.0.0.1:9/v1") as client:
        convo = client.conversation(tools=[get_weather], **SAMPLE_VALUES)
        convo.add_user("hello")
        saved = json.loads(json.dumps(convo.to_json()))
        copy = client.restore(saved, tools=[get_weather])
        assert copy.to_json() == convo.to_json()
        for name, value in SAMPLE_VALUES.items():
            assert copy.to_json()["settings"][name] == value, name
        assert copy.items == convo.items


async def test_restore_reads_the_first_format() -> None:
    version_1 = {
        "version": 1,
        "model": "gpt-4.1",
        "instructions": "Old.",
        "temperature": 0.5,
        "top_p": None,
        "max_output_tokens": None,
        "service_tier": None,
        "store": False,
        "extra": {},
        "tools": [],
        "items": [{"type": "message", "role": "user", "content": "hi"}],
    }
    async with Client(api_key="sk-test", base_url="http://127.0.0.1:9/v1") as client:
        copy = client.restore(version_1)
        assert copy.instructions == "Old." and len(copy.items) == 1
        assert copy.to_json()["settings"]["temperature"] == 0.5


async def test_restore_refuses_what_is_not_saved_data_and_missing_tools() -> None:
    async with Client(api_key="sk-test", base_url="http://127.0.0.1:9/v1") as client:
        with pytest.raises(InputError, match="not a saved conversation"):
            client.restore({"version": 99})
        saved = client.conversation(tools=[get_weather]).to_json()
        with pytest.raises(InputError, match="get_weather"):
            client.restore(saved)
