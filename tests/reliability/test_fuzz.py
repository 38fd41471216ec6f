"""Fuzzing: malformed input from the server or the caller only ever raises the typed error.

Extends tests/core (which fuzzes the SSE decoder and ``parse_event`` on their own): here
the whole inbound pipeline (bytes → decoder → ``parse_event`` → ``ResponseFold``), the
chat-dict import, and the planner with real items.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from responses_client import InputError, RemoteProtocolError
from responses_client._chat import items_from_message
from responses_client._fold import ResponseFold
from responses_client._items import FunctionCall, FunctionCallOutput, Item, Message, parse_item
from responses_client._planner import DigestChain, Planner
from responses_client._sse import SSEDecoder
from responses_client.events import ServerEvent, UnknownEvent, parse_event

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)

EVENT_TYPES = [
    "response.created",
    "response.output_text.delta",
    "response.output_item.done",
    "response.completed",
    "response.failed",
    "error",
    "response.future_thing",
]


def event_frames() -> st.SearchStrategy[bytes]:
    """SSE bodies: real event types with arbitrary fields, broken JSON, and noise."""
    payload = st.fixed_dictionaries(
        {"type": st.sampled_from(EVENT_TYPES)},
        optional={
            "response": json_values,
            "item": json_values,
            "delta": json_values,
            "output_index": json_values,
            "code": json_values,
        },
    ).map(lambda value: json.dumps(value))
    data = payload | st.text(max_size=30)
    # Runs of the transport's common event (compact JSON, as the API writes it) as well.
    delta = st.fixed_dictionaries(
        {"type": st.just("response.output_text.delta")},
        optional={"item_id": json_values, "delta": json_values},
    ).map(lambda value: json.dumps(value, separators=(",", ":")))
    message = st.builds(
        lambda name, text: f"event: {name}\ndata: {text}\n\n".encode(),
        st.sampled_from(["x", "response.output_text.delta"]),
        data | delta,
    )
    return st.lists(message | st.binary(max_size=20), max_size=6).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(event_frames(), st.integers(1, 16))
def test_the_inbound_pipeline_raises_only_remote_protocol_error(body: bytes, step: int) -> None:
    decoder = SSEDecoder(max_message_size=4096)
    fold = ResponseFold()
    try:
        frames = []
        for start in range(0, len(body), step):
            frames += decoder.feed(body[start : start + step])
        frames += decoder.flush()
        for frame in frames:
            fold.apply(parse_event(frame))
        fold.output  # noqa: B018 - building the output must not raise either
    except RemoteProtocolError:
        return


@settings(max_examples=300, deadline=None)
@given(event_frames(), st.integers(1, 512))
@example(b'event: error\ndata: {"type":"error","response":NaN}\n\n', 7)
def test_the_bytes_pipeline_gives_what_the_text_pipeline_gives(body: bytes, step: int) -> None:
    """The SSE transport's path (chunks, the common-event run, ``parse_event(bytes)``)
    against the whole body decoded at once and each frame parsed as text."""

    def outcome(parse: Callable[[], list[ServerEvent | UnknownEvent]]) -> object:
        # Compared by repr: the generated JSON may hold NaN, which equals nothing, itself
        # included, so equal events holding one would compare unequal.
        try:
            return repr(parse())
        except RemoteProtocolError as exc:
            return type(exc)

    def text() -> list[ServerEvent | UnknownEvent]:
        decoder = SSEDecoder(max_message_size=4096)
        frames = decoder.feed(body) + decoder.flush()
        return [parse_event(frame.decode()) for frame in frames]

    def data() -> list[ServerEvent | UnknownEvent]:
        decoder = SSEDecoder(max_message_size=4096, common_event="response.output_text.delta")
        frames = []
        for start in range(0, len(body), step):
            frames += decoder.feed(body[start : start + step])
        frames += decoder.flush()
        return [parse_event(frame) for frame in frames]

    assert outcome(data) == outcome(text)


chat_like = st.fixed_dictionaries(
    {},
    optional={
        "role": st.sampled_from(["system", "developer", "user", "assistant", "tool", "x"])
        | json_scalars,
        "type": st.sampled_from(["message", "function_call", "function_call_output", "reasoning"])
        | json_scalars,
        "content": json_values
        | st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["text", "image_url", "input_text", "output_text"])},
                optional={"text": json_values, "image_url": json_values},
            ),
            max_size=3,
        ),
        "tool_calls": json_values
        | st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "id": json_scalars,
                    "type": st.sampled_from(["function", "custom"]) | json_scalars,
                    "function": st.fixed_dictionaries(
                        {}, optional={"name": json_scalars, "arguments": json_values}
                    ),
                },
            ),
            max_size=2,
        ),
        "tool_call_id": json_scalars,
        "call_id": json_scalars,
        "name": json_scalars,
        "arguments": json_values,
        "output": json_values,
        "summary": json_values,
    },
)


@settings(max_examples=500, deadline=None)
@given(chat_like | st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_chat_dict_import_raises_only_input_error(message: dict[str, Any]) -> None:
    try:
        items = items_from_message(message)
    except InputError:
        return
    for item in items:
        assert isinstance(item.to_wire(), dict) and len(item.digest) == 32


# -- the planner with real items ------------------------------------------------------

ops = st.lists(
    st.sampled_from(["user", "turn-text", "turn-tools", "edit", "fail", "reconnect"]),
    min_size=3,
    max_size=30,
)


def server_output(n: int, tools: bool) -> list[dict[str, Any]]:
    """What a server sends as a response's output: ids and statuses included."""
    if tools:
        return [
            {
                "id": f"fc_{n}_{i}",
                "type": "function_call",
                "status": "completed",
                "call_id": f"call_{n}_{i}",
                "name": "lookup",
                "arguments": json.dumps({"q": n}),
            }
            for i in range(2)
        ]
    return [
        {
            "id": f"msg_{n}",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": f"answer {n}", "annotations": []}],
        }
    ]


@settings(max_examples=300, deadline=None)
@given(ops)
def test_a_delta_of_real_items_rebuilds_the_full_input_on_the_server(script: list[str]) -> None:
    """Replays what Conversation does with the planner, with real items and a model server.

    The server holds, per response, the digests of the input it resolved and of its output
    (as the client will send those items back); a delta plus what it holds must be the
    full input, item for item.
    """
    items: list[Item] = []
    chain = DigestChain()
    planner = Planner()
    held: dict[str, list[bytes]] = {}
    epoch = 0
    # The last kept response and the history length after it, while nothing broke the chain.
    last: tuple[str, int] | None = None

    def append(*new: Item) -> None:
        items.extend(new)
        chain.extend(new)

    for n, op in enumerate(script):
        if op == "user":
            append(Message.user(f"question {n}"))
        elif op == "edit" and items:
            items[0] = Message.user(f"edited {n}")
            chain.truncate(0)
            chain.extend(items)
            planner.forget("history changed")
            last = None
        elif op == "reconnect":
            epoch += 1
            held.clear()
            planner.forget("connection changed")
            last = None
        elif op.startswith("turn") or op == "fail":
            if not items:
                continue
            plan = planner.plan(items, chain, epoch=epoch, context_key=b"k")
            full = [item.digest for item in items]
            if last is not None and len(items) > last[1]:
                # Only appends since the last kept response: the delta is what is sent.
                assert (plan.previous_response_id, plan.start) == last
            if plan.previous_response_id is not None:
                assert held[plan.previous_response_id] + full[plan.start :] == full
            else:
                assert plan.start == 0
            if op == "fail":
                planner.forget("response not kept")
                last = None
                continue
            output = [parse_item(raw) for raw in server_output(n, op == "turn-tools")]
            response_id = f"resp_{n}"
            held[response_id] = full + [item.digest for item in output]
            planner.record(response_id, plan, output)
            append(*output)
            last = (response_id, len(items))
            for item in output:
                if isinstance(item, FunctionCall):
                    append(FunctionCallOutput(call_id=item.call_id, output="ok"))
