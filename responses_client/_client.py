"""``Client``: connection settings, the shared HTTP pool, and the conversations made from it."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from . import _saved as saved
from ._config import Config
from ._conversation import Conversation
from ._exceptions import InputError
from ._history import coerce_items
from ._items import Item
from ._request import RequestSettings
from ._retry import RetryPolicy
from ._tools import Tool, ToolLike, Toolset, split_tools
from ._transports.base import Transport

if TYPE_CHECKING:
    import httpx

    from ._transports._lanes import ConnectionPool
    from .realtime import RealtimeSession, TurnDetection
    from .realtime.audio import AudioFormat

__all__ = ["Client"]

logger = logging.getLogger("responses_client")

TransportName = Literal["sse", "websocket", "chat"]

DEFAULT_TRANSPORT: TransportName = "websocket"
"""The transport of new conversations when nobody chose one."""


class Client:
    """Entry point: holds where to connect and how, and makes conversations.

    Use it as an async context manager, so that every connection it opened is closed::

        async with Client() as client:
            convo = client.conversation(model="gpt-4.1")
            print((await convo.send("Hello")).text)
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        websocket_base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout = 600.0,
        max_retries: int = 2,
        retry: RetryPolicy | None = None,
        transport: TransportName = DEFAULT_TRANSPORT,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        """Create a client.

        Args:
            api_key: The API key; ``None`` reads ``OPENAI_API_KEY``.
            base_url: The HTTP base URL; ``None`` reads ``OPENAI_BASE_URL``, then
                ``https://api.openai.com/v1``.
            websocket_base_url: The WebSocket base URL (openai-python's name); derived
                from ``base_url`` when ``None`` (``http`` → ``ws``, ``https`` → ``wss``).
                The Responses WebSocket is ``{websocket_base_url}/responses``.
            organization: Sent as ``OpenAI-Organization``; ``None`` reads ``OPENAI_ORG_ID``.
            project: Sent as ``OpenAI-Project``; ``None`` reads ``OPENAI_PROJECT_ID``.
            default_headers: Extra headers for every request and handshake.
            timeout: Seconds for connect and for each read (or an ``httpx.Timeout``), on
                every transport: a server silent for longer mid-response counts as a
                dropped connection and the request is retried.
            max_retries: How many times a request is sent again after a retryable fault
                (a request goes out at most ``max_retries + 1`` times in all).
            retry: The whole retry policy (its ``max_retries``, delays and ``Retry-After``
                cap), instead of ``max_retries``; e.g. ``RetryPolicy(delays=zero_delays)``
                in tests.
            transport: The default transport of new conversations: ``"websocket"`` (one
                persistent connection per conversation, sending only new items each turn),
                ``"sse"`` (one HTTP request per response, full context each time) or
                ``"chat"`` (Chat Completions, for OpenAI-compatible servers; full context).
            http_client: An httpx client to use instead of the client's own (not closed by
                ``aclose``); for custom pools, proxies or ``httpx.ASGITransport``.
        """
        if retry is None:
            if max_retries < 0:
                raise InputError("max_retries must be 0 or more")
            retry = RetryPolicy(max_retries=max_retries)
        self._config = Config.resolve(
            api_key=api_key,
            base_url=base_url,
            websocket_base_url=websocket_base_url,
            organization=organization,
            project=project,
            default_headers=default_headers,
        )
        self._timeout = timeout
        self._retry = retry
        self._default_transport: TransportName = transport
        self._own_http = http_client is None
        self._http_client = http_client
        self._conversations: weakref.WeakSet[Conversation] = weakref.WeakSet()
        self._pools: list[ConnectionPool] = []
        self._closed = False

    def __repr__(self) -> str:
        key = "set" if self._config.api_key else "unset"
        return f"<Client base_url={self._config.base_url!r} api_key={key}>"

    @property
    def base_url(self) -> str:
        """The HTTP base URL requests go to."""
        return self._config.base_url

    @property
    def websocket_base_url(self) -> str:
        """The WebSocket base URL; the Responses WebSocket is ``{it}/responses``."""
        return self._config.websocket_base_url

    def conversation(
        self,
        *,
        model: str = "gpt-4.1",
        instructions: str | None = None,
        tools: Iterable[ToolLike] = (),
        transport: TransportName | Transport | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_output_tokens: int | None = None,
        service_tier: str | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        reasoning: Mapping[str, Any] | None = None,
        include: Sequence[str] | None = None,
        store: bool = False,
        extra: Mapping[str, Any] | None = None,
        items: Iterable[Item | Mapping[str, Any]] = (),
        max_tool_rounds: int = 10,
        retry: RetryPolicy | None = None,
        retry_after_output: bool = True,
        max_request_bytes: int | None = None,
        connection: ConnectionPool | None = None,
    ) -> Conversation:
        """Start a conversation.

        Args:
            model: The model every turn asks for.
            instructions: System instructions, sent with every request.
            tools: Functions (plain or ``@tool``) the model may call, which the SDK runs,
                and hosted tools as dicts (``{"type": "web_search"}``), which the server
                runs.
            transport: ``"websocket"``, ``"sse"``, ``"chat"``, a ``Transport`` object, or
                ``None`` for the client's default.
            temperature: Sampling temperature; omitted from requests when ``None``.
            top_p: Nucleus sampling; omitted when ``None``.
            max_output_tokens: Output token limit per response; omitted when ``None``.
            service_tier: ``"auto"``, ``"default"``, ``"flex"``, ``"priority"``; omitted
                when ``None``.
            tool_choice: ``"auto"``, ``"none"``, ``"required"`` or a tool selector.
            parallel_tool_calls: Whether the model may call several tools at once.
            reasoning: Reasoning options for reasoning models, e.g. ``{"effort": "low"}``.
                With ``store=False`` (the default) the reasoning items' encrypted
                content is asked for and kept, so they can be sent back when a request
                carries the full context.
            include: More output for responses to carry (the API's ``include``), e.g.
                ``["message.output_text.logprobs"]``.
            store: Whether the server stores responses (``false`` unless set).
            extra: More body fields, merged last (they override the ones above).
            items: A history to start from (items or chat-style / Responses-style dicts).
            max_tool_rounds: How many tool rounds one turn may take before ``ToolError``.
            retry: This conversation's retry policy; the client's when ``None``.
            retry_after_output: After a fault once events reached the caller, retry and
                emit ``client.retry`` (True), or raise ``RetryAfterOutputError`` (False).
            max_request_bytes: The largest request a turn may send, in bytes of JSON; a
                larger one is refused with ``InputError`` before it is sent (and a tool
                output too large goes back to the model as an error text). ``None``: the
                transport's own limit, 16 MiB over WebSocket (the frame the server takes),
                none over HTTP.
            connection: A pool from ``connection()``: the conversation runs on a lane of
                a WebSocket connection it shares with the pool's other conversations,
                instead of a connection of its own.
        """
        toolset, schemas = split_tools(tools)
        settings = RequestSettings(
            model=model,
            instructions=instructions,
            tools=schemas,
            temperature=temperature,
            top_p=top_p,
            max_output_tokens=max_output_tokens,
            service_tier=service_tier,
            tool_choice=tool_choice,
            parallel_tool_calls=parallel_tool_calls,
            reasoning=reasoning,
            include=None if include is None else tuple(include),
            store=store,
            extra=dict(extra or {}),
        )
        return self._open(
            settings,
            toolset,
            self._lane_or(transport, connection),
            items=coerce_items(list(items)),
            max_tool_rounds=max_tool_rounds,
            retry=retry,
            retry_after_output=retry_after_output,
            max_request_bytes=max_request_bytes,
        )

    def connection(
        self,
        *,
        lanes_per_connection: int = 16,
        drain_timeout: float = 5.0,
        max_connection_age: float = 55 * 60.0,
        max_queue: int = 64,
        ping_interval: float | None = 20.0,
    ) -> ConnectionPool:
        """A pool of WebSocket connections that many conversations share, one lane each.

        Pass it to ``conversation(connection=pool)``. It opens a connection only when
        every open one has ``lanes_per_connection`` lanes, so a thousand conversations
        hold tens of sockets instead of a thousand. The client closes it on ``aclose()``.

        Args:
            lanes_per_connection: Conversations per connection, 1 to 32 (the server's
                limit of named lanes per connection). The server runs 16 responses of a
                connection at a time and queues the others: above 16, a turn may wait
                for other conversations' responses.
            drain_timeout: Seconds a cancelled response may take to end before its lane
                is retired (the connection and its other lanes carry on).
            max_connection_age: Seconds after which a connection takes no new turn; its
                lanes move to a new connection at their next turn.
            max_queue: Messages each lane buffers unread before the connection pauses.
            ping_interval: Seconds between keepalive pings; ``None`` turns them off.
        """
        if self._closed:
            raise InputError("the client is closed")
        from ._transports._lanes import ConnectionPool

        pool = ConnectionPool(
            self._config,
            lanes_per_connection=lanes_per_connection,
            open_timeout=self._connect_timeout(),
            read_timeout=self._read_timeout(),
            drain_timeout=drain_timeout,
            max_connection_age=max_connection_age,
            max_queue=max_queue,
            ping_interval=ping_interval,
        )
        self._pools.append(pool)
        return pool

    @staticmethod
    def _lane_or(
        transport: TransportName | Transport | None, connection: ConnectionPool | None
    ) -> TransportName | Transport | None:
        if connection is None:
            return transport
        if transport not in (None, "websocket"):
            raise InputError("a conversation on a shared connection talks over its WebSocket")
        return connection.transport()

    def realtime(
        self,
        *,
        model: str = "gpt-realtime",
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
    ) -> RealtimeSession:
        """Start a Realtime (speech) session; use it as ``async with client.realtime(...)``.

        Args:
            model: The Realtime model.
            instructions: System instructions for the session.
            tools: Functions the model may call; the session runs them.
            voice: The assistant's voice (``"alloy"``, ``"marin"``, …).
            turn_detection: ``"server_vad"`` or ``"semantic_vad"`` (the server's
                defaults), a full setting (``{"type": "server_vad", "threshold": 0.6}``),
                or ``None`` for manual turns (``commit()``, ``respond()``).
            output_modalities: ``["audio"]`` (speech and its transcript) or ``["text"]``.
            input_format: ``"audio/pcm"`` (PCM16 24 kHz), ``"audio/pcmu"`` or
                ``"audio/pcma"`` (G.711, 8 kHz).
            output_format: The same choice for the assistant's audio.
            transcription: Input transcription settings, e.g. ``{"model": "whisper-1"}``.
            history: Items to seed the conversation with (a ``Conversation``'s items or
                chat-style dicts; text only).
            auto_reconnect: Replace a dropped connection while iterating, re-seeding the
                history (see ``RealtimeSession.reconnect``).
        """
        from .realtime import RealtimeSession

        return RealtimeSession(
            self._config,
            model=model,
            instructions=instructions,
            tools=tools,
            voice=voice,
            turn_detection=turn_detection,
            output_modalities=output_modalities,
            input_format=input_format,
            output_format=output_format,
            transcription=transcription,
            history=history,
            auto_reconnect=auto_reconnect,
            open_timeout=self._connect_timeout(),
        )

    def restore(
        self,
        data: Mapping[str, Any],
        *,
        tools: Iterable[Tool[..., Any] | Callable[..., Any]] = (),
        transport: TransportName | Transport | None = None,
        max_tool_rounds: int = 10,
        retry: RetryPolicy | None = None,
        retry_after_output: bool = True,
        max_request_bytes: int | None = None,
        connection: ConnectionPool | None = None,
    ) -> Conversation:
        """Rebuild a conversation saved with ``Conversation.to_json()``.

        Every setting comes back as it was saved; what is not saved (connection state,
        tool code, the options below) is given here.

        Args:
            data: What ``to_json()`` returned (possibly through ``json.dumps``/``loads``).
            tools: The tools again (code is not saved); every tool name the saved
                conversation had must be among them.
            transport: As for ``conversation()``.
            max_tool_rounds: As for ``conversation()``.
            retry: As for ``conversation()``.
            retry_after_output: As for ``conversation()``.
            max_request_bytes: As for ``conversation()``.
            connection: As for ``conversation()``.

        Raises:
            InputError: the data is not a saved conversation, or a tool is missing.
        """
        settings, toolset, items = saved.load(data, tools)
        return self._open(
            settings,
            toolset,
            self._lane_or(transport, connection),
            items=items,
            max_tool_rounds=max_tool_rounds,
            retry=retry,
            retry_after_output=retry_after_output,
            max_request_bytes=max_request_bytes,
        )

    def _open(
        self,
        settings: RequestSettings,
        toolset: Toolset,
        transport: TransportName | Transport | None,
        *,
        items: list[Item],
        max_tool_rounds: int,
        retry: RetryPolicy | None,
        retry_after_output: bool,
        max_request_bytes: int | None,
    ) -> Conversation:
        if self._closed:
            raise InputError("the client is closed")
        conversation = Conversation(
            transport=self._transport(transport),
            settings=settings,
            tools=toolset,
            items=items,
            max_tool_rounds=max_tool_rounds,
            retry=retry or self._retry,
            retry_after_output=retry_after_output,
            on_close=self._conversations.discard,
            max_request_bytes=max_request_bytes,
        )
        self._conversations.add(conversation)
        return conversation

    @property
    def config(self) -> Config:
        """Where requests go and how they authenticate (its repr hides the key).

        Pass it to a transport you build yourself, e.g.
        ``WebSocketTransport(client.config, drain_timeout=1.0)``.
        """
        return self._config

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The httpx client SSE requests go through, made on first use.

        httpx and the transports are imported where they are first used, so that
        ``import responses_client`` stays fast and WebSocket-only programs never load httpx.
        """
        if self._http_client is None:
            import httpx

            timeout = self._timeout
            if not isinstance(timeout, httpx.Timeout):
                timeout = httpx.Timeout(timeout)
            self._http_client = httpx.AsyncClient(timeout=timeout)
        return self._http_client

    def _read_timeout(self) -> float | None:
        timeout = self._timeout
        if isinstance(timeout, (int, float)):
            return float(timeout)
        return timeout.read

    def _connect_timeout(self) -> float:
        timeout = self._timeout
        if isinstance(timeout, (int, float)):
            return float(timeout)
        return timeout.connect or 10.0

    def _transport(self, choice: TransportName | Transport | None) -> Transport:
        choice = self._default_transport if choice is None else choice
        if choice == "sse":
            from ._transports.sse import SSETransport

            return SSETransport(self.http_client, self._config)
        if choice == "chat":
            from ._transports.chat import ChatTransport

            return ChatTransport(self.http_client, self._config)
        if choice == "websocket":
            from ._transports.websocket import WebSocketTransport

            return WebSocketTransport(
                self._config,
                open_timeout=self._connect_timeout(),
                read_timeout=self._read_timeout(),
            )
        if isinstance(choice, str):
            raise InputError(f"unknown transport {choice!r}: use 'websocket', 'sse' or 'chat'")
        return choice

    async def aclose(self) -> None:
        """Close every conversation made from this client, then the HTTP pool; idempotent."""
        if self._closed:
            return
        self._closed = True
        for conversation in list(self._conversations):
            await conversation.aclose()
        for pool in self._pools:
            await pool.aclose()
        if self._own_http and self._http_client is not None:
            await self._http_client.aclose()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
