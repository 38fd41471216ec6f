"""The script vocabulary: what a test writes to decide what the emulator answers.

A model (``_models``) answers each request with a ``Reply`` (text, function calls, timing,
an ending, faults) or an ``HttpStatus`` (a refusal before any event). Nothing here names a
wire: each wire's engine turns the same script into its own events, so one script serves
the Responses API over SSE and WebSocket today, and any wire added later.

Directives are named for what they do (``SendError``, ``CallTool``), so that none shares
a name with a client type. Fault positions count the events a wire plans for the reply,
from 0 (on the Responses API, ``response.created`` is event 0).

Pure values only, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CallTool",
    "Drop",
    "Fault",
    "HttpStatus",
    "Malformed",
    "Pause",
    "Reply",
    "SendError",
    "SendUnknown",
]

# -- what a model decides ---------------------------------------------------------


@dataclass(frozen=True)
class CallTool:
    """Call a function tool: one function call item of the reply.

    Attributes:
        name: The function's name, as declared in the request's ``tools``.
        arguments: The arguments: a mapping (sent as compact JSON) or a ready JSON string
            (sent verbatim, so a test can send arguments that are not valid JSON).
        call_id: The ``call_id``; generated (``call_…``) when ``None``.
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    call_id: str | None = None


# -- faults: misbehaviour placed by event index ------------------------------------


@dataclass(frozen=True)
class Drop:
    """Drop the connection abruptly right after event ``after`` (0-based) was sent.

    No terminal event follows; over WebSocket no close frame is sent, over HTTP the chunked
    body is left unterminated (when served by ``Emulator``; see the how-to).
    """

    after: int


@dataclass(frozen=True)
class Malformed:
    """Send a frame that is not valid JSON just before event ``at`` (0-based).

    The stream then goes on as planned: the malformed frame takes no ``sequence_number``.
    """

    at: int
    data: str = '{"type": "response.output_text.delta", "delta": '


@dataclass(frozen=True)
class SendUnknown:
    """Send an extra event of a type the API does not (yet) send, before event ``at``.

    It takes a ``sequence_number`` of its own, like any event.
    """

    at: int
    type: str = "response.emulator_future_event"


@dataclass(frozen=True)
class SendError:
    """Send an ``error`` event in place of event ``at`` and end the stream there.

    Each wire writes the error in its own shape. On the Responses API over SSE it is flat
    (``code``, ``message``, ``param``, ``sequence_number``); over WebSocket it is nested
    under ``error`` with a ``status``. A non-streaming HTTP answer becomes the HTTP error
    with ``status``.
    """

    at: int
    code: str = "server_error"
    message: str | None = None
    status: int = 500


@dataclass(frozen=True)
class Pause:
    """Wait ``seconds`` before event ``at`` (on top of the reply's ``delay``)."""

    at: int
    seconds: float


Fault = Drop | Malformed | SendUnknown | SendError | Pause
"""One planned misbehaviour of a reply."""


# -- the answers ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One planned reply of a model: text and/or function calls, timing and faults.

    Attributes:
        text: The assistant message: a string (split into word-sized deltas) or the exact
            sequence of deltas. ``None`` or ``""`` means no message item.
        tool_calls: Function calls, each its own output item after the message.
        delay: Seconds to wait between consecutive events (0: as fast as possible).
        end: How the response ends: ``"completed"``, ``"failed"`` (``response.failed``
            with ``error_code``) or ``"incomplete"`` (``max_output_tokens``).
        error_code: The ``response.error.code`` of a ``"failed"`` ending.
        error_message: Its message (a default is written from the code).
        faults: Misbehaviour to inject, positioned by event index (see each fault).
        reasoning_tokens: Reported in ``usage.output_tokens_details.reasoning_tokens``.
        reasoning: A reasoning item's summary, the first output item: a string (split into
            word-sized deltas) or the exact deltas. With ``include`` naming
            ``"reasoning.encrypted_content"`` the item carries ``encrypted_content``.
    """

    text: str | Sequence[str] | None = None
    tool_calls: Sequence[CallTool] = ()
    delay: float = 0.0
    end: Literal["completed", "failed", "incomplete"] = "completed"
    error_code: str = "server_error"
    error_message: str | None = None
    faults: Sequence[Fault] = ()
    reasoning_tokens: int = 0
    reasoning: str | Sequence[str] | None = None


@dataclass(frozen=True)
class HttpStatus:
    """Refuse the request with an HTTP error status before any event (e.g. 429, 503).

    Over HTTP this is the status, ``headers`` and the API's error body. Over WebSocket it
    is an ``error`` event carrying ``status`` and the headers; the connection stays open.

    Attributes:
        status: The HTTP status.
        headers: Extra response headers, e.g. ``{"retry-after": "1"}``.
        code: The error body's ``code``; a default fits the status.
        message: The error body's ``message``; a default fits the status.
    """

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    code: str | None = None
    message: str | None = None
