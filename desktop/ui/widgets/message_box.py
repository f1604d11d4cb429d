"""The line to type a message: Enter sends it (also while nothing is connected: it says so)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

MAX_CHARS = 4000


class MessageBox(QWidget):
    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("messageEdit")
        self.edit.setMaxLength(MAX_CHARS)
        self.edit.setAccessibleName("Message")
        self.edit.setAccessibleDescription("Type a message and press Enter to send it.")
        self.edit.returnPressed.connect(self._send)
        self.send_button = QPushButton("Send", self)
        self.send_button.setAccessibleName("Send message")
        self.send_button.clicked.connect(self._send)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.send_button)
        self.set_connected(False)

    def set_connected(self, connected: bool) -> None:
        self.edit.setPlaceholderText(
            "Type a message and press Enter" if connected else "Connect to send a message"
        )
        self.send_button.setEnabled(connected)
        self._connected = connected

    def _send(self) -> None:
        text = self.edit.text().strip()
        if not text or not self._connected:
            return
        self.edit.clear()
        self.submitted.emit(text)
