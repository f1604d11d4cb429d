"""The window key cannot get stuck, and "Listening" shows the truth in the window and tray.

Offscreen Qt, the local check, key events as Qt delivers them. Holding through a real X
server on a busy machine is tests/gui/test_ptt_hold.py.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QDialog

from desktop.ui.settings.hotkey_page import HotkeyPage
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import connect, push_to_talk_turns, send_key, turn_events
from tests.pulse import PulseAudio, shared_pulse

TURN = ["input_audio_buffer.clear", "input_audio_buffer.commit", "response.create"]


def listening_shown(window: object) -> tuple[bool, bool]:
    """(the window's badge, the tray's dot): shown as the user would see them."""
    badge = window.listening.isVisibleTo(window)  # type: ignore[attr-defined]
    return badge, "Listening" in window.tray.tooltip  # type: ignore[attr-defined]


def test_hiding_the_window_while_space_is_held_ends_the_turn(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window(push_to_talk_turns())
    connect(gui, window)
    gui.do(window.transcript.setFocus)
    before = len(turn_events(window))
    send_key(gui, window.transcript, QEvent.Type.KeyPress)
    gui.until(lambda: listening_shown(window) == (True, True), "listening")
    gui.pause(0.3)
    gui.do(window.hide)  # to the tray; the key's release will go elsewhere
    gui.until(lambda: "response.create" in turn_events(window)[before:], "the turn")
    assert turn_events(window)[before:] == TURN
    assert listening_shown(window) == (False, False)
    gui.do(window.bring_to_front)
    assert not window.listening.isVisible()


def test_a_dialog_opening_while_space_is_held_ends_the_turn(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window(push_to_talk_turns())
    connect(gui, window)
    gui.do(window.transcript.setFocus)
    gui.do(window.activateWindow)
    gui.until(lambda: window.isActiveWindow(), "the window to be active")
    before = len(turn_events(window))
    send_key(gui, window.transcript, QEvent.Type.KeyPress)
    gui.until(lambda: listening_shown(window) == (True, True), "listening")
    gui.pause(0.3)
    dialog = QDialog(window)
    gui.do(dialog.show)
    gui.do(dialog.activateWindow)
    gui.until(lambda: "response.create" in turn_events(window)[before:], "the turn")
    assert turn_events(window)[before:] == TURN
    assert listening_shown(window) == (False, False)
    send_key(gui, dialog, QEvent.Type.KeyRelease)  # the release lands in the dialog
    gui.pause(0.2)
    assert turn_events(window)[before:] == TURN
    dialog.close()


def test_a_tap_is_said_in_the_window(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window(push_to_talk_turns())
    connect(gui, window)
    gui.do(window.transcript.setFocus)
    before = len(turn_events(window))
    send_key(gui, window.transcript, QEvent.Type.KeyPress)
    send_key(gui, window.transcript, QEvent.Type.KeyRelease)
    gui.until(lambda: any("longer" in n for n in window.notices.texts()), "the notice")
    assert "input_audio_buffer.commit" not in turn_events(window)[before:]
    assert listening_shown(window) == (False, False)
    # A real hold afterwards: the notice goes, the turn is sent.
    send_key(gui, window.transcript, QEvent.Type.KeyPress)
    gui.until(lambda: not any("longer" in n for n in window.notices.texts()), "it to go")
    gui.pause(0.3)
    send_key(gui, window.transcript, QEvent.Type.KeyRelease)
    gui.until(lambda: "input_audio_buffer.commit" in turn_events(window)[before:], "the turn")


def test_the_global_key_while_hidden_leaves_neither_tray_nor_window_listening(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window(push_to_talk_turns())
    connect(gui, window)
    gui.do(window.hide)
    before = len(turn_events(window))
    for _ in range(3):
        gui.do(lambda: window.ptt.hold("global"))  # what GlobalHotkey calls on press
        gui.until(lambda: listening_shown(window) == (True, True), "listening")
        gui.pause(0.25)
        gui.do(lambda: window.ptt.let_go("global"))
        gui.until(lambda: listening_shown(window) == (False, False), "listening to end")
    gui.until(lambda: turn_events(window)[before:].count("response.create") == 3, "3 turns")
    gui.do(window.bring_to_front)
    gui.pause(0.1)
    assert not window.listening.isVisible()
    assert "Listening" not in window.tray.tooltip


def test_muting_while_held_is_not_listening(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window(push_to_talk_turns())
    connect(gui, window)
    gui.do(window.transcript.setFocus)
    send_key(gui, window.transcript, QEvent.Type.KeyPress)
    gui.until(lambda: listening_shown(window) == (True, True), "listening")
    gui.do(lambda: window.set_muted(True))  # the microphone closes: nobody is listening
    gui.until(lambda: listening_shown(window) == (False, False), "listening to end")
    gui.do(lambda: window.set_muted(False))
    gui.until(lambda: listening_shown(window) == (True, True), "listening again")
    send_key(gui, window.transcript, QEvent.Type.KeyRelease)
    gui.until(lambda: listening_shown(window) == (False, False), "listening to end")


def test_the_call_ending_while_held_ends_listening(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window(push_to_talk_turns())
    connect(gui, window)
    gui.do(window.transcript.setFocus)
    send_key(gui, window.transcript, QEvent.Type.KeyPress)
    gui.until(lambda: listening_shown(window) == (True, True), "listening")
    gui.do(window.controller.disconnect_call)
    gui.until(lambda: listening_shown(window) == (False, False), "listening to end")
    gui.until(lambda: not window.ptt.held, "the key to be let go")


# -- the push-to-talk sound cue ------------------------------------------------------------


@pytest.fixture(scope="module")
def pulse() -> Iterator[PulseAudio]:
    with shared_pulse() as server:
        yield server


def test_the_sound_cue_plays_on_press_and_release_and_can_be_switched_off(
    gui: Gui, make_window: WindowFactory, pulse: PulseAudio
) -> None:
    from desktop.core.audio.path import AudioPath

    window = make_window(push_to_talk_turns(), audio_factory=lambda _s: AudioPath(use_input=False))
    connect(gui, window)
    path = window.controller.audio
    assert isinstance(path, AudioPath) and path.sink is not None
    gui.do(window.transcript.setFocus)

    def hold_once() -> None:
        send_key(gui, window.transcript, QEvent.Type.KeyPress)
        gui.until(lambda: listening_shown(window) == (True, True), "listening")
        gui.pause(0.25)
        send_key(gui, window.transcript, QEvent.Type.KeyRelease)
        gui.until(lambda: listening_shown(window) == (False, False), "listening to end")

    hold_once()
    assert path.sink.cues.played == 2  # the mic opened, then closed

    page = HotkeyPage(window.settings)
    assert page.ptt_sound_cue.isChecked()  # on by default, as in voice-chat apps
    gui.do(page.ptt_sound_cue.click)
    changed = copy.deepcopy(window.settings)
    changed.ptt_sound_cue = page.values().ptt_sound_cue
    gui.do(lambda: window.apply_settings(changed))
    hold_once()
    assert path.sink.cues.played == 2  # switched off: silent
