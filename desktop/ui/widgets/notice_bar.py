"""Notices under the call controls: problems worth knowing that are not a failed call.

Each notice has a key so a newer one of the same kind replaces the old (the microphone
line, the keyring line); the newest few are kept, each can be dismissed.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from desktop.core.text import plain

MAX_NOTICES = 4


class _Notice(QFrame):
    def __init__(self, key: str, text: str, link: str | None, parent: QWidget) -> None:
        super().__init__(parent)
        self.key = key
        self.text = text
        self.setObjectName("notice")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        body = html.escape(plain(text, 600))  # a server's words: capped, escaped, no controls
        if link:
            body += f' <a href="{html.escape(link)}">{html.escape(link.title())}…</a>'
        self.label.setText(body)
        self.label.setAccessibleName(plain(text, 600))
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setAccessibleName("Dismiss notice")
        self.close_button.setToolTip("Dismiss")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 4, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)


class NoticeBar(QWidget):
    link_activated = Signal(str)  # e.g. "settings"
    shown = Signal(str)  # a new notice's text, for screen readers

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._notices: list[_Notice] = []
        self.hide()

    def show_notice(self, text: str, *, key: str | None = None, link: str | None = None) -> None:
        key = key or text
        for old in [n for n in self._notices if n.key == key]:
            if old.text == text:
                return  # already showing exactly this
            self._remove(old)
        notice = _Notice(key, text, link, self)
        notice.close_button.clicked.connect(lambda: self._remove(notice))
        notice.label.linkActivated.connect(self.link_activated)
        self._notices.append(notice)
        self._layout.addWidget(notice)
        while len(self._notices) > MAX_NOTICES:
            self._remove(self._notices[0])
        self.show()
        self.shown.emit(text)

    def dismiss(self, key: str) -> None:
        for notice in [n for n in self._notices if n.key == key]:
            self._remove(notice)

    def texts(self) -> list[str]:
        return [n.text for n in self._notices]

    def _remove(self, notice: _Notice) -> None:
        if notice in self._notices:
            self._notices.remove(notice)
            notice.hide()
            notice.deleteLater()
        self.setVisible(bool(self._notices))
