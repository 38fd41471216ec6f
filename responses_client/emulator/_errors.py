"""The API's error answers: an HTTP status plus the ``error`` object, in each wire's shape.

``WireError`` is raised by the input checks and returned by the server's decisions; the
endpoints write it as an HTTP error body or a WebSocket ``error`` event. The builders below
word the API's messages the way the API does, so clients can match them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._script import HttpStatus

__all__ = [
    "INVALID_API_KEY",
    "JSON",
    "NO_API_KEY",
    "WireError",
    "invalid_type",
    "invalid_value",
    "missing",
    "previous_not_found",
    "status_error",
]

JSON = dict[str, Any]
"""A JSON object, as the wire carries it."""


class WireError(Exception):
    """An API error answer: the HTTP status plus the ``error`` object's fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def error(self) -> JSON:
        """The ``error`` object: ``type``, ``code``, ``message``, ``param``."""
        return {"type": self.type, "code": self.code, "message": self.message, "param": self.param}

    def http_body(self) -> JSON:
        """The HTTP error body, ``{"error": {...}}``."""
        return {"error": self.error()}

    def ws_event(self) -> JSON:
        """The WebSocket ``error`` event (nested shape, with ``status``)."""
        error = self.error()
        if self.headers:
            error["headers"] = self.headers
        return {"type": "error", "status": self.status, "error": error}


_STATUS_DEFAULTS: Mapping[int, tuple[str, str, str]] = {
    400: ("invalid_request_error", "invalid_request", "The request was invalid."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "not_found", "Not found."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again in 1s.",
    ),
    500: ("server_error", "server_error", "The server had an error processing your request."),
    502: ("server_error", "server_error", "Bad gateway."),
    503: ("server_error", "server_error", "The server is overloaded or not ready yet."),
}


def status_error(reply: HttpStatus) -> WireError:
    """The ``WireError`` a scripted ``HttpStatus`` stands for."""
    default_type, default_code, default_message = _STATUS_DEFAULTS.get(
        reply.status,
        ("server_error" if reply.status >= 500 else "invalid_request_error", None, "Error."),
    )
    return WireError(
        reply.status,
        reply.message or default_message,
        type=default_type,
        code=reply.code or default_code,
        headers=reply.headers,
    )


def _supported(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _bad_request(message: str, code: str, param: str) -> WireError:
    return WireError(400, message, code=code, param=param)


def invalid_value(value: object, supported: Sequence[str], param: str) -> WireError:
    """The 400 for a value outside the ones ``param`` takes, naming them in order."""
    message = f"Invalid value: '{value}'. Supported values are: {_supported(supported)}."
    return _bad_request(message, "invalid_value", param)


def missing(param: str) -> WireError:
    """The 400 for a required parameter left out."""
    return _bad_request(
        f"Missing required parameter: '{param}'.", "missing_required_parameter", param
    )


def invalid_type(param: str, expected: str) -> WireError:
    """The 400 for a parameter of the wrong JSON type."""
    return _bad_request(f"Invalid type for '{param}': expected {expected}.", "invalid_type", param)


def previous_not_found(previous_id: object) -> WireError:
    """The 400 for a ``previous_response_id`` the server does not hold."""
    return _bad_request(
        f"Previous response with id '{previous_id}' not found.",
        "previous_response_not_found",
        "previous_response_id",
    )


INVALID_API_KEY = WireError(
    401,
    "Incorrect API key provided. You can find your API key at "
    "https://platform.openai.com/account/api-keys.",
    code="invalid_api_key",
)
"""The 401 for a bearer key the server does not accept."""

NO_API_KEY = WireError(
    401,
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
)
"""The 401 for a request without an ``Authorization`` header."""
