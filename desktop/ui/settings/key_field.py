"""The API key of one provider: typed masked, stored in the keyring only, tested on demand.

The stored key never comes back into the field: the field shows only what the person types
now (the "Show" toggle reveals that), and the stored one appears as its masked ends.
Keyring calls can block on D-Bus, so they run in a thread.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.catalog import KeyCheck
from desktop.core.profiles import ProviderProfile
from desktop.core.secrets import KeyringStatus, KeySource, KeyStore, mask
from desktop.ui.settings.forms import add_row, note_label
from desktop.ui.settings.tasks import Tasks

log = logging.getLogger("talkline.ui.settings")

MEMORY_ONLY = "kept in memory for this session only"


def stored_summary(profile: ProviderProfile, store: KeyStore) -> tuple[str | None, KeySource]:
    """The masked key and where it comes from (blocking: call in a thread)."""
    key, source = store.resolve(profile)
    return (mask(key) if key else None), source


class KeyField(QWidget):
    test_requested = Signal()
    stored_changed = Signal()  # a key was saved or removed

    def __init__(self, profile: ProviderProfile, store: KeyStore, tasks: Tasks) -> None:
        super().__init__()
        self.profile = profile
        self._store = store
        self._tasks = tasks
        self._source = KeySource.NONE
        self._keyring: KeyringStatus | None = None
        self._masked: str | None = None

        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText("Checking for a saved key…")
        self.show_button = QPushButton("Sho&w")
        self.show_button.setCheckable(True)
        self.show_button.setEnabled(False)
        self.show_button.setAccessibleName(f"Show the {profile.name} key you typed")
        self.save_button = QPushButton("Save ke&y")
        self.save_button.setEnabled(False)
        self.save_button.setAccessibleName(f"Save the {profile.name} key")
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setEnabled(False)
        self.remove_button.setAccessibleName(f"Remove the saved {profile.name} key")
        self.test_button = QPushButton("&Test key")
        self.test_button.setAccessibleName(f"Test the {profile.name} key")
        self.status = note_label("", f"{profile.name} key status")
        self.result = note_label("", f"{profile.name} key test result")
        self.result.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.show_button)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.save_button, self.remove_button, self.test_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        holder = QWidget()
        holder.setLayout(row)
        add_row(form, "API &key:", self.edit, name=f"{profile.name} API key", container=holder,
                help_text=profile.key_help or "The key is stored in the OS keyring only.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.result)
        if profile.key_help:
            layout.addWidget(note_label(profile.key_help, f"Where to get a {profile.name} key"))

        self.edit.textChanged.connect(self._typed)
        self.show_button.toggled.connect(self._reveal)
        self.save_button.clicked.connect(lambda: self._tasks.spawn(self.store_typed()))
        self.remove_button.clicked.connect(lambda: self._tasks.spawn(self.remove()))
        self.test_button.clicked.connect(self.test_requested.emit)

    # -- what the page and dialog use ------------------------------------------------------

    def typed_key(self) -> str:
        return self.edit.text().strip()

    async def current_key(self) -> str | None:
        """The key to test or fetch with: the typed one, else the stored or environment one."""
        typed = self.typed_key()
        if typed:
            return typed
        try:
            key, _source = await asyncio.to_thread(self._store.resolve, self.profile)
        except Exception as exc:
            log.warning("reading the %s key failed: %s", self.profile.id, type(exc).__name__)
            return None
        return key

    def set_keyring_status(self, status: KeyringStatus) -> None:
        self._keyring = status
        self._show_status()

    def set_stored(self, masked: str | None, source: KeySource) -> None:
        self._source = source
        self._masked = masked
        if masked:
            self.edit.setPlaceholderText(f"Saved: {masked} (type a new key to replace it)")
        else:
            self.edit.setPlaceholderText("Paste your API key")
        self.remove_button.setEnabled(source in (KeySource.KEYRING, KeySource.MEMORY))
        self._show_status()

    async def store_typed(self) -> KeySource | None:
        """Store what was typed (keyring, or memory when there is none); clear the field."""
        key = self.typed_key()
        if not key:
            return None
        self.save_button.setEnabled(False)
        try:
            source = await asyncio.to_thread(self._store.set, self.profile.id, key)
        except Exception as exc:  # a keyring library error KeyStore does not know
            log.warning("storing the %s key failed: %s", self.profile.id, type(exc).__name__)
            self.save_button.setEnabled(True)
            self.status.setText(f"The key could not be saved ({type(exc).__name__}). "
                                "It is still in the field; try again.")
            return None
        self.edit.clear()
        self._clear_test()  # a test result was about the key before this one
        self.set_stored(mask(key), source)
        self.stored_changed.emit()
        return source

    async def remove(self) -> None:
        self.remove_button.setEnabled(False)
        try:
            await asyncio.to_thread(self._store.delete, self.profile.id)
            masked, source = await asyncio.to_thread(stored_summary, self.profile, self._store)
        except Exception as exc:
            log.warning("removing the %s key failed: %s", self.profile.id, type(exc).__name__)
            self.remove_button.setEnabled(True)
            self.status.setText(f"The key could not be removed ({type(exc).__name__}).")
            return
        self._clear_test()
        self.set_stored(masked, source)
        self.stored_changed.emit()

    def _clear_test(self) -> None:
        self.result.clear()
        self.result.setAccessibleDescription("")
        self.result.hide()

    def show_testing(self) -> None:
        self.test_button.setEnabled(False)
        self.result.setText("Testing the key…")
        self.result.show()

    def show_test_problem(self, text: str) -> None:
        self.test_button.setEnabled(True)
        self.result.setText(f"✗ {text}")
        self.result.show()

    def show_test(self, result: KeyCheck) -> None:
        self.test_button.setEnabled(True)
        if result.ok:
            text = f"✓ {result.message}"
        else:
            text = f"✗ {result.message}"
            if result.details and result.details not in result.message:
                text += f"\nServer: {result.details}"
        self.result.setText(text)
        self.result.setAccessibleDescription(text)
        self.result.show()

    # -- internals ------------------------------------------------------------------------

    def _typed(self, text: str) -> None:
        has_text = bool(text.strip())
        self.save_button.setEnabled(has_text)
        self.show_button.setEnabled(has_text)
        if not text:
            self.show_button.setChecked(False)

    def _reveal(self, shown: bool) -> None:
        # Only ever reveals what was typed in this dialog: the stored key is never here.
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_button.setText("Hid&e" if shown else "Sho&w")

    def _show_status(self) -> None:
        masked = self._masked
        lines: list[str] = []
        if self._source is KeySource.KEYRING:
            lines.append(f"Saved in the OS keyring ({masked}).")
        elif self._source is KeySource.MEMORY:
            if self._keyring is not None and self._keyring.available:
                lines.append("The keyring did not take the key (it may be locked).")
            lines.append(f"The key ({masked}) is {MEMORY_ONLY}: it is written nowhere and "
                         "is gone when Talkline closes.")
        elif self._source is KeySource.ENVIRONMENT:
            lines.append(f"Using ${self.profile.env_var} from the environment ({masked}). "
                         "A key saved here takes its place.")
        else:
            lines.append("No key saved yet.")
        if self._source is KeySource.MEMORY:
            pass  # already said
        elif self._keyring is not None and not self._keyring.available:
            lines.append(f"No keyring: a key saved now is {MEMORY_ONLY}.")
        elif self._keyring is not None:
            lines.append("Saved keys go to the OS keyring only, never to a file.")
        self.status.setText(" ".join(lines))
