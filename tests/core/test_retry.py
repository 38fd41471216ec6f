"""Backoff delays, Retry-After parsing, retryable statuses and the retry policy."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from itertools import islice

import pytest

from responses_client._exceptions import InputError
from responses_client._retry import (
    RetryPolicy,
    backoff,
    is_retryable_status,
    retry_after,
    zero_delays,
)

NOW = 1_800_000_000.0


def first(n: int, delays) -> list[float]:
    return list(islice(delays, n))


# -- backoff ------------------------------------------------------------------------------


def test_backoff_without_jitter_doubles_up_to_the_cap() -> None:
    assert first(7, backoff(jitter=0)) == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_backoff_parameters_shape_the_sequence() -> None:
    assert first(4, backoff(initial=1, factor=3, maximum=10, jitter=0)) == [1, 3, 9, 10]


def test_backoff_initial_above_maximum_is_capped() -> None:
    assert first(2, backoff(initial=20, maximum=5, jitter=0)) == [5, 5]


@pytest.mark.parametrize(("draw", "share"), [(0.0, 1.0), (0.5, 0.875), (0.999, 0.75025)])
def test_jitter_takes_at_most_its_share_off(draw: float, share: float) -> None:
    delays = first(5, backoff(jitter=0.25, random=lambda: draw))
    assert delays == pytest.approx([d * share for d in (0.5, 1.0, 2.0, 4.0, 8.0)])


def test_jittered_delays_stay_within_bounds_with_the_real_random() -> None:
    for plain, jittered in zip(first(50, backoff(jitter=0)), first(50, backoff()), strict=True):
        assert 0.75 * plain <= jittered <= plain


def test_backoff_never_overflows() -> None:
    assert first(2000, backoff(factor=10, jitter=0))[-1] == 8.0


@pytest.mark.parametrize(
    "kwargs",
    [{"initial": -1}, {"factor": 0.5}, {"maximum": -1}, {"jitter": 1.5}, {"jitter": -0.1}],
)
def test_backoff_rejects_bad_parameters_at_call(kwargs: dict[str, float]) -> None:
    with pytest.raises(InputError):
        backoff(**kwargs)


def test_zero_delays_are_zero_forever() -> None:
    assert first(100, zero_delays()) == [0.0] * 100


# -- retry_after ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After-Ms": "250.5"}, 0.2505),
        ({"retry-after": "3"}, 3.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"Retry-After": " 7 "}, 7.0),
        ({"retry-after-ms": "100", "retry-after": "9"}, 0.1),
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"Retry-After": "0"}, 0.0),
    ],
)
def test_retry_after_reads_seconds_and_milliseconds(
    headers: dict[str, str], expected: float
) -> None:
    assert retry_after(headers, now=NOW) == pytest.approx(expected)


def test_retry_after_reads_an_http_date() -> None:
    when = datetime.fromtimestamp(NOW + 12, tz=timezone.utc)
    assert retry_after({"Retry-After": format_datetime(when, usegmt=True)}, now=NOW) == 12.0


def test_retry_after_in_the_past_is_zero() -> None:
    when = datetime.fromtimestamp(NOW - 30, tz=timezone.utc)
    assert retry_after({"Retry-After": format_datetime(when, usegmt=True)}, now=NOW) == 0.0


def test_retry_after_date_without_zone_means_gmt() -> None:
    when = datetime.fromtimestamp(NOW + 5, tz=timezone.utc)
    raw = format_datetime(when, usegmt=True).replace("GMT", "-0000")
    assert retry_after({"Retry-After": raw}, now=NOW) == 5.0


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "3"},
        {"retry-after-ms": "3000"},
        {"Retry-After": format_datetime(datetime.fromtimestamp(NOW + 3, tz=timezone.utc))},
    ],
)
def test_retry_after_is_bounded_by_cap(headers: dict[str, str]) -> None:
    assert retry_after(headers, now=NOW, cap=1.0) == 1.0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content-type": "application/json"},
        {"Retry-After": "soon"},
        {"Retry-After": "-5"},
        {"Retry-After": "nan"},
        {"Retry-After": "inf"},
        {"Retry-After": ""},
        {"retry-after-ms": "-1"},
        {"Retry-After": "Mon, 99 Foo 2026 99:99:99 GMT"},
    ],
)
def test_retry_after_is_none_when_absent_or_invalid(headers: dict[str, str]) -> None:
    assert retry_after(headers, now=NOW) is None


# -- statuses -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 413, 422, 600])
def test_statuses_never_retried(status: int) -> None:
    assert not is_retryable_status(status)


# -- the policy ------------------------------------------------------------------------------


def test_policy_follows_its_delays_then_stops() -> None:
    policy = RetryPolicy(max_retries=3, delays=lambda: backoff(jitter=0))
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, None]


def test_policy_default_allows_two_retries() -> None:
    policy = RetryPolicy(delays=zero_delays)
    assert [policy.delay(n) for n in (1, 2, 3)] == [0.0, 0.0, None]


def test_policy_with_no_retries_stops_at_once() -> None:
    assert RetryPolicy(max_retries=0).delay(1) is None


def test_server_retry_after_wins_over_backoff_within_the_cap() -> None:
    policy = RetryPolicy(max_retries=2, delays=zero_delays, retry_after_cap=10.0)
    assert policy.delay(1, retry_after=4.0) == 4.0
    assert policy.delay(1, retry_after=30.0) == 10.0
    assert policy.delay(3, retry_after=4.0) is None


def test_policy_rejects_bad_values() -> None:
    with pytest.raises(InputError):
        RetryPolicy(max_retries=-1)
    with pytest.raises(InputError):
        RetryPolicy(retry_after_cap=-1)
    with pytest.raises(InputError):
        RetryPolicy().delay(0)
