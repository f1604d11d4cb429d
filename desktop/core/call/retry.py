"""Trying a failed connect again, only when trying again can help.

A rate limit with Retry-After, a server error (5xx) or a network problem is worth another
go after a pause that grows (1 s, 2 s, 4 s, with jitter so many clients do not return in
step); a rejected key (401/403), a bad request or an exhausted quota is not — those come
back the same however often they are tried, and hammering a provider with a wrong key
can get it locked.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from desktop.core.call.errors import CallError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # in all, the first one included
    first_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 20.0
    max_retry_after: float = 60.0  # a server asking for a longer pause: give up, say when
    jitter: float = 0.2  # ± this fraction of the delay

    def delay(
        self, error: CallError, attempt: int, rng: random.Random | None = None
    ) -> float | None:
        """Seconds to wait before the attempt after `attempt` (1-based), or None: stop."""
        if not error.retryable or attempt >= self.attempts:
            return None
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            return max(0.0, error.retry_after)
        base = min(self.max_delay, self.first_delay * self.factor ** (attempt - 1))
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return base * (1 + spread)


@dataclass(frozen=True)
class RetryWait:
    """Shown while waiting: why the last attempt failed, and when the next one starts."""

    error: CallError
    seconds: float
    next_attempt: int
    attempts: int

    def sentence(self) -> str:
        return (
            f"{self.error.message} Trying again in {self.seconds:.0f} s "
            f"(attempt {self.next_attempt} of {self.attempts})."
        )


async def with_retry(
    attempt: Callable[[int], Awaitable[T]],
    policy: RetryPolicy,
    on_wait: Callable[[RetryWait], None] = lambda _wait: None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run `attempt(n)` until it returns, or raise its last CallError when the policy says
    stop. Cancelling (the user pressed Disconnect) stops the waiting at once."""
    n = 1
    while True:
        try:
            return await attempt(n)
        except CallError as exc:
            seconds = policy.delay(exc, n)
            if seconds is None:
                raise
            n += 1
            on_wait(RetryWait(exc, seconds, n, policy.attempts))
            await sleep(seconds)
