"""The one audio frame format the call uses: 48 kHz, mono, s16, 20 ms."""

from __future__ import annotations

import asyncio
import fractions
import time

import av
import numpy as np

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)


def make_frame(samples: np.ndarray, pts: int) -> av.AudioFrame:
    """An s16 mono frame from int16 samples."""
    data = np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(data, format="s16", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    frame.pts = pts
    frame.time_base = TIME_BASE
    return frame


def silence(pts: int, samples: int = FRAME_SAMPLES) -> av.AudioFrame:
    return make_frame(np.zeros(samples, dtype=np.int16), pts)


def frame_to_mono48k(frame: av.AudioFrame, resampler: av.AudioResampler) -> np.ndarray:
    """Any decoded frame → int16 mono 48 kHz samples (the resampler keeps its state)."""
    chunks = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    if not chunks:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate(chunks).astype(np.int16, copy=False)


def new_resampler() -> av.AudioResampler:
    return av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)


class Pacer:
    """Sleeps so that frames leave in real time, measured from the first one."""

    def __init__(self) -> None:
        self._start: float | None = None
        self._sent = 0

    async def wait(self, samples: int = FRAME_SAMPLES) -> None:
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._sent / SAMPLE_RATE
        self._sent += samples
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > 0.5:
            # We fell far behind (a stalled loop): restart the clock instead of bursting.
            self._start = now
            self._sent = samples
