"""How large a request is on the wire, measured before it is sent, and what may not be sent.

The Responses WebSocket carries each request as one ``response.create`` text frame, and
its server closes the connection (code 1009, "message too big") on a frame over its limit.
A request refused that way would be refused again on every retry and every later turn, so
the conversation measures each request first and refuses it with a clear ``InputError``
instead. The limit is ``WEBSOCKET_REQUEST_LIMIT`` unless the conversation sets its own
(``max_request_bytes``); over HTTP no limit is known, so none applies unless one is set.

Sizes are those of the frame the WebSocket transport writes: compact JSON with every
non-ASCII character escaped, so that its length in characters is its size in bytes.

Pure: values in, values out.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from ._exceptions import InputError
from ._items import FunctionCallOutput
from ._request import RequestSettings, build_body
from ._turn import ToolOutcome

__all__ = [
    "WEBSOCKET_RECEIVE_LIMIT",
    "WEBSOCKET_REQUEST_LIMIT",
    "check_request",
    "fit_tool_outputs",
    "json_size",
    "oversized",
    "request_size",
    "too_large_output",
]

WEBSOCKET_REQUEST_LIMIT = 16 * 2**20
"""Largest ``response.create`` frame the Responses WebSocket accepts, in bytes (16 MiB).

OpenAI does not document it. Measured against the Codex backend's Responses WebSocket
(lidge-jun/opencodex issue 2471 and pull request 2473, 2026-08-23): a frame of
16,777,000 bytes was answered, one of 16,777,300 bytes closed with 1009 before any event.
It is also the default ``ws_max_size`` of uvicorn, which serves the emulator.
"""

WEBSOCKET_RECEIVE_LIMIT = 32 * 2**20
"""Largest server message the WebSocket transport reads, in bytes (32 MiB).

Nothing documents what the server may send. Its largest events (``response.created``,
``response.completed``) repeat the request's ``instructions`` and ``tools``, which may
be nearly all of a 16 MiB request, and carry every output item, generated images as
base64 included: twice the request limit leaves room for both.
"""

_FRAME_TYPE = len('"type":"response.create",')
"""What the WebSocket transport adds to a body to make its frame."""


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact, ASCII-only JSON (what the transports write)."""
    return len(json.dumps(value, separators=(",", ":")))


def request_size(body: Mapping[str, Any]) -> int:
    """Bytes of the ``response.create`` frame the WebSocket transport would write for ``body``.

    Over HTTP the body is about as large (``"stream":true`` in place of the frame type).
    """
    return json_size(body) + _FRAME_TYPE


def oversized(sizes: Sequence[int], budget: int) -> list[int]:
    """Which of several outputs to leave out so that the rest fit in ``budget`` bytes.

    Any output over the budget on its own, then the largest ones until the rest fit (an
    output's place in a JSON list costs one more byte, its comma).

    Returns:
        The indices to leave out, in ascending order.
    """
    left_out = {index for index, size in enumerate(sizes) if size + 1 > budget}
    total = sum(sizes[index] + 1 for index in range(len(sizes)) if index not in left_out)
    for index in sorted(range(len(sizes)), key=lambda i: sizes[i], reverse=True):
        if total <= budget:
            break
        if index not in left_out:
            left_out.add(index)
            total -= sizes[index] + 1
    return sorted(left_out)


def too_large_output(size: int, budget: int) -> str:
    """The output the model gets in place of a tool output too large to send."""
    return (
        f"Error: the tool's output was {size:,} bytes, more than the {budget:,} bytes a request "
        "can carry here, so it was not sent. Ask for less at once (a narrower query, a page "
        "of the results, a summary)."
    )


def check_request(body: Mapping[str, Any], limit: int | None) -> None:
    """Refuse a request larger than ``limit`` bytes (``None``: no limit), before it is sent.

    Raises:
        InputError: naming the request's size, the limit and what the request carries.
    """
    if limit is None:
        return
    size = request_size(body)
    if size > limit:
        raise InputError(
            f"the request would be {size:,} bytes, over the limit of {limit:,} bytes for one "
            f"request (max_request_bytes; the Responses WebSocket closes the connection on a "
            f"larger frame), with {len(body.get('input', ()))} input items: send less at once, "
            "or shorten the history (remove_items, replace_item)"
        )


_O = TypeVar("_O", bound=ToolOutcome)

_ERROR_ROOM = 512
"""Bytes kept free per output for the error text that may replace it."""


def fit_tool_outputs(
    outcomes: Sequence[_O],
    limit: int | None,
    settings: RequestSettings,
    previous_response_id: str | None,
) -> list[_O]:
    """The outcomes, with any output too large to send replaced by an error text.

    The request after a tool round continues ``previous_response_id`` with the round's
    outputs: the room they share is ``limit`` less the rest of that request. An output that
    does not fit goes back to the model as an error text (``too_large_output``, also the
    outcome's ``error``), so the turn goes on and the model can ask for less. When the
    request also carries earlier items (full context), ``check_request`` still refuses it.
    With no ``limit``, the outcomes are returned as they are.
    """
    if limit is None:
        return list(outcomes)
    sizes = [
        json_size(FunctionCallOutput(call_id=o.call_id, output=o.output).to_wire())
        for o in outcomes
    ]
    rest = request_size(build_body(settings, [], previous_response_id=previous_response_id))
    budget = limit - rest - _ERROR_ROOM * len(outcomes)
    fitted = list(outcomes)
    for index in oversized(sizes, budget):
        text = too_large_output(sizes[index], budget)
        # Every outcome is a dataclass (``_tools.ToolOutcome``); the Protocol cannot say so.
        fitted[index] = dataclasses.replace(fitted[index], output=text, error=text)  # type: ignore[type-var]
    return fitted
