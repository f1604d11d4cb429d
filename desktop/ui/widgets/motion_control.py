"""MotionControl: pick an avatar motion and play it during the call (rtAV)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

if TYPE_CHECKING:  # the catalog pulls in aiohttp: not before the window's first paint
    from desktop.core.catalog.lists import Choice

NO_MOTIONS = "Motions load when you connect"


class MotionControl(QWidget):
    play_requested = Signal(str)  # the motion's name as the session carries it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.motions = QComboBox(self)
        self.motions.setAccessibleName("Avatar motion")
        self.motions.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.motions.setPlaceholderText(NO_MOTIONS)
        label = QLabel("M&otion", self)
        label.setBuddy(self.motions)
        self.play_button = QPushButton("Play motion", self)
        self.play_button.setAccessibleDescription("Make the avatar play this motion once")
        self.play_button.clicked.connect(self._play)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label)
        row.addWidget(self.motions)
        row.addWidget(self.play_button)
        row.addStretch(1)
        self.set_connected(False)

    def set_choices(self, choices: Iterable[Choice]) -> None:
        """The motions on offer; the current one stays selected when it is still there."""
        current = self.motions.currentData()
        self.motions.clear()
        for choice in choices:
            self.motions.addItem(choice.label, choice.value)
        index = self.motions.findData(current)
        self.motions.setCurrentIndex(max(index, 0))
        self._update_enabled()

    def set_connected(self, connected: bool) -> None:
        self._connected = connected
        self._update_enabled()

    def _update_enabled(self) -> None:
        ready = self._connected and self.motions.count() > 0
        self.play_button.setEnabled(ready)
        self.play_button.setToolTip("" if ready else "Connect to rtAV to play a motion")

    def _play(self) -> None:
        motion = self.motions.currentData()
        if isinstance(motion, str) and motion:
            self.play_requested.emit(motion)
