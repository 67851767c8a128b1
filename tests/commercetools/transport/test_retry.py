from __future__ import annotations

import logging

import pytest

from airflow_provider_commercetools.commercetools.errors import (
    BadRequestError,
    RateLimitedError,
    RetriesExhaustedError,
    ServerError,
    TransportError,
)
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy

FAST = RetryPolicy(max_attempts=4, initial_backoff=0.001, max_backoff=0.002)


@pytest.mark.parametrize(
    ("error", "idempotent", "expected"),
    [
        (RateLimitedError("slow down", status_code=429), False, True),
        (ServerError("bad gateway", status_code=502), True, True),
        (ServerError("bad gateway", status_code=502), False, False),
        (ServerError("general", status_code=500), True, False),
        (TransportError("refused", sent=False), False, True),
        (TransportError("lost", sent=True), False, False),
        (TransportError("lost", sent=True), True, True),
        (TransportError("tls", sent=False, retryable=False), True, False),
        (BadRequestError("bad", status_code=400), True, False),
    ],
    ids=["429-create", "502-get", "502-create", "500-get", "refused-create", "lost-create", "lost-get", "tls", "400"],
)
def test_what_is_retryable(error, idempotent, expected):
    assert RetryPolicy().is_retryable(error, idempotent) is expected


def test_backoff_honours_retry_after_and_grows():
    policy = RetryPolicy(initial_backoff=1, max_backoff=8, max_retry_after=5)
    assert policy.backoff(1, RateLimitedError("x", retry_after=2.5)) == 2.5
    assert policy.backoff(1, RateLimitedError("x", retry_after=60)) == 5
    assert 0.5 <= policy.backoff(1) <= 1
    assert 4 <= policy.backoff(4) <= 8
    assert 4 <= policy.backoff(10) <= 8


def test_call_retries_then_succeeds_and_logs(caplog):
    calls = []

    def send(attempt):
        calls.append(attempt)
        if attempt < 3:
            raise ServerError("unavailable", status_code=503, method="GET", path="/p/products")
        return "ok"

    with caplog.at_level(logging.WARNING):
        assert FAST.call(send, idempotent=True, describe="GET /p/products", logger=logging.getLogger("t")) == "ok"
    assert calls == [1, 2, 3]
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 2
    assert "GET /p/products" in retries[0].getMessage()


def test_call_gives_up_with_retries_exhausted():
    def send(attempt):
        raise ServerError("unavailable", status_code=503, method="GET", path="/p", correlation_id="c-1")

    with pytest.raises(RetriesExhaustedError) as error:
        FAST.call(send, idempotent=True, describe="GET /p", logger=logging.getLogger("t"))
    assert error.value.attempts == 4
    assert error.value.last_error.status_code == 503
    assert "c-1" in str(error.value)


def test_non_retryable_error_is_raised_at_once():
    calls = []

    def send(attempt):
        calls.append(attempt)
        raise BadRequestError("invalid", status_code=400)

    with pytest.raises(BadRequestError):
        FAST.call(send, idempotent=True, describe="GET /p", logger=logging.getLogger("t"))
    assert calls == [1]


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
