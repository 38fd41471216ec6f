"""``Client``: connection settings, the shared HTTP pool, and the conversations made from it."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Literal

import httpx

from ._config import Config
from ._conversation import Conversation, coerce_items
from ._exceptions import InputError
from ._items import Item
from ._request import RequestSettings
from ._retry import RetryPolicy
from ._tools import Tool, Toolset
from ._transports.base import Transport
from ._transports.sse import SSETransport
from ._transports.websocket import WebSocketTransport

__all__ = ["Client"]

logger = logging.getLogger("responses_client")

TransportName = Literal["sse", "websocket"]

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
        websocket_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout = 600.0,
        max_retries: int = 2,
        transport: TransportName = DEFAULT_TRANSPORT,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        """Create a client.

        Args:
            api_key: The API key; ``None`` reads ``OPENAI_API_KEY``.
            base_url: The HTTP base URL; ``None`` reads ``OPENAI_BASE_URL``, then
                ``https://api.openai.com/v1``.
            websocket_url: The Responses WebSocket URL; derived from ``base_url`` when
                ``None`` (``http`` → ``ws``, ``https`` → ``wss``, plus ``/responses``).
            organization: Sent as ``OpenAI-Organization``; ``None`` reads ``OPENAI_ORG_ID``.
            project: Sent as ``OpenAI-Project``; ``None`` reads ``OPENAI_PROJECT_ID``.
            default_headers: Extra headers for every request and handshake.
            timeout: Seconds for connect and for each read (or an ``httpx.Timeout``).
            max_retries: How many times a request is sent again after a retryable fault.
            transport: The default transport of new conversations: ``"websocket"`` (one
                persistent connection per conversation, sending only new items each turn) or
                ``"sse"`` (one HTTP request per response, full context each time).
            http_client: An httpx client to use instead of the client's own (not closed by
                ``aclose``); for custom pools, proxies or ``httpx.ASGITransport``.
        """
        if max_retries < 0:
            raise InputError("max_retries must be 0 or more")
        self._config = Config.resolve(
            api_key=api_key,
            base_url=base_url,
            websocket_url=websocket_url,
            organization=organization,
            project=project,
            default_headers=default_headers,
        )
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._max_retries = max_retries
        self._default_transport: TransportName = transport
        self._own_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self._timeout)
        self._conversations: weakref.WeakSet[Conversation] = weakref.WeakSet()
        self._closed = False

    def __repr__(self) -> str:
        key = "set" if self._config.api_key else "unset"
        return f"<Client base_url={self._config.base_url!r} api_key={key}>"

    @property
    def base_url(self) -> str:
        """The HTTP base URL requests go to."""
        return self._config.base_url

    @property
    def websocket_url(self) -> str:
        """The WebSocket URL the WebSocket transport connects to."""
        return self._config.websocket_url

    def conversation(
        self,
        *,
        model: str = "gpt-4.1",
        instructions: str | None = None,
        tools: Iterable[Tool[..., Any] | Callable[..., Any]] = (),
        transport: TransportName | Transport | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_output_tokens: int | None = None,
        service_tier: str | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        reasoning: Mapping[str, Any] | None = None,
        store: bool = False,
        extra: Mapping[str, Any] | None = None,
        items: Iterable[Item | Mapping[str, Any]] = (),
        max_tool_rounds: int = 10,
        retry_after_output: bool = True,
    ) -> Conversation:
        """Start a conversation.

        Args:
            model: The model every turn asks for.
            instructions: System instructions, sent with every request.
            tools: Functions (plain or ``@tool``) the model may call; the SDK runs them.
            transport: ``"websocket"``, ``"sse"``, a ``Transport`` object, or ``None`` for
                the client's default.
            temperature: Sampling temperature; omitted from requests when ``None``.
            top_p: Nucleus sampling; omitted when ``None``.
            max_output_tokens: Output token limit per response; omitted when ``None``.
            service_tier: ``"auto"``, ``"default"``, ``"flex"``, ``"priority"``; omitted
                when ``None``.
            tool_choice: ``"auto"``, ``"none"``, ``"required"`` or a tool selector.
            parallel_tool_calls: Whether the model may call several tools at once.
            reasoning: Reasoning options for reasoning models, e.g. ``{"effort": "low"}``.
            store: Whether the server stores responses (``false`` unless set).
            extra: More body fields, merged last (they override the ones above).
            items: A history to start from (items or chat-style / Responses-style dicts).
            max_tool_rounds: How many tool rounds one turn may take before ``ToolError``.
            retry_after_output: After a fault once events reached the caller, retry and
                emit ``client.retry`` (True), or raise ``RetryAfterOutputError`` (False).
        """
        if self._closed:
            raise InputError("the client is closed")
        toolset = Toolset(tools)
        settings = RequestSettings(
            model=model,
            instructions=instructions,
            tools=tuple(toolset.to_wire()),
            temperature=temperature,
            top_p=top_p,
            max_output_tokens=max_output_tokens,
            service_tier=service_tier,
            tool_choice=tool_choice,
            parallel_tool_calls=parallel_tool_calls,
            reasoning=reasoning,
            store=store,
            extra=dict(extra or {}),
        )
        conversation = Conversation(
            transport=self._transport(transport),
            settings=settings,
            tools=toolset,
            items=coerce_items(list(items)),
            max_tool_rounds=max_tool_rounds,
            max_retries=self._max_retries,
            retry_after_output=retry_after_output,
            client=self,
        )
        self._conversations.add(conversation)
        return conversation

    def _transport(self, choice: TransportName | Transport | None) -> Transport:
        choice = self._default_transport if choice is None else choice
        if choice == "sse":
            return SSETransport(
                self._http, self._config, retry=RetryPolicy(max_retries=self._max_retries)
            )
        if choice == "websocket":
            return WebSocketTransport(
                self._config,
                connect_attempts=self._max_retries + 1,
                open_timeout=self._timeout.connect or 10.0,
            )
        if isinstance(choice, str):
            raise InputError(f"unknown transport {choice!r}: use 'websocket' or 'sse'")
        return choice

    def _forget(self, conversation: Conversation) -> None:
        self._conversations.discard(conversation)

    async def aclose(self) -> None:
        """Close every conversation made from this client, then the HTTP pool; idempotent."""
        if self._closed:
            return
        self._closed = True
        for conversation in list(self._conversations):
            await conversation.aclose()
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
