"""Settings: one page per provider, Audio, and Hotkeys; Save emits the new AppSettings.

The dialog edits a copy: the window's settings change only when `saved` is emitted (the
window persists and applies them). Typed keys go to the keyring (or, when there is none,
memory for this session) before `saved`; keys never travel in the settings object.
"""

from __future__ import annotations

import asyncio
import copy
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.profiles import BUILTIN_PROFILES
from desktop.core.secrets import KeyringStatus, KeyStore
from desktop.core.settings import AppSettings
from desktop.ui.settings.audio_page import AudioPage
from desktop.ui.settings.forms import add_row, note_label
from desktop.ui.settings.hotkey_page import HotkeyPage
from desktop.ui.settings.key_field import stored_summary
from desktop.ui.settings.provider_page import ProviderPage
from desktop.ui.settings.tasks import Tasks
from desktop.ui.settings.tools_page import ToolsPage
from desktop.ui.widgets.wheel_guard import guard_wheel

log = logging.getLogger("talkline.ui.settings")


class SettingsDialog(QDialog):
    saved = Signal(object)  # the new AppSettings

    def __init__(self, settings: AppSettings, keystore: KeyStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings — Talkline")
        self.setAccessibleName("Talkline settings")
        self._settings = copy.deepcopy(settings)
        self._store = keystore
        self._tasks = Tasks()
        self._saving = False

        self.keyring_notice = note_label("", "Keyring notice")
        self.keyring_notice.setStyleSheet(
            "background: #fff4ce; color: #3d2e00; padding: 6px; border-radius: 4px")
        self.keyring_notice.hide()

        # -- providers --------------------------------------------------------------------
        self.provider = QComboBox()
        self.pages: dict[str, ProviderPage] = {}
        self.stack = QStackedWidget()
        for pid, profile in BUILTIN_PROFILES.items():
            page = ProviderPage(profile, self._settings.provider_settings(pid), keystore,
                                self._tasks)
            self.pages[pid] = page
            self.provider.addItem(profile.name, pid)
            self.stack.addWidget(_scrolled(page))
        self.provider.currentIndexChanged.connect(self.stack.setCurrentIndex)
        self.provider.setCurrentIndex(max(0, self.provider.findData(self._settings.provider)))
        chooser = QFormLayout()
        # It chooses: Save makes this the provider Connect calls (a box that only switched
        # pages looked like a choice and was not one).
        add_row(chooser, "&Provider to use:", self.provider, name="Provider to use",
                help_text="The provider Connect calls after Save (from the next call when "
                "one is under way). Its settings are below.")
        providers_tab = QWidget()
        providers_layout = QVBoxLayout(providers_tab)
        providers_layout.addLayout(chooser)
        providers_layout.addWidget(self.stack, 1)

        self.audio = AudioPage(self._settings.audio, self._tasks)
        self.hotkeys = HotkeyPage(self._settings)
        self.tabs = QTabWidget()
        self.tabs.addTab(providers_tab, "P&roviders")
        self.tabs.addTab(_scrolled(self.audio), "&Audio")
        self.tabs.addTab(_scrolled(self.hotkeys), "&Hotkeys and window")
        self.tools = ToolsPage(self._settings.tools, keystore, self._tasks)
        self.tabs.addTab(_scrolled(self.tools), "T&ools")

        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020")
        self.problem.setAccessibleName("Why the settings were not saved")
        self.problem.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.keyring_notice)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(640, 720)
        guard_wheel(self)
        self._tasks.spawn(self._load_keys())

    # -- keys -----------------------------------------------------------------------------

    async def _load_keys(self) -> None:
        """Keyring status and each provider's stored key (masked), off the UI thread."""
        try:
            status: KeyringStatus = await asyncio.to_thread(self._store.status)
            self._show_keyring(status)
            for page in self.pages.values():
                if page.key is None:
                    continue
                masked, source = await asyncio.to_thread(stored_summary, page.profile,
                                                         self._store)
                page.key.set_keyring_status(status)
                page.key.set_stored(masked, source)
        except Exception as exc:  # a keyring library error KeyStore does not know
            log.warning("reading the keyring failed: %s", type(exc).__name__)
            self.keyring_notice.setText(
                f"The keyring could not be read ({type(exc).__name__}). Keys you save may be "
                "kept in memory for this session only.")
            self.keyring_notice.show()

    def _show_keyring(self, status: KeyringStatus) -> None:
        if status.available:
            self.keyring_notice.hide()
            return
        self.keyring_notice.setText(status.message)
        self.keyring_notice.setAccessibleDescription(status.message)
        self.keyring_notice.show()

    # -- saving ---------------------------------------------------------------------------

    def values(self) -> AppSettings:
        """The settings as the dialog now shows them."""
        new = copy.deepcopy(self._settings)
        new.provider = str(self.provider.currentData() or new.provider)
        for pid, page in self.pages.items():
            new.providers[pid] = page.values()
        new.audio = self.audio.values()
        keys = self.hotkeys.values()
        new.ptt_key = keys.ptt_key
        new.global_ptt_key = keys.global_ptt_key
        new.ptt_sound_cue = keys.ptt_sound_cue
        new.minimize_to_tray = keys.minimize_to_tray
        new.font_scale = keys.font_scale
        new.history_retention = keys.history_retention
        new.tools = self.tools.values()
        return new

    def _on_save(self) -> None:
        for pid, page in self.pages.items():
            problem = page.base_url_problem()
            if problem:
                self.tabs.setCurrentIndex(0)
                self.provider.setCurrentIndex(self.provider.findData(pid))
                page.base_url.setFocus()
                self._show_problem(f"{page.profile.name}: {problem}")
                return
        if not self._saving:
            self._saving = True
            self.buttons.setEnabled(False)
            self._tasks.spawn(self._save())

    async def _save(self) -> None:
        try:
            for page in self.pages.values():
                if page.key is not None and page.key.typed_key():
                    await page.key.store_typed()
            settings = self.values()
        except Exception:
            log.exception("saving settings failed")
            self._saving = False
            self.buttons.setEnabled(True)
            self._show_problem("The settings could not be saved; see the log for details.")
            return
        self.saved.emit(settings)
        self.accept()

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()

    def done(self, result: int) -> None:
        # Closing by any route stops what is still running for this dialog.
        self.audio.stop()
        self._tasks.cancel_all()
        super().done(result)


def _scrolled(page: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(page)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area
