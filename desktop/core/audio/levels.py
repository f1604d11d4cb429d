"""Input and output levels for meters: dBFS RMS and peak, with a peak hold.

Audio threads `feed()` samples; the loop reads a `Level` about 20 times a second
(`LevelPublisher`) and publishes it through an Emitter.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop.core.observable import Emitter

FLOOR_DBFS = -100.0
HOLD_S = 1.0  # a peak stays on the meter this long
FALL_DB_PER_S = 20.0  # then sinks this fast
PUBLISH_INTERVAL_S = 0.05


@dataclass(frozen=True)
class Level:
    rms_dbfs: float
    peak_dbfs: float
    hold_dbfs: float  # the recent peak, for the meter's marker

    @classmethod
    def silent(cls) -> Level:
        return cls(FLOOR_DBFS, FLOOR_DBFS, FLOOR_DBFS)


def dbfs(amplitude: float) -> float:
    """Amplitude relative to int16 full scale, in dBFS (floored)."""
    if amplitude <= 0:
        return FLOOR_DBFS
    return max(FLOOR_DBFS, 20.0 * math.log10(amplitude / 32768.0))


class LevelMeter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sumsq = 0.0
        self._count = 0
        self._peak = 0
        self._hold = FLOOR_DBFS
        self._hold_at = 0.0
        self.last = Level.silent()

    def feed(self, samples: np.ndarray) -> int:
        """Add int16 samples (any thread); returns their peak, for others on the same
        audio thread. Called per 10 ms, not per device block: numpy's fixed cost per call
        is what matters at these sizes."""
        if not len(samples):
            return 0
        wide = samples.astype(np.float32)
        sumsq = float(np.dot(wide, wide))
        peak = max(int(samples.max()), -int(samples.min()))
        with self._lock:
            self._sumsq += sumsq
            self._count += len(samples)
            self._peak = max(self._peak, peak)
        return peak

    def read(self, now: float | None = None) -> Level:
        """The level since the previous read (loop thread)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            sumsq, count, peak = self._sumsq, self._count, self._peak
            self._sumsq, self._count, self._peak = 0.0, 0, 0
        rms = dbfs(math.sqrt(sumsq / count)) if count else FLOOR_DBFS
        peak_db = dbfs(float(peak))
        held = self._hold - FALL_DB_PER_S * max(0.0, now - self._hold_at - HOLD_S)
        if peak_db >= held:
            self._hold, self._hold_at, held = peak_db, now, peak_db
        self.last = Level(rms, peak_db, max(held, FLOOR_DBFS))
        return self.last


class LevelPublisher:
    """Reads meters and emits their levels every `interval` seconds while running."""

    def __init__(
        self,
        pairs: Sequence[tuple[LevelMeter, Emitter[Level]]],
        interval: float = PUBLISH_INTERVAL_S,
    ) -> None:
        self._pairs = list(pairs)
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="audio-levels")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            now = time.monotonic()
            for meter, emitter in self._pairs:
                emitter.emit(meter.read(now))
