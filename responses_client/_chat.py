"""The Chat Completions message shape <-> conversation items, both ways.

Pure: values in, values out. ``items_from_message`` takes one dict as a Chat Completions
client would write it (roles, ``tool_calls``, ``tool`` messages, multimodal parts) or a
Responses-style item, and returns the Responses items it means. ``chat_body`` goes the
other way: a Responses request body (what ``_request.build_body`` makes) becomes the body
of ``POST /chat/completions``. The stream coming back is folded by ``_chat_stream``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import ValidationError

from ._exceptions import InputError, LocalProtocolError
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
from ._tool_schema import ToolSpec

__all__ = ["MaxTokensField", "chat_body", "items_from_message", "messages_from_items"]


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


def _as_parts(content: Any, *, role: Any) -> tuple[Any, ...]:
    converted = _convert_content(content, role=role)
    if isinstance(converted, str):
        text_type = "output_text" if role == "assistant" else "input_text"
        return ({"type": text_type, "text": converted},)
    return converted


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
    if kind == "file":
        # Chat's {"type": "file", "file": {"file_id" | "file_data", "filename"}} is the
        # Responses API's input_file part with the same fields.
        file = part.get("file")
        if not isinstance(file, Mapping) or not (file.get("file_id") or file.get("file_data")):
            raise InputError(f"content part {index} ('file') has no file_id or file_data")
        keys = ("file_id", "file_data", "filename")
        return {"type": "input_file", **{k: file[k] for k in keys if file.get(k) is not None}}
    if not isinstance(kind, str):
        raise InputError(f"content part {index} has no string 'type'")
    return dict(part)


def _assistant_items(message: Mapping[str, Any]) -> list[Item]:
    tool_calls = message.get("tool_calls")
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        # A refusal (with or without text) is a refusal part of the assistant message.
        content = message.get("content")
        parts = [] if content is None else list(_as_parts(content, role="assistant"))
        parts.append({"type": "refusal", "refusal": refusal})
        message = {**message, "content": parts}
    if not tool_calls:
        if message.get("content") is None:
            return []  # nothing said: a chat message with content None and no calls
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


# -- items -> messages: the request of POST /chat/completions -------------------------

MaxTokensField = Literal["max_completion_tokens", "max_tokens"]
"""The body key carrying ``max_output_tokens``: the new name, or the one older servers know."""

_PASSED = ("temperature", "top_p", "parallel_tool_calls", "service_tier")
"""Responses parameters the chat body carries under the same name."""

_RESPONSES_ONLY = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "max_output_tokens",
        "reasoning",
        "store",
        "previous_response_id",
        "stream",
        "stream_options",
        "text",
        "truncation",
        "include",
        "background",
        "conversation",
        "max_tool_calls",
        "prompt",
        "prompt_cache_key",
        *_PASSED,
    }
)
"""Body keys with a rule below (or no chat meaning); any other key is passed as it is."""


def chat_body(
    body: Mapping[str, Any],
    *,
    developer_role: bool = True,
    max_tokens_field: MaxTokensField = "max_completion_tokens",
    include_usage: bool = True,
) -> dict[str, Any]:
    """The Chat Completions request for a Responses request body, streamed.

    ``instructions`` become a leading ``system`` message and ``input`` the messages after it
    (see ``messages_from_items``); function tools are written nested
    (``{"type": "function", "function": {...}}``) and a function ``tool_choice`` likewise;
    ``max_output_tokens`` goes under ``max_tokens_field`` (never both names);
    ``reasoning.effort`` becomes ``reasoning_effort``; ``store`` is sent only when true.
    ``temperature``, ``top_p``, ``parallel_tool_calls`` and ``service_tier`` keep their
    names, and every key without a Responses meaning (``seed``, ``frequency_penalty``,
    ``presence_penalty``, a server's own options…) is passed as it is.

    Args:
        body: A Responses body, as ``_request.build_body`` makes it (not mutated).
        developer_role: False for servers without the ``developer`` role: developer
            messages are then sent as ``user`` messages.
        max_tokens_field: Where ``max_output_tokens`` goes.
        include_usage: Ask for the usage chunk (``stream_options.include_usage``).

    Raises:
        LocalProtocolError: ``previous_response_id`` is set (the wire has none), or an item
            or a tool has no Chat Completions form (a built-in tool, an item type the chat
            wire cannot carry).
    """
    if body.get("previous_response_id") is not None:
        raise LocalProtocolError(
            "Chat Completions has no previous_response_id: send the whole history"
        )
    messages: list[dict[str, Any]] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages.append({"role": "system", "content": instructions})
    messages += messages_from_items(body.get("input") or (), developer_role=developer_role)
    chat: dict[str, Any] = {"model": body["model"], "messages": messages}
    tools = body.get("tools")
    if tools:
        chat["tools"] = [_chat_tool(tool) for tool in tools]
    choice = body.get("tool_choice")
    if choice is not None:
        chat["tool_choice"] = _chat_tool_choice(choice)
    for name in _PASSED:
        if body.get(name) is not None:
            chat[name] = body[name]
    if body.get("max_output_tokens") is not None:
        chat[max_tokens_field] = body["max_output_tokens"]
    reasoning = body.get("reasoning")
    if isinstance(reasoning, Mapping) and reasoning.get("effort") is not None:
        chat["reasoning_effort"] = reasoning["effort"]
    if body.get("store") is True:
        chat["store"] = True
    chat.update((key, value) for key, value in body.items() if key not in _RESPONSES_ONLY)
    chat["stream"] = True
    if include_usage:
        chat["stream_options"] = {"include_usage": True}
    return chat


def messages_from_items(
    items: Sequence[Mapping[str, Any]], *, developer_role: bool = True
) -> list[dict[str, Any]]:
    """Conversation items (in wire shape) as Chat Completions messages.

    Messages keep their role (``developer`` becomes ``user`` when ``developer_role`` is
    False) and their parts: ``input_text`` / ``output_text`` → ``text``, ``input_image``
    → ``image_url`` with its ``detail``, ``input_audio`` as it is, ``input_file`` →
    ``file``; an assistant message's refusal goes in ``refusal``. Consecutive
    ``function_call`` items become the ``tool_calls`` of one assistant message (the one
    just before them, when it has text), and each ``function_call_output`` a ``tool``
    message. Reasoning items are left out: the chat wire cannot take them back.

    Raises:
        LocalProtocolError: An item type the chat wire cannot carry.
    """
    messages: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            messages.append(_chat_message_of(item, developer_role))
        elif kind == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and "refusal" not in last:
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output", "")
            if not isinstance(output, str):
                output = "".join(
                    str(part.get("text", "")) for part in output if isinstance(part, Mapping)
                )
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": output})
        elif kind == "reasoning":
            continue
        else:
            raise LocalProtocolError(f"a {kind!r} item has no Chat Completions form")
    return messages


def _chat_message_of(item: Mapping[str, Any], developer_role: bool) -> dict[str, Any]:
    role = item["role"]
    if role == "developer" and not developer_role:
        role = "user"
    content = item.get("content", "")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if role == "assistant":
        # Assistant content is text (and a refusal) only: joined, as every server takes it.
        text = "".join(str(p.get("text", "")) for p in content if p.get("type") == "output_text")
        refusal = "".join(str(p.get("refusal", "")) for p in content if p.get("type") == "refusal")
        message: dict[str, Any] = {"role": role, "content": text or None}
        if refusal:
            message["refusal"] = refusal
        return message
    return {"role": role, "content": [_chat_part(part) for part in content]}


def _chat_part(part: Mapping[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        return {"type": "text", "text": part["text"]}
    if kind == "input_image":
        if not part.get("image_url"):
            raise LocalProtocolError("an input_image by file_id has no Chat Completions form")
        return {
            "type": "image_url",
            "image_url": {"url": part["image_url"], "detail": part.get("detail") or "auto"},
        }
    if kind == "input_audio":
        return {"type": "input_audio", "input_audio": dict(part["input_audio"])}
    if kind == "file":  # already in the chat shape (imported by items_from_message)
        return dict(part)
    if kind == "input_file":
        file = {
            key: part[key]
            for key in ("file_id", "file_data", "filename")
            if part.get(key) is not None
        }
        return {"type": "file", "file": file}
    raise LocalProtocolError(f"a {kind!r} content part has no Chat Completions form")


def _chat_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    if tool.get("type") != "function":
        raise LocalProtocolError(
            f"the {tool.get('type')!r} tool is built into the Responses API: "
            "Chat Completions takes function tools only"
        )
    spec = ToolSpec(
        name=tool["name"],
        description=tool.get("description") or "",
        parameters=tool.get("parameters") or {"type": "object", "properties": {}},
        strict=bool(tool.get("strict", False)),
    )
    return spec.to_chat()


def _chat_tool_choice(choice: Any) -> Any:
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": choice["name"]}}
    return choice
