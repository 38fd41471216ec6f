"""Server-sent events decoder (sans-I/O): bytes in, messages out.

The decoder follows the WHATWG HTML standard, section 9.2.6 "Interpreting an event
stream" (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
with three deliberate differences, each documented where it applies:

* invalid UTF-8 raises ``RemoteProtocolError`` instead of being replaced with U+FFFD,
  because a corrupted Responses stream would otherwise deliver corrupted JSON;
* ``flush()`` at end of stream delivers a final message that lacks its closing blank
  line, because several OpenAI-compatible servers end the stream that way;
* a size limit guards against a peer that never ends a line or a message.

Typical use, in an I/O layer::

    decoder = SSEDecoder()
    async for chunk in response.aiter_bytes():
        for message in decoder.feed(chunk):
            handle(message)
    for message in decoder.flush():
        handle(message)
"""

from __future__ import annotations

from dataclasses import dataclass

from ._exceptions import InputError, RemoteProtocolError

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "SSEDecoder", "SSEMessage"]

DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
"""Default bound on a line not yet ended (bytes) and on one message's data (characters)."""

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SSEMessage:
    """One dispatched server-sent event."""

    event: str
    """The ``event:`` field, or ``"message"`` when the message had none (as the spec says)."""

    data: str
    """The ``data:`` lines of the message joined with ``"\\n"``; possibly ``""``."""

    id: str | None = None
    """The last event ID seen on the stream so far, or ``None`` before any ``id:`` field.

    As in the spec, the ID persists from one message to the next until another ``id:``
    field changes it; an empty ``id:`` sets it to ``""``.
    """

    retry: int | None = None
    """The ``retry:`` value (milliseconds) given inside this message, else ``None``."""


# Building a frozen dataclass through its ``__init__`` goes through ``object.__setattr__``
# once per field, which costs more than everything else the decoder does for a typical
# message. Setting the slots through their descriptors is the same operation, done directly.
_new = object.__new__
_set_event, _set_data, _set_id, _set_retry = (
    SSEMessage.__dict__[name].__set__ for name in ("event", "data", "id", "retry")
)


def _message(event: str, data: str, id: str | None, retry: int | None) -> SSEMessage:
    message: SSEMessage = _new(SSEMessage)
    _set_event(message, event)
    _set_data(message, data)
    _set_id(message, id)
    _set_retry(message, retry)
    return message


class SSEDecoder:
    """Incremental decoder of a ``text/event-stream`` body.

    Feed it the body's bytes as they arrive, split anywhere (inside a line, between a CR
    and its LF, inside a UTF-8 sequence); it returns each message once its closing blank
    line has arrived. At end of stream call ``flush()`` once. After it raised, the stream
    is broken: discard the decoder.

    Args:
        max_message_size: Bound on the bytes of one line not yet ended and on the
            characters of ``data`` gathered for one message. Exceeding it raises
            ``RemoteProtocolError``.

        common_event: The event name most messages of the stream carry, if any.
            ``feed_data()`` cuts a run of such messages, each one ``event: NAME`` line
            and one ``data:`` line, out of a chunk in one pass instead of one by one.

    Attributes:
        retry: The last ``retry:`` value seen on the stream (milliseconds), or ``None``.
            Kept here as well because a ``retry:`` in a block without data sets the
            reconnection time without dispatching a message.
    """

    __slots__ = (
        "_after_cr",
        "_data",
        "_data_size",
        "_event",
        "_last_id",
        "_limit",
        "_msg_retry",
        "_run",
        "_started",
        "_tail",
        "_tail_size",
        "retry",
    )

    def __init__(
        self, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, common_event: str = ""
    ) -> None:
        if max_message_size < 1:
            raise InputError(f"max_message_size must be at least 1, got {max_message_size}")
        if "\n" in common_event or "\r" in common_event:
            raise InputError("common_event must be one line")
        self._run = f"\n\nevent: {common_event}\ndata: ".encode() if common_event else b""
        self._limit = max_message_size
        self._tail: list[bytes] = []
        self._tail_size = 0
        self._after_cr = False
        self._started = False
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._last_id: str | None = None
        self._msg_retry: int | None = None
        self.retry: int | None = None

    # -- feeding ---------------------------------------------------------------

    def feed(self, data: bytes) -> list[SSEMessage]:
        """Take the next bytes of the stream.

        Args:
            data: Any number of bytes, split anywhere.

        Returns:
            The messages completed by these bytes, in order (often none).

        Raises:
            RemoteProtocolError: The stream is not valid UTF-8, or a line or a message
                exceeds ``max_message_size``.
        """
        complete = self._complete(data)
        if complete is None:
            return []
        # Every line in ``complete`` ends with LF, and LF never occurs inside a UTF-8
        # sequence, so decoding whole lines never splits a character.
        return self._text(_decode(complete))

    def feed_data(self, data: bytes) -> list[bytes]:
        """Take the next bytes of the stream, like ``feed()``, returning only each data.

        For a client that needs nothing but the ``data`` of each message (the event
        name, ID and retry are kept in the decoder as ``feed()`` keeps them): the common
        blocks, ``event: NAME`` then one ``data: ...`` line, or a lone ``data: ...``
        line, are cut out of the bytes as they arrived, without decoding them to text
        and without a message object. Mixing ``feed()`` and ``feed_data()`` on one
        stream is allowed; end the stream with ``flush_data()`` or ``flush()``.

        Args:
            data: Any number of bytes, split anywhere.

        Returns:
            The ``data`` of each message completed by these bytes, in order, as UTF-8
            (the same text ``feed()`` would give as ``SSEMessage.data``).

        Raises:
            RemoteProtocolError: As ``feed()``.
        """
        if (
            data.endswith(b"\n\n")
            and self._started
            and not self._tail
            and not self._after_cr
            and len(data) < self._limit
            and b"\r" not in data
        ):
            # Servers flush each event on its own, so most chunks are one whole block.
            # With nothing held from earlier chunks, a simple one is cut out at once.
            found = _simple_data(data[:-2])
            if found is not None and not self._pending():
                if not data.isascii():
                    _decode(data)  # only to reject invalid UTF-8, as ``feed()`` does
                return [found]
        complete = self._complete(data)
        if complete is None:
            return []
        if not complete.isascii():
            _decode(complete)  # only to reject invalid UTF-8, as ``feed()`` does
        run = self._run
        if run and len(complete) < self._limit:
            # A run of ``event: COMMON`` blocks with one data line each, cut in one pass:
            # each block of the run begins after a blank line with ``run``, so splitting on
            # it leaves the data of each block but the last one alone. A data holding a
            # line end would add to the LFs counted below, exactly three per block else.
            parts = (b"\n\n" + complete).split(run)
            # Empty parts[0]: ``complete`` opens with the run, fine unless it continues
            # a message from the previous chunk.
            if len(parts) > 2 and (parts[0] or not self._pending()):
                begin = len(parts[0])  # the lines before the run end with a blank one
                after = len(complete) - len(parts[-1]) - len(run) + 2  # the run's last block
                if complete.count(b"\n", begin, after) == 3 * (len(parts) - 2):
                    out = self._data_blocks(complete[:begin]) if begin else []
                    out += parts[1:-1]
                    out += self._data_blocks(complete[after:])
                    return out
        return self._data_blocks(complete)

    def flush(self) -> list[SSEMessage]:
        """End the stream: deliver what is left.

        Unlike the spec, which discards an event without its closing blank line, this
        delivers it: OpenAI-compatible servers may end the stream right after the last
        ``data:`` line. After ``flush()`` the decoder is empty and could start a new
        stream (the last event ID is kept, as the spec keeps it across reconnections).

        Returns:
            The final message, if one was pending.

        Raises:
            RemoteProtocolError: The last line is not valid UTF-8.
        """
        lines: list[str] = []
        if self._tail:
            raw = b"".join(self._tail)
            self._tail = []
            self._tail_size = 0
            if not self._started:
                # A stream shorter than a BOM: keep whatever it is not a BOM prefix of.
                raw = raw[len(_BOM) :] if raw.startswith(_BOM) else raw
            lines.append(_decode(raw))
        lines.append("")
        messages = self._lines(lines)
        self._after_cr = False
        self._started = False
        return messages

    def flush_data(self) -> list[bytes]:
        """End the stream like ``flush()``, returning only the final message's data.

        Returns:
            The final message's ``data`` as UTF-8, if one was pending.

        Raises:
            RemoteProtocolError: As ``flush()``.
        """
        return _data_of(self.flush())

    # -- internals ----------------------------------------------------------------

    def _complete(self, data: bytes) -> bytes | None:
        """Take a chunk; return the complete lines now held, LF-ended, or ``None``.

        Handles what ``feed()`` and ``feed_data()`` share: the BOM at stream start, CR
        and CRLF line ends (also split across chunks), and the start of a line that has
        not ended yet, kept for the next chunk.
        """
        if not data:
            return None
        if not self._started:
            data = self._strip_bom(data)
            if not data:
                return None
        if self._after_cr and data[0] == 0x0A:
            # The spec's line end is CR, LF or CRLF: this LF ends the line the CR
            # at the end of the previous chunk already ended.
            data = data[1:]
            if not data:
                self._after_cr = False
                return None
        self._after_cr = data[-1:] == b"\r"
        if b"\r" in data:
            # Normalise CRLF and lone CR to LF; a CRLF split across chunks is handled
            # by ``_after_cr`` above. After this only LF ends lines.
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = data.rfind(b"\n")
        if end < 0:
            self._hold(data)
            return None
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

    def _pending(self) -> bool:
        """Whether a message begun in an earlier chunk waits for its blank line."""
        return bool(self._data or self._event or self._msg_retry is not None)

    def _data_blocks(self, complete: bytes) -> list[bytes]:
        """``feed_data()`` for complete lines, one block at a time (as ``_text``)."""
        blocks = complete.split(b"\n\n")
        last = blocks.pop()
        out: list[bytes] = []
        if blocks and self._pending():
            # The first block continues a message begun in an earlier chunk.
            out += _data_of(self._lines([*blocks.pop(0).decode().split("\n"), ""]))
        # A block shorter than the limit cannot hold data over the limit.
        small = len(complete) < self._limit
        append = out.append
        for block in blocks:
            if small:
                found = _simple_data(block)
                if found is not None:
                    append(found)
                    continue
            out += _data_of(self._lines([*block.decode().split("\n"), ""]))
        if last:
            # ``last`` ends with the LF of its final line; its lines wait for a blank one.
            out += _data_of(self._lines(last[:-1].decode().split("\n")))
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

    def _text(self, text: str) -> list[SSEMessage]:
        """Interpret complete lines, ``text`` being one or more lines each ending in LF.

        Splitting at blank lines gives blocks that each end in a dispatch (all but the
        last). The common blocks, ``event: NAME`` then one ``data: ...`` line, or a lone
        ``data: ...`` line, become messages without the line-by-line path; ``_lines``
        handles every other shape, and the tests check both paths agree.
        """
        blocks = text.split("\n\n")
        last = blocks.pop()
        messages: list[SSEMessage] = []
        if blocks and self._pending():
            # The first block continues a message begun in an earlier chunk.
            messages += self._lines([*blocks.pop(0).split("\n"), ""])
        # A block shorter than the limit cannot hold data over the limit.
        small = len(text) < self._limit
        last_id = self._last_id
        append = messages.append
        for block in blocks:
            if small:
                if block.startswith("event: "):
                    nl = block.find("\n", 7)
                    if nl > 0 and block.startswith("data: ", nl + 1):
                        data = block[nl + 7 :]
                        if "\n" not in data:
                            append(_message(block[7:nl] or "message", data, last_id, None))
                            continue
                elif block.startswith("data: ") and "\n" not in block:
                    append(_message("message", block[6:], last_id, None))
                    continue
            messages += self._lines([*block.split("\n"), ""])
            last_id = self._last_id
        if last:
            # ``last`` ends with the LF of its final line; its lines wait for a blank one.
            messages += self._lines(last[:-1].split("\n"))
        return messages

    def _lines(self, lines: list[str]) -> list[SSEMessage]:
        """Interpret complete lines (WHATWG 9.2.6), returning dispatched messages."""
        messages: list[SSEMessage] = []
        data = self._data
        limit = self._limit
        for line in lines:
            if not line:
                # A blank line dispatches the event.
                if data:
                    messages.append(
                        _message(
                            self._event or "message",
                            data[0] if len(data) == 1 else "\n".join(data),
                            self._last_id,
                            self._msg_retry,
                        )
                    )
                    data = self._data = []
                    self._data_size = 0
                # With no data the spec resets the buffers and dispatches nothing.
                self._event = ""
                self._msg_retry = None
                continue
            if line[0] == ":":
                continue  # a comment (servers send these as keep-alives)
            # "field:value", one space after the colon stripped; a line without a colon
            # is a field name with an empty value.
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
                self._data_size += len(value) + 1
                if self._data_size > limit:
                    raise RemoteProtocolError(
                        f"SSE message data exceeds max_message_size={limit} characters",
                        data=data[0],
                    )
            elif name == "event":
                self._event = value
            elif name == "id":
                # The spec ignores an id containing NUL (it could not be sent back in
                # a Last-Event-ID header).
                if "\0" not in value:
                    self._last_id = value
            elif name == "retry":
                # ASCII digits only; anything else is ignored.
                if value.isascii() and value.isdigit():
                    self._msg_retry = self.retry = int(value)
            # Any other field name is ignored, as the spec says.
        return messages


def _simple_data(block: bytes) -> bytes | None:
    """The data of a simple block (LF-ended lines, no blank line), else ``None``.

    Simple: ``event: NAME`` then one ``data:`` line, or that one ``data:`` line alone.
    """
    if block.startswith(b"event: "):
        nl = block.find(b"\n", 7)
        # ``find``, as ``in`` takes twice as long on bytes in CPython 3.11.
        if nl > 0 and block.startswith(b"data: ", nl + 1) and block.find(b"\n", nl + 7) < 0:
            return block[nl + 7 :]
    elif block.startswith(b"data: ") and block.find(b"\n") < 0:
        return block[6:]
    return None


def _data_of(messages: list[SSEMessage]) -> list[bytes]:
    return [message.data.encode() for message in messages]


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RemoteProtocolError(
            f"SSE stream is not valid UTF-8 (byte {exc.start}: {raw[exc.start : exc.end]!r})",
            data=raw[max(0, exc.start - 100) : exc.start],
        ) from None
