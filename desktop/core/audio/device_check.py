"""Checks a person runs before a call: record a few seconds and hear them back; a test tone;
a voice preview clip.

Used by the Audio settings page (and usable headless). The microphone is recorded raw,
without echo cancellation or noise suppression, so what plays back is what the device
hears; its level is reported as it records. Failures are `AudioError`s with a readable
message, as everywhere in the audio package.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np

from desktop.core.audio.capture import MicrophoneTrack
from desktop.core.audio.devices import SYSTEM_DEFAULT
from desktop.core.audio.files import WavFileTrack
from desktop.core.audio.frames import RATE, FrameConverter
from desktop.core.audio.levels import Level, LevelMeter
from desktop.core.audio.playback import Speaker

RECORD_SECONDS = 3.0
TONE_HZ = 440.0
TONE_SECONDS = 1.0
TONE_DBFS = -12.0
QUIET_DBFS = -50.0  # a recording quieter than this heard nothing useful
LEVEL_EVERY = 3  # frames (of 20 ms) between two level reports


def tone_samples(
    seconds: float = TONE_SECONDS, hz: float = TONE_HZ, dbfs: float = TONE_DBFS
) -> np.ndarray:
    """A sine with 20 ms fades (no clicks), 48 kHz mono int16."""
    t = np.arange(int(seconds * RATE)) / RATE
    wave = np.sin(2 * np.pi * hz * t) * 10 ** (dbfs / 20)
    fade = min(len(t) // 2, int(0.02 * RATE))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        wave[:fade] *= ramp
        wave[-fade:] *= ramp[::-1]
    return (wave * 32767).astype(np.int16)


def rms_dbfs(samples: np.ndarray) -> float:
    if not len(samples):
        return -120.0
    wide = samples.astype(np.float64) / 32768.0
    return float(10 * np.log10(max(float(np.mean(wide * wide)), 1e-12)))


async def record(
    seconds: float = RECORD_SECONDS,
    device: str = SYSTEM_DEFAULT,
    on_level: Callable[[Level], None] | None = None,
) -> np.ndarray:
    """`seconds` of the microphone (48 kHz mono int16); raises AudioError."""
    meter = LevelMeter()
    mic = MicrophoneTrack(device, meter=meter)
    converter = FrameConverter()
    chunks: list[np.ndarray] = []
    wanted = int(seconds * RATE)
    got = 0
    await mic.open()
    try:
        while got < wanted:
            samples = converter.convert(await mic.recv())
            chunks.append(samples)
            got += len(samples)
            if on_level is not None and len(chunks) % LEVEL_EVERY == 0:
                on_level(meter.read())
    finally:
        await mic.aclose()
    if on_level is not None:
        on_level(Level.silent())
    return np.concatenate(chunks)[:wanted] if chunks else np.zeros(0, dtype=np.int16)


async def play(samples: np.ndarray, device: str = SYSTEM_DEFAULT) -> None:
    """Play `samples` (48 kHz mono int16) to the end; raises AudioError."""
    speaker = Speaker(device)
    track = WavFileTrack(samples)
    await speaker.start(track)
    try:
        await track.finished.wait()
        await asyncio.sleep(0.25)  # what the device still holds plays out
    finally:
        await speaker.stop()


def read_clip(path: str | Path) -> np.ndarray:
    """A short sound file of any format PyAV reads (the voice previews are Ogg Opus), as
    48 kHz mono int16. Raises OSError / av.error.FFmpegError for a missing or bad file."""
    import av

    chunks: list[np.ndarray] = []
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, dtype=np.int16)
