"""Typed events of the Realtime API (GA), and builders for the events a client sends.

Every event a Realtime server sends is one immutable pydantic model here, with ``.type``
equal to its wire string and field names exactly the API's (the GA names:
``response.output_audio.delta``, ``conversation.item.added``, …; the beta names are gone
from the server and from this module). :func:`parse_event` turns one WebSocket message
into one event::

    match parse_event(message):
        case OutputAudioDeltaEvent() as event:
            speaker.write(event.pcm)          # the decoded audio bytes
        case OutputAudioTranscriptDeltaEvent() as event:
            print(event.delta, end="")

Three kinds of event reach a caller of ``RealtimeSession``:

* **server events** (:data:`ServerEvent`), one model per wire type, grouped below by
  family (session, conversation items, input audio buffer, responses, output audio,
  MCP, errors);
* **client events**, types beginning with ``client.``, which the SDK emits and the API
  never does: :class:`PlaybackStopEvent` (stop playing the assistant's audio now),
  :class:`ToolResultEvent` (a tool the session ran) and :class:`ResponseFiguresEvent`
  (what one response cost and how fast its audio came);
* :class:`UnknownEvent`, for a type this version does not know. It carries the raw
  dict and is never an error.

Models keep fields they do not declare (``extra="allow"``). Nested objects the session
does not interpret (sessions, items, rate limits) stay plain dicts, as the server sent
them; responses, errors and usage are typed.

The second half builds the client events (:func:`session_update`, :func:`audio_append`,
…): plain dicts, ready for ``json.dumps``, with the GA field names.

Pure: no I/O.
"""

# No ``from __future__ import annotations``: pydantic builds each field's type once at
# import from the real objects (as in ``responses_client.events``).

import base64
import binascii
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import from_json

from .._exceptions import RemoteProtocolError
from .._items import describe_validation_error

__all__ = [
    "SERVER_EVENT_TYPES",
    "ClientEvent",
    "ContentPartAddedEvent",
    "ContentPartDoneEvent",
    "ConversationCreatedEvent",
    "ConversationItemAddedEvent",
    "ConversationItemCreatedEvent",
    "ConversationItemDeletedEvent",
    "ConversationItemDoneEvent",
    "ConversationItemRetrievedEvent",
    "ConversationItemTruncatedEvent",
    "DtmfEventReceivedEvent",
    "ErrorDetail",
    "ErrorEvent",
    "FunctionCallArgumentsDeltaEvent",
    "FunctionCallArgumentsDoneEvent",
    "InputAudioBufferClearedEvent",
    "InputAudioBufferCommittedEvent",
    "InputAudioBufferTimeoutTriggeredEvent",
    "InputTranscriptionCompletedEvent",
    "InputTranscriptionDeltaEvent",
    "InputTranscriptionFailedEvent",
    "InputTranscriptionSegmentEvent",
    "McpCallArgumentsDeltaEvent",
    "McpCallArgumentsDoneEvent",
    "McpCallCompletedEvent",
    "McpCallFailedEvent",
    "McpCallInProgressEvent",
    "McpListToolsCompletedEvent",
    "McpListToolsFailedEvent",
    "McpListToolsInProgressEvent",
    "OutputAudioBufferClearedEvent",
    "OutputAudioBufferStartedEvent",
    "OutputAudioBufferStoppedEvent",
    "OutputAudioDeltaEvent",
    "OutputAudioDoneEvent",
    "OutputAudioTranscriptDeltaEvent",
    "OutputAudioTranscriptDoneEvent",
    "OutputItemAddedEvent",
    "OutputItemDoneEvent",
    "OutputTextDeltaEvent",
    "OutputTextDoneEvent",
    "PlaybackStopEvent",
    "RateLimitsUpdatedEvent",
    "RealtimeResponse",
    "RealtimeUsage",
    "ResponseCreatedEvent",
    "ResponseDoneEvent",
    "ResponseFiguresEvent",
    "ServerEvent",
    "SessionCreatedEvent",
    "SessionUpdatedEvent",
    "SpeechStartedEvent",
    "SpeechStoppedEvent",
    "ToolResultEvent",
    "UnknownEvent",
    "audio_append",
    "audio_clear",
    "audio_commit",
    "item_create",
    "item_delete",
    "item_retrieve",
    "item_truncate",
    "output_audio_clear",
    "parse_event",
    "response_cancel",
    "response_create",
    "session_update",
]


class _Model(BaseModel):
    """Immutable, and keeps the fields it does not declare."""

    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)


class BaseServerEvent(_Model):
    """What every server event carries."""

    event_id: str = ""
    """The server's id for this event (every GA event has one but DTMF; "" when absent)."""


class _InContent(BaseServerEvent):
    """An event about one content part of one output item of a response."""

    response_id: str
    """The response the part belongs to."""
    item_id: str
    """The output item."""
    output_index: int = 0
    """The item's index in the response's output."""
    content_index: int = 0
    """The part's index in the item's content."""


# =====================================================================================
# Nested objects the session reads
# =====================================================================================


class ErrorDetail(_Model):
    """The ``error`` object of an ``error`` event."""

    type: str = ""
    """The error's kind (``invalid_request_error``, ``server_error``)."""
    code: str | None = None
    """The error code (``response_cancel_not_active``, ``beta_api_shape_disabled``, …)."""
    message: str = ""
    """What the server says went wrong."""
    param: str | None = None
    """The parameter the error is about, when the server says."""
    event_id: str | None = None
    """The ``event_id`` of the client event that caused it, when there was one."""


class RealtimeUsage(_Model):
    """Token counts of one response, with the text / audio / cached split."""

    total_tokens: int = 0
    """Input plus output tokens."""
    input_tokens: int = 0
    """Tokens read: instructions, conversation, audio."""
    output_tokens: int = 0
    """Tokens written: text and audio."""
    input_token_details: dict[str, Any] = Field(default_factory=dict)
    """``text_tokens``, ``audio_tokens``, ``image_tokens``, ``cached_tokens`` and
    ``cached_tokens_details``, as the server sent them."""
    output_token_details: dict[str, Any] = Field(default_factory=dict)
    """``text_tokens`` and ``audio_tokens``."""

    def _count(self, details: Mapping[str, Any], key: str) -> int:
        value = details.get(key)
        return value if isinstance(value, int) else 0

    @property
    def input_audio_tokens(self) -> int:
        """Audio tokens read (0 when not reported)."""
        return self._count(self.input_token_details, "audio_tokens")

    @property
    def input_text_tokens(self) -> int:
        """Text tokens read (0 when not reported)."""
        return self._count(self.input_token_details, "text_tokens")

    @property
    def cached_tokens(self) -> int:
        """Input tokens served from the cache (0 when not reported)."""
        return self._count(self.input_token_details, "cached_tokens")

    @property
    def output_audio_tokens(self) -> int:
        """Audio tokens written (0 when not reported)."""
        return self._count(self.output_token_details, "audio_tokens")

    @property
    def output_text_tokens(self) -> int:
        """Text tokens written (0 when not reported)."""
        return self._count(self.output_token_details, "text_tokens")


class RealtimeResponse(_Model):
    """The ``response`` object of ``response.created`` and ``response.done``."""

    id: str
    """The response's id."""
    status: Literal["completed", "cancelled", "failed", "incomplete", "in_progress"] = "in_progress"
    """Where the response stands; final in ``response.done``."""
    status_details: dict[str, Any] | None = None
    """Why it ended that way (``reason``: ``turn_detected``, ``client_cancelled``, …;
    ``error`` for a failed one)."""
    output: list[dict[str, Any]] = Field(default_factory=list)
    """The output items, as the server sent them."""
    output_modalities: list[str] | None = None
    """``["audio"]`` or ``["text"]``."""
    usage: RealtimeUsage | None = None
    """Token counts; in ``response.done`` only."""


# =====================================================================================
# Session
# =====================================================================================


class SessionCreatedEvent(BaseServerEvent):
    """The first event of a connection: the session with its defaults."""

    type: Literal["session.created"] = "session.created"
    session: dict[str, Any]
    """The session's settings (``type``, ``model``, ``audio``, ``tools``, …)."""


class SessionUpdatedEvent(BaseServerEvent):
    """The answer to ``session.update``: the session's settings now."""

    type: Literal["session.updated"] = "session.updated"
    session: dict[str, Any]
    """The session's settings after the update."""


class RateLimitsUpdatedEvent(BaseServerEvent):
    """The rate limits, sent when a response starts."""

    type: Literal["rate_limits.updated"] = "rate_limits.updated"
    rate_limits: list[dict[str, Any]]
    """One entry per limit (``name``, ``limit``, ``remaining``, ``reset_seconds``)."""


# =====================================================================================
# Conversation items
# =====================================================================================


class ConversationCreatedEvent(BaseServerEvent):
    """A conversation was created (right after ``session.created``)."""

    type: Literal["conversation.created"] = "conversation.created"
    conversation: dict[str, Any]
    """The conversation (``id``, ``object``)."""


class _ItemEvent(BaseServerEvent):
    item: dict[str, Any]
    """The item, as the server holds it (``id``, ``type``, ``role``, ``content``, …)."""
    previous_item_id: str | None = None
    """The item it follows in the conversation; ``None`` at the start."""


class ConversationItemAddedEvent(_ItemEvent):
    """An item was added to the conversation (its content may still be filling in)."""

    type: Literal["conversation.item.added"] = "conversation.item.added"


class ConversationItemDoneEvent(_ItemEvent):
    """An item of the conversation is complete."""

    type: Literal["conversation.item.done"] = "conversation.item.done"


class ConversationItemCreatedEvent(_ItemEvent):
    """An item was created (kept by the GA types alongside ``added`` / ``done``)."""

    type: Literal["conversation.item.created"] = "conversation.item.created"


class ConversationItemRetrievedEvent(BaseServerEvent):
    """The answer to ``conversation.item.retrieve``: the item, audio included."""

    type: Literal["conversation.item.retrieved"] = "conversation.item.retrieved"
    item: dict[str, Any]
    """The whole item as the server holds it."""


class ConversationItemDeletedEvent(BaseServerEvent):
    """An item left the conversation."""

    type: Literal["conversation.item.deleted"] = "conversation.item.deleted"
    item_id: str
    """The item deleted."""


class ConversationItemTruncatedEvent(BaseServerEvent):
    """An assistant item's audio was cut at ``audio_end_ms`` (its transcript too)."""

    type: Literal["conversation.item.truncated"] = "conversation.item.truncated"
    item_id: str
    """The assistant item truncated."""
    content_index: int = 0
    """The audio part."""
    audio_end_ms: int
    """Where the audio now ends, in ms."""


class InputTranscriptionDeltaEvent(BaseServerEvent):
    """More of the transcript of a user audio item."""

    type: Literal["conversation.item.input_audio_transcription.delta"] = (
        "conversation.item.input_audio_transcription.delta"
    )
    item_id: str
    """The user item."""
    content_index: int | None = None
    """The audio part."""
    delta: str = ""
    """The next piece of the transcript."""


class InputTranscriptionCompletedEvent(BaseServerEvent):
    """The whole transcript of a user audio item."""

    type: Literal["conversation.item.input_audio_transcription.completed"] = (
        "conversation.item.input_audio_transcription.completed"
    )
    item_id: str
    """The user item."""
    content_index: int = 0
    """The audio part."""
    transcript: str
    """What the user said."""
    usage: dict[str, Any] | None = None
    """The transcription's own usage (tokens or seconds)."""


class InputTranscriptionFailedEvent(BaseServerEvent):
    """The transcription of a user audio item failed (the item stays)."""

    type: Literal["conversation.item.input_audio_transcription.failed"] = (
        "conversation.item.input_audio_transcription.failed"
    )
    item_id: str
    """The user item."""
    content_index: int = 0
    """The audio part."""
    error: dict[str, Any]
    """What went wrong (``code``, ``message``, …)."""


class InputTranscriptionSegmentEvent(BaseServerEvent):
    """A segment of a diarized transcript."""

    type: Literal["conversation.item.input_audio_transcription.segment"] = (
        "conversation.item.input_audio_transcription.segment"
    )
    item_id: str
    """The user item."""
    id: str
    """The segment's id."""
    text: str
    """The segment's text."""
    speaker: str = ""
    """Who spoke it."""
    start: float = 0.0
    """Start, in seconds."""
    end: float = 0.0
    """End, in seconds."""
    content_index: int = 0
    """The audio part."""


# =====================================================================================
# Input audio buffer
# =====================================================================================


class InputAudioBufferCommittedEvent(BaseServerEvent):
    """The input buffer became a user item (by ``commit`` or by server VAD)."""

    type: Literal["input_audio_buffer.committed"] = "input_audio_buffer.committed"
    item_id: str
    """The user item made of the buffer."""
    previous_item_id: str | None = None
    """The item it follows."""


class InputAudioBufferClearedEvent(BaseServerEvent):
    """The input buffer was emptied (``input_audio_buffer.clear``)."""

    type: Literal["input_audio_buffer.cleared"] = "input_audio_buffer.cleared"


class SpeechStartedEvent(BaseServerEvent):
    """Server VAD heard speech begin: the user may be interrupting the assistant."""

    type: Literal["input_audio_buffer.speech_started"] = "input_audio_buffer.speech_started"
    item_id: str
    """The user item this speech will become."""
    audio_start_ms: int
    """Where speech began, in ms since the session's first audio (prefix padding
    included)."""


class SpeechStoppedEvent(BaseServerEvent):
    """Server VAD heard speech end (the commit follows)."""

    type: Literal["input_audio_buffer.speech_stopped"] = "input_audio_buffer.speech_stopped"
    item_id: str
    """The user item."""
    audio_end_ms: int
    """Where speech ended, in ms since the session's first audio."""


class InputAudioBufferTimeoutTriggeredEvent(BaseServerEvent):
    """Server VAD's idle timeout passed with no speech."""

    type: Literal["input_audio_buffer.timeout_triggered"] = "input_audio_buffer.timeout_triggered"
    item_id: str
    """The item made of the buffer."""
    audio_start_ms: int
    """Start of the buffered audio, in ms."""
    audio_end_ms: int
    """End of the buffered audio, in ms."""


class DtmfEventReceivedEvent(BaseServerEvent):
    """A DTMF key was pressed on a SIP call."""

    type: Literal["input_audio_buffer.dtmf_event_received"] = (
        "input_audio_buffer.dtmf_event_received"
    )
    event: str
    """The key."""
    received_at: int
    """When, in seconds since the epoch."""


# =====================================================================================
# Responses and their output items
# =====================================================================================


class ResponseCreatedEvent(BaseServerEvent):
    """A response started."""

    type: Literal["response.created"] = "response.created"
    response: RealtimeResponse
    """The response, ``in_progress``."""


class ResponseDoneEvent(BaseServerEvent):
    """A response ended: ``status`` says how, ``usage`` what it cost."""

    type: Literal["response.done"] = "response.done"
    response: RealtimeResponse
    """The final response."""


class OutputItemAddedEvent(BaseServerEvent):
    """A response began an output item."""

    type: Literal["response.output_item.added"] = "response.output_item.added"
    response_id: str
    """The response."""
    output_index: int = 0
    """The item's index in the output."""
    item: dict[str, Any]
    """The item, still in progress."""


class OutputItemDoneEvent(BaseServerEvent):
    """A response finished an output item."""

    type: Literal["response.output_item.done"] = "response.output_item.done"
    response_id: str
    """The response."""
    output_index: int = 0
    """The item's index in the output."""
    item: dict[str, Any]
    """The whole item."""


class ContentPartAddedEvent(_InContent):
    """An output item began a content part."""

    type: Literal["response.content_part.added"] = "response.content_part.added"
    part: dict[str, Any]
    """The part (``type`` ``audio`` or ``text``)."""


class ContentPartDoneEvent(_InContent):
    """An output item finished a content part."""

    type: Literal["response.content_part.done"] = "response.content_part.done"
    part: dict[str, Any]
    """The whole part."""


class OutputTextDeltaEvent(_InContent):
    """More text of a text-only response."""

    type: Literal["response.output_text.delta"] = "response.output_text.delta"
    delta: str
    """The next piece of text."""


class OutputTextDoneEvent(_InContent):
    """The whole text of a content part."""

    type: Literal["response.output_text.done"] = "response.output_text.done"
    text: str
    """The text."""


class FunctionCallArgumentsDeltaEvent(BaseServerEvent):
    """More of a function call's arguments."""

    type: Literal["response.function_call_arguments.delta"] = (
        "response.function_call_arguments.delta"
    )
    response_id: str
    """The response."""
    item_id: str
    """The ``function_call`` item."""
    output_index: int = 0
    """The item's index in the output."""
    call_id: str
    """The call's id."""
    delta: str
    """The next piece of the JSON arguments."""


class FunctionCallArgumentsDoneEvent(BaseServerEvent):
    """A function call's arguments are complete."""

    type: Literal["response.function_call_arguments.done"] = "response.function_call_arguments.done"
    response_id: str
    """The response."""
    item_id: str
    """The ``function_call`` item."""
    output_index: int = 0
    """The item's index in the output."""
    call_id: str
    """The call's id."""
    name: str
    """The function called."""
    arguments: str
    """The arguments, a JSON object as text."""


# =====================================================================================
# Output audio
# =====================================================================================


class OutputAudioDeltaEvent(_InContent):
    """More of the assistant's audio; ``pcm`` is the decoded bytes."""

    type: Literal["response.output_audio.delta"] = "response.output_audio.delta"
    delta: str
    """The audio, base64 encoded, in the session's output format."""

    @property
    def pcm(self) -> bytes:
        """The audio bytes (PCM16 at 24 kHz, or G.711 at 8 kHz, as the output format is).

        Raises:
            RemoteProtocolError: ``delta`` is not base64.
        """
        try:
            return _decode_base64(self.delta)
        except ValueError:
            raise RemoteProtocolError(
                "response.output_audio.delta is not base64", data=self.delta
            ) from None


if sys.version_info >= (3, 11):

    def _decode_base64(text: str) -> bytes:
        # Speed trick, guarded by bench/realtime.py: binascii's strict mode refuses what
        # ``b64decode(validate=True)`` refuses, without its regular-expression pass over
        # the whole text (a third of the cost of a 20 ms delta).
        return binascii.a2b_base64(text, strict_mode=True)

else:  # pragma: no cover - Python 3.10

    def _decode_base64(text: str) -> bytes:
        return base64.b64decode(text, validate=True)


class OutputAudioDoneEvent(_InContent):
    """The assistant's audio of one part is complete."""

    type: Literal["response.output_audio.done"] = "response.output_audio.done"


class OutputAudioTranscriptDeltaEvent(_InContent):
    """More of the transcript of the assistant's audio."""

    type: Literal["response.output_audio_transcript.delta"] = (
        "response.output_audio_transcript.delta"
    )
    delta: str
    """The next piece of the transcript."""


class OutputAudioTranscriptDoneEvent(_InContent):
    """The whole transcript of the assistant's audio part."""

    type: Literal["response.output_audio_transcript.done"] = "response.output_audio_transcript.done"
    transcript: str
    """The transcript."""


class _OutputBufferEvent(BaseServerEvent):
    response_id: str
    """The response whose audio this is about."""


class OutputAudioBufferStartedEvent(_OutputBufferEvent):
    """WebRTC / SIP only: the server began playing a response's audio."""

    type: Literal["output_audio_buffer.started"] = "output_audio_buffer.started"


class OutputAudioBufferStoppedEvent(_OutputBufferEvent):
    """WebRTC / SIP only: the server finished playing a response's audio."""

    type: Literal["output_audio_buffer.stopped"] = "output_audio_buffer.stopped"


class OutputAudioBufferClearedEvent(_OutputBufferEvent):
    """WebRTC / SIP only: the server's output audio buffer was cleared."""

    type: Literal["output_audio_buffer.cleared"] = "output_audio_buffer.cleared"


# =====================================================================================
# MCP tools (run by the server; listed so that they are typed, not acted on)
# =====================================================================================


class _McpItemEvent(BaseServerEvent):
    item_id: str
    """The MCP item."""


class McpListToolsInProgressEvent(_McpItemEvent):
    """The server is listing an MCP server's tools."""

    type: Literal["mcp_list_tools.in_progress"] = "mcp_list_tools.in_progress"


class McpListToolsCompletedEvent(_McpItemEvent):
    """The server listed an MCP server's tools."""

    type: Literal["mcp_list_tools.completed"] = "mcp_list_tools.completed"


class McpListToolsFailedEvent(_McpItemEvent):
    """Listing an MCP server's tools failed."""

    type: Literal["mcp_list_tools.failed"] = "mcp_list_tools.failed"


class McpCallArgumentsDeltaEvent(_McpItemEvent):
    """More of an MCP call's arguments."""

    type: Literal["response.mcp_call_arguments.delta"] = "response.mcp_call_arguments.delta"
    response_id: str
    """The response."""
    output_index: int = 0
    """The item's index in the output."""
    delta: str
    """The next piece of the arguments."""


class McpCallArgumentsDoneEvent(_McpItemEvent):
    """An MCP call's arguments are complete."""

    type: Literal["response.mcp_call_arguments.done"] = "response.mcp_call_arguments.done"
    response_id: str
    """The response."""
    output_index: int = 0
    """The item's index in the output."""
    arguments: str
    """The arguments."""


class McpCallInProgressEvent(_McpItemEvent):
    """An MCP call is running."""

    type: Literal["response.mcp_call.in_progress"] = "response.mcp_call.in_progress"
    output_index: int = 0
    """The item's index in the output."""


class McpCallCompletedEvent(_McpItemEvent):
    """An MCP call finished."""

    type: Literal["response.mcp_call.completed"] = "response.mcp_call.completed"
    output_index: int = 0
    """The item's index in the output."""


class McpCallFailedEvent(_McpItemEvent):
    """An MCP call failed."""

    type: Literal["response.mcp_call.failed"] = "response.mcp_call.failed"
    output_index: int = 0
    """The item's index in the output."""


# =====================================================================================
# Errors
# =====================================================================================


class ErrorEvent(BaseServerEvent):
    """The server refused a client event or failed; the session usually goes on."""

    type: Literal["error"] = "error"
    error: ErrorDetail
    """What went wrong."""


# =====================================================================================
# Events the SDK adds (types beginning with ``client.``)
# =====================================================================================


class PlaybackStopEvent(_Model):
    """Stop playing the assistant's audio now: the user barged in.

    Emitted once per interruption, after the session cancelled the response (if one was
    active) and truncated the playing item. Audio deltas of that item that were already
    queued are still delivered; drop them (``item_id`` tells which).
    """

    type: Literal["client.playback.stop"] = "client.playback.stop"
    item_id: str | None
    """The assistant item that was playing, or ``None`` when none was."""
    audio_end_ms: int | None
    """Where its audio was truncated, or ``None`` when nothing was truncated."""
    reason: Literal["speech_started", "interrupt"]
    """Server VAD heard the user, or the app called ``interrupt()``."""


class ToolResultEvent(_Model):
    """A tool the session ran for a function call; its output went back to the model."""

    type: Literal["client.tool.result"] = "client.tool.result"
    call_id: str
    """The call's id."""
    name: str
    """The tool called."""
    arguments: str
    """The arguments, as the model wrote them."""
    output: str
    """What went back to the model (``"Error: ..."`` when the tool failed)."""
    error: str | None
    """What went wrong, or ``None``."""


class ResponseFiguresEvent(_Model):
    """What one response cost and how quickly its audio came; after its ``response.done``."""

    type: Literal["client.response.figures"] = "client.response.figures"
    response_id: str
    """The response."""
    status: str
    """Its final status."""
    usage: RealtimeUsage | None
    """Its usage, as ``response.done`` reported it."""
    first_audio_s: float | None
    """Seconds from the end of the user's turn (speech stopped, or the commit or
    ``respond()``) to the first audio delta; ``None`` without audio."""
    audio_ms_generated: int
    """Audio received, in ms."""
    audio_ms_played: int
    """Audio the app reported as played (``played()``), in ms, at most what was
    generated."""


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
        SessionCreatedEvent,
        SessionUpdatedEvent,
        RateLimitsUpdatedEvent,
        ConversationCreatedEvent,
        ConversationItemAddedEvent,
        ConversationItemDoneEvent,
        ConversationItemCreatedEvent,
        ConversationItemRetrievedEvent,
        ConversationItemDeletedEvent,
        ConversationItemTruncatedEvent,
        InputTranscriptionDeltaEvent,
        InputTranscriptionCompletedEvent,
        InputTranscriptionFailedEvent,
        InputTranscriptionSegmentEvent,
        InputAudioBufferCommittedEvent,
        InputAudioBufferClearedEvent,
        SpeechStartedEvent,
        SpeechStoppedEvent,
        InputAudioBufferTimeoutTriggeredEvent,
        DtmfEventReceivedEvent,
        ResponseCreatedEvent,
        ResponseDoneEvent,
        OutputItemAddedEvent,
        OutputItemDoneEvent,
        ContentPartAddedEvent,
        ContentPartDoneEvent,
        OutputTextDeltaEvent,
        OutputTextDoneEvent,
        FunctionCallArgumentsDeltaEvent,
        FunctionCallArgumentsDoneEvent,
        OutputAudioDeltaEvent,
        OutputAudioDoneEvent,
        OutputAudioTranscriptDeltaEvent,
        OutputAudioTranscriptDoneEvent,
        OutputAudioBufferStartedEvent,
        OutputAudioBufferStoppedEvent,
        OutputAudioBufferClearedEvent,
        McpListToolsInProgressEvent,
        McpListToolsCompletedEvent,
        McpListToolsFailedEvent,
        McpCallArgumentsDeltaEvent,
        McpCallArgumentsDoneEvent,
        McpCallInProgressEvent,
        McpCallCompletedEvent,
        McpCallFailedEvent,
        ErrorEvent,
    ],
    Field(discriminator="type"),
]
"""Every event a GA Realtime server sends, discriminated on ``type``."""

ClientEvent = PlaybackStopEvent | ToolResultEvent | ResponseFiguresEvent
"""The events the session adds to the server's (types beginning with ``client.``)."""

_ADAPTER: TypeAdapter[ServerEvent] = TypeAdapter(
    ServerEvent, config=ConfigDict(cache_strings="keys")
)
_validate_json = _ADAPTER.validator.validate_json


def _wire_types() -> dict[str, type[BaseServerEvent]]:
    members = get_args(get_args(ServerEvent)[0])
    return {model.model_fields["type"].default: model for model in members}


SERVER_EVENT_TYPES: Mapping[str, type[BaseServerEvent]] = MappingProxyType(_wire_types())
"""Every wire type this catalogue knows, mapped to its model."""


def parse_event(data: bytes | str) -> ServerEvent | UnknownEvent:
    """Parse one WebSocket message of a Realtime server into an event.

    Args:
        data: The message's JSON text, as UTF-8 ``bytes`` or ``str``.

    Returns:
        The event's model; :class:`UnknownEvent` for a type this SDK does not know.

    Raises:
        RemoteProtocolError: ``data`` is not JSON, not an object, has no string ``type``,
            or is a known type with a missing or invalid field (the message names both).
    """
    try:
        event: ServerEvent = _validate_json(data)
        return event
    except ValueError as exc:
        error = exc
    return _parse_slow(data, error)


def _parse_slow(data: bytes | str, exc: ValueError) -> UnknownEvent:
    # Off the hot path: unknown types and malformed messages only.
    try:
        raw = from_json(data)
    except ValueError:
        raise RemoteProtocolError("realtime event is not valid JSON", data=data) from None
    if not isinstance(raw, dict):
        raise RemoteProtocolError("realtime event is not a JSON object", data=data)
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise RemoteProtocolError("realtime event has no string 'type'", data=data)
    if kind not in SERVER_EVENT_TYPES:
        return UnknownEvent(type=kind, raw=raw)
    detail = (
        describe_validation_error(exc, frozenset()) if isinstance(exc, ValidationError) else exc
    )
    raise RemoteProtocolError(f"invalid {kind!r} event: {detail}", data=data)


# =====================================================================================
# Client events: builders of the 11 GA client event types
# =====================================================================================


def session_update(session: Mapping[str, Any]) -> dict[str, Any]:
    """``session.update``; ``session`` gets ``type: "realtime"`` when it has no type."""
    body = dict(session)
    body.setdefault("type", "realtime")
    return {"type": "session.update", "session": body}


def audio_append(audio_b64: str) -> dict[str, Any]:
    """``input_audio_buffer.append`` of audio already base64 encoded (see ``audio.frames``)."""
    return {"type": "input_audio_buffer.append", "audio": audio_b64}


def audio_commit() -> dict[str, Any]:
    """``input_audio_buffer.commit``: the buffer becomes a user item."""
    return {"type": "input_audio_buffer.commit"}


def audio_clear() -> dict[str, Any]:
    """``input_audio_buffer.clear``: the buffer is dropped."""
    return {"type": "input_audio_buffer.clear"}


def output_audio_clear() -> dict[str, Any]:
    """``output_audio_buffer.clear`` (WebRTC / SIP only)."""
    return {"type": "output_audio_buffer.clear"}


def item_create(item: Mapping[str, Any], previous_item_id: str | None = None) -> dict[str, Any]:
    """``conversation.item.create``, appended at the end unless ``previous_item_id``."""
    event: dict[str, Any] = {"type": "conversation.item.create", "item": dict(item)}
    if previous_item_id is not None:
        event["previous_item_id"] = previous_item_id
    return event


def item_retrieve(item_id: str, event_id: str | None = None) -> dict[str, Any]:
    """``conversation.item.retrieve``; ``event_id`` lets an error be matched to it."""
    event: dict[str, Any] = {"type": "conversation.item.retrieve", "item_id": item_id}
    if event_id is not None:
        event["event_id"] = event_id
    return event


def item_delete(item_id: str) -> dict[str, Any]:
    """``conversation.item.delete``."""
    return {"type": "conversation.item.delete", "item_id": item_id}


def item_truncate(item_id: str, audio_end_ms: int, content_index: int = 0) -> dict[str, Any]:
    """``conversation.item.truncate``: cut an assistant item's audio at ``audio_end_ms``."""
    return {
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": content_index,
        "audio_end_ms": audio_end_ms,
    }


def response_create(response: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``response.create``, with per-response settings when given."""
    event: dict[str, Any] = {"type": "response.create"}
    if response:
        event["response"] = dict(response)
    return event


def response_cancel(response_id: str | None = None) -> dict[str, Any]:
    """``response.cancel`` of ``response_id`` (or of the active response)."""
    event: dict[str, Any] = {"type": "response.cancel"}
    if response_id is not None:
        event["response_id"] = response_id
    return event
