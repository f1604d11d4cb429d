"""Sample plumbing shared by capture and playback: mono int16 at 48 kHz, cut to size.

Everything inside the audio path is 48 kHz mono int16 (what Opus and the echo canceller
want); devices running at another rate or channel count are converted at the edge.
"""

from __future__ import annotations

import fractions

import av
import numpy as np

RATE = 48000
FRAME_SAMPLES = 960  # 20 ms: one WebRTC audio frame
CHUNK_SAMPLES = 480  # 10 ms: what the echo canceller processes
TIME_BASE = fractions.Fraction(1, RATE)


def to_mono(block: np.ndarray) -> np.ndarray:
    """A (frames, channels) int16 block from PortAudio as a 1-D int16 copy."""
    if block.ndim == 1:
        return block.copy()
    if block.shape[1] == 1:
        return block[:, 0].copy()
    mixed: np.ndarray = block.mean(axis=1).astype(np.int16)
    return mixed


def make_frame(samples: np.ndarray, pts: int) -> av.AudioFrame:
    """A 48 kHz mono s16 av.AudioFrame with `pts` counted in samples."""
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = RATE
    frame.pts = pts
    frame.time_base = TIME_BASE
    return frame


class Resampler:
    """Streams int16 mono from one rate to another (PyAV's swresample keeps the state)."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        self.rate_in = rate_in
        self.rate_out = rate_out
        self._swr = av.AudioResampler(format="s16", layout="mono", rate=rate_out)

    def process(self, samples: np.ndarray) -> np.ndarray:
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.rate_in
        out = [f.to_ndarray().reshape(-1) for f in self._swr.resample(frame)]
        if not out:
            return np.zeros(0, dtype=np.int16)
        return out[0] if len(out) == 1 else np.concatenate(out)


class FrameConverter:
    """Remote `av.AudioFrame`s (any rate, layout, format) to 48 kHz mono int16 samples."""

    def __init__(self) -> None:
        self._swr: av.AudioResampler | None = None

    def convert(self, frame: av.AudioFrame) -> np.ndarray:
        channels = len(frame.layout.channels)
        if frame.sample_rate == RATE and frame.format.name == "s16" and channels <= 2:
            # The common case (aiortc's Opus decoder: packed s16 stereo): numpy, no delay.
            plane = frame.planes[0]  # a buffer; av's stubs do not say so
            data = np.frombuffer(plane, dtype=np.int16)[: frame.samples * channels]  # type: ignore[call-overload]
            if channels == 2:
                pairs = data.reshape(-1, 2).astype(np.int32)
                mono: np.ndarray = ((pairs[:, 0] + pairs[:, 1]) >> 1).astype(np.int16)
                return mono
            copied: np.ndarray = data.copy()
            return copied
        if self._swr is None:
            self._swr = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        out = [f.to_ndarray().reshape(-1) for f in self._swr.resample(frame)]
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int16)


class Chunker:
    """Cuts a stream of samples into fixed-size chunks, keeping the remainder for next time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pending = np.zeros(0, dtype=np.int16)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def push(self, samples: np.ndarray) -> list[np.ndarray]:
        if len(self._pending):
            samples = np.concatenate((self._pending, samples))
        whole = len(samples) // self.size * self.size
        chunks = [samples[i : i + self.size] for i in range(0, whole, self.size)]
        self._pending = samples[whole:].copy()
        return chunks

    def reset(self) -> None:
        self._pending = np.zeros(0, dtype=np.int16)
