"""Typed events of the Responses API stream, and the few the SDK adds.

Every event the server streams (over SSE or the Responses WebSocket) is one immutable
pydantic model here, with ``.type`` equal to its wire string and field names exactly the
API's. :func:`parse_event` turns one frame into one event::

    event = parse_event(b'{"type":"response.output_text.delta","item_id":"msg_1",...}')
    match event:
        case OutputTextDeltaEvent():
            print(event.delta, end="")
        case ResponseCompletedEvent():
            print(event.response.usage)

Three kinds of event reach a caller:

* **server events** (:data:`ServerEvent`): one model per wire type, grouped below by family
  (response lifecycle, output items, content parts, text, refusals, function calls,
  reasoning, audio, built-in tools, errors);
* **client events** (:data:`ClientEvent`), types beginning with ``client.``: the SDK emits
  them, the API never does. :class:`ToolResultEvent` reports a tool the SDK ran and
  :class:`RetryEvent` says that the events of the previous attempt are void, and
  :class:`SteerRestartEvent` that a steer restarted the response in flight;
* :class:`UnknownEvent`, for a type this version of the SDK does not know (the API adds
  events often). It carries the raw dict and is never an error.

Models keep fields they do not declare (``extra="allow"``: ``obfuscation``, ``stream_id``,
whatever comes next). They are strict where meaning lives (``type``, ids, text, deltas,
arguments, items) and lenient where OpenAI-compatible servers cut corners: a missing
``sequence_number``, ``output_index``, ``content_index``, ``logprobs`` or usage detail is
``None`` or a default, not an error.
"""

# No ``from __future__ import annotations`` in this module: pydantic would then build each
# field's type from a string at import, which slows ``import responses_client`` (guarded
# by bench/import_time.py).

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import CoreConfig, SchemaValidator, from_json

from ._exceptions import RemoteProtocolError
from ._items import ALL_TAGS as _ITEM_AND_PART_TAGS
from ._items import Item, Message, OutputText, Part, describe_validation_error

__all__ = [
    "ENDING_TYPES",
    "TERMINAL_TYPES",
    "AudioDeltaEvent",
    "AudioDoneEvent",
    "AudioTranscriptDeltaEvent",
    "AudioTranscriptDoneEvent",
    "BaseEvent",
    "ClientEvent",
    "CodeInterpreterCallCodeDeltaEvent",
    "CodeInterpreterCallCodeDoneEvent",
    "CodeInterpreterCallCompletedEvent",
    "CodeInterpreterCallInProgressEvent",
    "CodeInterpreterCallInterpretingEvent",
    "CompactionCompactingEvent",
    "ContentPartAddedEvent",
    "ContentPartDoneEvent",
    "CustomToolCallInputDeltaEvent",
    "CustomToolCallInputDoneEvent",
    "ErrorDetail",
    "ErrorEvent",
    "Event",
    "FileSearchCallCompletedEvent",
    "FileSearchCallInProgressEvent",
    "FileSearchCallSearchingEvent",
    "FunctionCallArgumentsDeltaEvent",
    "FunctionCallArgumentsDoneEvent",
    "ImageGenerationCallCompletedEvent",
    "ImageGenerationCallGeneratingEvent",
    "ImageGenerationCallInProgressEvent",
    "ImageGenerationCallPartialImageEvent",
    "IncompleteDetails",
    "InputTokensDetails",
    "McpCallArgumentsDeltaEvent",
    "McpCallArgumentsDoneEvent",
    "McpCallCompletedEvent",
    "McpCallFailedEvent",
    "McpCallInProgressEvent",
    "McpListToolsCompletedEvent",
    "McpListToolsFailedEvent",
    "McpListToolsInProgressEvent",
    "OutputItemAddedEvent",
    "OutputItemDoneEvent",
    "OutputTextAnnotationAddedEvent",
    "OutputTextDeltaEvent",
    "OutputTextDoneEvent",
    "OutputTokensDetails",
    "ReasoningSummaryPartAddedEvent",
    "ReasoningSummaryPartDoneEvent",
    "ReasoningSummaryTextDeltaEvent",
    "ReasoningSummaryTextDoneEvent",
    "ReasoningTextDeltaEvent",
    "ReasoningTextDoneEvent",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
    "Response",
    "ResponseCompletedEvent",
    "ResponseCreatedEvent",
    "ResponseError",
    "ResponseFailedEvent",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseQueuedEvent",
    "ResponseSteerAcceptedEvent",
    "ResponseSteerFailedEvent",
    "ResponseSteerPendingEvent",
    "RetryEvent",
    "SERVER_EVENT_TYPES",
    "ServerEvent",
    "ShellCallCommandAddedEvent",
    "ShellCallCommandDeltaEvent",
    "ShellCallCommandDoneEvent",
    "ShellCallOutputContentDeltaEvent",
    "ShellCallOutputContentDoneEvent",
    "SteerRestartEvent",
    "ToolResultEvent",
    "UnknownEvent",
    "Usage",
    "WebSearchCallCompletedEvent",
    "WebSearchCallInProgressEvent",
    "WebSearchCallSearchingEvent",
    "is_terminal",
    "parse_event",
]


class _Model(BaseModel):
    """Immutable, and keeps the fields it does not declare."""

    # defer_build: nothing is compiled at import (guarded by bench/import_time.py).
    # ``parse_event`` compiles one validator per wire type the first time a frame of that
    # type arrives; a class builds its own validator and serializer when used directly
    # (constructed by hand, model_dump).
    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)


# =====================================================================================
# The response object
# =====================================================================================


class InputTokensDetails(_Model):
    """Breakdown of the input tokens."""

    cached_tokens: int = 0
    """Input tokens served from the prompt cache."""


class OutputTokensDetails(_Model):
    """Breakdown of the output tokens."""

    reasoning_tokens: int = 0
    """Output tokens spent on reasoning."""


class Usage(_Model):
    """Token counts of one response. Missing counts and details read as 0."""

    input_tokens: int = 0
    """Tokens in the input, cached ones included."""
    output_tokens: int = 0
    """Tokens the model generated, reasoning included."""
    total_tokens: int = 0
    """Input plus output tokens."""
    # Defaults made without validation, so that declaring the class compiles nothing at
    # import (bench/import_time.py); the details models stay deferred until used.
    input_tokens_details: InputTokensDetails = InputTokensDetails.model_construct()
    """Cached-token breakdown (zeros when the server sent none)."""
    output_tokens_details: OutputTokensDetails = OutputTokensDetails.model_construct()
    """Reasoning-token breakdown (zeros when the server sent none)."""

    @field_validator("input_tokens_details", "output_tokens_details", mode="before")
    @classmethod
    def _null_details(cls, value: Any) -> Any:
        # Some compatible servers send `null` where OpenAI sends an object.
        return {} if value is None else value

    @property
    def cached_tokens(self) -> int:
        """Shortcut for ``input_tokens_details.cached_tokens``."""
        return self.input_tokens_details.cached_tokens

    @property
    def reasoning_tokens(self) -> int:
        """Shortcut for ``output_tokens_details.reasoning_tokens``."""
        return self.output_tokens_details.reasoning_tokens


class ResponseError(_Model):
    """Why a response failed (``response.error``)."""

    code: str | None = None
    """The API's error code, e.g. ``server_error`` or ``rate_limit_exceeded``."""
    message: str = ""
    """A human-readable description."""


class IncompleteDetails(_Model):
    """Why a response is incomplete (``response.incomplete_details``)."""

    reason: str | None = None
    """``max_output_tokens``, ``content_filter``, …"""


class Response(_Model):
    """The ``response`` object carried by the lifecycle events.

    Only the fields the SDK reads are declared; every other field the server sends
    (``tools``, ``temperature``, ``text``, …) is kept and readable as an attribute.
    """

    id: str
    """The response id (``resp_…``), used as ``previous_response_id`` next turn."""
    object: str = "response"
    """Always ``"response"``."""
    created_at: float | None = None
    """Unix time of creation, in seconds."""
    status: str | None = None
    """``queued``, ``in_progress``, ``completed``, ``failed``, ``incomplete``, ``cancelled``."""
    model: str | None = None
    """The model that answered (a dated snapshot name)."""
    output: list[Item] = Field(default_factory=list)
    """The output items, as typed items; final in ``response.completed``."""
    usage: Usage | None = None
    """Token counts; present once the response is done."""
    error: ResponseError | None = None
    """Set when the response failed."""
    incomplete_details: IncompleteDetails | None = None
    """Set when the response is incomplete."""
    instructions: Any = None
    """The instructions the response ran with (a string or input items)."""
    previous_response_id: str | None = None
    """The response this one continues, if any."""

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of every output message, joined."""
        return "".join(
            part.text
            for item in self.output
            if isinstance(item, Message) and not isinstance(item.content, str)
            for part in item.content
            if isinstance(part, OutputText)
        )


# =====================================================================================
# Event bases: one per field family, so each field is declared and documented once
# =====================================================================================


class BaseEvent(_Model):
    """Base of every event model; subclasses fix ``type`` to their wire string."""

    sequence_number: int | None = None
    """The event's position in the stream (``None`` when the server sent none)."""


class _ResponseEvent(BaseEvent):
    response: Response
    """The response object as it stands at this event."""


class _OutputItemEvent(BaseEvent):
    output_index: int | None = None
    """The item's index in ``response.output``."""
    item: Item
    """The output item (typed; unknown item types are ``UnknownItem``)."""


class _ItemEvent(BaseEvent):
    item_id: str
    """The id of the output item this event is about."""
    output_index: int | None = None
    """The item's index in ``response.output``."""


class _ContentEvent(_ItemEvent):
    content_index: int | None = None
    """The index of the content part within the item."""


class _SummaryEvent(_ItemEvent):
    summary_index: int | None = None
    """The index of the summary part within the reasoning item."""


# =====================================================================================
# Response lifecycle
# =====================================================================================


class ResponseCreatedEvent(_ResponseEvent):
    """The response was created; its id is known from here on."""

    type: Literal["response.created"] = "response.created"


class ResponseQueuedEvent(_ResponseEvent):
    """The response is queued, waiting to be processed."""

    type: Literal["response.queued"] = "response.queued"


class ResponseInProgressEvent(_ResponseEvent):
    """The response is being generated."""

    type: Literal["response.in_progress"] = "response.in_progress"


class ResponseCompletedEvent(_ResponseEvent):
    """The response finished; ``response.output`` and ``response.usage`` are final. Terminal."""

    type: Literal["response.completed"] = "response.completed"


class ResponseFailedEvent(_ResponseEvent):
    """The response failed; ``response.error`` says why. Terminal."""

    type: Literal["response.failed"] = "response.failed"


class ResponseIncompleteEvent(_ResponseEvent):
    """The response stopped early; ``response.incomplete_details`` says why. Terminal."""

    type: Literal["response.incomplete"] = "response.incomplete"


# =====================================================================================
# Output items and content parts
# =====================================================================================


class OutputItemAddedEvent(_OutputItemEvent):
    """A new output item (message, function call, reasoning, tool call) began."""

    type: Literal["response.output_item.added"] = "response.output_item.added"


class OutputItemDoneEvent(_OutputItemEvent):
    """An output item is complete; ``item`` is its final form."""

    type: Literal["response.output_item.done"] = "response.output_item.done"


class ContentPartAddedEvent(_ContentEvent):
    """A content part began inside a message item."""

    type: Literal["response.content_part.added"] = "response.content_part.added"
    part: Part
    """The part (``output_text``, ``refusal``; other types are ``UnknownPart``)."""


class ContentPartDoneEvent(_ContentEvent):
    """A content part is complete; ``part`` is its final form."""

    type: Literal["response.content_part.done"] = "response.content_part.done"
    part: Part
    """The finished part."""


# =====================================================================================
# Text and refusals
# =====================================================================================


class OutputTextDeltaEvent(_ContentEvent):
    """A piece of the model's text. The hot path: keep handlers cheap."""

    type: Literal["response.output_text.delta"] = "response.output_text.delta"
    delta: str
    """The new text."""
    logprobs: list[Any] | None = None
    """Token log probabilities, when requested."""
    obfuscation: str | None = None
    """Random padding the API adds against length side channels; ignore it."""


class OutputTextDoneEvent(_ContentEvent):
    """A text part is complete."""

    type: Literal["response.output_text.done"] = "response.output_text.done"
    text: str
    """The whole text of the part."""
    logprobs: list[Any] | None = None
    """Token log probabilities, when requested."""


class OutputTextAnnotationAddedEvent(_ContentEvent):
    """A citation or file path was attached to a text part."""

    type: Literal["response.output_text.annotation.added"] = "response.output_text.annotation.added"
    annotation_index: int | None = None
    """The annotation's index within the part."""
    annotation: dict[str, Any] | None = None
    """The annotation (``url_citation``, ``file_citation``, …), as sent."""


class RefusalDeltaEvent(_ContentEvent):
    """A piece of a refusal."""

    type: Literal["response.refusal.delta"] = "response.refusal.delta"
    delta: str
    """The new refusal text."""


class RefusalDoneEvent(_ContentEvent):
    """A refusal is complete."""

    type: Literal["response.refusal.done"] = "response.refusal.done"
    refusal: str
    """The whole refusal text."""


# =====================================================================================
# Function calls and custom tool calls
# =====================================================================================


class FunctionCallArgumentsDeltaEvent(_ItemEvent):
    """A piece of a function call's JSON arguments."""

    type: Literal["response.function_call_arguments.delta"] = (
        "response.function_call_arguments.delta"
    )
    delta: str
    """The new characters of the arguments."""
    obfuscation: str | None = None
    """Random padding the API adds against length side channels; ignore it."""


class FunctionCallArgumentsDoneEvent(_ItemEvent):
    """A function call's arguments are complete."""

    type: Literal["response.function_call_arguments.done"] = "response.function_call_arguments.done"
    arguments: str
    """The whole arguments, a JSON string."""


class CustomToolCallInputDeltaEvent(_ItemEvent):
    """A piece of a custom tool call's free-form input."""

    type: Literal["response.custom_tool_call_input.delta"] = "response.custom_tool_call_input.delta"
    delta: str
    """The new characters of the input."""


class CustomToolCallInputDoneEvent(_ItemEvent):
    """A custom tool call's input is complete."""

    type: Literal["response.custom_tool_call_input.done"] = "response.custom_tool_call_input.done"
    input: str
    """The whole input."""


# =====================================================================================
# Reasoning
# =====================================================================================


class ReasoningSummaryPartAddedEvent(_SummaryEvent):
    """A reasoning summary part began."""

    type: Literal["response.reasoning_summary_part.added"] = "response.reasoning_summary_part.added"
    part: dict[str, Any]
    """The part, ``{"type": "summary_text", "text": …}``."""


class ReasoningSummaryPartDoneEvent(_SummaryEvent):
    """A reasoning summary part is complete."""

    type: Literal["response.reasoning_summary_part.done"] = "response.reasoning_summary_part.done"
    part: dict[str, Any]
    """The finished part."""


class ReasoningSummaryTextDeltaEvent(_SummaryEvent):
    """A piece of reasoning summary text."""

    type: Literal["response.reasoning_summary_text.delta"] = "response.reasoning_summary_text.delta"
    delta: str
    """The new summary text."""


class ReasoningSummaryTextDoneEvent(_SummaryEvent):
    """A reasoning summary text is complete."""

    type: Literal["response.reasoning_summary_text.done"] = "response.reasoning_summary_text.done"
    text: str
    """The whole summary text."""


class ReasoningTextDeltaEvent(_ContentEvent):
    """A piece of raw reasoning text (models that expose it)."""

    type: Literal["response.reasoning_text.delta"] = "response.reasoning_text.delta"
    delta: str
    """The new reasoning text."""


class ReasoningTextDoneEvent(_ContentEvent):
    """A raw reasoning text is complete."""

    type: Literal["response.reasoning_text.done"] = "response.reasoning_text.done"
    text: str
    """The whole reasoning text."""


# =====================================================================================
# Audio (no item id: the audio belongs to the response)
# =====================================================================================


class AudioDeltaEvent(BaseEvent):
    """A chunk of generated audio."""

    type: Literal["response.audio.delta"] = "response.audio.delta"
    delta: str
    """Base64-encoded audio bytes."""


class AudioDoneEvent(BaseEvent):
    """The audio is complete."""

    type: Literal["response.audio.done"] = "response.audio.done"


class AudioTranscriptDeltaEvent(BaseEvent):
    """A piece of the transcript of the generated audio."""

    type: Literal["response.audio.transcript.delta"] = "response.audio.transcript.delta"
    delta: str
    """The new transcript text."""


class AudioTranscriptDoneEvent(BaseEvent):
    """The audio transcript is complete."""

    type: Literal["response.audio.transcript.done"] = "response.audio.transcript.done"


# =====================================================================================
# Built-in tools run by the server. Progress events carry only the item id; the
# item itself arrives in ``response.output_item.added`` / ``.done``.
# =====================================================================================

# -- web search ------------------------------------------------------------------------


class WebSearchCallInProgressEvent(_ItemEvent):
    """A web search call started."""

    type: Literal["response.web_search_call.in_progress"] = "response.web_search_call.in_progress"


class WebSearchCallSearchingEvent(_ItemEvent):
    """A web search call is searching."""

    type: Literal["response.web_search_call.searching"] = "response.web_search_call.searching"


class WebSearchCallCompletedEvent(_ItemEvent):
    """A web search call finished."""

    type: Literal["response.web_search_call.completed"] = "response.web_search_call.completed"


# -- file search -----------------------------------------------------------------------


class FileSearchCallInProgressEvent(_ItemEvent):
    """A file search call started."""

    type: Literal["response.file_search_call.in_progress"] = "response.file_search_call.in_progress"


class FileSearchCallSearchingEvent(_ItemEvent):
    """A file search call is searching."""

    type: Literal["response.file_search_call.searching"] = "response.file_search_call.searching"


class FileSearchCallCompletedEvent(_ItemEvent):
    """A file search call finished."""

    type: Literal["response.file_search_call.completed"] = "response.file_search_call.completed"


# -- code interpreter ------------------------------------------------------------------


class CodeInterpreterCallInProgressEvent(_ItemEvent):
    """A code interpreter call started."""

    type: Literal["response.code_interpreter_call.in_progress"] = (
        "response.code_interpreter_call.in_progress"
    )


class CodeInterpreterCallInterpretingEvent(_ItemEvent):
    """A code interpreter call is running its code."""

    type: Literal["response.code_interpreter_call.interpreting"] = (
        "response.code_interpreter_call.interpreting"
    )


class CodeInterpreterCallCompletedEvent(_ItemEvent):
    """A code interpreter call finished."""

    type: Literal["response.code_interpreter_call.completed"] = (
        "response.code_interpreter_call.completed"
    )


class CodeInterpreterCallCodeDeltaEvent(_ItemEvent):
    """A piece of the code a code interpreter call will run."""

    type: Literal["response.code_interpreter_call_code.delta"] = (
        "response.code_interpreter_call_code.delta"
    )
    delta: str
    """The new code."""


class CodeInterpreterCallCodeDoneEvent(_ItemEvent):
    """The code of a code interpreter call is complete."""

    type: Literal["response.code_interpreter_call_code.done"] = (
        "response.code_interpreter_call_code.done"
    )
    code: str
    """The whole code."""


# -- image generation ------------------------------------------------------------------


class ImageGenerationCallInProgressEvent(_ItemEvent):
    """An image generation call started."""

    type: Literal["response.image_generation_call.in_progress"] = (
        "response.image_generation_call.in_progress"
    )


class ImageGenerationCallGeneratingEvent(_ItemEvent):
    """An image generation call is generating."""

    type: Literal["response.image_generation_call.generating"] = (
        "response.image_generation_call.generating"
    )


class ImageGenerationCallPartialImageEvent(_ItemEvent):
    """A partial image is ready while the final one renders."""

    type: Literal["response.image_generation_call.partial_image"] = (
        "response.image_generation_call.partial_image"
    )
    partial_image_b64: str
    """The partial image, base64-encoded."""
    partial_image_index: int | None = None
    """0-based index of this partial image."""


class ImageGenerationCallCompletedEvent(_ItemEvent):
    """An image generation call finished."""

    type: Literal["response.image_generation_call.completed"] = (
        "response.image_generation_call.completed"
    )


# -- MCP -------------------------------------------------------------------------------


class McpCallInProgressEvent(_ItemEvent):
    """An MCP tool call started."""

    type: Literal["response.mcp_call.in_progress"] = "response.mcp_call.in_progress"


class McpCallCompletedEvent(_ItemEvent):
    """An MCP tool call succeeded."""

    type: Literal["response.mcp_call.completed"] = "response.mcp_call.completed"


class McpCallFailedEvent(_ItemEvent):
    """An MCP tool call failed."""

    type: Literal["response.mcp_call.failed"] = "response.mcp_call.failed"


class McpCallArgumentsDeltaEvent(_ItemEvent):
    """A piece of an MCP tool call's JSON arguments."""

    type: Literal["response.mcp_call_arguments.delta"] = "response.mcp_call_arguments.delta"
    delta: str
    """The new characters of the arguments."""


class McpCallArgumentsDoneEvent(_ItemEvent):
    """An MCP tool call's arguments are complete."""

    type: Literal["response.mcp_call_arguments.done"] = "response.mcp_call_arguments.done"
    arguments: str
    """The whole arguments, a JSON string."""


class McpListToolsInProgressEvent(_ItemEvent):
    """Listing an MCP server's tools started."""

    type: Literal["response.mcp_list_tools.in_progress"] = "response.mcp_list_tools.in_progress"


class McpListToolsCompletedEvent(_ItemEvent):
    """Listing an MCP server's tools succeeded."""

    type: Literal["response.mcp_list_tools.completed"] = "response.mcp_list_tools.completed"


class McpListToolsFailedEvent(_ItemEvent):
    """Listing an MCP server's tools failed."""

    type: Literal["response.mcp_list_tools.failed"] = "response.mcp_list_tools.failed"


# -- shell -----------------------------------------------------------------------------


class _ShellCommandEvent(BaseEvent):
    output_index: int | None = None
    """The shell call's index in ``response.output``."""
    command_index: int | None = None
    """The command's index within the shell call."""


class ShellCallCommandAddedEvent(_ShellCommandEvent):
    """A shell call's command began."""

    type: Literal["response.shell_call_command.added"] = "response.shell_call_command.added"
    command: str
    """The command as known so far."""


class ShellCallCommandDeltaEvent(_ShellCommandEvent):
    """A piece of a shell call's command."""

    type: Literal["response.shell_call_command.delta"] = "response.shell_call_command.delta"
    delta: str
    """The new characters of the command."""
    obfuscation: str | None = None
    """Random padding the API adds against length side channels; ignore it."""


class ShellCallCommandDoneEvent(_ShellCommandEvent):
    """A shell call's command is complete."""

    type: Literal["response.shell_call_command.done"] = "response.shell_call_command.done"
    command: str
    """The whole command."""


class ShellCallOutputContentDeltaEvent(_ItemEvent):
    """A piece of a shell command's output."""

    type: Literal["response.shell_call_output_content.delta"] = (
        "response.shell_call_output_content.delta"
    )
    command_index: int | None = None
    """The command's index within the shell call."""
    delta: dict[str, Any]
    """The new output: ``{"stdout": …, "stderr": …}`` (either may be absent)."""


class ShellCallOutputContentDoneEvent(_ItemEvent):
    """A shell command's output is complete."""

    type: Literal["response.shell_call_output_content.done"] = (
        "response.shell_call_output_content.done"
    )
    command_index: int | None = None
    """The command's index within the shell call."""
    output: list[dict[str, Any]]
    """Output chunks (``stdout``, ``stderr``, ``outcome``), as sent."""


# -- context compaction ------------------------------------------------------------------


class CompactionCompactingEvent(_ItemEvent):
    """The server is compacting the context into a compaction item."""

    type: Literal["response.compaction.compacting"] = "response.compaction.compacting"


# =====================================================================================
# Steering (Responses WebSocket only)
# =====================================================================================


class ResponseSteerAcceptedEvent(BaseEvent):
    """Steering input was accepted and queued by the server."""

    type: Literal["response.steer.accepted"] = "response.steer.accepted"
    steer: dict[str, Any]
    """The accepted submission: ``{"id", "previous_response_id"}``."""


class ResponseSteerFailedEvent(BaseEvent):
    """Steering input was rejected or could not be committed."""

    type: Literal["response.steer.failed"] = "response.steer.failed"
    steer: dict[str, Any]
    """The submission, with its uncommitted ``input``."""
    error: dict[str, Any] | None = None
    """Why: ``{"type", "code", "message"}``."""


class ResponseSteerPendingEvent(BaseEvent):
    """Accepted steering input is still queued after the response completed."""

    type: Literal["response.steer.pending"] = "response.steer.pending"
    steer: dict[str, Any]
    """The queued submission: ``{"id", "previous_response_id"}``."""
    reason: str | None = None
    """Why it waits, e.g. ``waiting_for_required_input``."""
    required_input: list[dict[str, Any]] = Field(default_factory=list)
    """Stubs of the tool results or approvals the server waits for."""


# =====================================================================================
# Errors
# =====================================================================================


class ErrorDetail(_Model):
    """The nested ``error`` object of a WebSocket ``error`` event."""

    type: str | None = None
    """The error class, e.g. ``invalid_request_error``."""
    code: str | None = None
    """The error code, e.g. ``previous_response_not_found``."""
    message: str = ""
    """A human-readable description."""
    param: str | None = None
    """The request parameter the error is about."""


def _opt_str(value: Any) -> Any:
    # Error codes are strings, but some servers send numbers; keep them readable.
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


class ErrorEvent(BaseEvent):
    """The server reports an error; read ``code``, ``message``, ``param`` and ``status``.

    Both wire shapes read into the same fields. Over SSE the fields are flat
    (``{"type": "error", "code", "message", "param", "sequence_number"}``); over the
    WebSocket they are nested (``{"type": "error", "status": 400, "error": {"type", "code",
    "message", "param"}}``) and the nested object stays available as ``error``.
    """

    type: Literal["error"] = "error"
    code: str | None = None
    """The error code (``previous_response_not_found``, ``websocket_connection_limit_reached``,
    ``server_error``, …), from either shape."""
    message: str = ""
    """A human-readable description, from either shape."""
    param: str | None = None
    """The request parameter the error is about, from either shape."""
    status: int | None = None
    """The HTTP-like status of a WebSocket error (400, 404, …)."""
    error: ErrorDetail | None = None
    """The nested error object, as sent over the WebSocket."""

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        nested = data.get("error")
        if isinstance(nested, str):  # a bare message, as some compatible servers send
            data = {**data, "error": None, "message": data.get("message") or nested}
        elif isinstance(nested, dict):
            data = dict(data)
            nested = {k: _opt_str(v) if k == "code" else v for k, v in nested.items()}
            data["error"] = nested
            for key in ("code", "message", "param"):
                if data.get(key) is None and nested.get(key) is not None:
                    data[key] = nested[key]
        if "code" in data:
            data = {**data, "code": _opt_str(data["code"])}
        if data.get("message") is None:
            data = {**data, "message": ""}
        return data


# =====================================================================================
# Client events: emitted by the SDK, never sent by the API
# =====================================================================================


class ToolResultEvent(BaseEvent):
    """The SDK ran a function tool; its output goes back to the model next round.

    Emitted once per call, after the tool returned, raised or timed out. A failed tool
    still produces an ``output`` (the error text sent to the model) and sets ``error``.
    """

    type: Literal["client.tool.result"] = "client.tool.result"
    call_id: str
    """The ``call_id`` of the function call."""
    name: str
    """The tool's name."""
    arguments: str
    """The arguments the model wrote (JSON text)."""
    output: str
    """What goes back to the model as the ``function_call_output``."""
    error: str | None = None
    """The error when the tool raised, timed out, was unknown or got bad arguments."""


class RetryEvent(BaseEvent):
    """The SDK is retrying the turn: events of the previous attempt are void.

    Discard any text, tool-call progress or items seen since the turn started (or since
    the previous ``client.retry``): the next attempt streams its output afresh.
    """

    type: Literal["client.retry"] = "client.retry"
    attempt: int
    """The number of the attempt that follows (2 for the first retry)."""
    reason: str
    """Why: ``connection_dropped``, ``previous_response_not_found``,
    ``websocket_connection_limit_reached``, ``http_503``, …"""


class SteerRestartEvent(BaseEvent):
    """A steer is applied by restarting: the events since the last response opened are void.

    ``Conversation.steer()`` could not steer the response in flight on the server (the
    model or transport does not support it, or the response was no longer active), so the
    SDK cancelled that response and starts a new one whose input ends with the steer.
    Discard the text and items the cancelled response streamed.
    """

    type: Literal["client.steer.restart"] = "client.steer.restart"
    reason: str
    """Why: the server's ``response.steer.failed`` code (``steering_not_supported``, …),
    or ``unsupported`` when the transport has no steering."""


class UnknownEvent(_Model):
    """An event of a type this SDK does not know: check ``type`` and read ``raw``."""

    type: str
    """The wire type."""
    raw: dict[str, Any]
    """The whole decoded event, as sent."""


# =====================================================================================
# Unions and parsing
# =====================================================================================

ServerEvent = Annotated[
    Union[  # noqa: UP007 - a long union reads better one member per line
        ResponseCreatedEvent,
        ResponseQueuedEvent,
        ResponseInProgressEvent,
        ResponseCompletedEvent,
        ResponseFailedEvent,
        ResponseIncompleteEvent,
        OutputItemAddedEvent,
        OutputItemDoneEvent,
        ContentPartAddedEvent,
        ContentPartDoneEvent,
        OutputTextDeltaEvent,
        OutputTextDoneEvent,
        OutputTextAnnotationAddedEvent,
        RefusalDeltaEvent,
        RefusalDoneEvent,
        FunctionCallArgumentsDeltaEvent,
        FunctionCallArgumentsDoneEvent,
        CustomToolCallInputDeltaEvent,
        CustomToolCallInputDoneEvent,
        ReasoningSummaryPartAddedEvent,
        ReasoningSummaryPartDoneEvent,
        ReasoningSummaryTextDeltaEvent,
        ReasoningSummaryTextDoneEvent,
        ReasoningTextDeltaEvent,
        ReasoningTextDoneEvent,
        AudioDeltaEvent,
        AudioDoneEvent,
        AudioTranscriptDeltaEvent,
        AudioTranscriptDoneEvent,
        WebSearchCallInProgressEvent,
        WebSearchCallSearchingEvent,
        WebSearchCallCompletedEvent,
        FileSearchCallInProgressEvent,
        FileSearchCallSearchingEvent,
        FileSearchCallCompletedEvent,
        CodeInterpreterCallInProgressEvent,
        CodeInterpreterCallInterpretingEvent,
        CodeInterpreterCallCompletedEvent,
        CodeInterpreterCallCodeDeltaEvent,
        CodeInterpreterCallCodeDoneEvent,
        ImageGenerationCallInProgressEvent,
        ImageGenerationCallGeneratingEvent,
        ImageGenerationCallPartialImageEvent,
        ImageGenerationCallCompletedEvent,
        McpCallInProgressEvent,
        McpCallCompletedEvent,
        McpCallFailedEvent,
        McpCallArgumentsDeltaEvent,
        McpCallArgumentsDoneEvent,
        McpListToolsInProgressEvent,
        McpListToolsCompletedEvent,
        McpListToolsFailedEvent,
        ShellCallCommandAddedEvent,
        ShellCallCommandDeltaEvent,
        ShellCallCommandDoneEvent,
        ShellCallOutputContentDeltaEvent,
        ShellCallOutputContentDoneEvent,
        CompactionCompactingEvent,
        ResponseSteerAcceptedEvent,
        ResponseSteerFailedEvent,
        ResponseSteerPendingEvent,
        ErrorEvent,
    ],
    Field(discriminator="type"),
]
"""Any event the API sends, discriminated on ``type``."""

ClientEvent = Union[ToolResultEvent, RetryEvent, SteerRestartEvent]  # noqa: UP007 - a runtime alias, kept 3.10-safe
"""Events the SDK itself emits (types beginning with ``client.``)."""

Event = Union[ServerEvent, ClientEvent, UnknownEvent]  # noqa: UP007
"""Anything a conversation stream yields: server, client and unknown events."""

TERMINAL_TYPES: frozenset[str] = frozenset(
    {"response.completed", "response.failed", "response.incomplete"}
)
"""The event types that carry a response's final state: after one, it sends nothing more."""

ENDING_TYPES: frozenset[str] = TERMINAL_TYPES | {"error"}
"""The event types that end the stream of one request: the terminal ones and ``error``.

After any of them the server sends nothing more for that request, so a stream of one
response stops there. An ``error`` is not terminal (:func:`is_terminal`): it may refuse a
request that never created a response, and the turn decides what it means.
"""


def _wire_types() -> dict[str, type[BaseEvent]]:
    members = get_args(get_args(ServerEvent)[0])
    return {model.model_fields["type"].default: model for model in members}


SERVER_EVENT_TYPES: Mapping[str, type[BaseEvent]] = MappingProxyType(_wire_types())
"""Every wire type the SDK knows, mapped to its model."""


def is_terminal(event: Event) -> bool:
    """Tell whether ``event`` ends its response (``completed``, ``failed``, ``incomplete``).

    An ``error`` event is not terminal by this test: over the WebSocket it may end a
    request that never created a response, so the turn logic decides what it ends.
    """
    return event.type in TERMINAL_TYPES


_Validate = Callable[[bytes | str], Any]

_VALIDATORS: dict[str, SchemaValidator] = {}
"""Each wire type's compiled validator, built on the first frame of that type."""

_BY_WIRE_TAG: dict[bytes, _Validate] = {}
"""The same validators' ``validate_json``, keyed by the tag's UTF-8 bytes, for frames that
start with it."""

_TYPE_PREFIX = b'{"type":"'
"""How the API begins every event (``type`` first, no spaces): the tag can be read off."""
_TYPE_AT = len(_TYPE_PREFIX)
_SPACED_TYPE = re.compile(rb'\s*\{\s*"type"\s*:\s*"([^"\\]*)"')
"""The same beginning with JSON's optional whitespace (``json.dumps`` writes a space)."""


def _validator(kind: str) -> SchemaValidator | None:
    """The validator of one wire type (compiled on first use), or None for unknown types."""
    validator = _VALIDATORS.get(kind)
    if validator is None:
        model = SERVER_EVENT_TYPES.get(kind)
        if model is None:
            return None
        # The event models defer their schemas (see ``_Model``): build this one now.
        # ``cache_strings="keys"``: pydantic-core's string cache is process-wide; event
        # values (ids, deltas, text) rarely repeat, so caching them only fills it.
        model.model_rebuild()
        config = CoreConfig(cache_strings="keys")
        validator = SchemaValidator(model.__pydantic_core_schema__, config)
        _VALIDATORS[kind] = validator
        _BY_WIRE_TAG[kind.encode()] = validator.validate_json
    return validator


_DELTA_TAG = b"response.output_text.delta"
_DELTA_PREFIX = _TYPE_PREFIX + _DELTA_TAG + b'"'
_DELTA_AT = len(_DELTA_PREFIX)


def parse_event(data: bytes | str) -> ServerEvent | UnknownEvent:
    """Parse one frame (an SSE ``data`` field or a WebSocket text message) into an event.

    This is the only way the SDK turns a frame into an event, over every transport.

    Args:
        data: The frame's JSON text, as UTF-8 ``bytes`` or ``str``.

    Returns:
        The event's model; :class:`UnknownEvent` for a type the SDK does not know.

    Raises:
        RemoteProtocolError: ``data`` is not JSON, not an object, has no string ``type``,
            or is a known type with a missing or invalid field. The message names the
            type and the field; no other exception escapes, and no pydantic error is
            chained to it.
    """
    # Speed trick, guarded by bench/parse_event.py, bench/ws_throughput.py,
    # bench/sse_throughput.py and bench/import_time.py. The API writes ``type`` first, so
    # a frame that begins ``{"type":"<tag>"`` goes straight to that type's validator:
    # nothing compiles a union of every event at import, and no dispatch runs per frame.
    # It returns what the tag's model alone would: a frame the model rejects (a later
    # ``type`` key may name another event) takes ``_parse_general``, which reads the
    # whole object, decides and explains. So does a ``str`` frame (transports hand bytes),
    # one with ``type`` further in, and the first frame of each type.
    if isinstance(data, bytes):
        validate: _Validate | None
        if data[:_DELTA_AT] == _DELTA_PREFIX:  # most frames: the tag is not even cut out
            validate = _BY_WIRE_TAG.get(_DELTA_TAG)
        elif data[:_TYPE_AT] == _TYPE_PREFIX:
            validate = _BY_WIRE_TAG.get(data[_TYPE_AT : data.find(b'"', _TYPE_AT)])
        else:
            spaced = _SPACED_TYPE.match(data)
            validate = _BY_WIRE_TAG.get(spaced[1]) if spaced is not None else None
        if validate is not None:
            try:
                event: ServerEvent = validate(data)
                return event
            except ValueError:
                pass
    return _parse_general(data)


def _parse_general(data: str | bytes) -> ServerEvent | UnknownEvent:
    """Parse a frame whose tag was not read off its start, or explain why it fails."""
    if isinstance(data, str):
        text = data
        try:
            data = text.encode()
        except UnicodeEncodeError:
            raise RemoteProtocolError(
                "event text is not valid Unicode (lone surrogate)", data=_excerpt(text)
            ) from None
    try:
        raw = from_json(data, cache_strings="keys")
    except ValueError:
        raise RemoteProtocolError("event is not valid JSON", data=data) from None
    if not isinstance(raw, dict):
        raise RemoteProtocolError(f"event is not a JSON object but {_json_kind(raw)}", data=data)
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise RemoteProtocolError("event has no string 'type'", data=data)
    validator = _validator(kind)
    if validator is None:
        return UnknownEvent(type=kind, raw=raw)
    try:
        # The object already parsed, not the frame again: where a key repeats, the last
        # one counts (the lowest pydantic-core we support keeps the first when it parses).
        event: ServerEvent = validator.validate_python(raw)
        return event
    except ValidationError as exc:
        error = exc
    # Outside the except block, so no pydantic error is chained to what we raise.
    raise RemoteProtocolError(f"invalid {kind!r} event: {_describe(error)}", data=data)


def _describe(error: ValidationError) -> str:
    # The error comes from the event's own validator: its first segment is a field (an
    # ``error`` event's ``error``); deeper down, item and part unions put their tags.
    return describe_validation_error(error, _ITEM_AND_PART_TAGS, in_branch=True)


def _excerpt(data: str) -> str:
    # Lone surrogates cannot be logged or encoded; show them escaped.
    return data[:200].encode("utf-8", "backslashreplace").decode("utf-8")


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"
