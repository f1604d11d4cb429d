"""The push-to-talk cue: short, quiet, rising on press and falling on release, and mixed
over what the speaker plays without cutting it."""

from __future__ import annotations

import numpy as np

from desktop.core.audio.cue import CueMixer, press_cue, release_cue
from desktop.core.audio.frames import RATE


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(samples.size, 1 / RATE)[int(spectrum.argmax())])


def test_the_cues_are_short_quiet_and_click_free() -> None:
    for cue in (press_cue(), release_cue()):
        assert cue.dtype == np.int16
        assert cue.size / RATE < 0.15  # over before a word could be
        peak_dbfs = 20 * np.log10(np.abs(cue).max() / 32768)
        assert -32 < peak_dbfs < -20  # audible, well under the reply's level
        assert abs(int(cue[0])) < 50 and abs(int(cue[-1])) < 50  # faded: no click


def test_press_rises_and_release_falls() -> None:
    press, release = press_cue(), release_cue()
    half = press.size // 2
    assert dominant_hz(press[:half]) < dominant_hz(press[half:])
    assert dominant_hz(release[:half]) > dominant_hz(release[half:])


def test_the_mixer_adds_the_cue_over_the_reply_across_blocks() -> None:
    mixer = CueMixer()
    reply = np.full(480, 1000, dtype=np.int16)
    assert np.array_equal(mixer.mix(reply), reply)  # nothing to play: untouched
    cue = press_cue()
    mixer.play(cue)
    out = np.concatenate([mixer.mix(reply.copy()) for _ in range(cue.size // 480 + 2)])
    expected = np.concatenate(
        [cue.astype(np.int32), np.zeros(out.size - cue.size, dtype=np.int32)]
    ) + 1000
    assert np.array_equal(out.astype(np.int32), expected)  # the reply is still there
    assert mixer.pending == 0 and mixer.played == 1


def test_the_mixer_saturates_instead_of_wrapping_and_a_new_cue_replaces_the_old() -> None:
    mixer = CueMixer()
    mixer.play(np.full(100, 20000, dtype=np.int16))
    loud = mixer.mix(np.full(50, 20000, dtype=np.int16))
    assert loud.max() == 32767  # clipped, not wrapped to a negative
    mixer.play(release_cue())
    assert mixer.pending == release_cue().size
