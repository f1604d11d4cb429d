"""The speaker sink: what the call receives is what the user hears, without building delay."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from desktop.core.audio.playback import Speaker
from tests.integration.audio.conftest import opened
from tests.integration.audio.signals import (
    ArrayTrack,
    SequenceTrack,
    classify,
    match_scores,
    noise,
    tone,
)
from tests.pulse import PulseAudio


@pytest.mark.parametrize("device_rate", [None, 44100], ids=["48k-device", "44k1-device"])
async def test_received_audio_comes_out_of_the_speaker(
    pulse: PulseAudio, device_rate: int | None
) -> None:
    speaker = await opened(Speaker(device_rate=device_rate))
    sent = noise(1.0, dbfs=-12, seed=3)
    async with pulse.record() as heard:
        await speaker.start(ArrayTrack(sent))
        await asyncio.sleep(1.4)
        await speaker.stop()
    scores = match_scores(sent, heard.samples())
    assert np.median(scores) >= 0.8, (scores, speaker.stats())
    assert speaker.stats().frames_received == 50


async def test_output_meter_shows_what_is_played(pulse: PulseAudio) -> None:
    speaker = await opened(Speaker())
    await speaker.start(ArrayTrack(tone(1000, 1.0, dbfs=-12)))
    await asyncio.sleep(0.3)
    speaker.meter.read()
    await asyncio.sleep(0.4)
    level = speaker.meter.read()
    await speaker.stop()
    assert level.peak_dbfs == pytest.approx(-12, abs=1.5)


async def test_a_burst_is_not_kept_as_delay(pulse: PulseAudio) -> None:
    """3 s arriving at once (say, the device stalled) must not put the rest of the reply
    3 s late: the backlog is dropped and what follows plays on time."""
    speaker = await opened(Speaker(max_ms=200))
    async with pulse.record() as heard:
        track = SequenceTrack(noise(3.0, dbfs=-12), tone(1000, 1.2, dbfs=-12))
        await speaker.start(track)
        await asyncio.sleep(1.6)  # the backlog alone would need 3 s
    await speaker.stop()
    tone_s, noise_s = classify(heard.samples(), 1000)
    stats = speaker.stats().playout
    assert noise_s < 0.5, f"played {noise_s:.2f} s of the backlog"
    assert tone_s > 0.9, f"the audio after the backlog was late: {tone_s:.2f} s heard"
    assert stats.dropped_ms > 2500 and stats.overruns >= 1


async def test_clear_silences_at_once(pulse: PulseAudio) -> None:
    """An interrupted reply that arrived faster than real time stops when cleared."""
    speaker = await opened(Speaker(max_ms=3000))  # let it queue the whole reply
    async with pulse.record() as heard:
        await speaker.start(ArrayTrack(tone(1000, 2.0, dbfs=-12), realtime=False))
        await asyncio.sleep(0.5)
        speaker.clear()
        depth_after_clear = speaker.stats().playout.depth_ms
        await asyncio.sleep(1.0)
    await speaker.stop()
    tone_s, _ = classify(heard.samples(), 1000)
    assert depth_after_clear == 0
    assert 0.2 < tone_s < 0.8, f"{tone_s:.2f} s of a 2 s reply played; clear came at 0.5 s"
