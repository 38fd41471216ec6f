"""The one exception tree of responses_client.

Every error the SDK raises on purpose is a ``ResponsesError``::

    ResponsesError
    ├── TransportError                  the bytes did not get there or back
    │   ├── APIConnectionError          could not connect, or the connection dropped
    │   │   └── APITimeoutError         connect, read or drain timed out
    │   └── ConnectionClosed            the WebSocket closed (carries code and reason)
    ├── APIStatusError                  the server answered with an HTTP error status
    │   ├── BadRequestError             400
    │   ├── AuthenticationError         401
    │   ├── PermissionDeniedError       403
    │   ├── NotFoundError               404
    │   ├── ConflictError               409
    │   ├── UnprocessableEntityError    422
    │   ├── RateLimitError              429
    │   └── InternalServerError         5xx
    ├── ProtocolError                   a peer broke the wire protocol
    │   ├── RemoteProtocolError         the server sent something malformed
    │   └── LocalProtocolError          we were asked to send something malformed
    ├── ResponseFailedError             an ``error`` or ``response.failed`` event
    ├── RetryAfterOutputError           a retry was needed after output reached the caller
    ├── SteerFailedError                the server refused a steer (``response.steer.failed``)
    └── ToolError                       the tool loop itself could not go on

    InputError (also a ValueError)      a chat-style dict or item that fits no rule

``InputError`` is raised before anything touches the network, for input the caller
built; it subclasses ``ValueError`` so that ordinary validation code catches it too.

Messages name what was wrong and what arrived. No message, ``repr`` or attribute
ever holds an API key: the only place a key lives is ``_config.Config``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ConnectionClosed",
    "InputError",
    "InternalServerError",
    "LocalProtocolError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitError",
    "RemoteProtocolError",
    "ResponseFailedError",
    "ResponsesError",
    "RetryAfterOutputError",
    "SteerFailedError",
    "ToolError",
    "TransportError",
    "UnprocessableEntityError",
    "status_error",
]


class ResponsesError(Exception):
    """Root of every error that responses_client raises on purpose."""


class InputError(ResponsesError, ValueError):
    """Input built by the caller fits no rule (a chat dict, an item, a setting)."""


# -- transport ---------------------------------------------------------------


class TransportError(ResponsesError):
    """The request or its response did not travel: connection, timeout, close."""


class APIConnectionError(TransportError):
    """Could not connect to the server, or the connection broke mid-stream."""


class APITimeoutError(APIConnectionError):
    """A connect, read or drain deadline passed."""


class ConnectionClosed(TransportError):
    """The WebSocket connection closed.

    Attributes:
        code: The close code the server sent, or ``None`` when it sent no close frame.
        reason: The close reason the server sent ("" when none).
    """

    def __init__(self, message: str, *, code: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


# -- HTTP status ---------------------------------------------------------------


class APIStatusError(ResponsesError):
    """The server answered with an HTTP error status.

    Attributes:
        status_code: The HTTP status.
        request_id: The ``x-request-id`` header, when the server sent one.
        code: The API's error code (``error.code`` in the body), when present.
        body: The decoded JSON body, or the text when it was not JSON.
        headers: The response headers (names lower-cased), for ``Retry-After`` and
            friends; cookies and credentials are left out.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        code: str | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id
        self.code = code
        self.body = body
        self.headers: Mapping[str, str] = {
            name: value
            for name, value in ((name.lower(), value) for name, value in (headers or {}).items())
            if name not in _SECRET_HEADERS
        }


_SECRET_HEADERS = frozenset({"set-cookie", "cookie", "authorization", "proxy-authorization"})
"""Response headers never kept on an error: they may carry credentials."""


class BadRequestError(APIStatusError):
    """HTTP 400: the request was malformed or refers to something missing."""


class AuthenticationError(APIStatusError):
    """HTTP 401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the key may not use this model or endpoint."""


class NotFoundError(APIStatusError):
    """HTTP 404: the endpoint or object does not exist."""


class ConflictError(APIStatusError):
    """HTTP 409: the request conflicts with the object's state; retried with backoff."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: the request was well-formed but cannot be processed."""


class RateLimitError(APIStatusError):
    """HTTP 429: too many requests or tokens; retried with backoff before it surfaces."""


class InternalServerError(APIStatusError):
    """HTTP 5xx: the server failed; retried with backoff before it surfaces."""


_STATUS_CLASSES: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(
    status_code: int,
    body: object,
    *,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> APIStatusError:
    """Build the ``APIStatusError`` subclass for an HTTP error answer.

    Args:
        status_code: The HTTP status (400 or more).
        body: The decoded JSON body, or its text when it was not JSON.
        request_id: The ``x-request-id`` response header, if any.
        headers: The response headers (kept on the error; ``Retry-After`` is read there).

    Returns:
        The most specific subclass for the status, with the API's message and code
        taken from an ``{"error": {"message", "code"}}`` body when there is one; the
        shapes compatible servers use (``{"error": "text"}``, ``{"detail": ...}``, plain
        text) give the message too.
    """
    message = f"HTTP {status_code}"
    code: str | None = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        if isinstance(error.get("message"), str):
            message = f"HTTP {status_code}: {error['message']}"
        if isinstance(error.get("code"), str):
            code = error["code"]
    elif isinstance(error, str) and error.strip():  # {"error": "text"} (some compatible servers)
        message = f"HTTP {status_code}: {error.strip()[:200]}"
    elif isinstance(body, dict) and body.get("detail"):  # {"detail": ...} (FastAPI servers)
        detail = body["detail"]
        text = detail if isinstance(detail, str) else json.dumps(detail, default=str)
        message = f"HTTP {status_code}: {text[:200]}"
    elif isinstance(body, str) and body.strip():
        message = f"HTTP {status_code}: {body.strip()[:200]}"
    cls = _STATUS_CLASSES.get(status_code)
    if cls is None:
        cls = InternalServerError if status_code >= 500 else APIStatusError
    return cls(
        message,
        status_code=status_code,
        request_id=request_id,
        code=code,
        body=body,
        headers=headers,
    )


# -- protocol ------------------------------------------------------------------


class ProtocolError(ResponsesError):
    """A peer broke the wire protocol."""


class RemoteProtocolError(ProtocolError):
    """The server sent something malformed: bad JSON, a bad event, a bad SSE stream.

    Attributes:
        data: A short excerpt of the offending data (at most 200 characters), or "".
    """

    def __init__(self, message: str, *, data: str | bytes = "") -> None:
        super().__init__(message)
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        self.data = data[:200]


class LocalProtocolError(ProtocolError):
    """The SDK was asked to send something the protocol does not allow."""


# -- responses and tools ----------------------------------------------------------


class ResponseFailedError(ResponsesError):
    """The server ended a response with an ``error`` or ``response.failed`` event.

    Attributes:
        code: The API's error code (``"server_error"``, ``"rate_limit_exceeded"``, …).
        response_id: The id of the failed response, when one was created.
        status: The HTTP-like status of a WebSocket ``error`` event, when sent.
        param: The request parameter the error is about, when the server says.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        response_id: str | None = None,
        status: int | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.response_id = response_id
        self.status = status
        self.param = param


class RetryAfterOutputError(ResponsesError):
    """A retry was needed after events had already reached the caller.

    Raised instead of the ``client.retry`` event when the conversation was created
    with ``retry_after_output=False``. ``__cause__`` holds the fault that needed the retry.
    """


class SteerFailedError(ResponsesError):
    """The server refused a steer for good (``response.steer.failed``, raised by ``steer()``).

    The turn goes on without it. Codes after which the SDK applies the steer itself
    (``steering_not_supported``, ``response_not_active``, ``response_already_completed``,
    ``successor_creation_failed``) do not raise this.

    Attributes:
        code: The ``error.code``: ``invalid_input``, ``too_many_pending_steers``,
            ``response_not_found``, …
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class ToolError(ResponsesError):
    """The tool loop cannot go on (for example ``max_tool_rounds`` was reached).

    A tool that raises, or arguments that fail validation, do *not* raise this: they go
    back to the model as the call's output. This is for the loop itself.
    """
