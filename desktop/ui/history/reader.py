"""One saved conversation, read-only, as plain text; search matches highlighted with
character formats (stored text never becomes markup)."""

from __future__ import annotations

import time

from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from desktop.core.history import ConversationRecord
from desktop.core.history.query import match_spans, search_terms

ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool"}


def highlight_format() -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setBackground(QColor("#ffe58a"))
    fmt.setForeground(QColor("#1f1300"))
    return fmt


class ConversationReader(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setObjectName("historyReader")
        self.setAccessibleName("Saved conversation")
        self.highlights = 0  # how many matches are highlighted (tests, screen readers)

    def show_record(self, record: ConversationRecord, search: str = "") -> None:
        self.clear()
        self.highlights = 0
        terms = search_terms(search)
        cursor = self.textCursor()
        bold = QTextCharFormat()
        bold.setFontWeight(QFont.Weight.Bold)
        plain = QTextCharFormat()
        mark = highlight_format()
        s = record.summary
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.started))
        cursor.insertText(f"{when} · {s.provider} · {s.model}\n", plain)
        first_match: int | None = None
        for turn in record.turns:
            cursor.insertText("\n" + ROLE_NAMES.get(turn.role, turn.role), bold)
            status = "" if turn.status == "completed" else f" ({turn.status})"
            cursor.insertText(f"{status}: ", plain)
            start = cursor.position()
            cursor.insertText(turn.text, plain)
            for a, b in match_spans(turn.text, terms):
                span = QTextCursor(self.document())
                span.setPosition(start + _units(turn.text, a))
                span.setPosition(start + _units(turn.text, b), QTextCursor.MoveMode.KeepAnchor)
                span.mergeCharFormat(mark)
                self.highlights += 1
                if first_match is None:
                    first_match = start + _units(turn.text, a)
            cursor.insertText("\n", plain)
        goto = QTextCursor(self.document())
        goto.setPosition(first_match or 0)
        self.setTextCursor(goto)
        self.ensureCursorVisible()


def _units(text: str, index: int) -> int:
    """Qt counts positions in UTF-16 units: an emoji before a match takes two."""
    return len(text[:index].encode("utf-16-le")) // 2
