"""The window's rough edges from issue 15 ("Broken" 1-8), each as a person meets it.

Offscreen Qt; calls go to the built-in local server over real WebRTC.
"""

from __future__ import annotations

import socket

from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from desktop.core.call.state import CallState
from desktop.core.secrets import KeyStore
from desktop.core.settings.schema import AppSettings
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import LONG_TEXT, click, connect, reply_in, type_message


def wheel(widget: QWidget, steps: int) -> None:
    """A mouse wheel turned over `widget` (negative: towards the user, scrolling down)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(widget.rect().center())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def clipped(widget: QWidget) -> list[str]:
    """Visible labels and buttons below `widget` narrower than their text needs."""
    found = []
    for child in widget.findChildren(QLabel) + widget.findChildren(QPushButton):
        if not child.isVisibleTo(widget) or (isinstance(child, QLabel) and child.wordWrap()):
            continue
        if child.width() < child.minimumSizeHint().width():
            found.append(f"{child.text()!r} {child.width()} < {child.minimumSizeHint().width()}")
    return found


def overlapping(widget: QWidget) -> list[str]:
    """Pairs of visible controls below `widget` that cover each other."""
    kinds = (QLabel, QPushButton)
    items = [
        w for k in kinds for w in widget.findChildren(k) if w.isVisibleTo(widget) and w.width()
    ]
    items += [w for w in widget.findChildren(QWidget) if type(w).__name__ in ("_Dot", "LevelMeter")
              and w.isVisibleTo(widget)]

    def box(w: QWidget) -> QRect:
        return QRect(w.mapTo(widget, QPoint(0, 0)), w.size())

    found = []
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            if first.isAncestorOf(second) or second.isAncestorOf(first):
                continue
            if box(first).intersects(box(second)):
                found.append(f"{first.objectName() or type(first).__name__} "
                             f"{getattr(first, 'text', lambda: '')()!r} / "
                             f"{second.objectName() or type(second).__name__} "
                             f"{getattr(second, 'text', lambda: '')()!r}")
    return found


# -- 1. Ctrl+Q, and shortcuts the menus show ----------------------------------------------


def test_ctrl_q_quits_and_the_menu_shows_each_shortcut(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    quits: list[bool] = []
    window.quit_handler = lambda: quits.append(True)
    gui.do(window.activateWindow)
    gui.do(lambda: QTest.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier))
    assert quits == [True]
    assert window.menu_actions.settings.shortcut().toString() == "Ctrl+,"
    assert window.menu_actions.quit.shortcut().toString() == "Ctrl+Q"


# -- 2. the wheel changes a field only when it has focus ----------------------------------


def test_scrolling_the_settings_page_leaves_the_values_alone(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    gui.do(window.open_settings)
    from desktop.ui.settings.dialog import SettingsDialog

    dialog = window.findChildren(SettingsDialog)[-1]
    gui.do(lambda: dialog.provider.setCurrentIndex(dialog.provider.findData("openai")))
    gui.do(lambda: dialog.resize(640, 420))  # short: the page scrolls
    page = dialog.pages["openai"]
    threshold = page.turns.threshold
    threshold.setEnabled(True)
    area = next(a for a in dialog.stack.currentWidget().findChildren(QAbstractScrollArea)) \
        if not isinstance(dialog.stack.currentWidget(), QAbstractScrollArea) \
        else dialog.stack.currentWidget()
    bar = area.verticalScrollBar()
    before_value, before_scroll = threshold.value(), bar.value()
    gui.do(lambda: dialog.provider.setFocus())
    gui.do(lambda: wheel(threshold, -3))
    assert threshold.value() == before_value  # 0.50 stays 0.50
    assert bar.value() > before_scroll  # the page scrolled instead
    gui.do(dialog.activateWindow)
    gui.until(dialog.isActiveWindow, "the dialog to be active")
    gui.do(lambda: threshold.setFocus(Qt.FocusReason.MouseFocusReason))
    assert threshold.hasFocus()
    gui.do(lambda: wheel(threshold, 1))
    assert threshold.value() != before_value  # a focused field still takes the wheel
    gui.do(dialog.reject)

    gui.do(lambda: window.transcript.setFocus())
    gui.do(lambda: wheel(window.provider, -1))  # passing over the window's provider box
    assert window.provider.currentData() == "local"


# -- 3. the Call quality panel fits, and the window comes back as it was ------------------


def test_call_quality_fits_at_the_default_size(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    gui.do(lambda: window.menu_actions.connect.trigger())
    gui.until(lambda: window.controller.state is CallState.CONNECTED, "the call")
    gui.do(lambda: window.stats_dock.toggleViewAction().trigger())
    panel = window.stats_dock.panel
    assert panel is not None
    gui.until(lambda: "↔" in panel.path_label.text(), "the network path")
    for width in (window.width(), 1380):
        gui.do(lambda w=width: window.resize(w, window.height()))
        gui.pause(0.1)
        assert panel.width() >= panel.minimumSizeHint().width()
        assert clipped(panel) == []
        assert panel.plots.width() > 380  # the graphs are readable, not a sliver


def test_size_and_panels_come_back_after_a_restart(gui: Gui, make_window: WindowFactory) -> None:
    saved: list[AppSettings] = []
    window = make_window(saved=saved)
    gui.do(lambda: window.resize(780, 580))  # within the offscreen screen (800 x 600)
    gui.do(lambda: window.stats_dock.toggleViewAction().trigger())
    gui.do(lambda: window.resizeDocks([window.stats_dock], [520], Qt.Orientation.Horizontal))
    gui.pause(0.1)
    dock_width = window.stats_dock.width()
    size = (window.width(), window.height())
    gui.do(lambda: window.request_quit())
    assert saved and saved[-1].window_state
    again = make_window(saved[-1])
    gui.pause(0.1)
    assert (again.width(), again.height()) == size
    assert again.stats_dock.isVisible()
    assert abs(again.stats_dock.width() - dock_width) <= 4


# -- 4. nothing overlaps or is cut off with a panel open -----------------------------------


def test_the_controls_fit_with_a_panel_open(gui: Gui, make_window: WindowFactory) -> None:
    for scale, widths in ((1.0, (1000, 800, 560)), (1.3, (1000, 800))):
        settings = AppSettings()
        settings.show_event_log = True
        settings.font_scale = scale
        window = make_window(settings)
        connect(gui, window)
        gui.do(lambda w=window: w.listening.setVisible(True))  # as while the key is held
        controls = window.connect_button.parentWidget()
        for width in widths:
            gui.do(lambda w=window, px=width: w.resize(px, 720))
            gui.pause(0.1)
            assert overlapping(controls) == [], (scale, width)
            assert clipped(controls) == [], (scale, width)


# -- 5. after a call: the figures are the last call's, then gone ---------------------------


def test_figures_after_a_call_are_labelled_then_cleared(
    gui: Gui, make_window: WindowFactory, keystore: KeyStore
) -> None:
    keystore.set("openai", "sk-test-abcdefghijklmnop")
    window = make_window()
    gui.do(lambda: window.stats_dock.toggleViewAction().trigger())
    connect(gui, window)
    panel = window.stats_dock.panel
    assert panel is not None
    gui.until(lambda: "↔" in panel.path_label.text(), "the network path")
    gui.until(lambda: window.status.session.text().startswith("Session"), "the session time")
    click(gui, window.connect_button)
    gui.until(lambda: not window.controller.state.is_active, "the call to end")
    assert panel.heading.text().startswith("Last call")
    assert window.status.session.text().startswith("Last session")

    with socket.socket() as sock:  # a loopback port nobody listens on: this connect fails
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    window.settings.providers["openai"].base_url = f"http://127.0.0.1:{port}"
    gui.do(lambda: window.provider.setCurrentIndex(window.provider.findData("openai")))
    click(gui, window.connect_button)
    gui.until(lambda: window.controller.state is CallState.FAILED, "the call to fail")
    assert "↔" not in panel.path_label.text()  # the old call's path is gone
    assert not panel.heading.text().startswith("Last call")
    assert window.status.session.text() == "No session"


# -- 6. the Provider box in Settings chooses ----------------------------------------------


def test_the_provider_chosen_in_settings_is_the_one_connect_calls(
    gui: Gui, make_window: WindowFactory, keystore: KeyStore
) -> None:
    keystore.set("openai", "sk-test-abcdefghijklmnop")
    saved: list[AppSettings] = []
    window = make_window(saved=saved)
    assert window.provider.currentData() == "local"
    gui.do(window.open_settings)
    from desktop.ui.settings.dialog import SettingsDialog

    dialog = window.findChildren(SettingsDialog)[-1]
    assert "use" in dialog.provider.accessibleName().lower()
    gui.do(lambda: dialog.provider.setCurrentIndex(dialog.provider.findData("openai")))
    gui.do(lambda: dialog.buttons.button(dialog.buttons.StandardButton.Save).click())
    gui.until(lambda: window.provider.currentData() == "openai", "OpenAI on the main window")
    assert saved[-1].provider == "openai"


# -- 7. the transcript follows new turns ---------------------------------------------------


def test_the_transcript_follows_new_turns_after_the_event_log_opens(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    gui.do(lambda: window.resize(900, 600))
    connect(gui, window)
    for n in range(4):
        type_message(gui, window, f"{n} {LONG_TEXT[:120]}")
        gui.until(lambda n=n: f'You said: "{n} ' in window.transcript.toPlainText(), "echo")
    bar = window.transcript.verticalScrollBar()
    gui.do(lambda: window.event_log_dock.toggleViewAction().trigger())  # Ctrl+L
    type_message(gui, window, "the newest turn")
    gui.until(lambda: reply_in(window, "the newest turn"), "the newest reply")
    gui.until(lambda: not window.interrupt_button.isEnabled(), "the reply to end")
    window.transcript.flush()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()  # the newest turn in sight
    assert not window.transcript.jump_button.isVisible()

    gui.do(lambda: wheel(window.transcript.viewport(), 5))  # the user scrolls up to read
    assert bar.value() < bar.maximum()
    assert window.transcript.jump_button.isVisible()
    kept = bar.value()
    type_message(gui, window, "while reading")
    gui.until(lambda: reply_in(window, "while reading"), "the reply")
    window.transcript.flush()
    assert bar.value() == kept  # not pulled away from what they read
    click(gui, window.transcript.jump_button)
    assert bar.value() == bar.maximum()
    assert not window.transcript.jump_button.isVisible()


# -- 8. smaller things ---------------------------------------------------------------------


def test_quit_during_a_call_asks_first(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    quits: list[bool] = []
    window.quit_handler = lambda: quits.append(True)
    connect(gui, window)
    gui.do(lambda: window.menu_actions.quit.trigger())
    box = window.findChild(QMessageBox, "quitQuestion")
    assert box is not None and box.isVisible() and quits == []
    assert "call is under way" in box.text()
    gui.do(lambda: box.button(QMessageBox.StandardButton.Cancel).click())
    assert quits == [] and window.controller.state is CallState.CONNECTED
    gui.do(lambda: window.menu_actions.quit.trigger())
    box = window.findChild(QMessageBox, "quitQuestion")
    assert box is not None
    gui.do(lambda: box.buttons()[-1 if box.buttons()[0].text() == "Cancel" else 0].click())
    gui.until(lambda: quits == [True], "the quit")


def test_the_main_controls_explain_themselves(make_window: WindowFactory) -> None:
    window = make_window()
    for control in (window.connect_button, window.mute_button, window.interrupt_button,
                    window.provider):
        assert control.toolTip(), control.accessibleName()
    assert "Ctrl+D" in window.connect_button.toolTip()


def test_every_tab_stop_shows_focus(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    gui.do(window.activateWindow)
    gui.until(window.isActiveWindow, "the window to be active")
    stops = [window.provider, window.connect_button, window.state, window.mute_button,
             window.transcript, window.message.edit]
    unmarked = []
    for widget in stops:
        gui.do(lambda w=widget: window.message.edit.setFocus()
               if w is not window.message.edit else window.provider.setFocus())
        gui.pause(0.05)
        before = widget.grab().toImage()
        gui.do(lambda w=widget: w.setFocus(Qt.FocusReason.TabFocusReason))
        gui.pause(0.05)
        assert widget.hasFocus()
        if widget.grab().toImage() == before:
            unmarked.append(widget.accessibleName() or type(widget).__name__)
    assert unmarked == []


def test_the_microphone_meter_says_muted(gui: Gui, make_window: WindowFactory) -> None:
    from desktop.core.audio.levels import Level

    window = make_window()
    meter = window.mic_meter
    gui.do(lambda: meter.set_available(True))
    loud = Level(rms_dbfs=-12.0, peak_dbfs=-6.0, hold_dbfs=-6.0)
    gui.do(lambda: meter.set_level(loud))
    assert meter.level > 0.5
    click(gui, window.mute_button)
    assert meter.message == "muted" and meter.level == 0
    gui.do(lambda: meter.set_level(loud))
    assert meter.level == 0  # levels while muted do not move it
    assert "muted" in meter.accessibleDescription()


def test_the_loss_graph_starts_at_zero(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    gui.do(lambda: window.stats_dock.toggleViewAction().trigger())
    connect(gui, window)
    panel = window.stats_dock.panel
    assert panel is not None
    gui.until(lambda: panel.plots.redraws >= 2, "the graphs")
    low, high = panel.plots.plots["Loss"].viewRange()[1]
    assert low >= 0 and high >= 0.9


def test_the_event_log_follows_new_events(gui: Gui, make_window: WindowFactory) -> None:
    settings = AppSettings()
    settings.show_event_log = True
    window = make_window(settings)
    gui.do(lambda: window.resize(900, 500))
    connect(gui, window)
    for n in range(3):
        type_message(gui, window, f"message {n}")
        gui.until(lambda n=n: reply_in(window, f"message {n}"), "the echo")
    gui.until(lambda: not window.interrupt_button.isEnabled(), "the reply to end")
    window.event_log.flush()
    bar = window.event_log.table.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()

