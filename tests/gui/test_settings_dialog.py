"""The settings dialog as a person uses it: offscreen Qt on a qasync loop, real servers on
loopback, the real keyring (Secret Service) and the real "no keyring" path."""

from __future__ import annotations

import asyncio
import copy
import gc
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
import qasync
from aiohttp import web
from keyring.backends import fail
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from desktop.core.secrets import KeyStore
from desktop.core.settings import AppSettings
from desktop.localserver.server import LocalRealtimeServer
from desktop.ui.settings.dialog import SettingsDialog
from desktop.ui.settings_store import load_settings, save_settings
from tests.gui.test_settings_store import every_field_changed
from tests.keyring_env import SecretService
from tests.pulse import MIC, SPEAKER, PulseAudio, shared_pulse

GOOD = "sk-good-KEY-0123456789abcdef"
BAD = "sk-bad-KEY-fedcba9876543210"


# -- harness: a qasync loop under pytest-qt ---------------------------------------------------


@pytest.fixture
def run(qapp: QApplication) -> Iterator[Callable[[Coroutine[Any, Any, Any]], Any]]:
    """Run a scenario on a qasync loop, as the app does: slots can start tasks."""
    loop = qasync.QEventLoop(qapp)
    # The app's main window outlives its dialogs; here a closing dialog is the last window.
    quit_on_close = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield loop.run_until_complete
    loop.close()
    # Delete the closed dialogs and collect the loop's objects now, in a known state: left
    # to a later garbage collection they crashed a later test's processEvents (seen 2 in 5
    # runs of the suite, never since).
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    qapp.processEvents()
    qapp.setQuitOnLastWindowClosed(quit_on_close)


async def until(condition: Callable[[], object], what: str, seconds: float = 10) -> None:
    """Wait for what a person would see; a ceiling, never a timing assertion."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.01)


class Opened:
    """A shown dialog that records what it saved, closed at the end of the scenario."""

    def __init__(self, settings: AppSettings, store: KeyStore) -> None:
        self.dialog = SettingsDialog(settings, store)
        self.saved: list[AppSettings] = []
        self.dialog.saved.connect(self.saved.append)
        self.dialog.show()

    async def __aenter__(self) -> Opened:
        await until(lambda: not self.dialog._tasks.busy, "the keys to load")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.dialog.isVisible():
            self.dialog.reject()
        self.dialog.deleteLater()
        await asyncio.sleep(0)

    async def save(self) -> AppSettings:
        self.dialog.buttons.button(self.dialog.buttons.StandardButton.Save).click()
        await until(lambda: self.saved, "the dialog to save")
        return self.saved[-1]

    def page(self, pid: str):  # noqa: ANN201 - ProviderPage
        self.dialog.provider.setCurrentIndex(self.dialog.provider.findData(pid))
        return self.dialog.pages[pid]


def memory_store() -> KeyStore:
    return KeyStore(fail.Keyring())


def type_into(widget: QWidget, text: str) -> None:
    widget.setFocus()
    QTest.keyClicks(widget, text)


# -- the settings the dialog edits ------------------------------------------------------------


def test_saving_unchanged_gives_back_the_same_settings(run) -> None:
    original = every_field_changed()
    before = copy.deepcopy(original)

    async def scenario() -> None:
        async with Opened(original, memory_store()) as opened:
            assert await opened.save() == before
            assert opened.dialog.result() == QDialog.DialogCode.Accepted
        assert original == before  # the window's own object is untouched

    run(scenario())


def test_edits_reach_the_saved_settings(run) -> None:
    async def scenario() -> None:
        async with Opened(AppSettings(), memory_store()) as opened:
            openai = opened.page("openai")
            openai.model.setCurrentIndex(openai.model.findData("gpt-realtime-mini"))
            openai.voice.setEditText("my-custom-voice")
            type_into(openai.instructions, "Answer in one sentence.")
            openai.turns.mode.setCurrentIndex(openai.turns.mode.findData("semantic_vad"))
            assert not openai.turns.threshold.isVisibleTo(opened.dialog)
            assert openai.turns.eagerness.isVisibleTo(opened.dialog)
            openai.turns.eagerness.setCurrentIndex(openai.turns.eagerness.findData("high"))
            openai.speed.setValue(1.2)
            type_into(openai.language, "de")

            inworld = opened.page("inworld")
            inworld.turns.mode.setCurrentIndex(inworld.turns.mode.findData("server_vad"))
            assert inworld.turns.threshold.isVisibleTo(opened.dialog)
            inworld.turns.threshold.setValue(0.7)
            inworld.turns.silence.setValue(800)
            inworld.auth_scheme.setCurrentIndex(inworld.auth_scheme.findData("Bearer"))
            inworld.temperature_on.click()
            inworld.temperature.setValue(0.5)
            inworld.tts_model.setCurrentIndex(inworld.tts_model.findData("inworld-tts-1.5-max"))

            compatible = opened.page("compatible")
            type_into(compatible.base_url, "https://my-resource.example.com/openai")
            type_into(compatible.auth_header, "api-key")
            compatible.auth_scheme.setEditText("Key")

            rtav = opened.page("rtav")
            rtav.face.setCurrentIndex(rtav.face.findData("face2"))
            rtav.motions.setEditText("Wink, idle")
            rtav.turns.mode.setCurrentIndex(rtav.turns.mode.findData("push_to_talk"))
            assert not rtav.turns.threshold.isVisibleTo(opened.dialog)
            assert not rtav.turns.eagerness.isVisibleTo(opened.dialog)

            audio = opened.dialog.audio
            audio.echo_cancellation.click()
            audio.auto_gain.click()
            hotkeys = opened.dialog.hotkeys
            hotkeys.ptt_key.setFocus()
            QTest.keyClick(hotkeys.ptt_key, Qt.Key.Key_F9)
            hotkeys.global_ptt_key.clear()
            hotkeys.minimize_to_tray.click()
            hotkeys.font_scale.setValue(150)

            s = await opened.save()

        o = s.providers["openai"]
        assert (o.model, o.voice, o.instructions) == (
            "gpt-realtime-mini", "my-custom-voice", "Answer in one sentence.")
        assert (o.turn_mode, o.eagerness, o.speed, o.transcription_language) == (
            "semantic_vad", "high", 1.2, "de")
        i = s.providers["inworld"]
        assert (i.turn_mode, i.vad_threshold, i.silence_duration_ms) == ("server_vad", 0.7, 800)
        assert (i.auth_scheme, i.temperature, i.tts_model) == ("Bearer", 0.5, "inworld-tts-1.5-max")
        c = s.providers["compatible"]
        assert (c.base_url, c.auth_header, c.auth_scheme) == (
            "https://my-resource.example.com/openai", "api-key", "Key")
        assert s.profile("compatible").auth.headers("k") == {"api-key": "Key k"}
        r = s.providers["rtav"]
        assert (r.face, r.driving, r.turn_mode) == ("face2", "Wink, idle", "push_to_talk")
        assert s.session_config("rtav").driving == ("Wink", "idle")
        assert not s.audio.echo_cancellation and s.audio.auto_gain
        assert (s.ptt_key, s.global_ptt_key) == ("F9", "")
        assert s.minimize_to_tray and s.font_scale == 1.5
        # Values equal to the profile's defaults stay "" so they follow the profile.
        assert s.providers["openai"].transcription_model == ""
        assert s.providers["local"] == AppSettings().providers["local"]

    run(scenario())


def test_base_url_is_checked_as_typed_and_blocks_saving(run) -> None:
    async def scenario() -> None:
        async with Opened(AppSettings(), memory_store()) as opened:
            page = opened.page("openai")
            type_into(page.base_url, "http://example.com")
            assert page.base_url_error.isVisibleTo(opened.dialog)
            assert "Plain http:// is only allowed to this computer" in page.base_url_error.text()

            opened.dialog.buttons.button(opened.dialog.buttons.StandardButton.Save).click()
            await asyncio.sleep(0.05)
            assert opened.saved == [] and opened.dialog.isVisible()
            assert "OpenAI: Plain http://" in opened.dialog.problem.text()

            page.base_url.clear()
            type_into(page.base_url, "https://proxy.example.com/v1/")
            assert not page.base_url_error.isVisibleTo(opened.dialog)
            s = await opened.save()
        assert s.profile("openai").base_url == "https://proxy.example.com/v1"

    run(scenario())


# -- test key and lists against loopback servers ----------------------------------------------


def test_test_key_shows_success_and_the_servers_401(run) -> None:
    async def scenario() -> None:
        server = LocalRealtimeServer(require_key=GOOD)  # OpenAI's wire format and errors
        base_url = await server.start("127.0.0.1")
        try:
            async with Opened(AppSettings(), memory_store()) as opened:
                page = opened.page("openai")
                type_into(page.base_url, base_url)
                type_into(page.key.edit, GOOD)
                page.key.test_button.click()
                assert page.key.result.text() == "Testing the key…"
                await until(lambda: page.key.result.text().startswith("✓"), "success")
                assert "OpenAI accepted it" in page.key.result.text()
                await until(lambda: opened.dialog._tasks.busy is False, "the lists to load")

                page.key.edit.clear()
                type_into(page.key.edit, BAD)
                page.key.test_button.click()
                await until(lambda: page.key.result.text().startswith("✗"), "the 401")
                shown = page.key.result.text()
                assert "OpenAI rejected the API key" in shown
                assert "Incorrect API key provided: sk-...3210." in shown  # the server's words
                assert BAD not in shown
        finally:
            await server.stop()

    run(scenario())


async def inworld_voices(request: web.Request) -> web.Response:
    if request.headers.get("Authorization") != f"Basic {GOOD}":
        return web.json_response({"code": 16, "message": "Invalid authorization"}, status=401)
    voices = [{"voiceId": "Hades", "displayName": "Hades"}, {"voiceId": "Dennis",
                                                             "displayName": "Dennis"}]
    return web.json_response({"voices": voices})


async def start_app(routes: dict[str, Any]) -> tuple[web.AppRunner, str]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
        app.router.add_post(path, handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


def test_voices_load_from_the_provider_and_stay_for_the_session(run) -> None:
    async def scenario() -> None:
        runner, base_url = await start_app({"/tts/v1/voices": inworld_voices})
        settings = AppSettings()
        settings.providers["inworld"].base_url = base_url
        try:
            async with Opened(settings, memory_store()) as opened:
                page = opened.page("inworld")
                assert page.voice.findData("Hades") < 0
                assert "Built-in lists" in page.lists_note.text()
                page.key.test_button.click()
                await until(lambda: page.key.result.text().startswith("✗"), "no key")
                assert "no key to test" in page.key.result.text()

                type_into(page.key.edit, BAD)
                page.key.test_button.click()
                await until(lambda: page.key.result.text().startswith("✗ Inworld"), "the 401")
                # Which scheme carried the key, for a provider whose docs disagree:
                assert "Authorization: Basic" in page.key.result.text()

                page.key.edit.clear()
                type_into(page.key.edit, GOOD)
                page.refresh.click()
                await until(lambda: page.voice.findData("Hades") >= 0, "the provider's voices")
                assert "Loaded voices from Inworld" in page.lists_note.text()
                page.voice.setCurrentIndex(page.voice.findData("Hades"))
                saved = await opened.save()
            assert saved.providers["inworld"].voice == "Hades"

            async with Opened(saved, memory_store()) as again:
                assert again.page("inworld").voice.findData("Hades") >= 0  # no new request
        finally:
            await runner.cleanup()

    run(scenario())


def test_cancel_while_a_key_test_runs_closes_at_once(run, caplog) -> None:
    async def never_answers(_request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response()

    async def scenario() -> None:
        runner, base_url = await start_app({"/v1/realtime/client_secrets": never_answers})
        try:
            async with Opened(AppSettings(), memory_store()) as opened:
                page = opened.page("openai")
                type_into(page.base_url, base_url)
                type_into(page.key.edit, GOOD)
                page.key.test_button.click()
                await asyncio.sleep(0.1)
                assert page.key.result.text() == "Testing the key…"
                opened.dialog.buttons.button(opened.dialog.buttons.StandardButton.Cancel).click()
                assert not opened.dialog.isVisible() and opened.saved == []
                await until(lambda: not opened.dialog._tasks.busy, "the test to stop")
        finally:
            await runner.cleanup()

    run(scenario())
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


# -- keys: the real Secret Service, and no keyring at all -------------------------------------


@pytest.fixture(scope="module")
def secret_service() -> Iterator[SecretService]:
    with SecretService() as service:
        yield service


def test_a_saved_key_goes_to_the_secret_service_and_not_the_file(
    run, secret_service: SecretService, tmp_path: Path
) -> None:
    key = "sk-proj-DIALOG-SECRET-SERVICE-42"
    ini = tmp_path / "Talkline.ini"

    async def scenario() -> None:
        async with Opened(AppSettings(), KeyStore()) as opened:
            assert not opened.dialog.keyring_notice.isVisibleTo(opened.dialog)
            field = opened.page("openai").key
            type_into(field.edit, key)
            assert field.edit.echoMode() == QLineEdit.EchoMode.Password
            field.show_button.click()
            assert field.edit.echoMode() == QLineEdit.EchoMode.Normal  # what was just typed
            saved = await opened.save()
        save_settings(saved, QSettings(str(ini), QSettings.Format.IniFormat))

        assert KeyStore().get("openai") == key  # a fresh store reads the keyring
        assert key not in ini.read_text() and "sk-proj" not in ini.read_text()
        assert load_settings(QSettings(str(ini), QSettings.Format.IniFormat))[1] == []

        async with Opened(saved, KeyStore()) as again:
            field = again.page("openai").key
            assert field.edit.text() == ""  # the stored key never comes back into the field
            assert "sk-p…E-42" in field.edit.placeholderText()
            assert "Saved in the OS keyring (sk-p…E-42)" in field.status.text()
            assert field.remove_button.isEnabled()
            field.remove_button.click()
            await until(lambda: "No key saved yet" in field.status.text(), "the removal")
        assert KeyStore().get("openai") is None

    run(scenario())


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The fail backend (no Secret Service) and a private home; yields the home."""
    home = tmp_path / "home"
    for var, sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME",
                     ".local/share"), ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME",
                     ".local/state")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(var, str(home / sub))
    previous = keyring.core._keyring_backend
    keyring.set_keyring(fail.Keyring())
    yield home
    if previous is None:
        keyring.core._keyring_backend = None
    else:
        keyring.set_keyring(previous)


def test_without_a_keyring_the_key_stays_in_memory_and_off_disk(run, no_keyring: Path) -> None:
    key = "inworld-NO-KEYRING-c2VjcmV0OmtleQ=="
    ini = no_keyring / ".config" / "Talkline" / "Talkline.ini"
    store = KeyStore()  # the default backend, which is now "no keyring"

    async def scenario() -> AppSettings:
        async with Opened(AppSettings(), store) as opened:
            notice = opened.dialog.keyring_notice
            assert notice.isVisibleTo(opened.dialog)
            assert "memory for this session only" in notice.text()
            field = opened.page("inworld").key
            assert "kept in memory for this session only" in field.status.text()
            type_into(field.edit, key)
            field.save_button.click()
            await until(lambda: field.edit.text() == "", "the key to be kept")
            assert "kept in memory for this session only" in field.status.text()
            return await opened.save()

    saved = run(scenario())
    save_settings(saved, QSettings(str(ini), QSettings.Format.IniFormat))

    assert store.get("inworld") == key  # usable for this session
    assert KeyStore().get("inworld") is None  # and nowhere a later run could find it
    assert ini.is_file() and key not in ini.read_text()
    files = [p for p in no_keyring.rglob("*") if p.is_file()]
    assert ini in files
    assert [p for p in files if key.encode() in p.read_bytes()] == []


# -- a person with a keyboard and a screen reader ---------------------------------------------


def test_every_field_is_named_labelled_and_reachable_by_tab(run, qapp: QApplication) -> None:
    async def scenario() -> None:
        async with Opened(AppSettings(), memory_store()) as opened:
            dialog = opened.dialog
            inputs = [
                w for w in dialog.findChildren(QWidget)
                if isinstance(w, (QLineEdit, QComboBox, QAbstractSpinBox, QCheckBox,
                                  QPlainTextEdit, QKeySequenceEdit, QAbstractButton))
                and not isinstance(w.parent(), (QComboBox, QAbstractSpinBox, QKeySequenceEdit))
                and w.parent().metaObject().className() != "QTabBar"
            ]
            assert len(inputs) > 80
            unnamed = [w for w in inputs if not (w.accessibleName() or getattr(w, "text", str)())]
            assert unnamed == []
            buddies = {id(label.buddy()) for label in dialog.findChildren(QLabel) if label.buddy()}
            unlabelled = [
                w.accessibleName() for w in inputs
                if isinstance(w, (QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit,
                                  QKeySequenceEdit)) and id(w) not in buddies
            ]
            assert unlabelled == []

            page = opened.page("openai")
            dialog.activateWindow()
            dialog.provider.setFocus()
            visited: list[QWidget] = []
            for _ in range(60):
                QTest.keyClick(qapp.focusWidget(), Qt.Key.Key_Tab)
                visited.append(qapp.focusWidget())
            save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
            for widget in (page.key.edit, page.base_url, page.model, page.voice,
                           page.instructions, page.turns.mode, page.speed, save):
                assert any(v is widget or widget.isAncestorOf(v) for v in visited), (
                    widget.accessibleName() or widget)
            assert "\t" not in page.instructions.toPlainText()  # Tab moved on, typed nothing

    run(scenario())


# -- sound devices through real PulseAudio virtual devices ------------------------------------


@pytest.fixture(scope="module")
def pulse() -> Iterator[PulseAudio]:
    with shared_pulse() as pa:
        yield pa


def test_devices_are_listed_by_name_and_a_plugged_device_appears(run, pulse: PulseAudio) -> None:
    settings = AppSettings()
    settings.audio.input_device = "alsa_input.usb-gone-headset"  # saved, unplugged since

    async def scenario() -> AppSettings:
        async with Opened(settings, memory_store()) as opened:
            audio = opened.dialog.audio
            opened.dialog.tabs.setCurrentIndex(1)
            audio.rescan.click()  # PortAudio may have been enumerated before Pulse started
            await until(lambda: audio.output.findData(SPEAKER) >= 0, "the virtual speaker")
            assert audio.output.itemText(0) == "System default"
            assert audio.output.currentIndex() == 0
            assert audio.input.findData(MIC) >= 0
            assert audio.input.currentText() == "alsa_input.usb-gone-headset (not connected)"

            audio._timer.setInterval(50)  # the periodic look, without the wait
            module = pulse.add_sink("usb_headset")
            try:
                await until(lambda: audio.output.findData("usb_headset") >= 0, "the new sink")
                audio.output.setCurrentIndex(audio.output.findData("usb_headset"))
                return await opened.save()
            finally:
                pulse.unload_module(module)

    saved = run(scenario())
    assert saved.audio.output_device == "usb_headset"
    assert saved.audio.input_device == "alsa_input.usb-gone-headset"
