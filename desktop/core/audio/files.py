"""WAV files as a microphone and as a speaker: for the CLI, benchmarks and tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import wave
from pathlib import Path

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from desktop.core.audio.edges import SoundEdges
from desktop.core.audio.frames import FRAME_SAMPLES, RATE, FrameConverter, make_frame
from desktop.core.audio.pacer import Pacer

log = logging.getLogger("talkline.audio.files")


def read_wav_mono48k(path: str | Path) -> np.ndarray:
    """A WAV file (8/16/24/32-bit PCM, any rate, any channels) as int16 mono 48 kHz."""
    with wave.open(str(path), "rb") as wav:
        channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
        raw = wav.readframes(wav.getnframes())
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2")
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        data = ((b[:, 2].astype(np.int32) << 24 | b[:, 1].astype(np.int32) << 16) >> 16).astype(
            np.int16
        )
    elif width == 4:
        data = (np.frombuffer(raw, dtype="<i4") >> 16).astype(np.int16)
    else:
        raise ValueError(f"unsupported WAV sample width: {width} bytes")
    data = data.reshape(-1, channels).mean(axis=1).astype(np.int16)
    if rate == RATE:
        mono: np.ndarray = data
        return mono
    frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]  # flush the tail
    return np.concatenate(out).astype(np.int16)


def write_wav(path: str | Path, samples: np.ndarray, rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.asarray(samples, dtype="<i2").tobytes())


class WavFileTrack(MediaStreamTrack):
    """Plays samples (or a WAV file) as a paced 20 ms microphone; ends when they run out.

    `finished` is set after the last sample has been handed out.
    """

    kind = "audio"

    def __init__(self, source: str | Path | np.ndarray, *, lead_in_seconds: float = 0.0) -> None:
        super().__init__()
        samples = source if isinstance(source, np.ndarray) else read_wav_mono48k(source)
        lead = np.zeros(int(lead_in_seconds * RATE), dtype=np.int16)
        self._samples = np.concatenate([lead, samples.astype(np.int16)])
        self._pos = 0
        self._pacer = Pacer()
        self.finished = asyncio.Event()

    @property
    def duration(self) -> float:
        return len(self._samples) / RATE

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live" or self._pos >= len(self._samples):
            self.finished.set()
            raise MediaStreamError
        await self._pacer.wait()
        chunk = self._samples[self._pos : self._pos + FRAME_SAMPLES]
        if len(chunk) < FRAME_SAMPLES:
            chunk = np.pad(chunk, (0, FRAME_SAMPLES - len(chunk)))
        frame = make_frame(chunk, self._pos)
        self._pos += FRAME_SAMPLES
        if self._pos >= len(self._samples):
            self.finished.set()
        return frame


class WavRecorder:
    """An audio sink that keeps everything the remote side played, and can save it."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self._chunks: list[np.ndarray] = []
        self._task: asyncio.Task[None] | None = None
        self._converter = FrameConverter()
        self.frames_received = 0
        self.edges = SoundEdges("received")  # when replies arrive (call stats)

    async def start(self, track: MediaStreamTrack) -> None:
        await self.stop()
        self._task = asyncio.get_running_loop().create_task(self._run(track))

    async def _run(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)  # an audio track's frames
                self.frames_received += 1
                samples = self._converter.convert(frame)
                self._chunks.append(samples)
                self.edges.feed(samples, time.monotonic(), RATE)  # no speaker: time received
        except MediaStreamError:
            pass

    def clear(self) -> None:
        """Nothing is queued here: a recorder plays nothing ahead of time."""

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.path is not None:
            write_wav(self.path, self.samples)

    @property
    def samples(self) -> np.ndarray:
        if not self._chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self._chunks)
