"""Announcements for screen readers (Qt's live-region equivalent, Qt 6.8+)."""

from __future__ import annotations

import logging

from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QWidget

log = logging.getLogger("talkline.ui.a11y")

try:  # Qt 6.8 added announcements; older Qt falls back to a name change on the widget
    from PySide6.QtGui import QAccessibleAnnouncementEvent
except ImportError:  # pragma: no cover - depends on the Qt version
    QAccessibleAnnouncementEvent = None  # type: ignore[assignment,misc]


class Announcer:
    """Sends announcements from one widget; remembers the last few (tests, debugging)."""

    def __init__(self, widget: QWidget, keep: int = 20) -> None:
        self._widget = widget
        self._keep = keep
        self.recent: list[str] = []

    def announce(self, text: str, *, assertive: bool = False) -> None:
        text = " ".join(text.split())
        if not text:
            return
        self.recent = [*self.recent[-(self._keep - 1) :], text]
        if not QAccessible.isActive():
            return  # no assistive technology listening: nothing to build
        if QAccessibleAnnouncementEvent is not None:
            event = QAccessibleAnnouncementEvent(self._widget, text)
            if assertive:
                event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
            QAccessible.updateAccessibility(event)
        else:
            self._widget.setAccessibleDescription(text)
