"""The event log panel: every client and server event, filterable, pretty JSON on select."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, Qt, QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.widgets.event_log_model import EventFilter, EventLogModel, LogEntry, make_entry

FLUSH_MS = 150  # events arrive in bursts of dozens: add them to the table together


class EventLogPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventLog")
        self.model = EventLogModel(parent=self)
        self.proxy = EventFilter(parent=self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by type, e.g. response.")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter events by type")
        self.filter_edit.textChanged.connect(self.proxy.set_text)

        self.direction = QComboBox(self)
        self.direction.addItem("Both directions", "")
        self.direction.addItem("Received ↓", "in")
        self.direction.addItem("Sent ↑", "out")
        self.direction.setAccessibleName("Show events in which direction")
        self.direction.currentIndexChanged.connect(
            lambda _i: self.proxy.set_direction(self.direction.currentData())
        )

        clear = QPushButton("Clear", self)
        clear.setAccessibleName("Clear the event log")
        clear.clicked.connect(self.clear)

        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measure each row
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._size_columns()
        self.table.setAccessibleName("Events")
        self.table.setAccessibleDescription("Select an event to see its JSON below.")
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        # Follow new events unless the user scrolled up (their last scroll decides, not the
        # bar's position: a hidden or resized table moves its bottom).
        self.following = True
        bar = self.table.verticalScrollBar()
        bar.actionTriggered.connect(self._on_user_scroll)
        bar.sliderMoved.connect(lambda _pos: self._on_user_scroll(-1))
        bar.rangeChanged.connect(lambda _lo, _hi: self._follow())

        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setPlaceholderText("Select an event to see its JSON (secrets redacted).")
        self.details.setAccessibleName("Selected event JSON")

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.direction)
        top.addWidget(clear)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self._pending: list[LogEntry] = []
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)

    # -- feeding --------------------------------------------------------------------------

    def add(self, direction: str, event_type: str, payload: dict[str, Any]) -> None:
        self._pending.append(make_entry(time.time(), direction, event_type, payload))
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        self._flush_timer.stop()
        batch, self._pending = self._pending, []
        if not batch:
            return
        self.model.extend(batch)
        self._follow()

    def _follow(self) -> None:
        if self.following:
            self.table.scrollToBottom()

    def _on_user_scroll(self, action: int) -> None:
        bar = self.table.verticalScrollBar()
        position = bar.value() if action == -1 else bar.sliderPosition()
        if action != 0:  # SliderNoAction
            self.following = position >= bar.maximum() - 2

    def clear(self) -> None:
        self._pending.clear()
        self.model.clear()
        self.details.clear()

    def entries(self) -> list[LogEntry]:
        """Everything logged, including what is not in the table yet."""
        return self.model.entries() + self._pending

    def visible_entries(self) -> list[LogEntry]:
        self.flush()
        return [
            self.model.entry(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
            for r in range(self.proxy.rowCount())
        ]

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    # -- internals ------------------------------------------------------------------------

    def _size_columns(self) -> None:
        metrics = self.table.fontMetrics()
        self.table.setColumnWidth(0, metrics.horizontalAdvance("00:00:00.000") + 18)
        self.table.setColumnWidth(1, metrics.horizontalAdvance("↓") + 18)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # Ctrl+= / Ctrl+-
            self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
            self._size_columns()

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        source: QModelIndex = self.proxy.mapToSource(indexes[0])
        if source.isValid():
            self.details.setPlainText(self.model.entry(source.row()).pretty())
