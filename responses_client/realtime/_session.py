"""``RealtimeSession``: one Realtime API (GA) session over one WebSocket.

The session is a pump around the pure ``SessionProtocol``: it opens the connection
(``_transports._ws``), sends what the app and the protocol ask, reads the server's
messages, parses each one (``events.parse_event``), feeds it to the protocol, runs the
tools it is told to run (``_tools.run_tool_calls``), and yields every event.

The app drives it by iterating (``async for event in session``): events are read, and
barge-in, tools and figures happen, while it iterates. Sending (``append_audio``,
``commit``, ``send_text``, ``interrupt``…) may happen from any task.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import Enum
from types import TracebackType
from typing import Any, Literal

import anyio
import websockets

from .._config import Config
from .._exceptions import (
    APIConnectionError,
    ConnectionClosed,
    InputError,
    ResponseFailedError,
)
from .._items import Item
from .._tools import Tool, Toolset, run_tool_calls
from .._transports._ws import Connection, closed_error, connect, wire_logger
from . import events as ev
from ._history import to_realtime, to_responses
from ._protocol import Action, Emit, RunTools, Send, SessionProtocol
from .audio import MAX_APPEND_BYTES, AudioFormat, frames

__all__ = ["NOT_GIVEN", "RealtimeSession", "TurnDetection"]

logger = logging.getLogger("responses_client.realtime")


class _NotGivenType(Enum):
    NOT_GIVEN = "NOT_GIVEN"


_NotGiven = Literal[_NotGivenType.NOT_GIVEN]
NOT_GIVEN: _NotGiven = _NotGivenType.NOT_GIVEN
"""Leave a setting as it is (``None`` is a value: ``turn_detection=None`` means manual turns)."""

TurnDetection = Mapping[str, Any] | Literal["server_vad", "semantic_vad"] | None
"""``"server_vad"`` / ``"semantic_vad"`` with the server's defaults, a full mapping
(``{"type": "server_vad", "silence_duration_ms": 300}``), or ``None`` for manual turns."""

_FORMAT_BODIES: Mapping[str, dict[str, Any]] = {
    "audio/pcm": {"type": "audio/pcm", "rate": 24000},
    "audio/pcmu": {"type": "audio/pcmu"},
    "audio/pcma": {"type": "audio/pcma"},
}


def _realtime_tools(tools: Toolset) -> list[dict[str, Any]]:
    # The Realtime API's function tool has no ``strict``: the flat Responses shape minus it.
    return [{k: v for k, v in tool.items() if k != "strict"} for tool in tools.to_wire()]


class RealtimeSession:
    """A speech-in, speech-out session with a Realtime model (GA protocol).

    Build it with ``Client.realtime(...)`` and use it as an async context manager::

        async with client.realtime(model="gpt-realtime", tools=[get_weather]) as session:
            await session.append_audio(pcm)        # 24 kHz PCM16 from the microphone
            async for event in session:
                match event:
                    case events.OutputAudioDeltaEvent():
                        speaker.play(event.pcm)
                        session.played(speaker.position_ms(event.item_id))
                    case events.PlaybackStopEvent():
                        speaker.stop()

    Every server event is yielded, typed (``realtime.events``), and three of the SDK's
    own: ``client.playback.stop`` (a barge-in: stop playing), ``client.tool.result``
    (a tool the session ran), ``client.response.figures`` (usage and timings of a
    response). An ``error`` event is yielded too, except ``response_cancel_not_active``,
    which only says that the response ended before the cancel. A malformed message
    raises ``RemoteProtocolError`` from the iteration; the session stays usable and the
    next iteration goes on with the next message.
    """

    def __init__(
        self,
        config: Config,
        *,
        model: str,
        instructions: str | None = None,
        tools: Iterable[Tool[..., Any] | Callable[..., Any]] = (),
        voice: str | None = None,
        turn_detection: TurnDetection = "server_vad",
        output_modalities: Sequence[Literal["audio", "text"]] | None = None,
        input_format: AudioFormat = "audio/pcm",
        output_format: AudioFormat = "audio/pcm",
        transcription: Mapping[str, Any] | None = None,
        history: Iterable[Item | Mapping[str, Any]] = (),
        auto_reconnect: bool = False,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        max_size: int = 32 * 2**20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self.model = model
        """The model the session talks to."""
        self._toolset = Toolset(tools)
        self._settings: dict[str, Any] = {}
        self._input_format: AudioFormat = input_format
        self._output_format: AudioFormat = output_format
        self._apply_settings(
            instructions=instructions,
            voice=voice,
            turn_detection=turn_detection,
            output_modalities=output_modalities,
            input_format=input_format,
            output_format=output_format,
            transcription=transcription,
            tools=self._toolset,
        )
        self._history = to_realtime(history)
        self.auto_reconnect = auto_reconnect
        """Whether a dropped connection is replaced (``reconnect()``) while iterating."""
        self._open_timeout = open_timeout
        self._ping_interval = ping_interval
        self._max_size = max_size
        self._clock = clock
        self._protocol = SessionProtocol(output_format=output_format)
        self._pending: deque[ev.ServerEvent | ev.UnknownEvent | ev.ClientEvent] = deque()
        self._ws: Connection | None = None
        self._closed = False
        self._retrievals: dict[str, list[anyio.Event]] = {}
        self._retrieved: dict[str, dict[str, Any] | BaseException] = {}
        secrets = (config.api_key,) if config.api_key else ()
        self._wire_logger = wire_logger(secrets)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._ws is not None else "not open"
        return f"<RealtimeSession model={self.model!r} {state}>"

    # -- settings ---------------------------------------------------------------------

    def _apply_settings(
        self,
        *,
        instructions: str | None | _NotGiven = NOT_GIVEN,
        voice: str | None | _NotGiven = NOT_GIVEN,
        turn_detection: TurnDetection | _NotGiven = NOT_GIVEN,
        output_modalities: Sequence[str] | None | _NotGiven = NOT_GIVEN,
        input_format: AudioFormat | None = None,
        output_format: AudioFormat | None = None,
        transcription: Mapping[str, Any] | None | _NotGiven = NOT_GIVEN,
        tools: Toolset | None = None,
    ) -> dict[str, Any]:
        """Record settings; returns the ``session`` body of what changed."""
        body: dict[str, Any] = {"type": "realtime"}
        audio_in: dict[str, Any] = {}
        audio_out: dict[str, Any] = {}
        if instructions is not NOT_GIVEN and instructions is not None:
            body["instructions"] = instructions
        if output_modalities is not NOT_GIVEN and output_modalities is not None:
            body["output_modalities"] = list(output_modalities)
        if tools is not None:
            wire = _realtime_tools(tools)
            if wire != self._settings.get("tools"):
                body["tools"] = wire
        if isinstance(turn_detection, str):
            audio_in["turn_detection"] = {"type": turn_detection}
        elif turn_detection is not NOT_GIVEN:
            audio_in["turn_detection"] = None if turn_detection is None else dict(turn_detection)
        if transcription is not NOT_GIVEN and transcription is not None:
            audio_in["transcription"] = dict(transcription)
        if input_format is not None:
            audio_in["format"] = dict(_FORMAT_BODIES[input_format])
            self._input_format = input_format
        if output_format is not None:
            audio_out["format"] = dict(_FORMAT_BODIES[output_format])
            self._output_format = output_format
        if voice is not NOT_GIVEN and voice is not None:
            audio_out["voice"] = voice
        if audio_in or audio_out:
            body["audio"] = {
                key: value for key, value in (("input", audio_in), ("output", audio_out)) if value
            }
        _merge_into(self._settings, body)
        return body

    async def update(
        self,
        *,
        instructions: str | _NotGiven = NOT_GIVEN,
        tools: Iterable[Tool[..., Any] | Callable[..., Any]] | None = None,
        voice: str | _NotGiven = NOT_GIVEN,
        turn_detection: TurnDetection | _NotGiven = NOT_GIVEN,
        output_modalities: Sequence[Literal["audio", "text"]] | _NotGiven = NOT_GIVEN,
        transcription: Mapping[str, Any] | _NotGiven = NOT_GIVEN,
    ) -> None:
        """Change settings: one ``session.update`` with what changed (tools only if they did).

        ``turn_detection=None`` switches to manual turns (``commit()`` and ``respond()``).
        The answer (``session.updated``) arrives among the events.
        """
        toolset = None
        if tools is not None:
            toolset = Toolset(tools)
            self._toolset = toolset
        body = self._apply_settings(
            instructions=instructions,
            voice=voice,
            turn_detection=turn_detection,
            output_modalities=output_modalities,
            transcription=transcription,
            tools=toolset,
        )
        if len(body) > 1:
            await self._send(ev.session_update(body))

    @property
    def settings(self) -> Mapping[str, Any]:
        """The session settings this client sent (the ``session`` of ``session.update``)."""
        return self._settings

    # -- opening and closing -------------------------------------------------------------

    async def __aenter__(self) -> RealtimeSession:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _open(self) -> None:
        url = self._config.realtime_url(self.model)
        self._ws = await connect(
            url,
            headers=self._config.headers(),
            logger=self._wire_logger,
            open_timeout=self._open_timeout,
            close_timeout=5.0,
            ping_interval=self._ping_interval,
            max_queue=256,
            max_size=self._max_size,
        )
        logger.debug("realtime session connected to %s", url)
        await self._send(ev.session_update(self._settings))
        # The server's answer to the settings comes before anything the app sends.
        await self._read_until(lambda event: event.type in ("session.updated", "error"))
        if not self._history:
            return
        remaining: set[str] = set()
        previous: str | None = None
        for item in self._history:
            item.setdefault("id", "item_" + uuid.uuid4().hex[:24])
            remaining.add(item["id"])
            await self._send(ev.item_create(item, previous))
            previous = item["id"]

        def seeded(event: Any) -> bool:
            if isinstance(event, ev.ConversationItemDoneEvent):
                remaining.discard(str(event.item.get("id")))
            return event.type == "error" or not remaining

        # Seeded before the app sends anything, so its first turn sees the whole history.
        await self._read_until(seeded)

    async def _read_until(self, done: Callable[[Any], bool]) -> None:
        """Read events into the pending queue until one satisfies ``done``."""
        with anyio.fail_after(self._open_timeout):
            while True:
                event = await self._read_one()
                if event is None:
                    continue
                self._pending.append(event)
                if done(event):
                    if isinstance(event, ev.ErrorEvent):
                        raise ResponseFailedError(
                            f"the server refused the session set-up: {event.error.message}",
                            code=event.error.code,
                            param=event.error.param,
                        )
                    return

    async def aclose(self) -> None:
        """Close the connection (idempotent)."""
        self._closed = True
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    async def reconnect(self) -> None:
        """Open a new connection and re-seed it with the history, once each item.

        The completed items of ``items`` (text, transcripts, function calls and outputs)
        are created again in order, with their ids; audio is not re-sent, and a response
        that was in progress is not resumed. Events not yet read from the old
        connection are dropped.
        """
        old, self._ws = self._ws, None
        if old is not None:
            await old.close()
        history = [
            dict(item, id=item_id)
            for item_id, item in self._protocol.items.items()
            if item.get("status") != "in_progress"
        ]
        self._history = to_realtime(to_responses(history))
        for seeded, item in zip(self._history, (h for h in history if _carried(h)), strict=True):
            seeded["id"] = item["id"]
        self._protocol = SessionProtocol(output_format=self._output_format)
        self._pending.clear()
        await self._open()

    # -- sending ----------------------------------------------------------------------------

    async def _send(self, event: Mapping[str, Any]) -> None:
        ws = self._ws
        if ws is None:
            raise APIConnectionError("the realtime session is not open")
        try:
            await ws.send(_dumps(event))
        except websockets.ConnectionClosed as exc:
            raise closed_error(exc) from None

    async def _apply(self, actions: list[Action]) -> None:
        for action in actions:
            match action:
                case Send(event=event):
                    await self._send(event)
                case Emit(event=event):
                    self._pending.append(event)
                case RunTools(calls=calls):
                    outcomes = await run_tool_calls(calls, self._toolset)
                    await self._apply(self._protocol.tool_outputs(outcomes, self._clock()))

    async def append_audio(self, audio: bytes) -> None:
        """Append audio to the input buffer, in the input format (PCM16 24 kHz by default).

        Audio larger than one event may carry (15 MiB of base64) is split, on sample
        boundaries, over several ``input_audio_buffer.append`` events.
        """
        if self._input_format == "audio/pcm" and len(audio) % 2:
            raise InputError("PCM16 audio has an even number of bytes")
        for payload in frames(audio, MAX_APPEND_BYTES):
            await self._send(ev.audio_append(payload))

    async def commit(self) -> None:
        """Commit the input buffer as a user item (manual turns); the turn ends now."""
        self._protocol.turn_ended(self._clock())
        await self._send(ev.audio_commit())

    async def clear(self) -> None:
        """Drop the input buffer's audio."""
        await self._send(ev.audio_clear())

    async def respond(self, **response: Any) -> None:
        """Ask for a response now (manual turns), with per-response settings if given."""
        await self._apply([self._protocol.request_response(self._clock(), response or None)])

    async def send_text(self, text: str, *, respond: bool = True) -> None:
        """Add a user text message, and ask for a response unless ``respond=False``."""
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        await self._send(ev.item_create(item))
        if respond:
            await self.respond()

    def played(self, ms: float, item_id: str | None = None) -> None:
        """Report how much of an assistant item's audio has been played, in ms, in all.

        Defaults to the item whose audio came last. Barge-in truncates at
        ``min(played, generated)``, so report as often as your playback clock allows.
        For an item never reported, playback is taken to run in real time from its
        first audio delta.
        """
        self._protocol.played(ms, item_id)

    async def interrupt(self) -> None:
        """Barge in from the client: cancel the active response, truncate the playing item.

        A ``client.playback.stop`` event follows among the events.
        """
        await self._apply(self._protocol.interrupt(self._clock()))

    async def cancel(self) -> None:
        """Cancel the active response (once; nothing if none is active)."""
        await self._apply(self._protocol.cancel())

    async def retrieve_item(self, item_id: str) -> dict[str, Any]:
        """The server's copy of an item, audio included.

        The answer is read by the iteration: iterate in another task while awaiting this.

        Raises:
            ResponseFailedError: The server does not hold the item.
        """
        waiter = anyio.Event()
        self._retrievals.setdefault(item_id, []).append(waiter)
        await self._send(ev.item_retrieve(item_id, event_id=f"rci_{item_id}"))
        with anyio.fail_after(self._open_timeout):
            await waiter.wait()
        result = self._retrieved.pop(item_id)
        if isinstance(result, BaseException):
            raise result
        return result

    # -- the conversation ---------------------------------------------------------------------

    @property
    def items(self) -> tuple[dict[str, Any], ...]:
        """The conversation as the server holds it, in order (a mirror; do not mutate)."""
        return tuple(self._protocol.items.values())

    def conversation_items(self) -> list[dict[str, Any]]:
        """The history as Responses items (text), for ``Client.conversation(items=...)``."""
        return to_responses(self._protocol.items.values())

    @property
    def audio(self) -> Mapping[str, Any]:
        """Per assistant item id: audio generated, played and where it was truncated."""
        return self._protocol.audio

    # -- receiving ------------------------------------------------------------------------

    def __aiter__(self) -> RealtimeSession:
        return self

    async def __anext__(self) -> ev.ServerEvent | ev.UnknownEvent | ev.ClientEvent:
        while True:
            if self._pending:
                return self._pending.popleft()
            if self._closed:
                raise StopAsyncIteration
            try:
                event = await self._read_one()
            except ConnectionClosed:
                if self.auto_reconnect and not self._closed:
                    logger.info("realtime connection lost; reconnecting")
                    await self.reconnect()
                    continue
                raise
            if event is not None:
                return event

    async def _read_one(self) -> ev.ServerEvent | ev.UnknownEvent | ev.ClientEvent | None:
        """Read, parse and act on one message; ``None`` when it is swallowed."""
        ws = self._ws
        if ws is None:
            raise ConnectionClosed("the realtime session is closed")
        # Speed trick, guarded by bench/realtime.py (real time: 50 sessions, a wake-up per
        # frame): a message already queued is taken without awaiting ``receive()``, and a
        # frame that asks for nothing (most audio deltas) skips ``_apply``. What reaches the
        # caller is the same: every message, in order, acted on before it is yielded.
        if ws.messages:
            data = ws.take()
        else:
            try:
                waited = await ws.receive()
            except websockets.ConnectionClosed as exc:
                raise closed_error(exc) from None
            if waited is None:
                return None
            data = waited
        event = ev.parse_event(data)
        if isinstance(event, ev.ErrorEvent):
            if self._protocol.is_benign(event):
                logger.debug("benign realtime error: %s", event.error.code)
                return None
            self._settle_retrieval_error(event)
        elif isinstance(event, ev.ConversationItemRetrievedEvent):
            self._settle_retrieval(str(event.item.get("id")), event.item)
        actions = self._protocol.feed(event, self._clock())
        if actions:
            await self._apply(actions)
        return event

    def _settle_retrieval(self, item_id: str, result: dict[str, Any] | BaseException) -> None:
        waiters = self._retrievals.pop(item_id, [])
        if waiters:
            self._retrieved[item_id] = result
        for waiter in waiters:
            waiter.set()

    def _settle_retrieval_error(self, event: ev.ErrorEvent) -> None:
        cause = event.error.event_id or ""
        if cause.startswith("rci_"):
            item_id = cause[4:]
            self._settle_retrieval(
                item_id,
                ResponseFailedError(
                    event.error.message, code=event.error.code, param=event.error.param
                ),
            )


def _carried(item: Mapping[str, Any]) -> bool:
    # The items to_responses keeps (and to_realtime converts back), in order.
    return item.get("type") in ("message", "function_call", "function_call_output")


def _merge_into(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = value


def _dumps(event: Mapping[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)
