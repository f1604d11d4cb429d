"""The assistant's state at a glance, through a spoken turn.

A voice-like signal is played into the virtual microphone (a private PulseAudio,
tests/pulse.py); the built-in local server, in its voice-activity mode, hears it, answers
after the pause, and the window's phase words move through the turn. The orb animates only
while it is on screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from desktop.core.audio.levels import Level
from desktop.core.talk.phase import Phase, PhaseKind
from desktop.ui.controller import default_audio
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import connect
from tests.integration.audio.signals import speech_like
from tests.pulse import PulseAudio, shared_pulse

TURN = ["Listening", "You are speaking", "Thinking…", "Speaking", "Listening"]


@pytest.fixture
def pulse() -> Iterator[PulseAudio]:
    with shared_pulse() as server:
        from desktop.core.audio import devices

        devices.refresh()
        yield server
        server.reset()


def in_order(expected: list[str], shown: list[str]) -> bool:
    """`expected` appears in `shown` in this order (other words may come between)."""
    position = 0
    for words in shown:
        if position < len(expected) and words == expected[position]:
            position += 1
    return position == len(expected)


def test_a_spoken_turn_moves_the_shown_state_phase_by_phase(
    gui: Gui, pulse: PulseAudio, make_window: WindowFactory
) -> None:
    window = make_window(audio_factory=default_audio)  # server-detected turns: the default
    connect(gui, window)
    gui.until(lambda: window.mic_meter.available, "the microphone")
    gui.pause(0.5)  # codecs and the echo canceller settle
    shown = [window.phase_view.text()]
    window.phase_view.announced.connect(shown.append)
    assert window.phase_view.orb.animating  # on screen and in a call

    said = speech_like(1.5, seed=31, dbfs=-14, pauses=False)
    gui.run(asyncio.to_thread(pulse.play, said))
    gui.until(lambda: "Speaking" in shown, "the reply to be spoken", seconds=30)
    gui.until(lambda: shown[-1] == "Listening", "the turn to end", seconds=30)
    assert in_order(TURN, shown), shown
    assert shown[0] == "Listening"


def test_the_orb_rests_while_hidden_or_idle(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    orb = window.phase_view.orb
    assert not orb.animating  # no call: nothing moves
    connect(gui, window)
    assert orb.animating
    loud = Level(rms_dbfs=-10.0, peak_dbfs=-3.0, hold_dbfs=-3.0)
    gui.do(lambda: window.phase_view.set_phase(Phase(PhaseKind.SPEAKING)))
    gui.do(window.hide)  # to the tray, say
    painted = orb.frames
    for _ in range(10):
        gui.do(lambda: window.phase_view.set_output_level(loud))
        gui.pause(0.05)
    assert not orb.animating and orb.frames == painted  # no timer, no repaint
    gui.do(window.show)
    gui.until(lambda: orb.frames > painted, "the orb to draw again")
    assert orb.animating
    gui.do(window.showMinimized)
    gui.until(lambda: not orb.animating, "the orb to stop while minimised")


def test_the_state_is_said_in_words_for_screen_readers(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    connect(gui, window)
    words = window.phase_view.words
    assert words.accessibleName() == "Assistant state" and words.text() == "Listening"
    gui.do(lambda: window.controller.phase_changed.emit(Phase(PhaseKind.THINKING)))
    assert words.text() == "Thinking…"
    assert "Thinking…" in window.announcer.recent  # announced on change
