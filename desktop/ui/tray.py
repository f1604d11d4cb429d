"""The tray icon: connect/disconnect, mute, show the window, quit; "listening" while held."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from desktop.core.call.state import CallState
from desktop.ui.icons import app_icon, listening_icon


class Tray(QObject):
    toggle_call = Signal()
    mute_toggled = Signal(bool)
    show_window = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = CallState.IDLE
        self._listening = False
        self._icon: QIcon = app_icon()
        self._listening_icon: QIcon = listening_icon()
        self.menu = QMenu(parent if isinstance(parent, QWidget) else None)
        self.show_action = QAction("Show Talkline", self.menu)
        self.show_action.triggered.connect(self.show_window)
        self.call_action = QAction("Connect", self.menu)
        self.call_action.triggered.connect(self.toggle_call)
        self.mute_action = QAction("Mute microphone", self.menu)
        self.mute_action.setCheckable(True)
        self.mute_action.toggled.connect(self.mute_toggled)
        self.quit_action = QAction("Quit Talkline", self.menu)
        self.quit_action.triggered.connect(self.quit_requested)
        for action in (self.show_action, self.call_action, self.mute_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon = QSystemTrayIcon(self._icon, self)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self._refresh()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        if self.available():
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_state(self, state: CallState, *, busy: bool = False) -> None:
        self._state = state
        self.call_action.setText("Disconnect" if state.is_active else "Connect")
        self.call_action.setEnabled(not busy and state is not CallState.CLOSING)
        self._refresh()

    def set_muted(self, muted: bool) -> None:
        if self.mute_action.isChecked() != muted:
            self.mute_action.blockSignals(True)
            self.mute_action.setChecked(muted)
            self.mute_action.blockSignals(False)

    def set_listening(self, listening: bool) -> None:
        if listening != self._listening:
            self._listening = listening
            self._refresh()

    @property
    def tooltip(self) -> str:
        return self.icon.toolTip()

    def _refresh(self) -> None:
        words = "Listening…" if self._listening else self._state.label
        self.icon.setToolTip(f"Talkline — {words}")
        self.icon.setIcon(self._listening_icon if self._listening else self._icon)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_window.emit()
