"""FrameRate: lets at most `max_fps` frames a second through, dropping the rest."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

Clock = Callable[[], float]

# A frame may come this share of a period early and still count as on time: arrival
# jitter of a source at exactly the limit must not halve what is shown.
SLACK = 0.25


class FrameRate:
    def __init__(self, max_fps: float, clock: Clock = time.monotonic) -> None:
        if not max_fps > 0:
            raise ValueError(f"max_fps must be positive, not {max_fps!r}")
        self.period = 1.0 / max_fps
        self._clock = clock
        self._due = -math.inf  # when the next frame may go

    def allow(self) -> bool:
        """True (and the slot is taken) when a frame may be shown now."""
        now = self._clock()
        if now < self._due - SLACK * self.period:
            return False
        # On schedule the slots stay a period apart, so the average never exceeds max_fps;
        # after a gap (no frames for a while) the schedule restarts instead of bursting.
        on_schedule = now - self._due < self.period
        self._due = self._due + self.period if on_schedule else now + self.period
        return True

    def delay(self) -> float:
        """Seconds until `allow()` would say yes (0 when it would now)."""
        return max(0.0, self._due - SLACK * self.period - self._clock())
