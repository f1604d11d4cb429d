"""The history sidebar as a left dock, toggled from View ▸ History (Ctrl+H).

The store opens with the window (a few milliseconds, even for a large history: nothing is
scanned); the list is read the first time the dock is shown. The retention setting is
applied after the first paint, off the loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDockWidget

from desktop.core.history import HistoryStore, Retention
from desktop.core.settings import AppSettings
from desktop.ui.history.sidebar import HistorySidebar


class HistoryDock(QDockWidget):
    def __init__(self, window: Any, store: HistoryStore) -> None:  # MainWindow
        super().__init__("History", window)
        self.window_ = window
        self.store = store
        self.setObjectName("historyDock")
        self.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.sidebar = HistorySidebar(store, self)
        self.setWidget(self.sidebar)
        self._listed = False
        toggle = self.toggleViewAction()
        toggle.setText("&History")
        toggle.setShortcut("Ctrl+H")
        toggle.setStatusTip("Show saved conversations: search, read, resume (Ctrl+H)")
        self.visibilityChanged.connect(self._on_visible)
        window.shown_first.connect(self._after_first_paint)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(store.close)  # the last queued turns are written

    def _on_visible(self, visible: bool) -> None:
        if visible and not self._listed:
            self._listed = True
            self.sidebar.refresh()

    def _after_first_paint(self) -> None:
        if self.store.notice:
            self.window_.notices.show_notice(self.store.notice, key="history")
        self.apply_settings(self.window_.settings)

    def apply_settings(self, settings: AppSettings) -> None:
        policy = Retention.parse(settings.history_retention)
        if policy is Retention.KEEP:
            self.store.retention = policy
            return
        self.window_.controller.spawn(self._apply(policy), "history-retention")

    async def _apply(self, policy: Retention) -> None:
        deleted = await asyncio.to_thread(self.store.apply_retention, policy)
        if deleted and self._listed:
            self.sidebar.refresh()


def install_history_dock(window: Any, store: HistoryStore | None = None) -> HistoryDock:
    """A hidden left dock with a View-menu toggle; ``store`` defaults to the user's."""
    settings = window.settings
    store = store or HistoryStore.open(retention=Retention.parse(settings.history_retention))
    dock = HistoryDock(window, store)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    dock.hide()
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "") == "View":
            entries = menu.actions()
            menu.insertAction(entries[0] if entries else None, dock.toggleViewAction())
            break
    return dock
