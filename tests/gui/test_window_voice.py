"""Model and voice on the main window: pick, preview, and the voice-lock rule.

The OpenAI-compatible provider points at the built-in local server (it speaks OpenAI's
wire format over real WebRTC); like OpenAI, it keeps the first voice once it has spoken.
The preview plays into a private PulseAudio's virtual speaker.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop.core.secrets import KeyStore
from desktop.core.settings.schema import AppSettings
from desktop.localserver.server import LocalRealtimeServer
from desktop.ui.controller import default_audio
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import connect, reply_in, type_message
from tests.pulse import PulseAudio, shared_pulse

KEY = "sk-compatible-key-0123456789"


@pytest.fixture
def server(gui: Gui) -> Iterator[str]:
    local = LocalRealtimeServer()
    url = gui.run(local.start("127.0.0.1"))
    yield url
    gui.run(local.stop())


@pytest.fixture
def pulse() -> Iterator[PulseAudio]:
    with shared_pulse() as running:
        from desktop.core.audio import devices

        devices.refresh()
        yield running
        running.reset()


def compatible(url: str) -> AppSettings:
    settings = AppSettings()
    settings.provider = "compatible"
    settings.providers["compatible"].base_url = url
    return settings


def choose(gui: Gui, combo: object, value: str) -> None:
    index = combo.findData(value)  # type: ignore[attr-defined]
    assert index >= 0, value
    gui.do(lambda: combo.setCurrentIndex(index))  # type: ignore[attr-defined]
    gui.do(lambda: combo.activated.emit(index))  # type: ignore[attr-defined]


def test_local_check_shows_no_pickers(make_window: WindowFactory) -> None:
    window = make_window()
    assert not window.voice_picker.isVisible()  # nothing to choose: no picker that does nothing


def test_the_voice_is_picked_on_the_window_and_locks_once_spoken(
    gui: Gui, server: str, make_window: WindowFactory, keystore: KeyStore
) -> None:
    keystore.set("compatible", KEY)
    saved: list[AppSettings] = []
    window = make_window(compatible(server), saved=saved)
    picker = window.voice_picker
    assert picker.isVisible()
    assert "keeps the first voice" in picker.voice.toolTip()  # the rule, where it applies
    choose(gui, picker.voice, "cedar")
    choose(gui, picker.model, picker.model.itemData(picker.model.count() - 1))
    assert saved[-1].providers["compatible"].voice == "cedar"
    connect(gui, window)
    assert window.controller.call is not None
    assert window.controller.call.config.voice == "cedar"  # the call uses the choice
    assert not picker.model.isEnabled()  # the model is chosen when connecting
    assert picker.voice.isEnabled() and not picker.lock.isVisible()
    type_message(gui, window, "hello there")
    gui.until(lambda: reply_in(window, "hello there"), "the spoken reply")
    gui.until(lambda: picker.lock.isVisible(), "the voice lock")
    assert not picker.voice.isEnabled()
    assert "next call" in picker.lock.toolTip()
    gui.do(window.controller.disconnect_call)
    gui.until(lambda: not window.controller.state.is_active, "the call to end")
    assert picker.voice.isEnabled() and not picker.lock.isVisible()


def test_a_voice_can_be_previewed(
    gui: Gui, pulse: PulseAudio, make_window: WindowFactory, keystore: KeyStore
) -> None:
    keystore.set("openai", KEY)
    settings = AppSettings()
    settings.provider = "openai"
    window = make_window(settings, audio_factory=default_audio)
    picker = window.voice_picker
    choose(gui, picker.voice, "marin")
    assert picker.preview.isEnabled()
    with pulse.record() as heard:
        gui.do(lambda: QTest.mouseClick(picker.preview, Qt.MouseButton.LeftButton))
        gui.until(lambda: window.last_preview is not None, "the sample to play")
        samples = heard.samples().astype(np.float64)
    assert window.last_preview is not None and window.last_preview.name == "marin.ogg"
    level = 10 * np.log10(max(float(np.mean(samples**2)), 1e-12))  # samples in [-1, 1]
    assert level > -45  # heard on the speaker
