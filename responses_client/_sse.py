"""Server-sent events decoder (sans-I/O): bytes in, the data of each message out.

The decoder follows the WHATWG HTML standard, section 9.2.6 "Interpreting an event
stream" (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
and hands over what the Responses wire needs of a message: its data (the JSON inside names
its own type). The ``event``, ``id`` and ``retry`` fields are read and set nothing, which
leaves the messages dispatched and their data as the spec has them. It differs from the
spec in three deliberate ways, each documented where it applies:

* invalid UTF-8 raises ``RemoteProtocolError`` instead of being replaced with U+FFFD,
  because a corrupted Responses stream would otherwise deliver corrupted JSON;
* ``flush()`` at end of stream delivers a final message that lacks its closing blank
  line, because several OpenAI-compatible servers end the stream that way;
* a size limit guards against a peer that never ends a line or a message.

Typical use, in an I/O layer::

    decoder = SSEDecoder()
    async for chunk in response.aiter_bytes():
        for data in decoder.feed(chunk):
            handle(data)
    for data in decoder.flush():
        handle(data)
"""

from __future__ import annotations

from ._exceptions import InputError, RemoteProtocolError

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "SSEDecoder"]

DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
"""Default bound on a line not yet ended and on one message's data (bytes)."""

_BOM = b"\xef\xbb\xbf"


class SSEDecoder:
    """Incremental decoder of a ``text/event-stream`` body.

    Feed it the body's bytes as they arrive, split anywhere (inside a line, between a CR
    and its LF, inside a UTF-8 sequence); it returns the data of each message once the
    message's closing blank line has arrived. At end of stream call ``flush()`` once.
    After it raised, the stream is broken: discard the decoder.

    Args:
        max_message_size: Bound on the bytes of one line not yet ended and on the data
            gathered for one message. Exceeding it raises ``RemoteProtocolError``.
        common_event: The event name most messages of the stream carry, if any. Such
            messages, each one ``event: NAME`` line and one ``data:`` line, are then cut
            out of a chunk in one pass instead of line by line.
    """

    __slots__ = (
        "_after_cr",
        "_data",
        "_data_size",
        "_head",
        "_idle",
        "_limit",
        "_run",
        "_started",
        "_tail",
        "_tail_size",
    )

    def __init__(
        self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, common_event: str = ""
    ) -> None:
        if max_message_size < 1:
            raise InputError(f"max_message_size must be at least 1, got {max_message_size}")
        if "\n" in common_event or "\r" in common_event:
            raise InputError("common_event must be one line")
        self._head = f"event: {common_event}\ndata: ".encode() if common_event else b"data: "
        """How a block of the common event begins (without one, a block of one data line)."""
        self._run = b"\n\n" + self._head if common_event else b""
        self._limit = max_message_size
        self._tail: list[bytes] = []
        """The start of a line not ended yet (also a BOM's first bytes at stream start)."""
        self._tail_size = 0
        self._after_cr = False
        """The last chunk ended with CR: an LF opening the next one ends no other line."""
        self._started = False
        """Whether the stream's first bytes (and a BOM among them) are behind us."""
        self._data: list[bytes] = []
        """The data lines of the message not dispatched yet."""
        self._data_size = 0
        self._idle = False
        """The stream has started and nothing of it is held: no line, CR or message."""

    def feed(self, data: bytes) -> list[bytes]:
        """Take the next bytes of the stream.

        Args:
            data: Any number of bytes, split anywhere.

        Returns:
            The data of each message these bytes complete, in order (often none), as
            UTF-8 bytes.

        Raises:
            RemoteProtocolError: The stream is not valid UTF-8, or a line or a message
                exceeds ``max_message_size``.
        """
        # Servers flush each event as a chunk of its own (the API does), so most chunks
        # are one block of the common event. With nothing held from earlier chunks, such
        # a chunk is cut out here at once: ``head``, a value without line ends, a blank
        # line. What comes out is what the line-by-line path would give for the same
        # bytes. Guarded by bench/sse_throughput.py (one chunk per event).
        head = self._head
        if self._idle and data.startswith(head):
            start = len(head)
            end = len(data) - 2
            if (
                data.find(b"\n", start) == end
                and data[-1] == 0x0A
                and end < self._limit
                and data.find(b"\r") < 0  # ``find``: ``in`` takes twice as long on bytes
            ):
                if not data.isascii():
                    _check_utf8(data)
                return [data[start:end]]
        complete = self._complete(data)
        messages = self._blocks(complete) if complete else []
        self._idle = self._started and not (self._tail or self._after_cr or self._data)
        return messages

    def flush(self) -> list[bytes]:
        """End the stream: deliver what is left.

        Unlike the spec, which discards a message without its closing blank line, this
        delivers it: OpenAI-compatible servers may end the stream right after the last
        ``data:`` line. After ``flush()`` the decoder is empty and could start a new
        stream.

        Returns:
            The final message's data, if a message was pending.

        Raises:
            RemoteProtocolError: The last line is not valid UTF-8.
        """
        lines: list[bytes] = []
        if self._tail:
            last = b"".join(self._tail)
            self._tail = []
            self._tail_size = 0
            if not self._started:
                # A stream shorter than a BOM: keep whatever it is not a BOM prefix of.
                last = last[len(_BOM) :] if last.startswith(_BOM) else last
            if not last.isascii():
                _check_utf8(last)
            lines.append(last)
        lines.append(b"")
        messages = self._lines(lines)
        self._after_cr = self._started = self._idle = False
        return messages

    # -- internals ----------------------------------------------------------------

    def _complete(self, data: bytes) -> bytes:
        """Take a chunk; return the complete lines now held, LF-ended (maybe none).

        Handles the BOM at stream start, CR and CRLF line ends (also split across
        chunks), and the start of a line that has not ended yet, kept for the next chunk.
        """
        if not data:
            return b""
        if not self._started:
            data = self._strip_bom(data)
            if not data:
                return b""
        if self._after_cr and data[0] == 0x0A:
            # The spec's line end is CR, LF or CRLF: this LF ends the line the CR
            # at the end of the previous chunk already ended.
            data = data[1:]
            if not data:
                self._after_cr = False
                return b""
        self._after_cr = data[-1:] == b"\r"
        if b"\r" in data:
            # Normalise CRLF and lone CR to LF; a CRLF split across chunks is handled
            # by ``_after_cr`` above. After this only LF ends lines.
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = data.rfind(b"\n")
        if end < 0:
            self._hold(data)
            return b""
        if self._tail:
            self._tail.append(data[: end + 1])
            complete = b"".join(self._tail)
            self._tail = []
            self._tail_size = 0
        else:
            complete = data[: end + 1] if end + 1 < len(data) else data
        if end + 1 < len(data):
            self._hold(data[end + 1 :])
        return complete

    def _blocks(self, complete: bytes) -> list[bytes]:
        """Interpret complete lines, ``complete`` being one or more lines each ending in LF."""
        # Every line in ``complete`` ends with LF, and LF never occurs inside a UTF-8
        # sequence, so checking whole lines never splits a character.
        if not complete.isascii():
            _check_utf8(complete)
        run = self._run
        if run and len(complete) < self._limit:
            # A run of ``event: COMMON`` blocks with one data line each, cut in one pass
            # (guarded by bench/sse_throughput.py, 64 KiB chunks): each block of the run
            # begins after a blank line with ``run``, so splitting on it leaves the data
            # of each block but the last one alone. A data holding a line end would add
            # to the LFs counted below, exactly three per block else.
            parts = (b"\n\n" + complete).split(run)
            # Empty parts[0]: ``complete`` opens with the run, fine unless it continues
            # a message from the previous chunk.
            if len(parts) > 2 and (parts[0] or not self._data):
                begin = len(parts[0])  # the lines before the run end with a blank one
                after = len(complete) - len(parts[-1]) - len(run) + 2  # the run's last block
                if complete.count(b"\n", begin, after) == 3 * (len(parts) - 2):
                    out = self._each_block(complete[:begin]) if begin else []
                    out += parts[1:-1]
                    out += self._each_block(complete[after:])
                    return out
        return self._each_block(complete)

    def _each_block(self, complete: bytes) -> list[bytes]:
        """``_blocks`` one block at a time.

        Splitting at blank lines gives blocks that each end in a dispatch (all but the
        last). Simple blocks (see ``_simple_data``) are cut out directly; ``_lines`` reads
        every other shape line by line, and the tests check both ways agree.
        """
        blocks = complete.split(b"\n\n")
        last = blocks.pop()
        out: list[bytes] = []
        if blocks and self._data:
            # The first block continues a message begun in an earlier chunk.
            out += self._lines([*blocks.pop(0).split(b"\n"), b""])
        small = len(complete) < self._limit  # then no block can hold data over the limit
        for block in blocks:
            found = _simple_data(block, len(block)) if small else None
            if found is None:
                out += self._lines([*block.split(b"\n"), b""])
            else:
                out.append(found)
        if last:
            # ``last`` ends with the LF of its final line; its lines wait for a blank one.
            out += self._lines(last[:-1].split(b"\n"))
        return out

    def _lines(self, lines: list[bytes]) -> list[bytes]:
        """Interpret complete lines (WHATWG 9.2.6), returning the dispatched data."""
        out: list[bytes] = []
        data = self._data
        for line in lines:
            if not line:
                # A blank line dispatches the message; with no data the spec dispatches
                # nothing.
                if data:
                    out.append(data[0] if len(data) == 1 else b"\n".join(data))
                    data = self._data = []
                    self._data_size = 0
                continue
            if line[0] == 0x3A:
                continue  # ":" opens a comment (servers send these as keep-alives)
            # "field:value", one space after the colon stripped; a line without a colon
            # is a field name with an empty value. Only "data" matters here: "event",
            # "id", "retry" and unknown fields set nothing that the data depends on.
            name, _, value = line.partition(b":")
            if name == b"data":
                if value[:1] == b" ":
                    value = value[1:]
                data.append(value)
                self._data_size += len(value) + 1
                if self._data_size > self._limit:
                    raise RemoteProtocolError(
                        f"SSE message data exceeds max_message_size={self._limit} bytes",
                        data=data[0],
                    )
        return out

    def _strip_bom(self, data: bytes) -> bytes:
        """Drop one UTF-8 BOM at stream start, even when it arrives split."""
        pending = b"".join(self._tail) + data if self._tail else data
        if len(pending) < len(_BOM) and _BOM.startswith(pending):
            self._tail = [pending]
            self._tail_size = len(pending)
            return b""
        self._started = True
        self._tail = []
        self._tail_size = 0
        return pending[len(_BOM) :] if pending.startswith(_BOM) else pending

    def _hold(self, part: bytes) -> None:
        """Keep the start of a line that has not ended yet, within the limit."""
        self._tail.append(part)
        self._tail_size += len(part)
        if self._tail_size > self._limit:
            raise RemoteProtocolError(
                f"SSE line exceeds max_message_size={self._limit} bytes without ending",
                data=self._tail[0],
            )


def _simple_data(block: bytes, end: int) -> bytes | None:
    """The data of ``block[:end]`` if those bytes are a simple block, else ``None``.

    Simple: LF-ended lines without a blank one, ``event: NAME`` then one ``data: ``
    line, or that ``data: `` line alone (the ``end`` of the last line is not included).
    """
    if block.startswith(b"event: "):
        nl = block.find(b"\n", 7, end)
        if nl < 0 or not block.startswith(b"data: ", nl + 1, end):
            return None
        start = nl + 7
    elif block.startswith(b"data: "):
        start = 6
    else:
        return None
    # ``find``, as ``in`` on bytes takes about twice as long in CPython 3.11.
    return block[start:end] if block.find(b"\n", start, end) < 0 else None


def _check_utf8(raw: bytes) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RemoteProtocolError(
            f"SSE stream is not valid UTF-8 (byte {exc.start}: {raw[exc.start : exc.end]!r})",
            data=raw[max(0, exc.start - 100) : exc.start],
        ) from None
