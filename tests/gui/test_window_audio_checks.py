"""First run: what the empty transcript says, and the device checks on the Audio page.

The checks run on a private PulseAudio with virtual devices: a voice played into the
virtual microphone is recorded by "Test microphone" and comes back out of the virtual
speaker; "Play test tone" is heard there as a 440 Hz tone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.core.settings.schema import AppSettings
from desktop.ui.settings.audio_page import AudioPage
from desktop.ui.settings.tasks import Tasks
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import connect, reply_in, type_message
from tests.integration.audio.signals import speech_like
from tests.pulse import PulseAudio, shared_pulse


@pytest.fixture
def pulse() -> Iterator[PulseAudio]:
    with shared_pulse() as server:
        from desktop.core.audio import devices

        devices.refresh()
        yield server
        server.reset()


def loudness(samples: np.ndarray) -> float:
    """dBFS of what the virtual speaker played (tests/pulse.py records floats in [-1, 1])."""
    x = samples.astype(np.float64)
    return float(10 * np.log10(max(float(np.mean(x * x)), 1e-12)))


def test_the_empty_transcript_says_what_to_do_first(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    assert window.transcript.guide.isVisible()
    guide = window.transcript.guide.text()
    assert "Connect" in guide and "Ctrl+D" in guide  # what to do now
    assert "Hold Space" in guide  # the hold-to-talk key
    assert "Settings" in guide and "key" in guide  # how to add a key
    settings = AppSettings()
    settings.ptt_key = "F9"
    window.apply_settings(settings)
    assert "Hold F9" in window.transcript.guide.text()
    connect(gui, window)
    type_message(gui, window, "hi")
    gui.until(lambda: reply_in(window, "hi"), "the reply")
    assert not window.transcript.guide.isVisible()  # out of the way once there is a turn


def test_test_microphone_records_three_seconds_and_plays_them_back(
    gui: Gui, pulse: PulseAudio
) -> None:
    page = AudioPage(AppSettings().audio, Tasks())
    page.show()
    said = speech_like(1.5, seed=7, dbfs=-14, pauses=False)
    with pulse.record() as heard:
        gui.do(lambda: QTest.mouseClick(page.mic_test, Qt.MouseButton.LeftButton))
        gui.until(lambda: "Recording" in page.mic_result.text(), "the recording to start")
        peak = []

        async def speak_and_watch() -> None:
            playing = asyncio.ensure_future(asyncio.to_thread(pulse.play, said))
            while not playing.done():
                peak.append(page.mic_level.level)
                await asyncio.sleep(0.05)

        gui.run(speak_and_watch())
        gui.until(lambda: page.mic_result.text().startswith("Done"), "the test to finish")
        played_back = heard.samples()
    assert max(peak) > 0.3  # the meter moved while recording
    assert page.mic_test.isEnabled()
    tail = played_back[-int(3.5 * 48000):]  # the playback: the last seconds
    assert loudness(tail) > -40  # the voice came back out of the speaker
    page.close()


def test_play_test_tone_is_heard_on_the_speaker(gui: Gui, pulse: PulseAudio) -> None:
    page = AudioPage(AppSettings().audio, Tasks())
    page.show()
    with pulse.record() as heard:
        gui.do(lambda: QTest.mouseClick(page.tone_test, Qt.MouseButton.LeftButton))
        gui.until(lambda: page.tone_result.text().startswith("Played"), "the tone")
        samples = heard.samples()
    x = samples.astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x))
    peak_hz = np.argmax(spectrum) * 48000 / len(x)
    assert abs(peak_hz - 440) < 5
    assert loudness(samples) > -40
    page.close()
