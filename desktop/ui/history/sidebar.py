"""The history sidebar: conversations (most recent first, more as you scroll), full-text
search, a read-only view of one, and Resume / New / Rename / Delete / Delete all.

It talks only to a `HistoryStore` and says what the user asked for with two signals the
window wires: ``resume_requested(conversation_id)`` and ``new_requested()``. Stored text
is shown as plain text only (list items, and the reader's plain-text document).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.history import (
    ConversationSummary,
    HistoryError,
    HistoryStore,
    SearchHit,
    display,
)
from desktop.ui.history.reader import ROLE_NAMES, ConversationReader

log = logging.getLogger("talkline.ui.history")

PAGE = 50
ID_ROLE = Qt.ItemDataRole.UserRole


class HistorySidebar(QWidget):
    resume_requested = Signal(str)  # a conversation id
    new_requested = Signal()

    def __init__(self, store: HistoryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setObjectName("historySidebar")
        self._loaded = 0  # conversations listed so far (paging)
        self._more = True
        self._open_id: str | None = None

        self.new_button = QPushButton("&New conversation")
        self.new_button.clicked.connect(self.new_requested)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search conversations")
        self.search.setAccessibleName("Search conversations")
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.refresh)
        self.list = QListWidget()
        self.list.setAccessibleName("Saved conversations")
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(lambda item: self.open(item.data(ID_ROLE)))
        self.list.itemDoubleClicked.connect(lambda item: self.open(item.data(ID_ROLE)))
        bar = self.list.verticalScrollBar()
        bar.valueChanged.connect(self._on_scroll)
        # A page that does not fill the list leaves nothing to scroll: load the next one.
        bar.rangeChanged.connect(lambda _low, _high: self._on_scroll(bar.value()))
        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.hide()

        self.resume_button = QPushButton("&Resume")
        self.resume_button.setToolTip("Go on with this conversation in a new call")
        self.resume_button.clicked.connect(self._resume)
        more = QToolButton()
        more.setText("More")
        more.setAccessibleName("More history actions")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(more)
        self.rename_action = menu.addAction("Re&name…", self._rename)
        self.delete_action = menu.addAction("&Delete…", self._delete)
        menu.addSeparator()
        self.delete_all_action = menu.addAction("Delete &all…", self._delete_all)
        more.setMenu(menu)

        list_page = QWidget()
        column = QVBoxLayout(list_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.search)
        column.addWidget(self.list, 1)
        self.back_button = QPushButton("← &Back")
        self.back_button.clicked.connect(self.close_reader)
        self.title = QLabel("")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: 600")
        self.reader = ConversationReader()
        read_page = QWidget()
        read = QVBoxLayout(read_page)
        read.setContentsMargins(0, 0, 0, 0)
        read.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        read.addWidget(self.title)
        read.addWidget(self.reader, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(list_page)
        self.pages.addWidget(read_page)

        buttons = QHBoxLayout()
        buttons.addWidget(self.resume_button)
        buttons.addWidget(more)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.new_button)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    # -- listing and searching ------------------------------------------------------------

    def refresh(self) -> None:
        """List again from the top (or search, when the field has text)."""
        self.list.clear()
        self._loaded, self._more = 0, True
        self._show_problem(None)
        text = self.search.text().strip()
        try:
            if text:
                hits = self.store.search(text)
                for hit in hits:
                    self._add_hit(hit)
                self._more = False
                if not hits:
                    self._show_problem(f"No conversation mentions “{text}”.")
            else:
                self._load_more()
        except HistoryError as exc:
            self._show_problem(str(exc))
        self._update_buttons()

    def _load_more(self) -> None:
        page = self.store.list_conversations(PAGE, self._loaded)
        for summary in page:
            self._add_summary(summary)
        self._loaded += len(page)
        self._more = len(page) == PAGE
        if self._loaded == 0:
            self._show_problem("No conversations yet. They are saved here as you talk.")

    def _on_scroll(self, value: int) -> None:
        bar = self.list.verticalScrollBar()
        if self._more and value >= bar.maximum() - 2 and not self.search.text().strip():
            try:
                self._load_more()
            except HistoryError as exc:
                self._show_problem(str(exc))

    def _add_summary(self, s: ConversationSummary) -> None:
        details = f"{display.when(s.started)} · {s.provider} · {display.duration(s.duration_s)}"
        if s.cost is not None:
            details += f" · {display.cost(s.cost)}"
        self._add_item(s.id, f"{display.title(s.title, s.started)}\n{details}")

    def _add_hit(self, hit: SearchHit) -> None:
        who = ROLE_NAMES.get(hit.role, hit.role)
        self._add_item(
            hit.conversation_id,
            f"{display.title(hit.title, hit.started)}\n"
            f"{display.when(hit.started)} · {who}: {hit.snippet}",
        )

    def _add_item(self, conversation_id: str, text: str) -> None:
        item = QListWidgetItem(text)  # plain text: a list item never renders markup
        item.setData(ID_ROLE, conversation_id)
        self.list.addItem(item)

    # -- reading --------------------------------------------------------------------------

    def open(self, conversation_id: str) -> bool:
        try:
            record = self.store.get(conversation_id)
        except HistoryError as exc:
            self._show_problem(str(exc))
            return False
        if record is None:
            self._show_problem("That conversation was deleted.")
            self.refresh()
            return False
        self._open_id = conversation_id
        self.title.setText(display.title(record.summary.title, record.summary.started))
        self.reader.show_record(record, self.search.text())
        self.pages.setCurrentIndex(1)
        self._update_buttons()
        return True

    def close_reader(self) -> None:
        self._open_id = None
        self.pages.setCurrentIndex(0)
        self._update_buttons()

    def selected_id(self) -> str | None:
        if self.pages.currentIndex() == 1:
            return self._open_id
        item = self.list.currentItem()
        return str(item.data(ID_ROLE)) if item is not None else None

    def _update_buttons(self) -> None:
        chosen = self.selected_id() is not None
        for widget in (self.resume_button, self.rename_action, self.delete_action):
            widget.setEnabled(chosen)

    # -- actions --------------------------------------------------------------------------

    def _resume(self) -> None:
        conversation_id = self.selected_id()
        if conversation_id is not None:
            self.resume_requested.emit(conversation_id)

    def _rename(self) -> None:
        conversation_id = self.selected_id()
        if conversation_id is None:
            return
        title, ok = QInputDialog.getText(
            self, "Rename conversation", "Title:", text=self.title.text() if self._open_id else ""
        )
        if ok and title.strip():
            self._change(lambda: self.store.rename(conversation_id, title))
            if self._open_id:
                self.open(conversation_id)

    def _delete(self) -> None:
        conversation_id = self.selected_id()
        if conversation_id is None or not self._confirm(
            "Delete this conversation?", "It cannot be brought back."
        ):
            return
        self._change(lambda: self.store.delete(conversation_id))
        self.close_reader()

    def _delete_all(self) -> None:
        if self._confirm("Delete every saved conversation?", "They cannot be brought back."):
            self._change(self.store.delete_all)
            self.close_reader()

    def _change(self, action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except HistoryError as exc:
            self._show_problem(str(exc))
            return
        self.refresh()

    def _confirm(self, question: str, detail: str) -> bool:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Talkline",
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(detail)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes

    def _show_problem(self, text: str | None) -> None:
        self.message.setText(text or "")
        self.message.setVisible(bool(text))
