"""The push-to-talk cue comes out of the speaker over the reply, at both device rates."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from desktop.core.audio.cue import press_cue, release_cue
from desktop.core.audio.path import AudioPath
from desktop.core.audio.playback import Speaker
from tests.integration.audio.conftest import opened
from tests.integration.audio.signals import ArrayTrack, tone
from tests.pulse import RATE, PulseAudio


def band_rms(samples: np.ndarray, hz: float) -> float:
    """RMS of ``samples`` within ±40 Hz of ``hz``."""
    spectrum = np.fft.rfft(samples.astype(np.float64))
    freqs = np.fft.rfftfreq(samples.size, 1 / RATE)
    band = np.abs(spectrum[(freqs > hz - 40) & (freqs < hz + 40)])
    return float(np.sqrt(2 * np.sum(band**2)) / samples.size)


@pytest.mark.parametrize("device_rate", [None, 44100], ids=["48k-device", "44k1-device"])
async def test_the_cue_is_heard_over_the_reply(pulse: PulseAudio, device_rate: int | None) -> None:
    speaker = await opened(Speaker(device_rate=device_rate))
    reply = tone(300, 1.5, dbfs=-18)
    async with pulse.record() as heard:
        await speaker.start(ArrayTrack(reply))
        await asyncio.sleep(0.4)
        speaker.cues.play(press_cue())
        await asyncio.sleep(0.4)
        speaker.cues.play(release_cue())
        await asyncio.sleep(0.6)
        await speaker.stop()
    audio = heard.samples()
    assert band_rms(audio, 660) > 10 ** (-50 / 20)  # both notes were played
    assert band_rms(audio, 880) > 10 ** (-50 / 20)
    assert band_rms(audio, 300) > 10 ** (-24 / 20)  # and the reply was not cut for them
    assert speaker.cues.played == 2 and speaker.cues.pending == 0


async def test_the_audio_path_plays_a_cue_only_with_a_speaker(pulse: PulseAudio) -> None:
    without = AudioPath(use_input=False, use_output=False)
    await without.start()
    assert not without.play_cue(press_cue())
    await without.close()
    path = AudioPath(use_input=False)
    await path.start()
    assert path.sink is not None
    assert path.play_cue(press_cue())
    assert path.sink.cues.played == 1
    await path.close()
