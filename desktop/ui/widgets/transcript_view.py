"""The transcript: one header line and one body paragraph per turn, updated in place.

The Conversation model decides the order; this view mirrors it from ``TurnChange``s.
Each turn owns two text blocks of one QTextDocument (so text selects and copies across
turns, and Ctrl+F searches everything). A delta touches only its own turn's body block,
usually by appending the new suffix, and updates are coalesced to at most ~30 a second.
A turn that finishes is announced to screen readers once, in full.

A tool call is one compact line, fitted to the width; clicking it (or Enter on it) opens
it in place: its arguments pretty-printed and its full result or error, as plain text (the
texts come from desktop.core.conversation.tool_call). Clicking again closes it.

The view follows the newest turn unless the user scrolled up; then a "Jump to latest"
button offers the way back. Whether to follow is the user's last scroll, not where the bar
happens to be: a narrower view (a panel opened) reflows the text and moves the bottom.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QResizeEvent,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QAbstractSlider,
    QApplication,
    QLabel,
    QMenu,
    QTextBrowser,
    QTextEdit,
    QToolButton,
    QWidget,
)

from desktop.core.conversation.tool_call import summary, tool_call_text

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QContextMenuEvent, QKeyEvent, QMouseEvent

    from desktop.core.conversation.model import Turn, TurnChange

FLUSH_MS = 33  # deltas arriving faster than this are drawn together
MAX_HIGHLIGHTS = 500
LINE_SEPARATOR = "\u2028"  # a line break inside a paragraph (keeps one block per body)

_ROLE_LABELS = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool"}
_ROLE_COLOURS = {"user": "#2563eb", "assistant": "#8b3fd9", "system": "#6b7280"}
_TOOL_COLOUR = "#6b7280"
_MARK_COLOUR = "#c2410c"
_MARKS = {"interrupted": "interrupted", "cancelled": "cancelled", "failed": "failed"}
_FINAL = frozenset({"completed", "interrupted", "cancelled", "failed"})
CLOSED_MARK = "▸ "  # a tool call shown as one line; click or Enter opens it
OPEN_MARK = "▾ "
_TOGGLE_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space})


def clock(timestamp: float) -> str:
    try:
        return datetime.fromtimestamp(timestamp).strftime("%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return "--:--:--"


def header_text(turn: Turn) -> str:
    if turn.kind == "function_call":
        who = "Tool call"
    elif turn.kind == "function_call_output":
        who = "Tool result"
    else:
        who = _ROLE_LABELS.get(turn.role, turn.role.title())
    parts = [who, clock(turn.created_at)]
    if turn.role == "user" and turn.kind == "message" and turn.source == "typed":
        parts.append("typed")
    mark = _MARKS.get(turn.status)
    if turn.role == "user" and turn.status == "failed" and turn.source == "voice":
        mark = "transcription failed"
    if mark:
        parts.append(mark)
    return " · ".join(parts)


def is_tool(turn: Turn | None) -> bool:
    return turn is not None and turn.kind != "message"


def body_text(turn: Turn, *, opened: bool = False) -> str:
    if is_tool(turn):
        if not opened:
            return CLOSED_MARK + summary(turn)
        whole = tool_call_text(turn)
        lines = [OPEN_MARK + whole.title]
        for part in whole.parts:
            lines += [f"{part.label}:", part.text]
        return LINE_SEPARATOR.join(lines).replace("\n", LINE_SEPARATOR)
    text = turn.text.strip()
    if not text:
        if turn.status == "in_progress":
            return "…"  # speech being transcribed, or the reply's first words on the way
        return "(no transcript)"
    return text.replace("\r\n", "\n").replace("\n", LINE_SEPARATOR)


@dataclass(eq=False)
class _Row:
    header: QTextBlock
    body: QTextBlock
    turn: Turn | None = None  # None: a "new session" separator
    header_shown: str = ""
    body_shown: str = ""
    announced: bool = False
    opened: bool = False  # a tool call shown in full
    fitted_to: int = -1  # the width a one-line tool call was fitted to


class TranscriptView(QTextBrowser):
    announce = Signal(str)  # a finished turn, for screen readers

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript")
        self.setOpenLinks(False)
        self.setUndoRedoEnabled(False)
        self.setTabChangesFocus(True)
        # Caret browsing: keyboard users move through turns and select with Shift+arrows.
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setAccessibleName("Transcript")
        self.setAccessibleDescription(
            "The conversation, one paragraph per turn with who spoke and when. "
            "Finished turns are announced. Press Enter on a tool call to open or close it."
        )
        # What to do first, while nothing has been said (a label: the placeholder text
        # did not show under the window's style sheet).
        self.guide = QLabel("The conversation will appear here.", self.viewport())
        self.guide.setObjectName("transcriptGuide")
        self.guide.setTextFormat(Qt.TextFormat.PlainText)
        self.guide.setWordWrap(True)
        self.guide.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.guide.setAccessibleName("What to do first")
        self.guide.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.document().contentsChanged.connect(self._show_guide)
        doc = self.document()
        doc.setDocumentMargin(12)
        self._sentinel = doc.firstBlock()  # stays empty; every turn is inserted after it
        flat = QTextBlockFormat()
        flat.setLineHeight(1, QTextBlockFormat.LineHeightTypes.FixedHeight.value)
        QTextCursor(self._sentinel).setBlockFormat(flat)
        self._rows: list[_Row] = []
        self._by_turn: dict[Turn, _Row] = {}
        self._base = 0  # rows before the current session's first turn
        self._dirty: dict[_Row, None] = {}  # insertion-ordered set
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self.context_actions: list[QAction] = []
        self._search = ""
        self._pressed_at: QPoint | None = None
        self.following = True  # the user has not scrolled up from the newest turn
        bar = self.verticalScrollBar()
        bar.actionTriggered.connect(self._on_user_scroll)  # wheel, keys, clicks on the bar
        bar.sliderMoved.connect(lambda _pos: self._on_user_scroll(-1))
        bar.rangeChanged.connect(self._on_range)
        self.jump_button = QToolButton(self)
        self.jump_button.setObjectName("jumpToLatest")
        self.jump_button.setText("↓ Jump to latest")
        self.jump_button.setAccessibleName("Jump to the latest turn")
        self.jump_button.setToolTip("Show the newest turn and follow new ones again")
        self.jump_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.jump_button.clicked.connect(self.jump_to_latest)
        self.jump_button.hide()

    # -- sessions -------------------------------------------------------------------------

    def begin_session(self, title: str | None = None) -> None:
        """Turns of a new call go below what is shown; earlier calls stay readable."""
        self.flush()
        if title and self._rows:
            self._insert_row(len(self._rows), None, title)
        self._base = len(self._rows)

    @property
    def turn_count(self) -> int:
        return sum(1 for row in self._rows if row.turn is not None)

    # -- changes from the conversation ----------------------------------------------------

    def apply_change(self, change: TurnChange) -> None:
        index = self._base + change.index
        if change.kind == "added":
            if change.turn in self._by_turn:  # already shown: treat as an update
                self._mark_dirty(self._by_turn[change.turn])
                return
            self._insert_row(min(index, len(self._rows)), change.turn)
        elif change.kind == "removed":
            row = self._by_turn.get(change.turn)
            if row is not None:
                self._remove_row(row)
        else:
            row = self._by_turn.get(change.turn)
            if row is None:
                self._insert_row(min(index, len(self._rows)), change.turn)
            else:
                self._mark_dirty(row)

    def _mark_dirty(self, row: _Row) -> None:
        self._dirty[row] = None
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        """Draw every turn that changed since the last flush."""
        self._flush_timer.stop()
        if not self._dirty:
            return
        rows, self._dirty = list(self._dirty), {}
        follow = self._at_bottom()
        for row in rows:
            if row.turn is not None:
                self._render(row)
        if follow:
            self._scroll_to_bottom()

    # -- rows -----------------------------------------------------------------------------

    def _insert_row(self, position: int, turn: Turn | None, title: str = "") -> None:
        follow = self._at_bottom()
        after = self._rows[position - 1].body if position > 0 else self._sentinel
        cursor = QTextCursor(after)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
        cursor.insertBlock(self._header_block_format(separator=turn is None))
        header = cursor.block()
        cursor.insertBlock(self._body_block_format(turn))
        body = cursor.block()
        row = _Row(header=header, body=body, turn=turn)
        self._rows.insert(position, row)
        if turn is None:
            self._set_block(header, title, self._separator_format())
        else:
            self._by_turn[turn] = row
            self._render(row)
        if follow:
            self._scroll_to_bottom()

    def _remove_row(self, row: _Row) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(row.header.position() - 1)  # the end of the block before
        cursor.setPosition(
            row.body.position() + row.body.length() - 1, QTextCursor.MoveMode.KeepAnchor
        )
        cursor.removeSelectedText()
        self._rows.remove(row)
        self._dirty.pop(row, None)
        if row.turn is not None:
            self._by_turn.pop(row.turn, None)

    def _render(self, row: _Row) -> None:
        turn = row.turn
        assert turn is not None
        header = header_text(turn)
        if header != row.header_shown:
            self._set_block(row.header, header, self._header_format(turn))
            row.header_shown = header
        body = body_text(turn, opened=row.opened)
        one_line = is_tool(turn) and not row.opened
        width = round(self.document().textWidth()) if one_line else -1
        if body != row.body_shown or width != row.fitted_to:
            fmt = self._body_format(turn)
            if one_line:
                self._fit_one_line(row.body, body, fmt)
            elif is_tool(turn):
                self._set_block(row.body, body, fmt)
            elif row.body_shown and row.body_shown != "…" and body.startswith(row.body_shown):
                cursor = QTextCursor(row.body)
                cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
                cursor.insertText(body[len(row.body_shown) :], fmt)  # a delta: append only
            else:
                self._set_block(row.body, body, fmt)
            row.body_shown = body
            row.fitted_to = width
        if turn.status in _FINAL and not row.announced and turn.kind == "message":
            row.announced = True
            if turn.text.strip():
                who = "You" if turn.role == "user" else "Assistant"
                mark = f" ({_MARKS[turn.status]})" if turn.status in _MARKS else ""
                self.announce.emit(f"{who}{mark}: {turn.text.strip()}")

    @staticmethod
    def _set_block(block: QTextBlock, text: str, fmt: QTextCharFormat) -> None:
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text, fmt)

    def _fit_one_line(self, block: QTextBlock, text: str, fmt: QTextCharFormat) -> None:
        """``text``, cut with an ellipsis where the view's width ends, so a closed tool
        call stays one line. Measured by the document's own layout (its fonts and
        margins), by bisection: a handful of one-block layouts."""
        self._set_block(block, text, fmt)
        if self._line_count(block) <= 1:
            return
        fits, too_long = 0, len(text)
        while too_long - fits > 1:
            middle = (fits + too_long) // 2
            self._set_block(block, text[:middle].rstrip() + "…", fmt)
            if self._line_count(block) <= 1:
                fits = middle
            else:
                too_long = middle
        self._set_block(block, text[:fits].rstrip() + "…", fmt)

    def _line_count(self, block: QTextBlock) -> int:
        # Asking for the block's rectangle lays the document out up to it, now.
        self.document().documentLayout().blockBoundingRect(block)
        return block.layout().lineCount()

    # -- opening tool calls ---------------------------------------------------------------

    def toggle(self, turn: Turn) -> bool:
        """Open a tool call in full, or close it to its line; True if ``turn`` is one."""
        row = self._by_turn.get(turn)
        if row is None or not is_tool(turn):
            return False
        self.flush()
        row.opened = not row.opened
        self._render(row)
        self.announce.emit(f"{turn.name or 'Tool'} {'opened' if row.opened else 'closed'}")
        return True

    def is_open(self, turn: Turn) -> bool:
        row = self._by_turn.get(turn)
        return row is not None and row.opened

    def _tool_row_at(self, point: QPoint) -> _Row | None:
        """The tool call row under a point of the viewport, if any."""
        block = self.cursorForPosition(point).block()
        row = self._row_of(block)
        if row is None or not is_tool(row.turn):
            return None
        at = point + QPoint(self.horizontalScrollBar().value(), self.verticalScrollBar().value())
        rect = self.document().documentLayout().blockBoundingRect(block)
        return row if rect.contains(at.toPointF()) else None

    def _row_of(self, block: QTextBlock) -> _Row | None:
        """The row ``block`` belongs to. Rows are in document order: found by bisection
        (a mouse move asks this; a scan cost 0.75 ms at 2,000 turns)."""
        at = block.position()
        index = bisect.bisect_right(self._rows, at, key=lambda row: row.header.position())
        row = self._rows[index - 1] if index else None
        return row if row is not None and block in (row.header, row.body) else None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        left = event.button() == Qt.MouseButton.LeftButton
        self._pressed_at = event.position().toPoint() if left else None
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mouseReleaseEvent(event)
        pressed, self._pressed_at = self._pressed_at, None
        point = event.position().toPoint()
        # A click, not the end of a drag that selected text.
        if (
            event.button() != Qt.MouseButton.LeftButton
            or pressed is None
            or (point - pressed).manhattanLength() >= QApplication.startDragDistance()
            or self.textCursor().hasSelection()
        ):
            return
        row = self._tool_row_at(point)
        if row is not None and row.turn is not None:
            self.toggle(row.turn)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mouseMoveEvent(event)
        if event.buttons() == Qt.MouseButton.NoButton:
            over = self._tool_row_at(event.position().toPoint()) is not None
            shape = Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.IBeamCursor
            if self.viewport().cursor().shape() != shape:
                self.viewport().setCursor(shape)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        plain_key = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if plain_key and event.key() in _TOGGLE_KEYS:
            row = self._row_of(self.textCursor().block())
            if row is not None and row.turn is not None and self.toggle(row.turn):
                event.accept()
                return
        super().keyPressEvent(event)

    # -- formats --------------------------------------------------------------------------

    @staticmethod
    def _header_block_format(*, separator: bool) -> QTextBlockFormat:
        fmt = QTextBlockFormat()
        fmt.setTopMargin(18 if separator else 10)
        fmt.setBottomMargin(1)
        if separator:
            fmt.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        return fmt

    @staticmethod
    def _body_block_format(turn: Turn | None) -> QTextBlockFormat:
        fmt = QTextBlockFormat()
        fmt.setBottomMargin(2)
        if turn is not None and turn.kind != "message":
            fmt.setLeftMargin(8)
        return fmt

    @staticmethod
    def _header_format(turn: Turn) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.DemiBold)
        fmt.setProperty(QTextFormat.Property.FontSizeAdjustment, -1)
        colour = _TOOL_COLOUR if turn.kind != "message" else _ROLE_COLOURS.get(turn.role)
        if turn.status in _MARKS:
            colour = _MARK_COLOUR
        if colour:
            fmt.setForeground(QColor(colour))
        return fmt

    @staticmethod
    def _body_format(turn: Turn) -> QTextCharFormat:
        fmt = QTextCharFormat()
        if turn.kind != "message":
            fmt.setFontFamilies(["monospace"])
            fmt.setFontStyleHint(QFont.StyleHint.Monospace)
            fmt.setProperty(QTextFormat.Property.FontSizeAdjustment, -1)
            fmt.setForeground(QColor(_TOOL_COLOUR))
        elif turn.status == "in_progress" and not turn.text.strip():
            fmt.setForeground(QColor(_TOOL_COLOUR))
        return fmt

    @staticmethod
    def _separator_format() -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setForeground(QColor(_TOOL_COLOUR))
        fmt.setProperty(QTextFormat.Property.FontSizeAdjustment, -1)
        return fmt

    # -- scrolling ------------------------------------------------------------------------

    def _at_bottom(self) -> bool:
        return self.following

    def _scroll_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_user_scroll(self, action: int) -> None:
        bar = self.verticalScrollBar()
        # On actionTriggered the slider position is already the new one, the value not yet.
        position = bar.sliderPosition() if action != -1 else bar.value()
        if action == QAbstractSlider.SliderAction.SliderNoAction.value:
            return
        self.following = position >= bar.maximum() - 4
        self._show_jump()

    def _on_range(self, _minimum: int, _maximum: int) -> None:
        if self.following:
            self._scroll_to_bottom()
        self._show_jump()

    def jump_to_latest(self) -> None:
        self.flush()
        self.following = True
        self._scroll_to_bottom()
        self._show_jump()

    def _show_jump(self) -> None:
        bar = self.verticalScrollBar()
        wanted = not self.following and bar.sliderPosition() < bar.maximum() - 4
        if wanted != self.jump_button.isVisible():
            self.jump_button.setVisible(wanted)
            self._place_jump()

    def _place_jump(self) -> None:
        hint = self.jump_button.sizeHint()
        self.jump_button.resize(hint)
        viewport = self.viewport().geometry()
        self.jump_button.move(
            viewport.right() - hint.width() - 10, viewport.bottom() - hint.height() - 10
        )
        self.jump_button.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._place_jump()
        self._place_guide()
        if event.size().width() != event.oldSize().width():
            for row in self._rows:  # closed tool calls are fitted to the new width
                if is_tool(row.turn) and not row.opened:
                    self._mark_dirty(row)

    def set_guidance(self, text: str) -> None:
        """What the empty transcript says (what to do first)."""
        self.guide.setText(text)
        self.guide.setAccessibleDescription(text)
        self._place_guide()

    def _show_guide(self) -> None:
        self.guide.setVisible(self.document().isEmpty())

    def _place_guide(self) -> None:
        margin = 24
        width = max(100, self.viewport().width() - 2 * margin)
        self.guide.setGeometry(margin, margin, width, self.guide.heightForWidth(width) + 4)

    # -- search ---------------------------------------------------------------------------

    def search(self, text: str, *, backward: bool = False) -> bool:
        """Select the next (or previous) match, wrapping around; highlight all matches."""
        self.flush()
        if text != self._search:  # a new search starts where the last match started
            self._search = text
            self._highlight(text)
            cursor = self.textCursor()
            cursor.setPosition(cursor.selectionStart())
            self.setTextCursor(cursor)
        if not text:
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        if self.find(text, flags):
            return True
        cursor = self.textCursor()
        cursor.movePosition(
            QTextCursor.MoveOperation.End if backward else QTextCursor.MoveOperation.Start
        )
        self.setTextCursor(cursor)
        return self.find(text, flags)

    def match_count(self) -> int:
        return len(self.extraSelections())

    def clear_search(self) -> None:
        self._search = ""
        self.setExtraSelections([])

    def _highlight(self, text: str) -> None:
        selections: list[QTextEdit.ExtraSelection] = []
        if text:
            doc = self.document()
            cursor = doc.find(text, 0)
            while not cursor.isNull() and len(selections) < MAX_HIGHLIGHTS:
                sel = QTextEdit.ExtraSelection()
                sel.cursor = cursor
                fmt = QTextCharFormat()
                fmt.setBackground(QColor(255, 214, 10, 110))
                sel.format = fmt
                selections.append(sel)
                cursor = doc.find(text, cursor)
        self.setExtraSelections(selections)

    # -- context menu ---------------------------------------------------------------------

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        menu: QMenu = self.createStandardContextMenu(event.pos())
        if self.context_actions:
            menu.addSeparator()
            for action in self.context_actions:
                menu.addAction(action)
        menu.exec(event.globalPos())
        menu.deleteLater()
