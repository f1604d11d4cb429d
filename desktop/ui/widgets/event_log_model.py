"""The event log's data: a bounded list of (time, direction, type, redacted payload)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

MAX_EVENTS = 3000  # the last few thousand; older ones drop off the top
_COLUMNS = ("Time", "", "Type")
_ARROWS = {"out": "↑ sent", "in": "↓ received"}
_Index = QModelIndex | QPersistentModelIndex
# data() runs for every visible cell and role on each repaint: compare against locals.
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_RED, _BLUE, _GREEN = QColor("#d64545"), QColor("#2563eb"), QColor("#1f9d55")


@dataclass(frozen=True)
class LogEntry:
    at: float  # wall-clock seconds
    direction: str  # "in" (server → us) or "out" (us → server)
    type: str
    payload: dict[str, Any]  # already redacted
    clock: str = ""  # "HH:MM:SS.mmm", formatted once

    @property
    def is_problem(self) -> bool:
        return self.type == "error" or self.type.startswith("malformed")

    def pretty(self) -> str:
        return json.dumps(self.payload, indent=2, ensure_ascii=False, sort_keys=False)


def make_entry(at: float, direction: str, event_type: str, payload: dict[str, Any]) -> LogEntry:
    """An entry with every secret-looking value blanked before it is kept anywhere."""
    from desktop.core.events.client import redacted  # loaded with the call, not at start-up

    clock = datetime.fromtimestamp(at).strftime("%H:%M:%S.%f")[:-3]
    return LogEntry(at, direction, event_type or "(no type)", redacted(payload), clock)


class EventLogModel(QAbstractTableModel):
    def __init__(self, capacity: int = MAX_EVENTS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: deque[LogEntry] = deque()
        self.capacity = capacity
        self.types: set[str] = set()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(_COLUMNS)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        entry = self._entries[index.row()]
        column = index.column()
        if role == _DISPLAY:
            if column == 0:
                return entry.clock
            if column == 1:
                return "↑" if entry.direction == "out" else "↓"
            return entry.type
        if role == _FOREGROUND:
            if entry.is_problem:
                return _RED
            if column == 1:
                return _BLUE if entry.direction == "out" else _GREEN
            return None
        if role == _ACCESSIBLE:
            return f"{_ARROWS.get(entry.direction, entry.direction)} {entry.type}"
        if role == _TOOLTIP and column == 1:
            return _ARROWS.get(entry.direction, entry.direction)
        return None

    def entry(self, row: int) -> LogEntry:
        return self._entries[row]

    def entries(self) -> list[LogEntry]:
        return list(self._entries)

    def append(self, entry: LogEntry) -> None:
        self.extend([entry])

    def extend(self, batch: list[LogEntry]) -> None:
        """Add entries in one insertion (and drop the oldest beyond the capacity)."""
        batch = batch[-self.capacity :]
        if not batch:
            return
        overflow = len(self._entries) + len(batch) - self.capacity
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            for _ in range(overflow):
                self._entries.popleft()
            self.endRemoveRows()
        first = len(self._entries)
        self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
        self._entries.extend(batch)
        self.endInsertRows()
        self.types.update(entry.type for entry in batch)

    def clear(self) -> None:
        self.beginResetModel()
        self._entries.clear()
        self.endResetModel()


class EventFilter(QSortFilterProxyModel):
    """Rows whose type contains the filter text, in one or both directions."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._direction = ""  # "" = both

    def set_text(self, text: str) -> None:
        self._change(lambda: setattr(self, "_text", text.strip().lower()))

    def set_direction(self, direction: str) -> None:
        self._change(lambda: setattr(self, "_direction", direction))

    def _change(self, apply: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateFilter is deprecated
            self.beginFilterChange()
            apply()
            self.endFilterChange()
        else:
            apply()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: _Index) -> bool:  # noqa: N802 - Qt override
        source = self.sourceModel()
        if not isinstance(source, EventLogModel):
            return True
        entry = source.entry(row)
        if self._direction and entry.direction != self._direction:
            return False
        return not self._text or self._text in entry.type.lower()
