"""The window against the built-in local server over real WebRTC: connect, type, talk.

Push-to-talk is asserted on what the *server* received, so a key handler that looks right
in the window but sends nothing (or sends a turn per auto-repeat) fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from desktop.core.call.state import CallState
from desktop.core.conversation.model import Conversation
from desktop.core.settings.schema import AppSettings
from desktop.ui.main_window import MainWindow
from tests.gui.conftest import Gui, WindowFactory

LONG_TEXT = " ".join(["this is a long message so the echo takes a while to say it"] * 6)


# -- helpers ------------------------------------------------------------------------------


def click(gui: Gui, widget: QWidget) -> None:
    gui.do(lambda: QTest.mouseClick(widget, Qt.MouseButton.LeftButton))


def connect(gui: Gui, window: MainWindow) -> None:
    click(gui, window.connect_button)
    gui.until(lambda: window.controller.state is CallState.CONNECTED, "the call to connect")


def type_message(gui: Gui, window: MainWindow, text: str) -> None:
    def typing() -> None:
        window.message.edit.setFocus()
        QTest.keyClicks(window.message.edit, text)
        QTest.keyClick(window.message.edit, Qt.Key.Key_Return)

    gui.do(typing)


def send_key(
    gui: Gui, widget: QWidget, kind: QEvent.Type, *, repeat: bool = False
) -> None:
    event = QKeyEvent(kind, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, " ", repeat)
    gui.do(lambda: QApplication.sendEvent(widget, event))


def received(window: MainWindow) -> list[str]:
    server = window.controller.local_server
    assert server is not None
    return [e.get("type", "") for e in server.calls[-1].received]


def turn_events(window: MainWindow) -> list[str]:
    keep = ("input_audio_buffer.clear", "input_audio_buffer.commit", "response.create")
    return [t for t in received(window) if t in keep]


def reply_in(window: MainWindow, text: str) -> bool:
    return f'You said: "{text}"' in window.transcript.toPlainText()


# -- typing -------------------------------------------------------------------------------


def test_connect_type_and_read_the_reply(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    assert window.provider.currentData() == "local"
    assert window.hint.isVisible()
    assert not window.message.send_button.isEnabled()
    connect(gui, window)
    assert window.connect_button.text() == "Disconnect"
    assert "In call" in window.state.text()
    assert window.phase_view.text() == "Listening"  # the assistant waits for the user
    assert "Connected in" in window.state.toolTip()  # stage timings
    assert "Contacting server" in window.state.toolTip()

    type_message(gui, window, "hello from the window")
    gui.until(lambda: reply_in(window, "hello from the window"), "the echo reply")
    text = window.transcript.toPlainText()
    assert text.index("hello from the window") < text.index("You said:")
    assert "You ·" in text and "Assistant ·" in text  # who spoke, with a time
    assert window.message.edit.text() == ""
    gui.until(lambda: window.status.tokens.text() != "0 tokens", "the token count")
    assert window.status.cost.text() == "≈ $0.00"  # local-echo is free in prices.json
    gui.until(
        lambda: any(a.startswith("Assistant: You said") for a in window.announcer.recent),
        "the reply to be announced",
    )


def test_the_event_log_records_both_directions(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    gui.do(lambda: window.menu_actions.connect.trigger())
    gui.until(lambda: window.controller.state is CallState.CONNECTED, "the call to connect")
    type_message(gui, window, "log me")
    gui.until(lambda: reply_in(window, "log me"), "the echo reply")
    gui.until(
        lambda: any(e.type == "response.done" for e in window.event_log.entries()),
        "response.done in the log",
    )
    gui.do(lambda: QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier))
    assert window.event_log_dock.isVisible()
    entries = window.event_log.visible_entries()
    sent = [e.type for e in entries if e.direction == "out"]
    got = [e.type for e in entries if e.direction == "in"]
    assert "conversation.item.create" in sent and "response.create" in sent
    assert "session.created" in got and "response.done" in got

    gui.do(lambda: window.event_log.filter_edit.setText("response.done"))
    shown = window.event_log.visible_entries()
    assert shown and all(e.type == "response.done" for e in shown)
    gui.do(lambda: window.event_log.select_row(0))
    details = json.loads(window.event_log.details.toPlainText())
    assert details["type"] == "response.done"
    assert "  " in window.event_log.details.toPlainText()  # pretty, indented


# -- push-to-talk -------------------------------------------------------------------------


def push_to_talk_turns() -> AppSettings:
    settings = AppSettings()
    settings.providers["local"].turn_mode = "push_to_talk"
    return settings


def test_hold_space_sends_one_turn_despite_auto_repeat(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window(push_to_talk_turns())
    assert "Hold Space to talk" in window.status.ptt_hint.text()
    connect(gui, window)
    target = window.transcript  # focus outside the text box: Space is push-to-talk
    gui.do(target.setFocus)
    before = len(turn_events(window))

    send_key(gui, target, QEvent.Type.KeyPress)
    gui.until(lambda: window.listening.isVisible(), "the listening badge")
    assert "Listening" in window.tray.tooltip
    for _ in range(5):  # what X11 sends while the key stays down
        send_key(gui, target, QEvent.Type.KeyRelease, repeat=True)
        send_key(gui, target, QEvent.Type.KeyPress, repeat=True)
        gui.pause(0.05)
    assert window.listening.isVisible()  # auto-repeat releases did not end the turn
    gui.pause(0.1)
    send_key(gui, target, QEvent.Type.KeyRelease)
    gui.until(lambda: "response.create" in turn_events(window)[before:], "the turn to be sent")

    assert turn_events(window)[before:] == [
        "input_audio_buffer.clear",
        "input_audio_buffer.commit",
        "response.create",
    ]
    assert not window.listening.isVisible()
    assert "Listening" not in window.tray.tooltip
    gui.pause(0.3)
    assert [n for n in window.notices.texts() if n.startswith("Local check:")] == []


def test_a_short_tap_sends_no_turn(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window(push_to_talk_turns())
    connect(gui, window)
    gui.do(window.connect_button.setFocus)  # Space on a focused button talks, not clicks
    before = len(turn_events(window))
    send_key(gui, window.connect_button, QEvent.Type.KeyPress)
    send_key(gui, window.connect_button, QEvent.Type.KeyRelease)
    gui.pause(0.4)  # longer than the engine's tail: a commit would have been sent by now
    assert "input_audio_buffer.commit" not in turn_events(window)[before:]
    assert window.controller.state is CallState.CONNECTED  # the button was not clicked


def test_space_in_the_text_box_types_a_space(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window(push_to_talk_turns())
    connect(gui, window)
    gui.do(window.message.edit.setFocus)
    before = len(turn_events(window))
    gui.do(lambda: QTest.keyClicks(window.message.edit, "a b"))
    gui.pause(0.3)
    assert window.message.edit.text() == "a b"
    assert turn_events(window)[before:] == []
    assert not window.listening.isVisible()


def test_with_server_turns_space_speaks_while_muted(gui: Gui, make_window: WindowFactory) -> None:
    """Server VAD ends turns itself (a client commit would collide with it): the key only
    lifts Mute while held."""
    window = make_window()  # the default: server VAD
    assert "while muted" in window.status.ptt_hint.text()
    connect(gui, window)
    call = window.controller.call
    assert call is not None
    click(gui, window.mute_button)
    assert call.turns.state.user_muted
    gui.do(window.transcript.setFocus)
    before = len(turn_events(window))

    send_key(gui, window.transcript, QEvent.Type.KeyPress)
    gui.until(lambda: window.listening.isVisible(), "the listening badge")
    assert not call.turns.state.user_muted  # the microphone is open while held
    assert window.mute_button.isChecked()  # Mute itself stays on
    send_key(gui, window.transcript, QEvent.Type.KeyRelease)
    gui.until(lambda: not window.listening.isVisible(), "the badge to go")
    assert call.turns.state.user_muted
    gui.pause(0.3)
    assert turn_events(window)[before:] == []  # the server decides the turns


def test_enter_presses_the_focused_button(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    gui.do(window.connect_button.setFocus)
    gui.do(lambda: QTest.keyClick(window.connect_button, Qt.Key.Key_Return))
    gui.until(lambda: window.controller.state is CallState.CONNECTED, "Enter to connect")


# -- interrupt, disconnect, reconnect -----------------------------------------------------


def test_interrupt_stops_the_reply(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    connect(gui, window)
    assert not window.interrupt_button.isEnabled()
    type_message(gui, window, LONG_TEXT)
    gui.until(lambda: window.interrupt_button.isEnabled(), "Interrupt to be offered")
    click(gui, window.interrupt_button)
    gui.until(lambda: "interrupted" in window.transcript.toPlainText(), "the interrupted mark")
    gui.until(  # the server hears of it a moment after the window marks it
        lambda: {"response.cancel", "output_audio_buffer.clear"} & set(received(window)),
        "the interrupt to reach the server",
    )
    gui.until(lambda: not window.interrupt_button.isEnabled(), "Interrupt to be disabled")


def test_disconnect_keeps_the_transcript_and_reconnect_continues_it(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    connect(gui, window)
    type_message(gui, window, "first call")
    gui.until(lambda: reply_in(window, "first call"), "the first reply")
    server = window.controller.local_server
    assert server is not None

    click(gui, window.connect_button)
    gui.until(lambda: window.controller.state is CallState.CLOSED, "the call to close")
    assert window.connect_button.text() == "Connect"
    assert "Disconnected" in window.state.text()
    assert server.calls[0].closed
    assert reply_in(window, "first call")
    assert not window.message.send_button.isEnabled()

    connect(gui, window)
    type_message(gui, window, "second call")
    gui.until(lambda: reply_in(window, "second call"), "the second reply")
    assert len(server.calls) == 2
    text = window.transcript.toPlainText()
    assert text.index("first call") < text.index("Local check ·") < text.index("second call")

    gui.do(lambda: window.menu_actions.reconnect.trigger())
    gui.until(lambda: len(server.calls) == 3, "a third call")
    gui.until(lambda: window.controller.state is CallState.CONNECTED, "the reconnect")
    assert server.calls[1].closed


def test_mute_from_the_tray_and_the_window_agree(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    connect(gui, window)
    gui.do(lambda: window.tray.mute_action.trigger())
    assert window.mute_button.isChecked() and window.mute_button.text() == "Unmute"
    assert window.controller.muted
    call = window.controller.call
    assert call is not None and call.turns.state.user_muted
    click(gui, window.mute_button)
    assert not window.tray.mute_action.isChecked()
    assert not call.turns.state.user_muted

    gui.do(lambda: window.tray.call_action.trigger())
    gui.until(lambda: window.controller.state is CallState.CLOSED, "the tray to hang up")
    assert window.tray.call_action.text() == "Connect"


# -- transcript tools ---------------------------------------------------------------------


def test_search_copy_and_export(gui: Gui, make_window: WindowFactory, tmp_path: Path) -> None:
    window = make_window()
    connect(gui, window)
    type_message(gui, window, "pineapple pizza")
    gui.until(lambda: reply_in(window, "pineapple pizza"), "the echo reply")

    gui.do(lambda: QTest.keySequence(window, QKeySequence.StandardKey.Find))
    assert window.search.isVisible() and window.search.edit.hasFocus()
    gui.do(lambda: QTest.keyClicks(window.search.edit, "pineapple"))
    assert window.transcript.textCursor().selectedText() == "pineapple"
    assert window.search.result.text() == "2 found"  # the message and the echo
    gui.do(lambda: QTest.keyClick(window.search.edit, Qt.Key.Key_Escape))
    assert not window.search.isVisible()
    assert window.controller.state is CallState.CONNECTED  # Esc closed search, nothing else

    gui.do(lambda: window.menu_actions.copy_transcript.trigger())
    copied = QApplication.clipboard().text()
    assert "**You**" in copied and "pineapple pizza" in copied

    assert window.export_to(tmp_path / "t.md", "md")
    assert "pineapple pizza" in (tmp_path / "t.md").read_text(encoding="utf-8")
    assert window.export_to(tmp_path / "t.json", "json")
    loaded = Conversation.from_json((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert [t.role for t in loaded.items] == ["user", "assistant"]
    assert not window.export_to(tmp_path / "missing" / "t.md", "md")
    assert any("Could not save" in n for n in window.notices.texts())


def test_echo_cancellation_switched_off_in_settings_applies_mid_call(
    gui: Gui, make_window: WindowFactory
) -> None:
    """The audio path's own processor (no devices needed to switch it) follows Settings."""
    from desktop.core.audio.path import AudioPath
    from desktop.core.settings.schema import AppSettings
    from desktop.core.talk.audio import processing_settings

    def audio(settings: AppSettings) -> AudioPath:
        return AudioPath(
            use_input=False, use_output=False, settings=processing_settings(settings)
        )

    window = make_window(audio_factory=audio)
    connect(gui, window)
    path = window.controller.audio
    assert isinstance(path, AudioPath) and path.processor.settings.echo_cancellation
    changed = AppSettings()
    changed.audio.echo_cancellation = False
    changed.audio.noise_suppression = False
    gui.do(lambda: window.apply_settings(changed))
    assert not path.processor.settings.echo_cancellation
    assert not path.processor.settings.noise_suppression
    assert path.processor.settings.high_pass_filter  # what was not changed stays
