"""The window without a call: start-up, first run, text size, keyboard and screen readers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLineEdit, QTextEdit

from desktop.core.secrets import KeyStore
from desktop.core.settings.schema import AppSettings
from desktop.core.talk.audio import default_audio
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import connect


class SilentServer:
    """Accepts TCP connections on loopback and never answers (a stalled network)."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.base_events.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _accept(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
def silent(gui: Gui) -> Iterator[tuple[SilentServer, str]]:
    server = SilentServer()
    url = gui.run(server.start())
    yield server, url
    gui.run(server.stop())


def test_first_paint_does_not_wait_on_the_network(
    gui: Gui, silent: tuple[SilentServer, str], make_window: WindowFactory, keystore: KeyStore
) -> None:
    server, url = silent
    keystore.set("compatible", "sk-compatible-key-0123456789")
    settings = AppSettings()
    settings.provider = "compatible"
    settings.providers["compatible"].base_url = url
    window = make_window(settings)  # returns once the first paint happened
    assert window.first_paint_at is not None
    assert server.connections == 0  # nothing on the network before or at start-up
    assert window.provider.currentData() == "compatible"  # it has a key: kept


def test_first_run_without_a_key_selects_local(gui: Gui, make_window: WindowFactory) -> None:
    settings = AppSettings()
    settings.provider = "inworld"
    window = make_window(settings)
    gui.until(lambda: window.provider.currentData() == "local", "Local to be selected")
    assert window.hint.isVisible()
    assert "microphone and speaker" in window.hint.text() and "Settings" in window.hint.text()
    assert any("no key for Inworld" in n for n in window.notices.texts())


def test_text_size_follows_the_system_and_can_be_enlarged(
    gui: Gui, make_window: WindowFactory
) -> None:
    saved: list[AppSettings] = []
    window = make_window(saved=saved)
    system = QApplication.font().pointSizeF()
    assert window.transcript.font().pointSizeF() == pytest.approx(system)

    gui.do(lambda: QTest.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier))
    gui.do(lambda: QTest.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier))
    assert window.transcript.font().pointSizeF() == pytest.approx(system * 1.2)
    assert window.message.edit.font().pointSizeF() == pytest.approx(system * 1.2)
    assert saved and saved[-1].font_scale == pytest.approx(1.2)
    gui.do(lambda: QTest.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier))
    assert window.transcript.font().pointSizeF() == pytest.approx(system * 1.1)
    gui.do(lambda: QTest.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier))
    assert window.transcript.font().pointSizeF() == pytest.approx(system)


def test_a_saved_scale_is_applied_at_start(make_window: WindowFactory) -> None:
    settings = AppSettings()
    settings.font_scale = 1.5
    window = make_window(settings)
    assert window.transcript.font().pointSizeF() == pytest.approx(
        QApplication.font().pointSizeF() * 1.5
    )


def test_every_control_has_an_accessible_name(make_window: WindowFactory) -> None:
    window = make_window()
    controls = [
        w
        for kind in (QAbstractButton, QComboBox, QLineEdit, QTextEdit)
        for w in window.findChildren(kind)
        if w.focusPolicy() != Qt.FocusPolicy.NoFocus
    ]
    assert len(controls) >= 10
    unnamed = [
        f"{type(w).__name__} {w.objectName()!r} {getattr(w, 'text', lambda: '')()!r}"
        for w in controls
        if not w.accessibleName() and not (isinstance(w, QAbstractButton) and w.text())
    ]
    assert unnamed == []


def test_tab_walks_the_main_controls_in_order(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    gui.do(window.activateWindow)
    gui.do(lambda: window.provider.setFocus(Qt.FocusReason.TabFocusReason))
    seen = [QApplication.focusWidget()]
    for _ in range(6):
        gui.do(lambda: QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab))
        seen.append(QApplication.focusWidget())
    order = [window.provider, window.connect_button, window.state, window.mute_button]
    assert seen[: len(order)] == order
    assert window.transcript in seen  # disabled Interrupt is skipped; the transcript is next


def test_no_microphone_is_said_plainly_and_the_call_still_works(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()  # the tests' audio factory: no devices, like CI
    assert window.mic_meter.message == "off"
    connect(gui, window)
    assert any("No microphone" in n and "type" in n for n in window.notices.texts())
    assert window.mic_meter.message == "no microphone"
    assert window.speaker_meter.message == "no speaker"


def test_the_real_audio_path_opens_or_explains(gui: Gui, make_window: WindowFactory) -> None:
    """With the real devices code: either a microphone opens, or a sentence says why not."""
    window = make_window(audio_factory=default_audio)
    connect(gui, window)
    mic_ok = window.mic_meter.available
    explained = any("microphone" in n.lower() for n in window.notices.texts())
    assert mic_ok or explained
    assert "Traceback" not in "\n".join(window.notices.texts())


def test_new_settings_apply_at_once(gui: Gui, make_window: WindowFactory) -> None:
    saved: list[AppSettings] = []
    window = make_window(saved=saved)
    gui.do(lambda: window.menu_actions.settings.trigger())  # the settings dialog opens on top
    from desktop.ui.settings.dialog import SettingsDialog

    dialogs = window.findChildren(SettingsDialog)
    assert dialogs and dialogs[-1].isVisible()
    gui.do(dialogs[-1].reject)

    changed = AppSettings()
    changed.ptt_key = "F9"
    changed.font_scale = 1.3
    changed.show_event_log = True
    gui.do(lambda: window.apply_settings(changed))
    assert "Hold F9 to talk" in window.status.ptt_hint.text()
    assert window.event_log_dock.isVisible()
    assert window.transcript.font().pointSizeF() == pytest.approx(
        QApplication.font().pointSizeF() * 1.3
    )
    assert saved and saved[-1].ptt_key == "F9"


def test_the_app_starts_paints_and_quits_on_its_own(tmp_path: Path) -> None:
    """`talkline` end to end: QApplication, qasync loop, logging, first paint, clean quit."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        TALKLINE_EXIT_AFTER_SHOWN="1",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "desktop"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "talkline-shown" in done.stdout
    assert "Traceback" not in done.stderr
    logs = list((tmp_path / "data").rglob("talkline.log"))
    assert logs, "no log file in the data folder"


def test_the_call_quality_panel_stays_open_across_runs(
    gui: Gui, make_window: WindowFactory
) -> None:
    saved: list[AppSettings] = []
    window = make_window(saved=saved)
    assert not window.stats_dock.isVisible()
    gui.do(lambda: QTest.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier))
    gui.until(lambda: window.stats_dock.isVisible(), "the panel to open")
    assert saved and saved[-1].show_call_quality
    reopened = make_window(saved[-1])  # the next start, with what was saved
    assert reopened.stats_dock.isVisible()
