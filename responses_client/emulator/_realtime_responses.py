"""The Realtime responses, purely: ``response.create`` / ``.cancel``, and the run in progress.

The response in progress is streamed step by step; what each step sent changes the
conversation (its items, the audio generated).

One response at a time: ``conversation_already_has_active_response``; a cancel with none
active: ``response_cancel_not_active``. A cancelled response's unfinished items end
``incomplete`` and ``response.done`` says ``cancelled`` with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._engine import DropStep, EventStep, Step
from ._errors import JSON, WireError
from ._models import ModelRequest, ScriptExhausted
from ._realtime_plan import FRAME_MS, ResponseRun, plan_run, response_object, usage_of
from ._script import HttpStatus, Reply

if TYPE_CHECKING:
    from ._realtime_engine import RealtimeEngine

__all__ = ["cancel_run", "next_step", "response_cancel", "response_create", "start_response"]


def response_create(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``response.create``: a response planned, to be streamed through ``next_step``."""
    if engine.run is not None:
        raise WireError(
            400,
            "Conversation already has an active response in progress: "
            f"{engine.run.id}. Wait until the response is finished before creating a new one.",
            code="conversation_already_has_active_response",
        )
    options = event.get("response")
    return start_response(engine, options if isinstance(options, dict) else {})


def response_cancel(engine: RealtimeEngine, event: JSON) -> list[JSON]:
    """``response.cancel``: the response in progress ended now."""
    run = engine.run
    wanted = event.get("response_id")
    if run is None or (wanted is not None and wanted != run.id):
        raise WireError(
            400,
            "Cancellation failed: no active response found",
            code="response_cancel_not_active",
        )
    return cancel_run(engine, "client_cancelled")


def _model_input(engine: RealtimeEngine) -> list[JSON]:
    converted: list[JSON] = []
    for item in engine.items:
        if item.get("type") != "message":
            converted.append(item)
            continue
        role = item.get("role")
        kind = "output_text" if role == "assistant" else "input_text"
        parts = [
            {"type": kind, "text": part.get("text") or part.get("transcript") or ""}
            for part in item.get("content", [])
        ]
        converted.append({"type": "message", "role": role, "content": parts})
    return converted


def start_response(engine: RealtimeEngine, options: Mapping[str, Any]) -> list[JSON]:
    """Ask the model and plan its reply as ``engine.run``; an error event if it has none."""
    session = engine.session
    instructions = options.get("instructions", session.get("instructions"))
    tools = options.get("tools", session.get("tools")) or []
    request = ModelRequest(
        body={"instructions": instructions, "tools": tools, "model": session["model"]},
        input=_model_input(engine),
        instructions=instructions if isinstance(instructions, str) else None,
        tools=tools,
        transport="realtime",
    )
    try:
        reply = engine.model.reply(request)
    except ScriptExhausted as exhausted:
        return [
            engine.error(WireError(500, str(exhausted), type="server_error", code="server_error"))
        ]
    if isinstance(reply, HttpStatus):
        reply = Reply(
            end="failed", error_code=reply.code or "server_error", error_message=reply.message
        )
    modalities = options.get("output_modalities", session.get("output_modalities")) or ["audio"]
    run = plan_run(engine, reply, "audio" in modalities)
    run.model_input = [dict(item) for item in request.input]
    run.instructions = request.instructions
    engine.run = run
    engine.runs.append(run)
    return []


def next_step(engine: RealtimeEngine, run: ResponseRun) -> Step | None:
    """The next step of ``run``, counted as sent; ``None`` once it ended."""
    if run.finished or run.position >= len(run.steps):
        run.finished = True
        if engine.run is run:
            engine.run = None
        return None
    step = run.steps[run.position]
    run.position += 1
    if isinstance(step, EventStep):
        _account(engine, run, step.event)
    elif isinstance(step, DropStep):
        run.status = "dropped"
        run.finished = True
        if engine.run is run:
            engine.run = None
    return step


def _account(engine: RealtimeEngine, run: ResponseRun, event: JSON) -> None:
    kind = event["type"]
    items = engine.items
    if kind == "response.output_audio.delta":
        item_id = event["item_id"]
        engine.audio_ms[item_id] = engine.audio_ms.get(item_id, 0) + FRAME_MS
        run.audio_ms[item_id] = run.audio_ms.get(item_id, 0) + FRAME_MS
    elif kind == "response.output_item.added":
        run.output.append(event["item"])
    elif kind == "conversation.item.added":
        event["previous_item_id"] = items[-1]["id"] if items else None
        items.append(event["item"])
    elif kind == "conversation.item.done":
        ids = [item["id"] for item in items]
        where = ids.index(event["item"]["id"]) if event["item"]["id"] in ids else 0
        event["previous_item_id"] = ids[where - 1] if where > 0 else None
        _replace(engine, event["item"])
    elif kind == "response.output_item.done":
        _replace(engine, event["item"])
        run.output[event["output_index"]] = event["item"]
    elif kind == "response.done" or kind == "error":
        run.status = event["response"]["status"] if kind == "response.done" else "error"
        run.finished = True
        if engine.run is run:
            engine.run = None


def _replace(engine: RealtimeEngine, item: JSON) -> None:
    items = engine.items
    for index, known in enumerate(items):
        if known["id"] == item["id"]:
            items[index] = item


def cancel_run(engine: RealtimeEngine, reason: str) -> list[JSON]:
    """End the response in progress now: its items incomplete, ``response.done``."""
    run = engine.run
    if run is None:
        return []
    run.finished = True
    run.status = "cancelled"
    engine.run = None
    out: list[JSON] = []
    for index, item in enumerate(run.output):
        if item.get("status") == "in_progress":
            final = {**item, "status": "incomplete"}
            if final.get("type") == "message":
                final["content"] = [
                    {"type": "output_audio", "transcript": ""}
                    if "audio" in str(part.get("type"))
                    else part
                    for part in final.get("content") or [{"type": "output_audio", "transcript": ""}]
                ]
            run.output[index] = final
            _replace(engine, final)
            out.append(
                engine.stamp(
                    {
                        "type": "response.output_item.done",
                        "response_id": run.id,
                        "output_index": index,
                        "item": final,
                    }
                )
            )
    out.append(
        engine.stamp(
            {
                "type": "response.done",
                "response": response_object(
                    engine,
                    run.id,
                    "cancelled",
                    run.output,
                    usage_of(engine, run),
                    {"type": "cancelled", "reason": reason},
                ),
            }
        )
    )
    return out
