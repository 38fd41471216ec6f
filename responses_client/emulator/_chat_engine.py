"""The emulator's Chat Completions wire, pure: a checked request and a script in, chunks out.

``plan_chat`` turns the model's ``Reply`` into the ``chat.completion.chunk`` objects of a
streamed answer, as a ``Plan`` of the same steps the Responses wire uses (so the HTTP
endpoint paces, drops and breaks them the same way). Fault positions count these chunks
from 0: the first chunk (``delta.role``), one per text piece, per tool call its opening
fragment and one per argument piece, the finish chunk, and the usage chunk when
``stream_options.include_usage`` asked for it. ``[DONE]`` is the endpoint's. Every chunk
with a choice carries ``obfuscation`` padding, as the API's do, unless
``stream_options.include_obfuscation`` is false.

``Plan.final`` is the non-streamed ``chat.completion`` object. A ``"failed"`` reply ends in
an ``{"error": ...}`` object where the finish chunk would be (the wire has no failed
status); an ``"incomplete"`` one finishes with ``length``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ._chat_input import ChatRequest
from ._engine import (
    DropStep,
    ErrorStep,
    EventStep,
    Ids,
    PauseStep,
    Plan,
    RawStep,
    Step,
    count_tokens,
)
from ._errors import JSON, WireError
from ._item_events import obfuscation
from ._script import Drop, Malformed, Pause, Reply, SendError, SendUnknown

__all__ = ["chat_error", "plan_chat"]


def _words(text: str | Sequence[str]) -> list[str]:
    if not isinstance(text, str):
        return list(text)
    pieces: list[str] = []
    for word in text.split(" "):
        pieces.append(word if not pieces else " " + word)
    return [piece for piece in pieces if piece] or [text]


def _pieces(arguments: str) -> list[str]:
    return [arguments[i : i + 8] for i in range(0, len(arguments), 8)]


def chat_error(error: WireError) -> JSON:
    """The ``{"error": ...}`` object a stream carries in a data line."""
    return error.http_body()


def plan_chat(
    *, body: Mapping[str, Any], request: ChatRequest, reply: Reply, ids: Ids, now: float
) -> Plan:
    """The chunks of the answer to a checked chat request (see the module docstring)."""
    completion_id = "chatcmpl-" + ids.response()[5:34]
    created = int(now)
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": body["model"],
        "service_tier": "default",
        "system_fingerprint": "fp_emulator",
    }

    def chunk(delta: JSON, finish: str | None = None) -> JSON:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        one: JSON = {**base, "choices": [choice], "usage": None}
        if request.include_obfuscation:
            one["obfuscation"] = obfuscation(len(chunks))
        return one

    chunks: list[JSON] = []
    chunks.append(chunk({"role": "assistant", "content": "", "refusal": None}))
    text = "".join(_words(reply.text)) if reply.text else ""
    if reply.text:
        chunks += [chunk({"content": piece}) for piece in _words(reply.text)]
    calls: list[JSON] = []
    for index, call in enumerate(reply.tool_calls):
        arguments = (
            call.arguments
            if isinstance(call.arguments, str)
            else json.dumps(call.arguments, separators=(",", ":"))
        )
        call_id = call.call_id or ids.call()
        first = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        chunks.append(chunk({"tool_calls": [first]}))
        for piece in _pieces(arguments):
            chunks.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            )
        calls.append(
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": arguments},
            }
        )
    finish = "length" if reply.end == "incomplete" else "tool_calls" if calls else "stop"
    prompt = count_tokens(request.input, request.instructions)
    output_items = [{"content": text}] if text else []
    output_items += [{"arguments": c["function"]["arguments"]} for c in calls]
    completion = count_tokens(output_items) + reply.reasoning_tokens if output_items else 0
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reply.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    failure: WireError | None = None
    if reply.end == "failed":
        failure = WireError(
            500,
            reply.error_message or "The model failed to generate a response.",
            type="server_error",
            code=reply.error_code,
        )
    else:
        chunks.append(chunk({}, finish))
        if request.include_usage:
            chunks.append({**base, "choices": [], "usage": usage})
    message: JSON = {
        "role": "assistant",
        "content": text or None,
        "refusal": None,
        "annotations": [],
    }
    if calls:
        message["tool_calls"] = calls
    final = {
        **base,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage,
    }
    output = _output(text, calls)
    steps = _steps(chunks, reply, failure)
    reached = failure is None and not any(isinstance(step, DropStep | ErrorStep) for step in steps)
    # The plan keeps the Responses-style output, so the records read the same on each wire.
    plan = Plan(
        response_id=completion_id,
        steps=steps,
        delay=reply.delay,
        resolved_input=request.input,
        final=final if reached else None,
        skeleton={
            "output": output,
            "status": "incomplete" if reply.end == "incomplete" else "completed",
        },
    )
    return plan


def _output(text: str, calls: list[JSON]) -> list[JSON]:
    output: list[JSON] = []
    if text:
        output.append(
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        )
    for call in calls:
        output.append(
            {
                "type": "function_call",
                "call_id": call["id"],
                "name": call["function"]["name"],
                "arguments": call["function"]["arguments"],
            }
        )
    return output


def _steps(chunks: list[JSON], reply: Reply, failure: WireError | None) -> list[Step]:
    """The chunks with the reply's faults woven in (a fault past the end is moot)."""
    steps: list[Step] = []
    drop_after = min((f.after for f in reply.faults if isinstance(f, Drop)), default=None)
    for index, one in enumerate(chunks):
        for fault in reply.faults:
            if isinstance(fault, Drop) or fault.at != index:
                continue
            match fault:
                case SendUnknown(type=kind):
                    steps.append(EventStep({**one, "choices": [], "usage": None, kind: True}))
                case Malformed(data=data):
                    steps.append(RawStep(data))
                case Pause(seconds=seconds):
                    steps.append(PauseStep(seconds))
                case SendError(code=code, message=text, status=status):
                    error = WireError(
                        status,
                        text or "The server had an error while processing your request.",
                        type="server_error" if status >= 500 else "invalid_request_error",
                        code=code,
                    )
                    steps.append(ErrorStep(error, index))
                    return steps
        steps.append(EventStep(one))
        if drop_after is not None and index >= drop_after:
            steps.append(DropStep())
            return steps
    if failure is not None:
        steps.append(ErrorStep(failure, len(chunks)))
    return steps
