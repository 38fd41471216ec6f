"""Chat-style dicts -> conversation items: the Chat Completions message shape, imported.

Pure: values in, values out. ``items_from_message`` takes one dict as a Chat Completions
client would write it (roles, ``tool_calls``, ``tool`` messages, multimodal parts) or a
Responses-style item, and returns the Responses items it means. This module is the home of
the conversion between the chat shape and the Responses one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ._exceptions import InputError
from ._items import (
    FunctionCall,
    FunctionCallOutput,
    Item,
    Message,
    Part,
    UnknownItem,
    describe_item_error,
    validate_item,
)

__all__ = ["items_from_message"]


def items_from_message(message: Mapping[str, Any]) -> list[Item]:
    """Convert one chat-style or Responses-style dict into items.

    Chat Completions messages follow these rules:

    * ``system`` and ``developer`` → a ``developer`` message;
    * ``user`` → a ``user`` message;
    * ``assistant`` with ``tool_calls`` → one ``function_call`` per call (``call_id`` from
      the call's ``id``, ``name``/``arguments`` from its ``function``; ``arguments`` given
      as a dict is JSON-encoded). If the message *also* has text content, that text comes
      first as an ``assistant`` message, so nothing the model said is lost. A ``custom``
      tool call becomes a ``custom_tool_call`` item;
    * ``assistant`` without tool calls → an ``assistant`` message;
    * ``tool`` → a ``function_call_output`` (``call_id`` from ``tool_call_id``). Content
      that is not a string becomes one: text parts are joined, anything else is
      JSON-encoded, and ``None`` is ``""``.

    Content given as a list of parts converts part by part: ``text`` → ``input_text``
    (``output_text`` in assistant messages, the only text type the API accepts there),
    ``image_url`` → ``input_image`` (``image_url`` may be ``{"url", "detail"}`` or a plain
    string; ``detail`` defaults to ``"auto"``), and every other part is passed through
    unchanged.

    Dicts that carry a ``type`` (``"message"``, ``"function_call"``,
    ``"function_call_output"``, ``"reasoning"``, or any other item type) are Responses-style
    items and are taken as they are.

    Raises:
        InputError: The dict fits no rule: no role and no type, an unknown role, content
            of the wrong type, a tool message without ``tool_call_id``, a tool call
            without ``id`` or ``function.name``, a malformed Responses-style item.
    """
    if not isinstance(message, Mapping):
        raise InputError(f"a message must be a dict, not {type(message).__name__}")
    kind = message.get("type")
    if kind is not None:
        if not isinstance(kind, str):
            raise InputError(f"'type' must be a string, not {type(kind).__name__}")
        if kind == "message":
            return [_chat_message(message, responses_style=True)]
        return [validate_item(dict(message), InputError)]
    role = message.get("role")
    if role is None:
        raise InputError("message has neither 'role' nor 'type'")
    if role in ("system", "developer", "user"):
        return [_chat_message(message)]
    if role == "assistant":
        return _assistant_items(message)
    if role == "tool":
        return [_tool_output(message)]
    raise InputError(f"unknown role {role!r}: expected system, developer, user, assistant or tool")


def _chat_message(message: Mapping[str, Any], *, responses_style: bool = False) -> Message:
    role = message.get("role")
    if not responses_style and role == "system":
        role = "developer"
    content = message.get("content")
    fields = {k: v for k, v in message.items() if k not in ("role", "content", "type")}
    if not responses_style:
        # Chat-only fields (name, refusal, audio, …) have no place in a Responses item.
        fields = {}
    parts = _convert_content(content, role=role)
    try:
        return Message(role=role, content=parts, **fields)
    except ValidationError as exc:
        raise InputError(f"invalid {role!r} message: {describe_item_error(exc)}") from None


def _convert_content(content: Any, *, role: Any) -> str | tuple[Part, ...]:
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        text_type = "output_text" if role == "assistant" else "input_text"
        return tuple(_convert_part(part, text_type, i) for i, part in enumerate(content))
    raise InputError(
        f"{role!r} message content must be a string or a list of parts, "
        f"not {type(content).__name__}"
    )


def _convert_part(part: Any, text_type: str, index: int) -> Any:
    if not isinstance(part, Mapping):
        raise InputError(f"content part {index} must be a dict, not {type(part).__name__}")
    kind = part.get("type")
    if kind == "text":
        text = part.get("text")
        if not isinstance(text, str):
            raise InputError(f"content part {index} ('text') has no string 'text'")
        return {"type": text_type, "text": text}
    if kind == "image_url":
        image = part.get("image_url")
        detail: Any = "auto"
        if isinstance(image, Mapping):
            detail = image.get("detail") or "auto"
            image = image.get("url")
        if not isinstance(image, str) or not image:
            raise InputError(f"content part {index} ('image_url') has no url")
        return {"type": "input_image", "image_url": image, "detail": detail}
    if not isinstance(kind, str):
        raise InputError(f"content part {index} has no string 'type'")
    return dict(part)


def _assistant_items(message: Mapping[str, Any]) -> list[Item]:
    tool_calls = message.get("tool_calls")
    if not tool_calls:
        return [_chat_message(message)]
    if not isinstance(tool_calls, (list, tuple)):
        raise InputError(f"'tool_calls' must be a list, not {type(tool_calls).__name__}")
    items: list[Item] = []
    content = message.get("content")
    if content:  # text said alongside the calls stays, before them
        items.append(_chat_message(message))
    items.extend(_tool_call_item(call, i) for i, call in enumerate(tool_calls))
    return items


def _tool_call_item(call: Any, index: int) -> Item:
    if not isinstance(call, Mapping):
        raise InputError(f"tool call {index} must be a dict, not {type(call).__name__}")
    call_id = call.get("id")
    if not isinstance(call_id, str) or not call_id:
        raise InputError(f"tool call {index} has no string 'id'")
    if call.get("type") == "custom":
        custom = call.get("custom")
        if not isinstance(custom, Mapping) or not isinstance(custom.get("name"), str):
            raise InputError(f"custom tool call {call_id!r} has no 'custom.name'")
        return UnknownItem(
            type="custom_tool_call",
            call_id=call_id,
            name=custom["name"],
            input=str(custom.get("input", "")),
        )
    function = call.get("function")
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise InputError(f"tool call {call_id!r} has no 'function.name'")
    arguments = function.get("arguments", "")
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments)
    return FunctionCall(call_id=call_id, name=function["name"], arguments=arguments)


def _tool_output(message: Mapping[str, Any]) -> FunctionCallOutput:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InputError("tool message has no string 'tool_call_id'")
    content = message.get("content")
    if content is None:
        output = ""
    elif isinstance(content, str):
        output = content
    elif isinstance(content, (list, tuple)) and all(
        isinstance(p, Mapping) and p.get("type") == "text" for p in content
    ):
        output = "".join(str(p.get("text", "")) for p in content)
    else:
        output = json.dumps(content, default=str)
    return FunctionCallOutput(call_id=call_id, output=output)
