"""The public surface is exactly what we mean to publish."""

from __future__ import annotations

import responses_client

EXPECTED = {
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
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
    "Tool",
    "Toolset",
    "tool",
    "Client",
    "Conversation",
    "TurnStream",
    "FunctionCall",
    "FunctionCallOutput",
    "InputAudio",
    "InputFile",
    "InputImage",
    "InputText",
    "Item",
    "Message",
    "OutputText",
    "Part",
    "Reasoning",
    "Refusal",
    "UnknownItem",
    "UnknownPart",
    "TurnResult",
    "TurnStats",
    "TurnStatus",
    "Config",
    "ConflictError",
    "UnprocessableEntityError",
    "RetryPolicy",
    "backoff",
    "zero_delays",
    "Transport",
    "TransportName",
    "Usage",
}


def test_all_is_exactly_the_public_names() -> None:
    assert set(responses_client.__all__) == EXPECTED


def test_all_is_sorted() -> None:
    assert responses_client.__all__ == sorted(responses_client.__all__)


def test_public_objects_claim_the_package() -> None:
    for name in responses_client.__all__:
        obj = getattr(responses_client, name)
        if name in {"Item", "Part", "TransportName", "TurnStatus"}:  # type aliases
            continue
        if name == "Usage":  # lives in the public events module, named for it
            assert obj.__module__ == "responses_client.events"
            continue
        assert obj.__module__ == "responses_client", name


def test_the_transports_module_publishes_the_transport_classes() -> None:
    from responses_client import transports

    assert transports.__all__ == [
        "ChatTransport",
        "ConnectionPool",
        "LaneTransport",
        "SSETransport",
        "Steerable",
        "Transport",
        "WebSocketTransport",
    ]
    assert transports.Transport is responses_client.Transport
    for name in (
        "ChatTransport",
        "ConnectionPool",
        "LaneTransport",
        "SSETransport",
        "Steerable",
        "WebSocketTransport",
    ):
        assert getattr(transports, name).__module__ == "responses_client.transports"
