"""Chat Completions over HTTP: ``POST {base_url}/chat/completions`` with ``"stream": true``.

For the servers that speak only Chat Completions (vLLM, llama.cpp, Ollama, LiteLLM, Groq,
Azure deployments…). The pure codec does the translating: ``_chat.chat_body`` writes the
request from the Responses body the conversation planned, and ``_chat_stream.ChunkFolder``
folds the chunks into the Responses events every transport yields. Bytes move over the
SSE transport's pump (its request, its bounded reads, its cancel by closing the stream).

The wire has no ``previous_response_id``: every request carries the whole history, and
``supports_previous_response`` says so to the conversation. The end of a stream is
``data: [DONE]``; a body that ends after a finish reason without it is complete too, and
one that ends before any finish reason is a dropped connection (``APIConnectionError``,
retried by the turn like a drop over the other transports). One attempt per ``stream()``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import anyio.lowlevel
import httpx

from .._chat import MaxTokensField, chat_body
from .._chat_stream import ChunkFolder
from .._config import Config
from .._exceptions import APIConnectionError
from .._sse import SSEDecoder
from ..events import ENDING_TYPES, ServerEvent, UnknownEvent
from .sse import SSETransport

__all__ = ["ChatTransport"]

_DONE = b"[DONE]"
_TEXT_DELTA = "response.output_text.delta"
_YIELD_EVERY = 64
"""Events after which the stream lets other tasks run, even when more bytes are buffered."""


class ChatTransport(SSETransport):
    """One streamed chat completion per response, sharing the client's connection pool."""

    name = "chat"

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: Config,
        *,
        developer_role: bool = True,
        max_tokens_field: MaxTokensField = "max_completion_tokens",
        include_usage: bool = True,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Create the transport.

        Args:
            http: The httpx client to send with (not closed here); ``client.http_client``.
            config: Where to send and how to authenticate (``client.config``); requests
                go to ``config.chat_completions_url``. The API key may be ``None``: many
                local servers need none.
            developer_role: False for servers without the ``developer`` role (older
                vLLM chat templates, some proxies): developer messages go out as ``user``.
            max_tokens_field: The body key for ``max_output_tokens``:
                ``"max_completion_tokens"`` (the current name), or ``"max_tokens"`` for
                servers that reject it. Never both.
            include_usage: Ask for token usage (``stream_options.include_usage``); False
                for servers that reject ``stream_options``.
            extra: Body keys added to every request, last (a server's own options, e.g.
                vLLM's ``top_k`` or ``chat_template_kwargs``).
        """
        super().__init__(http, config, url=config.chat_completions_url)
        self._developer_role = developer_role
        self._max_tokens_field: MaxTokensField = max_tokens_field
        self._include_usage = include_usage
        self._extra = dict(extra or {})

    def supports_previous_response(self, *, store: bool) -> bool:
        """Never: Chat Completions has no ``previous_response_id``; send the whole history."""
        del store  # the answer is the same either way
        return False

    def request_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The chat completions body this transport sends for a Responses body."""
        chat = chat_body(
            body,
            developer_role=self._developer_role,
            max_tokens_field=self._max_tokens_field,
            include_usage=self._include_usage,
        )
        chat.update(self._extra)
        return chat

    async def stream(
        self, body: Mapping[str, Any]
    ) -> AsyncGenerator[ServerEvent | UnknownEvent, None]:
        """Send the chat request and yield its chunks as Responses events."""
        chat = self.request_body(body)
        payload = json.dumps(chat, separators=(",", ":")).encode()
        async with self._exchange(payload) as chunks:
            if chunks is None:
                return
            decoder = SSEDecoder()
            folder = ChunkFolder(model=chat.get("model"))
            decode, fold, read = decoder.feed, folder.feed_data, chunks.__anext__
            unyielded = 0
            while True:
                try:
                    chunk: bytes | None = await read()
                except StopAsyncIteration:
                    chunk = None
                if self._cancelled:
                    return
                for data in decode(chunk) if chunk is not None else decoder.flush():
                    events = folder.end() if data == _DONE else fold(data)
                    if len(events) == 1 and events[0].type == _TEXT_DELTA:
                        # Most chunks: one text delta, which never ends the stream (the
                        # fast path bench/chat_throughput.py guards).
                        yield events[0]
                        unyielded += 1
                    else:
                        for event in events:
                            yield event
                            if event.type in ENDING_TYPES:
                                return
                        unyielded += len(events)
                    if unyielded >= _YIELD_EVERY:
                        # Reads of buffered bytes do not suspend: let other tasks run.
                        unyielded = 0
                        await anyio.lowlevel.checkpoint()
                if chunk is None:
                    if not folder.finished:
                        raise APIConnectionError(
                            "the chat completion stream ended before a finish reason"
                        )
                    for event in folder.end():
                        yield event
                    return
                chunk = None
