from __future__ import annotations

import pytest

from responses_client import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    InputError,
    InternalServerError,
    RateLimitError,
    ResponsesError,
)
from responses_client._config import Config, websocket_base_url_for
from responses_client._exceptions import status_error

KEY = "sk-test-very-secret-key-1234567890"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://api.openai.com/v1", "wss://api.openai.com/v1"),
        ("http://127.0.0.1:8000/v1/", "ws://127.0.0.1:8000/v1"),
    ],
)
def test_websocket_base_url_is_derived_from_base_url(base: str, expected: str) -> None:
    assert websocket_base_url_for(base) == expected
    config = Config(api_key=None, base_url=base)
    assert config.websocket_base_url == expected
    assert config.responses_websocket_url == f"{expected}/responses"


def test_a_websocket_base_url_given_wins_and_endpoints_follow_it() -> None:
    config = Config.resolve(
        base_url="https://api.example.com/v1", websocket_base_url="wss://ws.example.com/v1/"
    )
    assert config.responses_websocket_url == "wss://ws.example.com/v1/responses"
    assert config.responses_url == "https://api.example.com/v1/responses"


def test_websocket_base_url_rejects_other_schemes() -> None:
    with pytest.raises(InputError, match="ftp://x"):
        websocket_base_url_for("ftp://x")


def test_resolve_reads_environment_and_defaults() -> None:
    config = Config.resolve(environ={"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://h:1/v1"})
    assert config.api_key == KEY
    assert config.responses_url == "http://h:1/v1/responses"
    assert config.responses_websocket_url == "ws://h:1/v1/responses"
    assert Config.resolve(environ={}).base_url == "https://api.openai.com/v1"


def test_arguments_win_over_environment() -> None:
    config = Config.resolve(api_key="k2", base_url="http://a/v1", environ={"OPENAI_API_KEY": KEY})
    assert config.api_key == "k2"
    assert config.base_url == "http://a/v1"


def test_headers_carry_auth_and_ids() -> None:
    config = Config.resolve(
        api_key=KEY,
        organization="org-1",
        project="proj-1",
        default_headers={"X-A": "b"},
        environ={},
    )
    assert config.headers() == {
        "X-A": "b",
        "Authorization": f"Bearer {KEY}",
        "OpenAI-Organization": "org-1",
        "OpenAI-Project": "proj-1",
    }
    assert "Authorization" not in Config.resolve(environ={}).headers()


def test_repr_hides_the_key() -> None:
    config = Config.resolve(api_key=KEY, environ={})
    assert KEY not in repr(config)
    assert "api_key=set" in repr(config)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (429, RateLimitError),
        (503, InternalServerError),
    ],
)
def test_status_error_picks_the_subclass(status: int, cls: type[APIStatusError]) -> None:
    body = {"error": {"message": "nope", "type": "x", "code": "some_code", "param": None}}
    error = status_error(status, body, request_id="req_1")
    assert type(error) is cls
    assert isinstance(error, ResponsesError)
    assert (error.status_code, error.code, error.request_id) == (status, "some_code", "req_1")
    assert str(error) == f"HTTP {status}: nope"


def test_status_error_with_text_body() -> None:
    error = status_error(418, "I'm a teapot")
    assert type(error) is APIStatusError
    assert str(error) == "HTTP 418: I'm a teapot"
    assert error.code is None
