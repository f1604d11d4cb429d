"""Real-time pacing for tracks that generate audio (files, silence)."""

from __future__ import annotations

import asyncio
import time

import av
import numpy as np

from desktop.core.audio.frames import FRAME_SAMPLES, RATE, make_frame


def silence(pts: int, samples: int = FRAME_SAMPLES) -> av.AudioFrame:
    return make_frame(np.zeros(samples, dtype=np.int16), pts)


class Pacer:
    """Sleeps so that frames leave in real time, measured from the first one."""

    def __init__(self) -> None:
        self._start: float | None = None
        self._sent = 0

    async def wait(self, samples: int = FRAME_SAMPLES) -> None:
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._sent / RATE
        self._sent += samples
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > 0.5:
            # We fell far behind (a stalled loop): restart the clock instead of bursting.
            self._start = now
            self._sent = samples
