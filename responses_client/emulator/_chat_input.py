"""Checks of a ``POST /v1/chat/completions`` body, and the conversation it carries.

Pure. ``check_chat_request`` validates the body the way the API does (required fields,
roles, content types, every assistant ``tool_calls`` entry answered by a ``tool`` message
with its ``tool_call_id``) and raises ``WireError`` with the API's error shape. It returns
what the model is shown: the leading system message as the instructions, the other
messages as Responses-style input items, and the function tools in the flat shape, so one
``Model`` answers both wires. Written from the API reference, independently of the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import JSON, WireError, invalid_type, invalid_value, missing

__all__ = ["ChatRequest", "check_chat_request"]

_ROLES = ("developer", "system", "user", "assistant", "tool", "function")
_USER_PARTS = ("text", "image_url", "input_audio", "file")
_ASSISTANT_PARTS = ("text", "refusal")


@dataclass(frozen=True)
class ChatRequest:
    """A checked chat request, as the model sees it."""

    instructions: str | None
    """The content of a leading system (or developer) message, when there is one."""
    input: list[JSON]
    """The other messages as Responses-style items (``message``, ``function_call``,
    ``function_call_output``)."""
    tools: list[JSON]
    """The function tools, flat (``{"type": "function", "name", …}``)."""
    stream: bool
    include_usage: bool
    include_obfuscation: bool = True
    """Whether the chunks carry ``obfuscation`` padding (``stream_options`` may turn it off)."""


def check_chat_request(body: Mapping[str, Any]) -> ChatRequest:
    """Validate a chat completions body; what the model sees.

    Raises:
        WireError: The 400 the API would answer.
    """
    if "model" not in body:
        raise missing("model")
    if not isinstance(body["model"], str):
        raise invalid_type("model", "a string")
    messages = body.get("messages")
    if messages is None:
        raise missing("messages")
    if not isinstance(messages, list):
        raise invalid_type("messages", "an array")
    if not messages:
        raise WireError(
            400,
            "Invalid 'messages': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            code="empty_array",
            param="messages",
        )
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise invalid_type("stream", "a boolean")
    options = body.get("stream_options")
    if options is not None and not stream:
        raise WireError(
            400,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            code="invalid_value",
            param="stream_options",
        )
    if "max_tokens" in body and "max_completion_tokens" in body:
        raise WireError(
            400,
            "max_tokens and max_completion_tokens cannot both be set",
            code="invalid_value",
            param="max_tokens",
        )
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    include_obfuscation = (
        not isinstance(options, dict) or options.get("include_obfuscation") is not False
    )
    items = _items(messages)
    instructions = None
    if (
        items
        and items[0].get("role") in ("system", "developer")
        and isinstance(items[0]["content"], str)
    ):
        instructions = items.pop(0)["content"]
    return ChatRequest(
        instructions, items, _tools(body.get("tools")), stream, include_usage, include_obfuscation
    )


def _items(messages: list[Any]) -> list[JSON]:
    items: list[JSON] = []
    unanswered: dict[str, int] = {}  # tool_call_id -> index of the assistant message
    for index, message in enumerate(messages):
        param = f"messages.[{index}]"
        if not isinstance(message, dict):
            raise invalid_type(param, "an object")
        role = message.get("role")
        if role is None:
            raise missing(f"{param}.role")
        if role not in _ROLES:
            raise invalid_value(role, _ROLES, f"{param}.role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str):
                raise missing(f"{param}.tool_call_id")
            if unanswered.pop(call_id, None) is None:
                raise WireError(
                    400,
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    param=f"{param}.role",
                )
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": call_id,
                    "output": _text(message.get("content"), f"{param}.content", ("text",)),
                }
            )
            continue
        if unanswered:
            raise _unanswered(unanswered)
        if role == "assistant":
            items += _assistant(message, param, index, unanswered)
            continue
        parts = _USER_PARTS if role == "user" else ("text",)
        content = message.get("content")
        if content is None:
            raise missing(f"{param}.content")
        items.append({"type": "message", "role": role, "content": _content(content, param, parts)})
    if unanswered:
        raise _unanswered(unanswered)
    return items


def _unanswered(unanswered: Mapping[str, int]) -> WireError:
    ids = ", ".join(unanswered)
    return WireError(
        400,
        "An assistant message with 'tool_calls' must be followed by tool messages responding "
        f"to each 'tool_call_id'. The following tool_call_ids did not have response "
        f"messages: {ids}",
        param=f"messages.[{min(unanswered.values())}].role",
    )


def _assistant(
    message: Mapping[str, Any], param: str, index: int, unanswered: dict[str, int]
) -> list[JSON]:
    items: list[JSON] = []
    content = message.get("content")
    calls = message.get("tool_calls")
    if content is None and not calls and message.get("refusal") is None:
        raise missing(f"{param}.content")
    if content:
        text = _text(content, f"{param}.content", _ASSISTANT_PARTS)
        items.append(
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        )
    if message.get("refusal"):
        items.append(
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "refusal", "refusal": message["refusal"]}],
            }
        )
    if calls is None:
        return items
    if not isinstance(calls, list):
        raise invalid_type(f"{param}.tool_calls", "an array")
    for n, call in enumerate(calls):
        where = f"{param}.tool_calls.[{n}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(call, dict) or not isinstance(call.get("id"), str):
            raise missing(f"{where}.id")
        if call.get("type") != "function":
            raise invalid_value(call.get("type"), ("function",), f"{where}.type")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise missing(f"{where}.function.name")
        if not isinstance(function.get("arguments"), str):
            raise invalid_type(f"{where}.function.arguments", "a string")
        unanswered[call["id"]] = index
        items.append(
            {
                "type": "function_call",
                "call_id": call["id"],
                "name": function["name"],
                "arguments": function["arguments"],
            }
        )
    return items


def _content(content: Any, param: str, parts: tuple[str, ...]) -> str | list[JSON]:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise invalid_type(f"{param}.content", "a string or an array")
    converted: list[JSON] = []
    for n, part in enumerate(content):
        where = f"{param}.content.[{n}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in parts:
            raise invalid_value(kind, parts, f"{where}.type")
        if kind == "text":
            if not isinstance(part.get("text"), str):
                raise missing(f"{where}.text")
            converted.append({"type": "input_text", "text": part["text"]})
        elif kind == "image_url":
            image = part.get("image_url")
            if not isinstance(image, dict) or not isinstance(image.get("url"), str):
                raise missing(f"{where}.image_url.url")
            detail = image.get("detail", "auto")
            if detail not in ("auto", "low", "high"):
                raise invalid_value(detail, ("auto", "low", "high"), f"{where}.image_url.detail")
            converted.append({"type": "input_image", "image_url": image["url"], "detail": detail})
        elif kind == "input_audio":
            audio = part.get("input_audio")
            if not isinstance(audio, dict) or not isinstance(audio.get("data"), str):
                raise missing(f"{where}.input_audio.data")
            converted.append({"type": "input_audio", "input_audio": dict(audio)})
        else:
            file = part.get("file")
            if not isinstance(file, dict):
                raise missing(f"{where}.file")
            converted.append({"type": "input_file", **file})
    return converted


def _text(content: Any, param: str, parts: tuple[str, ...]) -> str:
    """Text content, or the joined text of its parts."""
    if content is None:
        return ""
    converted = _content(content, param.rsplit(".", 1)[0], parts)
    if isinstance(converted, str):
        return converted
    return "".join(str(part.get("text", "")) for part in converted)


def _tools(tools: Any) -> list[JSON]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid_type("tools", "an array")
    flat: list[JSON] = []
    for n, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") not in ("function", "custom"):
            raise invalid_value(
                tool.get("type") if isinstance(tool, dict) else None,
                ("function", "custom"),
                f"tools[{n}].type",
            )
        if tool["type"] == "custom":
            flat.append(dict(tool))
            continue
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise missing(f"tools[{n}].function.name")
        flat.append({"type": "function", **function})
    return flat
