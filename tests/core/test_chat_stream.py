"""chat.completion.chunk streams -> Responses events, from recorded-shape chunk fixtures.

Each fixture is a list of chunks in the shape a server family sends (OpenAI, vLLM, Ollama,
llama.cpp, LiteLLM); the table says what the folded response must hold.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_core import from_json

from responses_client import FunctionCall, Message, RemoteProtocolError
from responses_client._chat_stream import ChunkFolder, usage_from_chat
from responses_client._fold import Ending, ResponseFold
from responses_client._items import Reasoning
from responses_client.events import (
    ErrorEvent,
    OutputTextDeltaEvent,
    ResponseCompletedEvent,
    ResponseIncompleteEvent,
    ServerEvent,
)

ID = "chatcmpl-AbC123"


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **more: Any) -> Any:
    """One chunk as OpenAI writes it (``object``, ``created``, ``model`` on every chunk)."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": ID,
        "object": "chat.completion.chunk",
        "created": 1733000000,
        "model": "gpt-4.1-mini",
        "choices": choices,
        **more,
    }


def fragment(
    index: int | None, call_id: str | None = None, name: str | None = None, args: str = ""
) -> Any:
    """One tool-call fragment; ``None`` fields are left out, as servers leave them out."""
    function: dict[str, Any] = {"arguments": args}
    if name is not None:
        function["name"] = name
    out: dict[str, Any] = {"function": function}
    if index is not None:
        out["index"] = index
    if call_id is not None:
        out["id"] = call_id
        out["type"] = "function"
    return out


USAGE = {
    "prompt_tokens": 20,
    "completion_tokens": 7,
    "total_tokens": 27,
    "prompt_tokens_details": {"cached_tokens": 16, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 3, "audio_tokens": 0},
}

TEXT = [
    chunk({"role": "assistant", "content": "", "refusal": None}),
    chunk({"content": "Hel"}),
    chunk({"content": "lo."}),
    chunk({}, "stop"),
    chunk(None, usage=USAGE),
]

PARALLEL_CALLS = [
    chunk({"role": "assistant", "content": None}),
    chunk({"tool_calls": [fragment(0, "call_a", "get_weather", "")]}),
    chunk({"tool_calls": [fragment(0, args='{"city":')]}),
    # Several fragments per chunk, interleaved between the two calls.
    chunk(
        {"tool_calls": [fragment(1, "call_b", "get_time", '{"tz":'), fragment(0, args='"Paris"}')]}
    ),
    chunk({"tool_calls": [fragment(1, args='"CET"}')]}),
    chunk({}, "tool_calls"),
    chunk(None, usage=USAGE),
]

# llama.cpp-like: no index on the fragments, "stop" after the calls, usage unasked and in
# the chunk with the finish reason, no "object".
NO_INDEX = [
    {
        "id": ID,
        "choices": [{"index": 0, "delta": {"tool_calls": [fragment(None, "c1", "a", "{}")]}}],
    },
    {
        "id": ID,
        "choices": [{"index": 0, "delta": {"tool_calls": [fragment(None, "c2", "b", "{")]}}],
    },
    {"id": ID, "choices": [{"index": 0, "delta": {"tool_calls": [fragment(None, args="}")]}}]},
    {
        "id": ID,
        "object": "",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": USAGE,
    },
]

# vLLM / DeepSeek: reasoning_content; Ollama: reasoning.
REASONING_CONTENT = [
    chunk({"role": "assistant", "reasoning_content": "Think"}),
    chunk({"reasoning_content": "ing."}),
    chunk({"content": "Answer."}),
    chunk({}, "stop"),
]
REASONING = [
    chunk({"role": "assistant", "reasoning": "Thinking."}),
    chunk({"content": "Answer."}),
    chunk({}, "stop"),
]

REFUSAL = [
    chunk({"role": "assistant", "refusal": "I can't "}),
    chunk({"refusal": "help with that."}),
    chunk({}, "stop"),
]

LENGTH = [chunk({"content": "Once upon"}), chunk({}, "length")]
FILTERED = [chunk({"content": "Once"}), chunk({}, "content_filter")]

# The name arrives in a later fragment than the id (seen from some proxies).
LATE_NAME = [
    chunk({"tool_calls": [fragment(0, "call_x", None, '{"a"')]}),
    chunk({"tool_calls": [fragment(0, None, "f", ":1}")]}),
    chunk({}, "tool_calls"),
]


def fold(chunks: list[Any]) -> tuple[list[ServerEvent], ResponseFold]:
    folder = ChunkFolder(model="asked-model")
    events: list[ServerEvent] = []
    for one in chunks:
        events += folder.feed(one)
    events += folder.end()
    response_fold = ResponseFold()
    for event in events:
        response_fold.apply(event)
    return events, response_fold


@pytest.mark.parametrize(
    ("name", "chunks", "ending", "output"),
    [
        ("text", TEXT, Ending.COMPLETED, [("message", "Hello.")]),
        (
            "parallel calls",
            PARALLEL_CALLS,
            Ending.COMPLETED,
            [
                ("function_call", ("call_a", "get_weather", '{"city":"Paris"}')),
                ("function_call", ("call_b", "get_time", '{"tz":"CET"}')),
            ],
        ),
        (
            "no index, stop after calls",
            NO_INDEX,
            Ending.COMPLETED,
            [("function_call", ("c1", "a", "{}")), ("function_call", ("c2", "b", "{}"))],
        ),
        (
            "reasoning_content",
            REASONING_CONTENT,
            Ending.COMPLETED,
            [("reasoning", "Thinking."), ("message", "Answer.")],
        ),
        (
            "reasoning",
            REASONING,
            Ending.COMPLETED,
            [("reasoning", "Thinking."), ("message", "Answer.")],
        ),
        ("refusal", REFUSAL, Ending.COMPLETED, [("refusal", "I can't help with that.")]),
        ("length", LENGTH, Ending.INCOMPLETE, [("message", "Once upon")]),
        ("content filter", FILTERED, Ending.INCOMPLETE, [("message", "Once")]),
        (
            "name in a later fragment",
            LATE_NAME,
            Ending.COMPLETED,
            [("function_call", ("call_x", "f", '{"a":1}'))],
        ),
    ],
)
def test_streams_fold_into_the_responses_events(
    name: str, chunks: list[Any], ending: Ending, output: list[tuple[str, Any]]
) -> None:
    events, response_fold = fold(chunks)
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert events[0].type == "response.created"
    assert response_fold.ending is ending
    got: list[tuple[str, Any]] = []
    for item in response_fold.output:
        if isinstance(item, FunctionCall):
            got.append(("function_call", (item.call_id, item.name, item.arguments)))
        elif isinstance(item, Reasoning):
            got.append(("reasoning", "".join(part["text"] for part in item.content or ())))
        elif isinstance(item, Message) and item.content and item.content[0].type == "refusal":
            got.append(("refusal", item.content[0].refusal))  # type: ignore[union-attr]
        else:
            assert isinstance(item, Message)
            got.append(("message", item.text))
    assert got == output
    # Every added item is done once, in output order, and the deltas add up to the items.
    added = [e.output_index for e in events if e.type == "response.output_item.added"]
    done = [e.output_index for e in events if e.type == "response.output_item.done"]
    assert sorted(added) == done == list(range(len(output)))


def test_text_events_in_the_order_the_responses_api_sends_them() -> None:
    events, _ = fold(TEXT)
    assert [event.type for event in events] == [
        "response.created",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    created, completed = events[0], events[-1]
    assert isinstance(completed, ResponseCompletedEvent)
    assert created.response.id == completed.response.id == ID  # type: ignore[union-attr]
    assert completed.response.model == "gpt-4.1-mini"
    assert completed.response.status == "completed"
    assert completed.response.created_at == 1733000000


def test_parallel_calls_stream_argument_deltas_per_call() -> None:
    events, _ = fold(PARALLEL_CALLS)
    deltas = [
        (e.item_id, e.delta) for e in events if e.type == "response.function_call_arguments.delta"
    ]
    dones = {
        e.item_id: e.arguments for e in events if e.type == "response.function_call_arguments.done"
    }
    joined: dict[str, str] = {}
    for item_id, delta in deltas:
        joined[item_id] = joined.get(item_id, "") + delta
    assert joined == dones
    assert len(dones) == 2


def test_refusal_streams_refusal_events() -> None:
    events, _ = fold(REFUSAL)
    types = [e.type for e in events]
    assert types.count("response.refusal.delta") == 2
    assert "response.refusal.done" in types
    assert "response.output_text.delta" not in types


def test_incomplete_reasons_map_to_the_responses_names() -> None:
    for chunks, reason in ((LENGTH, "max_output_tokens"), (FILTERED, "content_filter")):
        events, response_fold = fold(chunks)
        assert isinstance(events[-1], ResponseIncompleteEvent)
        assert response_fold.incomplete_details is not None
        assert response_fold.incomplete_details.reason == reason
        assert events[-1].response.output[0].status == "incomplete"  # type: ignore[union-attr]


def test_usage_maps_to_the_responses_names_wherever_it_comes() -> None:
    for chunks in (TEXT, NO_INDEX):
        _, response_fold = fold(chunks)
        tokens = response_fold.tokens
        assert tokens is not None
        assert (tokens.input, tokens.output, tokens.total) == (20, 7, 27)
        assert (tokens.cached, tokens.reasoning) == (16, 3)
    usage = usage_from_chat(
        {"prompt_tokens": 4, "completion_tokens": 2, "prompt_tokens_details": None}
    )
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (4, 2, 6)
    assert usage.input_tokens_details.cached_tokens == 0


def test_no_usage_means_none() -> None:
    _, response_fold = fold(REASONING)
    assert response_fold.tokens is None


def test_a_tool_call_that_never_gets_a_name_is_a_protocol_error() -> None:
    folder = ChunkFolder()
    folder.feed(chunk({"tool_calls": [fragment(0, "call_q", None, "{}")]}))
    folder.feed(chunk({}, "tool_calls"))
    with pytest.raises(RemoteProtocolError, match="never got a function name"):
        folder.end()


def test_an_error_object_mid_stream_is_an_error_event() -> None:
    folder = ChunkFolder()
    folder.feed(chunk({"content": "Hi"}))
    events = folder.feed_data(
        b'{"error": {"message": "overloaded", "code": "server_error", "type": "x"}}'
    )
    assert isinstance(events[0], ErrorEvent)
    assert (events[0].code, events[0].message) == ("server_error", "overloaded")
    assert folder.errored
    text_error = ChunkFolder().feed({"error": "bad things"})[0]
    assert isinstance(text_error, ErrorEvent) and text_error.message == "bad things"


def test_finished_says_whether_a_finish_reason_arrived() -> None:
    folder = ChunkFolder()
    folder.feed(chunk({"content": "Hi"}))
    assert not folder.finished
    folder.feed(chunk({}, "stop"))
    assert folder.finished


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b'"text"'])
def test_malformed_payloads_are_protocol_errors(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError, match="chat completion chunk"):
        ChunkFolder().feed_data(data)


def test_a_stream_without_id_or_model_gets_synthesised_ones() -> None:
    folder = ChunkFolder(model="asked", created_at=5.0)
    events = folder.feed({"choices": [{"delta": {"content": "x"}, "finish_reason": "stop"}]})
    events += folder.end()
    final = events[-1]
    assert isinstance(final, ResponseCompletedEvent)
    assert final.response.id == "chatcmpl_0"
    assert final.response.model == "asked" and final.response.created_at == 5.0
    assert final.response.output[0].id == "msg_chatcmpl_0_0"  # type: ignore[union-attr]


def test_a_call_without_id_gets_one_by_its_index() -> None:
    _, response_fold = fold(
        [chunk({"tool_calls": [fragment(3, None, "f", "{}")]}), chunk({}, "stop")]
    )
    (call,) = response_fold.function_calls()
    assert call.call_id == "call_3"


# -- payloads read by their frame (ChunkFolder.feed_data) ---------------------------


def _payloads(texts: list[str], padded: bool = False, **more: Any) -> list[bytes]:
    """The payloads of a stream of ``texts``; ``padded``: OpenAI's ``obfuscation`` on each."""
    import json

    deltas = [{"role": "assistant", "content": ""}, *({"content": text} for text in texts)]
    out = []
    for n, delta in enumerate(deltas):
        padding = {"obfuscation": "kJ0wmdEAC"[: 1 + n % 9]} if padded else {}
        out.append(json.dumps(chunk(delta, **more, **padding), separators=(",", ":")).encode())
    return out


def _fold_payloads(payloads: list[bytes]) -> list[ServerEvent]:
    folder = ChunkFolder(model="asked")
    events = [event for data in payloads for event in folder.feed_data(data)]
    return events + folder.end()


def _fold_parsed(payloads: list[bytes]) -> list[ServerEvent]:
    import json

    folder = ChunkFolder(model="asked")
    events = [event for data in payloads for event in folder.feed(json.loads(data))]
    return events + folder.end()


_TEXTS = [
    [" the", " quick", " fox", " é", " x"],
    # a quote, a backslash, a control character, a non-printable: parsed, not framed
    [" a", ' say "hi"', " back\\slash", " tab\there", " nbsp\u00a0", " end"],
    # the text repeats another value of the chunk (its id, its model, the padding)
    [" a", ID, "gpt-4.1-mini", " b", "x", "chat.completion.chunk", "kJ0", "obfuscation"],
]


@pytest.mark.parametrize("padded", [False, True], ids=["bare", "obfuscation"])
@pytest.mark.parametrize("texts", _TEXTS)
def test_payloads_fold_as_their_parsed_chunks_do(texts: list[str], padded: bool) -> None:
    payloads = _payloads(texts, padded)
    assert _fold_payloads(payloads) == _fold_parsed(payloads)


@pytest.mark.parametrize("padded", [False, True], ids=["bare", "obfuscation"])
def test_text_chunks_after_the_first_are_read_without_a_parse(
    padded: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from responses_client import _chat_stream

    parses: list[bytes] = []

    def counting(data: bytes, **options: Any) -> Any:
        parses.append(data)
        return from_json(data, **options)

    monkeypatch.setattr(_chat_stream, "from_json", counting)
    payloads = _payloads([" one", " two", " three", " four"], padded)
    events = _fold_payloads(payloads)
    # The role chunk; the first text chunk, which opens the message; the second, whose
    # frame is learnt, and the probe that proves it. The rest are read by their frame.
    assert parses[:3] == payloads[:3]
    assert len(parses) == 4
    assert [e.delta for e in events if isinstance(e, OutputTextDeltaEvent)] == [
        " one",
        " two",
        " three",
        " four",
    ]


def test_payloads_that_differ_beyond_their_text_fold_as_their_parsed_chunks_do() -> None:
    # A later "created", a padding where there was none, a refusal, a finish reason.
    payloads = [
        *_payloads([" a", " b"]),
        *_payloads([" c"], padded=True)[1:],
        *_payloads([" d"], created=1733000001)[1:],
        *_payloads([" e", " f"], padded=True)[1:],
        *_payloads([" g", " h"])[1:],
    ]
    import json

    payloads.append(json.dumps(chunk({"refusal": "no"})).encode())
    payloads.append(json.dumps(chunk({"content": " g"}, "stop")).encode())
    assert _fold_payloads(payloads) == _fold_parsed(payloads)


@pytest.mark.parametrize("padded", [False, True], ids=["bare", "obfuscation"])
@pytest.mark.parametrize("broken", [b"a\x01b", b"a\\", b"\xff"], ids=["control", "escape", "utf8"])
def test_a_payload_that_repeats_the_frame_around_a_broken_text_is_a_protocol_error(
    padded: bool, broken: bytes
) -> None:
    payloads = _payloads([" a", " b"], padded)
    folder = ChunkFolder()
    for data in payloads:
        folder.feed_data(data)
    head, tail = payloads[-1].split(b'" b"')
    with pytest.raises(RemoteProtocolError, match="not valid JSON"):
        folder.feed_data(head + b'"' + broken + b'"' + tail)


def test_a_broken_padding_in_the_frame_is_a_protocol_error() -> None:
    payloads = _payloads([" a", " b"], padded=True)
    folder = ChunkFolder()
    for data in payloads:
        folder.feed_data(data)
    head, _ = payloads[-1].split(b'"obfuscation":')
    with pytest.raises(RemoteProtocolError, match="not valid JSON"):
        folder.feed_data(head + b'"obfuscation":"k\x02J"}')
