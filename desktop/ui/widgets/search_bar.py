"""Ctrl+F over the transcript: Enter finds the next match, Shift+Enter the previous, Esc closes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from desktop.ui.widgets.transcript_view import TranscriptView


class _SearchEdit(QLineEdit):
    escape = Signal()

    def event(self, event: QEvent) -> bool:
        # Take Escape before the window's Interrupt shortcut sees it.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.escape.emit()
            return
        super().keyPressEvent(event)


class SearchBar(QWidget):
    def __init__(self, view: TranscriptView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self.edit = _SearchEdit(self)
        self.edit.setPlaceholderText("Find in transcript")
        self.edit.setClearButtonEnabled(True)
        self.edit.setAccessibleName("Find in transcript")
        self.edit.setAccessibleDescription("Enter: next match. Shift+Enter: previous. Esc: close.")
        self.edit.textChanged.connect(lambda _t: self.find_next())
        self.edit.returnPressed.connect(self.find_next)
        self.edit.escape.connect(self.close_bar)
        self.edit.installEventFilter(self)
        self.result = QLabel(self)
        self.result.setAccessibleName("Search result")
        previous = QToolButton(self)
        previous.setText("↑")
        previous.setToolTip("Previous match (Shift+Enter)")
        previous.setAccessibleName("Previous match")
        previous.clicked.connect(self.find_previous)
        following = QToolButton(self)
        following.setText("↓")
        following.setToolTip("Next match (Enter)")
        following.setAccessibleName("Next match")
        following.clicked.connect(self.find_next)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Close (Esc)")
        close.setAccessibleName("Close search")
        close.clicked.connect(self.close_bar)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.result)
        row.addWidget(previous)
        row.addWidget(following)
        row.addWidget(close)
        self.hide()

    def open_bar(self) -> None:
        self.show()
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def close_bar(self) -> None:
        self._view.clear_search()
        self.hide()
        self._view.setFocus(Qt.FocusReason.OtherFocusReason)

    def find_next(self) -> bool:
        return self._find(backward=False)

    def find_previous(self) -> bool:
        return self._find(backward=True)

    def _find(self, *, backward: bool) -> bool:
        text = self.edit.text()
        found = self._view.search(text, backward=backward)
        if not text:
            self.result.setText("")
        elif found:
            self.result.setText(f"{self._view.match_count()} found")
        else:
            self.result.setText("Not found")
        return found

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (
            watched is self.edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.find_previous()
            return True
        return False
