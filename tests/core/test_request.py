"""Request bodies: one test per rule of build_body, and redaction for logs."""

from __future__ import annotations

import copy
import json
from types import MappingProxyType
from typing import Any

import pytest

from responses_client._exceptions import InputError
from responses_client._request import RequestSettings, build_body, redact_body

USER = {"type": "message", "role": "user", "content": "Hi"}
TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": True,
}


def test_minimal_body_has_model_input_and_store_false_only() -> None:
    body = build_body(RequestSettings(model="m"), [USER])
    assert body == {"model": "m", "input": [USER], "store": False}


def test_body_has_no_stream_key() -> None:
    assert "stream" not in build_body(RequestSettings(model="m", instructions="x"), [USER])


# -- the instructions rule (seed 001) ---------------------------------------------------


def test_instructions_with_input_go_in_the_instructions_param() -> None:
    body = build_body(RequestSettings(model="m", instructions="Be brief."), [USER])
    assert body["instructions"] == "Be brief."
    assert body["input"] == [USER]


def test_instructions_without_input_become_one_developer_message() -> None:
    body = build_body(RequestSettings(model="m", instructions="Be brief."), [])
    assert body["input"] == [{"type": "message", "role": "developer", "content": "Be brief."}]
    assert "instructions" not in body


def test_instructions_without_input_but_with_previous_response_stay_a_param() -> None:
    # Continuing a response with no new items is legitimate; the instructions of the
    # previous response do not carry over, so they must be sent again as the param.
    body = build_body(
        RequestSettings(model="m", instructions="Be brief."), [], previous_response_id="resp_1"
    )
    assert body["input"] == []
    assert body["instructions"] == "Be brief."
    assert body["previous_response_id"] == "resp_1"


@pytest.mark.parametrize("instructions", [None, ""])
def test_no_instructions_means_no_param_and_no_developer_message(instructions: str | None) -> None:
    body = build_body(RequestSettings(model="m", instructions=instructions), [])
    assert body["input"] == []
    assert "instructions" not in body


# -- optional parameters -------------------------------------------------------------------


def test_tools_are_sent_only_when_there_are_any() -> None:
    assert "tools" not in build_body(RequestSettings(model="m"), [USER])
    assert build_body(RequestSettings(model="m", tools=(TOOL,)), [USER])["tools"] == [TOOL]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("temperature", 0.0),
        ("top_p", 0.9),
        ("max_output_tokens", 256),
        ("service_tier", "flex"),
        ("tool_choice", "required"),
        ("tool_choice", {"type": "function", "name": "get_weather"}),
        ("parallel_tool_calls", False),
        ("reasoning", {"effort": "low"}),
    ],
)
def test_optional_param_is_sent_when_given_even_if_falsy(name: str, value: Any) -> None:
    body = build_body(RequestSettings(model="m", **{name: value}), [USER])
    assert body[name] == value
    omitted = build_body(RequestSettings(model="m"), [USER])
    assert name not in omitted


def test_store_true_is_sent_when_set() -> None:
    assert build_body(RequestSettings(model="m", store=True), [USER])["store"] is True


def test_previous_response_id_only_when_given() -> None:
    assert "previous_response_id" not in build_body(RequestSettings(model="m"), [USER])
    body = build_body(RequestSettings(model="m"), [USER], previous_response_id="resp_9")
    assert body["previous_response_id"] == "resp_9"


def test_extra_is_merged_last_and_overrides_anything() -> None:
    settings = RequestSettings(
        model="m",
        temperature=0.5,
        extra={"temperature": 1.0, "store": True, "metadata": {"k": "v"}, "model": "other"},
    )
    body = build_body(settings, [USER])
    assert body["temperature"] == 1.0
    assert body["store"] is True
    assert body["metadata"] == {"k": "v"}
    assert body["model"] == "other"


def test_body_is_json_serialisable_with_read_only_mappings() -> None:
    settings = RequestSettings(
        model="m",
        tools=(MappingProxyType(TOOL),),
        reasoning=MappingProxyType({"effort": "high"}),
        tool_choice=MappingProxyType({"type": "function", "name": "get_weather"}),
    )
    decoded = json.loads(json.dumps(build_body(settings, [USER])))
    assert decoded["tools"] == [TOOL]
    assert decoded["reasoning"] == {"effort": "high"}


def test_build_body_does_not_share_the_input_list() -> None:
    items = [USER]
    body = build_body(RequestSettings(model="m"), items)
    body["input"].append({"role": "user", "content": "later"})
    assert items == [USER]


# -- settings validation ---------------------------------------------------------------------


def test_tools_given_as_a_list_are_stored_as_a_tuple() -> None:
    settings = RequestSettings(model="m", tools=[TOOL])  # type: ignore[arg-type]
    assert settings.tools == (TOOL,)


@pytest.mark.parametrize(
    "kwargs",
    [{"model": ""}, {"model": "m", "tools": ({"name": "x"},)}, {"model": "m", "tools": ("x",)}],
)
def test_bad_settings_raise_input_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        RequestSettings(**kwargs)


# -- redaction --------------------------------------------------------------------------------

B64 = "iVBORw0KGgoAAAANSUhEUgAA" * 50  # 1200 base64 characters


def test_redact_shortens_data_urls_keeping_the_media_type() -> None:
    url = "data:image/png;base64," + B64
    part = {"type": "input_image", "image_url": url, "detail": "auto"}
    redacted = redact_body({"input": [{"role": "user", "content": [part]}]})
    assert redacted["input"][0]["content"][0] == {
        "type": "input_image",
        "image_url": "data:image/png;base64,<1200 chars>",
        "detail": "auto",
    }


def test_redact_shortens_audio_data_and_file_data() -> None:
    audio = {"type": "input_audio", "input_audio": {"data": B64, "format": "wav"}}
    file = {"type": "input_file", "filename": "a.pdf", "file_data": B64}
    redacted = redact_body({"input": [{"role": "user", "content": [audio, file]}]})
    audio_r, file_r = redacted["input"][0]["content"]
    assert audio_r["input_audio"] == {"data": "<base64, 1200 chars>", "format": "wav"}
    assert file_r == {
        "type": "input_file",
        "filename": "a.pdf",
        "file_data": "<base64, 1200 chars>",
    }


def test_redact_shortens_long_base64_under_any_key() -> None:
    item = {"type": "function_call_output", "call_id": "c1", "output": B64}
    assert redact_body({"input": [item]})["input"][0]["output"] == "<base64, 1200 chars>"


@pytest.mark.parametrize(
    "text",
    [
        "A long sentence of ordinary prose, " * 20,
        "short",
        "data: not a url but long enough to be looked at by the redaction rules here",
        "abc123" * 10,  # base64-looking but short and under an ordinary key
    ],
)
def test_redact_keeps_ordinary_text(text: str) -> None:
    body = {"input": [{"role": "user", "content": text}], "instructions": text}
    assert redact_body(body) == body


def test_redact_keeps_everything_else_and_never_mutates() -> None:
    url = "data:audio/wav;base64," + B64
    body = build_body(
        RequestSettings(model="m", instructions="Be brief.", tools=(TOOL,), temperature=0.2),
        [{"role": "user", "content": [{"type": "input_image", "image_url": url}]}],
    )
    before = copy.deepcopy(body)
    redacted = redact_body(body)
    assert body == before
    assert redacted["tools"] == [TOOL] and redacted["tools"][0] is not TOOL
    assert {k: v for k, v in redacted.items() if k != "input"} == {
        k: v for k, v in body.items() if k != "input"
    }
    assert len(json.dumps(redacted)) < 600


def test_without_store_output_item_ids_are_left_out() -> None:
    from responses_client._request import RequestSettings, build_body

    items = [
        {"type": "message", "role": "user", "content": "hi"},
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"type": "reasoning", "id": "rs_2", "summary": [], "encrypted_content": "gAAA"},
        {"type": "message", "role": "assistant", "id": "msg_1", "content": "yo"},
        {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": "{}"},
    ]
    body = build_body(RequestSettings(model="m"), items)
    assert body["input"] == [
        items[0],
        items[2],
        {"type": "message", "role": "assistant", "content": "yo"},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
    ]
    assert body["input"][0] is items[0]
    assert items[3]["id"] == "msg_1"  # the caller's dicts are not changed
    stored = build_body(RequestSettings(model="m", store=True), items)
    assert stored["input"] == items


# -- settings as one value: every field saved and restored -------------------------------

# A value unlike the default for every setting; the test below fails when a field is added
# to RequestSettings without a value here, so a new field cannot be left out of saving.
SAMPLE_VALUES: dict[str, Any] = {
    "model": "gpt-x",
    "instructions": "Be brief.",
    "temperature": 0.3,
    "top_p": 0.9,
    "max_output_tokens": 123,
    "service_tier": "flex",
    "tool_choice": {"type": "function", "name": "get_weather"},
    "parallel_tool_calls": False,
    "reasoning": {"effort": "low", "summary": "auto"},
    "include": ["message.output_text.logprobs"],
    "store": True,
    "extra": {"metadata": {"k": "v"}},
}


def test_every_setting_but_the_tool_schemas_has_a_sample() -> None:
    import dataclasses

    names = {f.name for f in dataclasses.fields(RequestSettings)} - {"tools"}
    assert names == set(SAMPLE_VALUES)


def test_settings_round_trip_through_json_field_by_field() -> None:
    settings = RequestSettings(**SAMPLE_VALUES, tools=(TOOL,))
    saved = json.loads(json.dumps(settings.to_json()))
    assert "tools" not in saved  # schemas come from the tools' code, given again
    assert RequestSettings.from_json(saved, tools=[TOOL]) == settings


def test_read_only_mappings_are_saved_as_plain_dicts() -> None:
    settings = RequestSettings(model="m", reasoning=MappingProxyType({"effort": "high"}))
    assert settings.to_json()["reasoning"] == {"effort": "high"}
    json.dumps(settings.to_json())


def test_unknown_saved_settings_are_refused_by_name() -> None:
    with pytest.raises(InputError, match="bogus"):
        RequestSettings.from_json({"model": "m", "bogus": 1})


def test_without_storage_reasoning_asks_for_its_encrypted_content() -> None:
    reasoning = RequestSettings(model="o4-mini", reasoning={"effort": "low"})
    assert build_body(reasoning, [])["include"] == ["reasoning.encrypted_content"]
    more = RequestSettings(model="o4-mini", reasoning={}, include=["file_search_call.results"])
    assert build_body(more, [])["include"] == [
        "file_search_call.results",
        "reasoning.encrypted_content",
    ]
    asked = RequestSettings(model="m", reasoning={}, include=["reasoning.encrypted_content"])
    assert build_body(asked, [])["include"] == ["reasoning.encrypted_content"]


def test_stored_or_reasoning_free_requests_ask_for_nothing_more() -> None:
    assert "include" not in build_body(RequestSettings(model="m"), [])
    stored = RequestSettings(model="o4-mini", reasoning={"effort": "low"}, store=True)
    assert "include" not in build_body(stored, [])
    chosen = RequestSettings(model="m", include=["message.output_text.logprobs"])
    assert build_body(chosen, [])["include"] == ["message.output_text.logprobs"]
