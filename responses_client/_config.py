"""Connection settings: API key, URLs and headers, from arguments and the environment.

This is the only place an API key lives. ``Config``'s ``repr`` shows whether a key is set,
never the key; transports ask for ``auth_headers()`` at the moment they send and do not keep
a copy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from ._exceptions import InputError

__all__ = ["DEFAULT_BASE_URL", "Config", "websocket_base_url_for"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def websocket_base_url_for(base_url: str) -> str:
    """Derive the WebSocket base URL from an HTTP base URL.

    ``https://api.openai.com/v1`` becomes ``wss://api.openai.com/v1``; ``http://`` becomes
    ``ws://``. Each WebSocket endpoint adds its own path (``/responses``, ``/realtime``).

    Raises:
        InputError: ``base_url`` is not an http or https URL.
    """
    parts = urlsplit(base_url)
    schemes = {"http": "ws", "https": "wss"}
    if parts.scheme not in schemes or not parts.netloc:
        raise InputError(f"base_url must be an http:// or https:// URL, got {base_url!r}")
    path = parts.path.rstrip("/")
    return urlunsplit((schemes[parts.scheme], parts.netloc, path, parts.query, ""))


@dataclass(frozen=True, repr=False)
class Config:
    """Where to connect and how to authenticate.

    Build it with ``Config.resolve(...)``, which fills what was not given from
    ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``. Two base URLs, as openai-python has them
    (``base_url``, ``websocket_base_url``); each endpoint's URL is derived from them
    (``responses_url``, ``chat_completions_url``, ``responses_websocket_url``).
    """

    api_key: str | None
    """The bearer token, or ``None`` for servers that need none (like the emulator)."""
    base_url: str = DEFAULT_BASE_URL
    """HTTP base URL, without the trailing ``/responses``."""
    websocket_base_url: str = field(default="")
    """WebSocket base URL, without an endpoint's path; derived from ``base_url`` when
    empty."""
    organization: str | None = None
    """Sent as ``OpenAI-Organization`` when set."""
    project: str | None = None
    """Sent as ``OpenAI-Project`` when set."""
    default_headers: Mapping[str, str] = field(default_factory=dict)
    """Extra headers sent with every request and WebSocket handshake."""

    def __post_init__(self) -> None:
        base = self.base_url.rstrip("/")
        object.__setattr__(self, "base_url", base)
        socket_base = self.websocket_base_url.rstrip("/") or websocket_base_url_for(base)
        object.__setattr__(self, "websocket_base_url", socket_base)

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        websocket_base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Config:
        """Fill unset values from the environment (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``).

        Args:
            api_key: The key; ``None`` reads ``OPENAI_API_KEY`` (still ``None`` when unset).
            base_url: The HTTP base URL; ``None`` reads ``OPENAI_BASE_URL``, then the default.
            websocket_base_url: The WebSocket base URL; ``None`` derives it from
                ``base_url``.
            organization: ``OpenAI-Organization`` header; ``None`` reads ``OPENAI_ORG_ID``.
            project: ``OpenAI-Project`` header; ``None`` reads ``OPENAI_PROJECT_ID``.
            default_headers: Extra headers for every request.
            environ: The environment to read (``os.environ`` when ``None``); for tests.
        """
        env = os.environ if environ is None else environ
        return cls(
            api_key=api_key if api_key is not None else env.get("OPENAI_API_KEY") or None,
            base_url=base_url or env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
            websocket_base_url=websocket_base_url or "",
            organization=organization or env.get("OPENAI_ORG_ID") or None,
            project=project or env.get("OPENAI_PROJECT_ID") or None,
            default_headers=dict(default_headers or {}),
        )

    @property
    def responses_url(self) -> str:
        """The HTTP endpoint that creates responses: ``{base_url}/responses``."""
        return f"{self.base_url}/responses"

    @property
    def chat_completions_url(self) -> str:
        """The Chat Completions endpoint: ``{base_url}/chat/completions``."""
        return f"{self.base_url}/chat/completions"

    @property
    def responses_websocket_url(self) -> str:
        """The Responses WebSocket endpoint: ``{websocket_base_url}/responses``."""
        return f"{self.websocket_base_url}/responses"

    def realtime_url(self, model: str) -> str:
        """The Realtime WebSocket endpoint: ``{websocket_base_url}/realtime?model=…``."""
        return f"{self.websocket_base_url}/realtime?{urlencode({'model': model})}"

    def headers(self) -> dict[str, str]:
        """Every header a request carries, the ``Authorization`` bearer included.

        The result holds the key: hand it straight to the HTTP or WebSocket library and
        never log it.
        """
        headers = dict(self.default_headers)
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return headers

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        return (
            f"Config(base_url={self.base_url!r}, "
            f"websocket_base_url={self.websocket_base_url!r}, "
            f"api_key={key})"
        )
