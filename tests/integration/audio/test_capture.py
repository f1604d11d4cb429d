"""The microphone track: what is played into the virtual microphone is what gets sent."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from desktop.core.audio.capture import MicrophoneTrack
from tests.integration.audio.conftest import FrameCollector
from tests.integration.audio.signals import RATE, frames_to_float, match_scores, noise
from tests.pulse import PulseAudio


@pytest.mark.parametrize("device_rate", [None, 44100], ids=["48k-device", "44k1-device"])
async def test_sound_played_into_the_microphone_arrives_in_48k_frames(
    pulse: PulseAudio, device_rate: int | None
) -> None:
    mic = MicrophoneTrack(device_rate=device_rate)  # no processing: the raw capture path
    await mic.open()
    collector = FrameCollector(mic)
    loop = asyncio.get_running_loop()
    try:
        await asyncio.sleep(0.2)
        played = noise(1.0, dbfs=-12, seed=7)
        started = loop.time()
        await asyncio.to_thread(pulse.play, played)
        await asyncio.sleep(0.3)
        elapsed = loop.time() - started
        count_during = sum(1 for t in collector.times if t >= started)
    finally:
        await collector.stop()
        await mic.aclose()

    frames = collector.frames
    assert {(f.sample_rate, f.format.name, f.layout.name, f.samples) for f in frames} == {
        (RATE, "s16", "mono", 960)
    }
    pts = [f.pts for f in frames]
    assert pts == list(range(0, 960 * len(frames), 960)), "timestamps must be continuous"
    # Paced like a real-time source: one frame per 20 ms, not a flood, not a trickle.
    assert 0.75 < count_during / (elapsed / 0.02) < 1.25
    scores = match_scores(played, frames_to_float(frames))
    assert np.median(scores) >= 0.8, (scores, mic.stats())


async def test_input_level_follows_the_microphone(pulse: PulseAudio) -> None:
    mic = MicrophoneTrack()
    await mic.open()
    collector = FrameCollector(mic)
    try:
        await asyncio.sleep(0.3)
        quiet = mic.meter.read()
        t = np.arange(RATE) / RATE
        await asyncio.to_thread(pulse.play, 10 ** (-6 / 20) * np.sin(2 * np.pi * 1000 * t))
        loud = mic.meter.read()
    finally:
        await collector.stop()
        await mic.aclose()
    assert quiet.peak_dbfs < -60
    assert loud.peak_dbfs == pytest.approx(-6.0, abs=1.5)
    assert loud.rms_dbfs == pytest.approx(-9.0, abs=2.0)  # a sine's RMS is 3 dB below peak
    assert loud.hold_dbfs >= loud.peak_dbfs
