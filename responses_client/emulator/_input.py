"""What the API accepts in a request, and the whole input the model sees.

``resolve_input`` checks a request body (a ``POST /v1/responses`` body or a
``response.create`` frame) the way the API does, raising its 400 and 404 answers, and
resolves the input against the context a ``previous_response_id`` points at and the items
the server holds. Pure: values in, values (or a ``WireError``) out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import JSON, WireError, invalid_type, invalid_value, missing
from ._reasoning import invalid_encrypted_content

__all__ = ["Context", "resolve_input"]

_ROLES = ("user", "assistant", "system", "developer")
_INPUT_PARTS = ("input_text", "input_image", "input_file", "input_audio")
_ASSISTANT_PARTS = ("output_text", "refusal")
# Every input item type the API takes, in the order the API's reference lists them. The
# emulator checks the fields of messages, function calls and function call outputs; the
# others it takes as they come (no model here runs hosted tools), and an ``item_reference``
# stands for an item the server holds.
_ITEM_TYPES = (
    "message",
    "file_search_call",
    "computer_call",
    "computer_call_output",
    "web_search_call",
    "function_call",
    "function_call_output",
    "tool_search_call",
    "tool_search_output",
    "additional_tools",
    "reasoning",
    "compaction",
    "image_generation_call",
    "code_interpreter_call",
    "local_shell_call",
    "local_shell_call_output",
    "shell_call",
    "shell_call_output",
    "apply_patch_call",
    "apply_patch_call_output",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "mcp_call",
    "custom_tool_call_output",
    "custom_tool_call",
    "compaction_trigger",
    "item_reference",
    "program",
    "program_output",
)


def _check_message(item: Mapping[str, Any], where: str) -> None:
    role = item.get("role")
    if role not in _ROLES:
        if role is None:
            raise missing(f"{where}.role")
        raise invalid_value(role, ("assistant", "system", "developer", "user"), f"{where}.role")
    content = item.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise invalid_type(f"{where}.content", "a string or an array of content parts")
    allowed = _ASSISTANT_PARTS if role == "assistant" else _INPUT_PARTS
    for index, part in enumerate(content):
        part_where = f"{where}.content[{index}]"
        if not isinstance(part, dict):
            raise invalid_type(part_where, "an object")
        if part.get("type") not in allowed:
            raise invalid_value(part.get("type"), allowed, f"{part_where}.type")
        if part["type"] in ("input_text", "output_text") and not isinstance(part.get("text"), str):
            raise missing(f"{part_where}.text")


def _item_type(item: Mapping[str, Any]) -> object:
    """An input item's type; without one, a message (with a role) or a reference (an id)."""
    kind = item.get("type")
    if kind is None:
        return "message" if "role" in item else "item_reference" if "id" in item else None
    return kind


def _check_item(item: object, where: str) -> None:
    if not isinstance(item, dict):
        raise invalid_type(where, "an object")
    kind = _item_type(item)
    if kind not in _ITEM_TYPES:
        raise invalid_value(kind, _ITEM_TYPES, f"{where}.type")
    if kind == "item_reference":
        if not isinstance(item.get("id"), str):
            raise missing(f"{where}.id")
    elif kind == "message":
        _check_message(item, where)
    elif kind == "function_call":
        for name in ("call_id", "name", "arguments"):
            if not isinstance(item.get(name), str):
                raise missing(f"{where}.{name}")
    elif kind == "function_call_output":
        if not isinstance(item.get("call_id"), str):
            raise missing(f"{where}.call_id")
        if "output" not in item:
            raise missing(f"{where}.output")


@dataclass(frozen=True)
class Context:
    """What a finished response leaves for a later ``previous_response_id``.

    Attributes:
        input: The resolved input the model saw (earlier context included).
        output: The response's output items.
    """

    input: list[JSON]
    output: list[JSON]


def resolve_input(
    body: Mapping[str, Any],
    previous: Context | None,
    held: Mapping[str, JSON] | None = None,
    opens: Callable[[JSON], bool] | None = None,
) -> list[JSON]:
    """Validate a request body and return the full input the model sees.

    Args:
        body: The ``POST /v1/responses`` body or the ``response.create`` frame.
        previous: The context ``previous_response_id`` refers to (already looked up by
            the caller, who raises ``previous_response_not_found`` when it is missing).
        held: The output items the server still holds, by id (stored responses, and over
            WebSocket the connection's cache). With ``store`` not true, an input item
            carrying any other id is refused with the API's 404, as the API does; an
            ``item_reference`` stands for the held item it names (a 404 when none is).
        opens: Whether a reasoning item's ``encrypted_content`` verifies. An item carrying
            it is taken when it does (held or not), and refused with
            ``invalid_encrypted_content`` when it does not.

    Returns:
        ``previous.input + previous.output + new input``, each input item a dict, each
        ``item_reference`` replaced by the item it names.

    Raises:
        WireError: 400 with the API's message, ``param`` and ``code``.
    """
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise missing("model")
    raw = body.get("input")
    new: list[JSON]
    if raw is None:
        new = []
    elif isinstance(raw, str):
        new = [{"type": "message", "role": "user", "content": raw}]
    elif isinstance(raw, list):
        held = held or {}
        new = []
        for index, item in enumerate(raw):
            _check_item(item, f"input[{index}]")
            if _item_type(item) == "item_reference":
                referenced = held.get(item["id"])
                if referenced is None:
                    raise WireError(404, f"Item with id '{item['id']}' not found.", param="input")
                new.append(referenced)
                continue
            if (
                opens is not None
                and _item_type(item) == "reasoning"
                and "encrypted_content" in item
            ):
                if not opens(item):
                    raise invalid_encrypted_content(item)
                new.append(item)
                continue
            if body.get("store") is not True and "id" in item and item["id"] not in held:
                raise WireError(
                    404,
                    f"Item with id '{item['id']}' not found. Items are not persisted when "
                    "`store` is set to false. Try again with `store` set to true, or remove "
                    "this item from your input.",
                    param="input",
                )
            new.append(item)
    else:
        raise invalid_type("input", "a string or an array of input items")
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid_type("tools", "an array")
        for index, tool in enumerate(tools):
            if not isinstance(tool, dict) or not tool.get("type"):
                raise missing(f"tools[{index}].type")
            if tool["type"] == "function" and not isinstance(tool.get("name"), str):
                raise missing(f"tools[{index}].name")
    resolved = [*previous.input, *previous.output, *new] if previous else list(new)
    _check_tool_outputs(resolved)
    return resolved


def _check_tool_outputs(items: Sequence[JSON]) -> None:
    calls: list[str] = []
    outputs: set[str] = set()
    for item in items:
        kind = item.get("type")
        if kind == "function_call":
            calls.append(item["call_id"])
        elif kind == "function_call_output":
            call_id = item["call_id"]
            if call_id not in calls:
                raise WireError(
                    400,
                    f"No tool call found for function call output with call_id {call_id}.",
                    param="input",
                )
            outputs.add(call_id)
    for call_id in calls:
        if call_id not in outputs:
            raise WireError(
                400, f"No tool output found for function call {call_id}.", param="input"
            )
