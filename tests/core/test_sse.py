"""The SSE decoder against the WHATWG rules (HTML 9.2.6), one edge per test."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from responses_client._exceptions import InputError, RemoteProtocolError
from responses_client._sse import SSEDecoder


def decode_all(*chunks: bytes, max_message_size: int | None = None) -> list[bytes]:
    """The data of every message, ``chunks`` fed one after another, then ``flush()``."""
    decoder = (
        SSEDecoder() if max_message_size is None else SSEDecoder(max_message_size=max_message_size)
    )
    messages: list[bytes] = []
    for chunk in chunks:
        messages += decoder.feed(chunk)
    messages += decoder.flush()
    return messages


def one_byte_at_a_time(stream: bytes) -> list[bytes]:
    return decode_all(*(stream[i : i + 1] for i in range(len(stream))))


# -- line ends ------------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_each_line_end_separates_lines_and_messages(eol: bytes) -> None:
    stream = b"event: a" + eol + b"data: 1" + eol + eol + b"data: 2" + eol + b"data: 3" + eol + eol
    expected = [b"1", b"2\n3"]
    assert decode_all(stream) == expected
    assert one_byte_at_a_time(stream) == expected


def test_mixed_line_ends_in_one_stream() -> None:
    assert decode_all(b"data: a\rdata: b\r\ndata: c\n\r\n") == [b"a\nb\nc"]


def test_cr_at_chunk_end_and_lf_at_next_start_is_one_line_end() -> None:
    # Were the LF a second line end, it would be a blank line dispatching "a" alone.
    assert decode_all(b"data: a\r", b"\ndata: b\r\n\r\n") == [b"a\nb"]


def test_cr_at_chunk_end_then_cr_is_a_blank_line() -> None:
    assert decode_all(b"data: a\r", b"\rdata: b\n\n") == [
        b"a",
        b"b",
    ]


def test_cr_then_empty_chunk_then_lf() -> None:
    assert decode_all(b"data: a\r", b"", b"\n", b"data: b\n\n") == [b"a\nb"]


# -- chunking and encoding --------------------------------------------------------


def test_utf8_sequence_split_across_chunks() -> None:
    text = "data: é € 😀\n\n".encode()
    four_byte = text.index("😀".encode())
    chunks = (text[: four_byte + 1], text[four_byte + 1 : four_byte + 3], text[four_byte + 3 :])
    assert decode_all(*chunks) == ["é € 😀".encode()]
    assert one_byte_at_a_time(text) == ["é € 😀".encode()]


def test_invalid_utf8_raises_remote_protocol_error() -> None:
    with pytest.raises(RemoteProtocolError, match="not valid UTF-8"):
        SSEDecoder().feed(b"data: \xff\xfe\n\n")


def test_invalid_utf8_in_unterminated_last_line_raises_at_flush() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: \xc3") == []
    with pytest.raises(RemoteProtocolError, match="not valid UTF-8"):
        decoder.flush()


def test_message_is_returned_by_the_feed_that_completes_it() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: e\ndata: x\n") == []
    assert decoder.feed(b"\n") == [b"x"]


# -- fields ---------------------------------------------------------------------------


def test_multi_line_data_is_joined_with_lf() -> None:
    assert decode_all(b"data: a\ndata: b\ndata: c\n\n") == [b"a\nb\nc"]


def test_data_split_across_feeds_continues_the_message() -> None:
    assert decode_all(b"data: a\n", b"data: b\n\n") == [b"a\nb"]


@pytest.mark.parametrize(
    ("line", "data"),
    [
        (b"data: x", b"x"),
        (b"data:x", b"x"),
        (b"data:  x", b" x"),
        (b"data: x: y", b"x: y"),
        (b"data:", b""),
        (b"data", b""),
        (b"data: ", b""),
    ],
)
def test_only_one_space_after_the_colon_is_stripped(line: bytes, data: bytes) -> None:
    assert decode_all(line + b"\n\n") == [data]


def test_empty_data_line_is_dispatched_but_no_data_line_is_not() -> None:
    assert decode_all(b"data:\n\nevent: x\n\n") == [b""]


def test_comment_lines_are_ignored() -> None:
    stream = b": keep-alive\n\n:\ndata: a\n: inside\ndata: b\n\n"
    assert decode_all(stream) == [b"a\nb"]


def test_event_without_data_is_dropped_and_does_not_leak() -> None:
    assert decode_all(b"event: lost\n\ndata: x\n\n") == [b"x"]


def test_event_id_and_retry_fields_leave_the_data_as_it_is() -> None:
    # They name, number or pace messages; which messages are dispatched, and their data,
    # do not depend on them (a block of them alone dispatches nothing).
    stream = (
        b"event: first\nid: 1\nretry: 1500\ndata: a\n\nretry: 3000\n\nid: 8\x009\n"
        b"event\nid\nretry: x\ndata: b\n\nretry: 5\n"
    )
    assert decode_all(stream, b"data: c\n\n") == [b"a", b"b", b"c"]
    assert one_byte_at_a_time(stream + b"data: c\n\n") == [b"a", b"b", b"c"]


def test_unknown_fields_are_ignored() -> None:
    assert decode_all(b"foo: bar\ndata: x\nDATA: y\n\n") == [b"x"]


def test_blank_lines_without_fields_dispatch_nothing() -> None:
    assert decode_all(b"\n\n\n\r\n\r") == []


# -- end of stream ------------------------------------------------------------------------


def test_flush_delivers_a_final_message_without_blank_line() -> None:
    assert decode_all(b"data: a\n\nevent: e\ndata: last\n") == [
        b"a",
        b"last",
    ]


def test_flush_delivers_a_final_unterminated_line() -> None:
    assert decode_all(b"data: a\n\ndata: tail") == [
        b"a",
        b"tail",
    ]


def test_flush_of_an_empty_or_finished_stream_is_empty() -> None:
    decoder = SSEDecoder()
    assert decoder.flush() == []
    assert decoder.feed(b"data: a\n\n") == [b"a"]
    assert decoder.flush() == []


# -- byte order mark ----------------------------------------------------------------------


def test_bom_at_stream_start_is_dropped() -> None:
    assert decode_all(b"\xef\xbb\xbfdata: a\n\n") == [b"a"]


def test_bom_split_across_chunks_is_dropped() -> None:
    assert decode_all(b"\xef", b"\xbb", b"\xbfdata: a\n\n") == [b"a"]


def test_only_the_first_bom_is_dropped() -> None:
    # A second BOM becomes part of the field name "\ufeffdata", which is unknown.
    assert decode_all(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n") == []


def test_bom_later_in_the_stream_is_not_dropped() -> None:
    assert decode_all(b"data: a\n\n", b"\xef\xbb\xbfdata: b\n\n") == [b"a"]


# -- limits ------------------------------------------------------------------------------


def test_line_without_end_over_the_limit_raises_naming_it() -> None:
    decoder = SSEDecoder(max_message_size=64)
    assert decoder.feed(b"data: " + b"x" * 50) == []
    with pytest.raises(RemoteProtocolError, match="max_message_size=64") as caught:
        decoder.feed(b"x" * 20)
    assert caught.value.data.startswith("data: xxx")


def test_message_data_over_the_limit_raises_naming_it() -> None:
    decoder = SSEDecoder(max_message_size=64)
    assert decoder.feed(b"data: " + b"x" * 40 + b"\n") == []
    with pytest.raises(RemoteProtocolError, match="max_message_size=64"):
        decoder.feed(b"data: " + b"y" * 40 + b"\n")


def test_data_over_the_limit_in_one_chunk_raises() -> None:
    with pytest.raises(RemoteProtocolError, match="max_message_size=8"):
        SSEDecoder(max_message_size=8).feed(b"event: e\ndata: 0123456789\n\n")


def test_messages_under_the_limit_pass_one_after_another() -> None:
    # The limit is per message: many small messages never add up to it.
    stream = b"data: 0123456789\n\n" * 100
    assert len(decode_all(stream, max_message_size=32)) == 100


def test_limit_must_be_positive() -> None:
    with pytest.raises(InputError, match="max_message_size"):
        SSEDecoder(max_message_size=0)


# -- properties ---------------------------------------------------------------------------


def reference_decode(stream: bytes) -> list[bytes]:
    """A plain, character-at-a-time reading of HTML 9.2.6 (plus flush at EOF): each
    dispatched message's data, as UTF-8."""
    text = stream.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines: list[str] = []
    current = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\r":
            lines.append(current)
            current = ""
            if text[i + 1 : i + 2] == "\n":
                i += 1
        elif ch == "\n":
            lines.append(current)
            current = ""
        else:
            current += ch
        i += 1
    if current:
        lines.append(current)
    lines.append("")
    messages: list[bytes] = []
    data: str | None = None
    for line in lines:
        if line == "":
            if data is not None:
                messages.append(data.encode())
            data = None
        elif line.startswith(":"):
            pass
        else:
            name, value = (line.split(":", 1) + [""])[:2]
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data = value if data is None else data + "\n" + value
    return messages


field_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=12,
)
lines = st.one_of(
    st.just(""),
    st.tuples(st.sampled_from(["data", "event", "id", "retry", "x", ""]), field_values).map(
        lambda pair: f"{pair[0]}:{pair[1]}"
    ),
    st.builds(lambda v: f"data: {v}", field_values),
    st.builds(lambda v: f"event: {v}", field_values),
    st.builds(lambda v: f"id: {v}", field_values),
    # The decoder's shortcut shape, as two lines.
    st.builds(lambda e, d: f"event: {e}\ndata: {d}", field_values, field_values),
    st.sampled_from(["data", "event", "id", "retry: 10", ": comment", "\0"]),
)


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    body = draw(st.lists(st.tuples(lines, st.sampled_from(["\n", "\r", "\r\n"])), max_size=20))
    text = "".join(line + eol for line, eol in body)
    if draw(st.booleans()) and body:
        text += draw(lines)  # a last line without its end
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + text).encode()


@st.composite
def chunkings(draw: st.DrawFn, stream: bytes) -> list[bytes]:
    cuts = sorted(draw(st.sets(st.integers(0, len(stream)), max_size=12)))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in pairwise(bounds)]


@settings(max_examples=400)
@given(st.data())
def test_any_chunking_gives_the_same_messages_as_the_whole_stream(data: st.DataObject) -> None:
    stream = data.draw(streams())
    whole = decode_all(stream)
    assert decode_all(*data.draw(chunkings(stream))) == whole
    assert whole == reference_decode(stream)


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(["a", "response.output_text.delta"]), field_values)))
def test_common_shape_matches_the_reference(events: list[tuple[str, str]]) -> None:
    stream = "".join(f"event: {name}\ndata: {value}\n\n" for name, value in events).encode()
    assert decode_all(stream) == reference_decode(stream)
    assert decode_all(stream) == [value.encode() for _, value in events]


@settings(max_examples=400)
@given(st.binary(max_size=200), st.data())
def test_arbitrary_bytes_raise_nothing_but_remote_protocol_error(
    stream: bytes, data: st.DataObject
) -> None:
    try:
        messages = decode_all(*data.draw(chunkings(stream)), max_message_size=64)
    except RemoteProtocolError:
        return
    assert all(isinstance(message, bytes) for message in messages)


# -- a common event, and chunks of one whole block ---------------------------------------


def data_all(
    *chunks: bytes, common_event: str = "d", max_message_size: int = 1 << 20
) -> list[bytes]:
    """``decode_all`` with a common event, as the SSE transport decodes."""
    decoder = SSEDecoder(common_event=common_event, max_message_size=max_message_size)
    out: list[bytes] = []
    for chunk in chunks:
        out += decoder.feed(chunk)
    out += decoder.flush()
    return out


def test_each_message_data_comes_as_utf8() -> None:
    stream = "event: d\ndata: é\n\ndata: a\ndata: b\n\nevent: x\ndata: c\n\nid: 1\ndata: 😀\n\n"
    assert data_all(stream.encode()) == [b"\xc3\xa9", b"a\nb", b"c", "😀".encode()]


def test_a_run_of_the_common_event_is_cut_out_whole() -> None:
    run = b"".join(b"event: d\ndata: %d\n\n" % i for i in range(50))
    assert data_all(b"data: first\n\n" + run + b"event: d\ndata: last") == [
        b"first",
        *(b"%d" % i for i in range(50)),
        b"last",
    ]


@pytest.mark.parametrize(
    "stream",
    [
        # A second data line inside the run: the LF count differs, block by block instead.
        b"event: d\ndata: 1\n\nevent: d\ndata: 2\ndata: 3\n\nevent: d\ndata: 4\n\n",
        # Another field inside the run.
        b"event: d\ndata: 1\n\nevent: d\ndata: 2\nid: 7\n\nevent: d\ndata: 4\n\n",
        # The run continues a message begun before it (its event line is then the
        # message's event, not a new block).
        b"data: 0\nevent: d\ndata: 1\n\nevent: d\ndata: 2\n\nevent: d\ndata: 3\n\n",
        # Blank lines around the run, and CRLF line ends.
        b"\n\n\nevent: d\r\ndata: 1\r\n\r\nevent: d\r\ndata: 2\r\n\r\n\r\nevent: d\ndata: 3\n\n\n",
    ],
    ids=["two-data-lines", "other-field", "continued", "blank-lines-crlf"],
)
def test_run_breakers_give_what_the_spec_gives(stream: bytes) -> None:
    expected = reference_decode(stream)
    assert data_all(stream) == expected
    assert data_all(*(stream[i : i + 1] for i in range(len(stream)))) == expected


def test_a_run_opening_a_chunk_can_continue_the_message_of_the_chunk_before() -> None:
    decoder = SSEDecoder(common_event="d")
    assert decoder.feed(b"data: 0\n") == []
    run = b"event: d\ndata: 1\n\nevent: d\ndata: 2\n\nevent: d\ndata: 3\n\n"
    assert decoder.feed(run) == [b"0\n1", b"2", b"3"]


def test_pending_message_is_dispatched_by_a_chunk_of_one_blank_line() -> None:
    decoder = SSEDecoder(common_event="d")
    assert decoder.feed(b"event: d\ndata: a\n") == []
    assert decoder.feed(b"\nevent: d\ndata: b\n\nevent: d\ndata: c\n\n") == [b"a", b"b", b"c"]


def test_a_run_with_invalid_utf8_is_rejected() -> None:
    with pytest.raises(RemoteProtocolError, match="not valid UTF-8"):
        SSEDecoder(common_event="d").feed(b"event: d\ndata: \xff\n\nevent: d\ndata: 1\n\n")


def test_a_run_keeps_the_limit() -> None:
    with pytest.raises(RemoteProtocolError, match="max_message_size=8"):
        data_all(b"event: d\ndata: 0123456789\n\nevent: d\ndata: 1\n\n", max_message_size=8)


def test_common_event_must_be_one_line() -> None:
    with pytest.raises(InputError, match="common_event"):
        SSEDecoder(common_event="a\nb")


common_lines = st.one_of(
    lines,
    st.builds(lambda d: f"event: d\ndata: {d}\n", field_values),
    st.builds(lambda d: f"event: d\ndata: {d}", field_values),
)


@st.composite
def common_streams(draw: st.DrawFn) -> bytes:
    body = draw(
        st.lists(st.tuples(common_lines, st.sampled_from(["\n", "\r", "\r\n"])), max_size=30)
    )
    return "".join(line + eol for line, eol in body).encode()


@settings(max_examples=500)
@given(st.data())
def test_with_a_common_event_any_chunking_gives_what_the_spec_gives(
    data: st.DataObject,
) -> None:
    stream = data.draw(common_streams())
    chunks = data.draw(chunkings(stream))
    expected = reference_decode(stream)
    assert data_all(*chunks) == expected
    assert data_all(stream) == expected


@settings(max_examples=300)
@given(common_streams())
def test_chunks_of_whole_blocks_give_what_the_spec_gives(stream: bytes) -> None:
    # Servers flush each event on its own: every chunk ends with a blank line.
    chunks = [chunk for chunk in re.split(b"(?<=\n\n)", stream) if chunk]
    expected = reference_decode(stream)
    assert data_all(*chunks) == expected
    assert decode_all(*chunks) == expected


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([b"event: d\ndata: 1\n\n", b"event: x\ndata: \xc3\xa9\n\n"], [b"1", b"\xc3\xa9"]),
        ([b"data: 0\n", b"event: d\ndata: 1\n\n"], [b"0\n1"]),  # continues a message
        ([b"event: d\ndata: 1\r", b"\nevent: d\ndata: 2\n\n"], [b"1\n2"]),  # CR then LF
        ([b"\xef\xbb\xbfevent: d\ndata: 1\n\n", b"event: d\ndata: 2\n\n"], [b"1", b"2"]),
        ([b"event: d\ndata: 1\ndata: 2\n\n", b"event: d\ndata: 3\nid: 4\n\n"], [b"1\n2", b"3"]),
        ([b"event: d\ndata: \n\n", b"event: d\n\n"], [b""]),  # empty data; no data at all
        ([b"data: 0\n\n", b"event: d\rdata: 1\n\n"], [b"0", b"1"]),  # a CR ends a line
        ([b"data: 0\n\n", b"data: 1\r\n\n"], [b"0", b"1"]),  # a CRLF, then an LF
        ([b"data: 0\n\n", b": hi\ndata: 1\n\n"], [b"0", b"1"]),  # a comment first
        ([b"data: 0\n\n", b"event: d\ndata: 1\r2\n\n"], [b"0", b"1"]),  # a CR in the data
        ([b"data: 0\n\n", b"event: d\ndata: 1\nx"], [b"0", b"1"]),  # a line after the data
    ],
    ids=[
        "plain-and-utf8",
        "continued",
        "split-crlf",
        "bom",
        "more-lines",
        "empty",
        "cr",
        "crlf",
        "comment",
        "cr-in-data",
        "line-after",
    ],
)
def test_a_chunk_of_one_whole_block(chunks: list[bytes], expected: list[bytes]) -> None:
    assert data_all(*chunks) == expected
    assert decode_all(*chunks) == expected
    assert reference_decode(b"".join(chunks)) == expected


def test_a_chunk_of_one_block_with_invalid_utf8_is_rejected() -> None:
    decoder = SSEDecoder(common_event="d")
    assert decoder.feed(b"event: d\ndata: 1\n\n") == [b"1"]
    with pytest.raises(RemoteProtocolError, match="not valid UTF-8"):
        decoder.feed(b"event: d\ndata: \xff\n\n")


def test_a_chunk_of_one_block_over_the_limit_raises() -> None:
    decoder = SSEDecoder(max_message_size=16)
    assert decoder.feed(b"data: 0\n\n") == [b"0"]
    with pytest.raises(RemoteProtocolError, match="max_message_size=16"):
        decoder.feed(b"event: d\ndata: 0123456789abcdefghij\n\n")
