"""When a failed connect is tried again, and after how long."""

from __future__ import annotations

import random

import pytest

from desktop.core.call.errors import CallError, http_error
from desktop.core.call.retry import RetryPolicy, RetryWait, with_retry
from desktop.core.call.state import CallState

STAGE = CallState.AUTHORIZING


def http(status: int, body: str = "{}", retry_after: float | None = None) -> CallError:
    return http_error(status, body, provider="OpenAI", stage=STAGE, retry_after=retry_after)


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_errors_a_retry_cannot_fix_are_not_retried(status: int) -> None:
    assert RetryPolicy().delay(http(status), 1) is None


def test_an_exhausted_quota_is_not_retried_but_a_rate_limit_is() -> None:
    quota = http(429, '{"error": {"code": "insufficient_quota", "message": "quota"}}')
    assert RetryPolicy().delay(quota, 1) is None
    assert RetryPolicy().delay(http(429), 1) is not None


def test_the_servers_retry_after_is_honoured_unless_it_is_too_long() -> None:
    policy = RetryPolicy(max_retry_after=60)
    assert policy.delay(http(429, retry_after=7), 1) == 7
    assert policy.delay(http(503, retry_after=3), 2) == 3
    assert policy.delay(http(429, retry_after=600), 1) is None


def test_pauses_grow_with_jitter_and_stop_after_the_last_attempt() -> None:
    policy = RetryPolicy(attempts=4, first_delay=1.0, factor=2.0, max_delay=3.0, jitter=0.2)
    rng = random.Random(1)
    err = http(502)
    pauses = [policy.delay(err, n, rng) for n in (1, 2, 3)]
    for pause, base in zip(pauses, (1.0, 2.0, 3.0), strict=True):
        assert pause is not None and base * 0.8 <= pause <= base * 1.2
    assert policy.delay(err, 4, rng) is None
    network = CallError("Cannot reach api.openai.com", stage=STAGE, retryable=True)
    assert policy.delay(network, 1, rng) is not None


async def test_with_retry_says_why_it_waits_and_returns_the_success() -> None:
    failures = [http(503), http(429, retry_after=2)]
    waits: list[RetryWait] = []
    slept: list[float] = []

    async def attempt(n: int) -> str:
        if failures:
            raise failures.pop(0)
        return f"connected on attempt {n}"

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    result = await with_retry(attempt, RetryPolicy(jitter=0.0), waits.append, sleep)
    assert result == "connected on attempt 3"
    assert slept == [1.0, 2.0]
    assert [w.next_attempt for w in waits] == [2, 3]
    assert waits[1].sentence() == (
        "OpenAI is rate-limiting this key. Wait a moment and try again. "
        "Trying again in 2 s (attempt 3 of 4)."
    )


async def test_with_retry_gives_up_with_the_last_error() -> None:
    calls = 0

    async def attempt(n: int) -> None:
        nonlocal calls
        calls += 1
        raise http(500 + n)

    async def sleep(_seconds: float) -> None:
        pass

    with pytest.raises(CallError) as raised:
        await with_retry(attempt, RetryPolicy(attempts=3), sleep=sleep)
    assert calls == 3
    assert "HTTP 503" in raised.value.message
