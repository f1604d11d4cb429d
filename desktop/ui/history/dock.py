"""The history sidebar as a left dock, toggled from View ▸ History (Ctrl+H).

The store opens right after the window's first paint, off the loop, under the retention
setting (``open_history``: the same decision the command line makes), or when first asked
for; the sidebar is built and the list read the first time the dock is shown. A changed
retention setting is applied off the loop too. The window wires the dock's
``resume_requested(conversation_id)`` and ``new_requested()``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel

if TYPE_CHECKING:  # loaded after the first paint: start-up does not pay for them
    from desktop.core.history import HistoryStore, Retention
    from desktop.core.settings import AppSettings
    from desktop.ui.history.sidebar import HistorySidebar


class HistoryDock(QDockWidget):
    resume_requested = Signal(str)  # a conversation id
    new_requested = Signal()

    def __init__(self, window: Any, store: HistoryStore | None = None) -> None:  # MainWindow
        super().__init__("History", window)
        self.window_ = window
        self._store = store
        self.setObjectName("historyDock")
        self.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.sidebar: HistorySidebar | None = None
        self.setWidget(QLabel("", self))
        toggle = self.toggleViewAction()
        toggle.setText("&History")
        toggle.setShortcut("Ctrl+H")
        toggle.setStatusTip("Show saved conversations: search, read, resume (Ctrl+H)")
        self.visibilityChanged.connect(self._on_visible)
        window.shown_first.connect(self._after_first_paint)

    @property
    def store(self) -> HistoryStore:
        """The user's history (opened on first use; the one recorders should save to)."""
        if self._store is None:
            from desktop.core.history.policy import open_history

            self._adopt(open_history(self.window_.settings))
        assert self._store is not None
        return self._store

    def _adopt(self, store: HistoryStore) -> None:
        self._store = store
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(store.close)  # queued turns are written
        if store.notice:
            self.window_.notices.show_notice(store.notice, key="history")

    def _on_visible(self, visible: bool) -> None:
        if visible and self.sidebar is None:
            from desktop.ui.history.sidebar import HistorySidebar

            self.sidebar = HistorySidebar(self.store, self)
            self.sidebar.resume_requested.connect(self.resume_requested)
            self.sidebar.new_requested.connect(self.new_requested)
            self.setWidget(self.sidebar)
            self.sidebar.refresh()

    def _after_first_paint(self) -> None:
        if self._store is None:
            self.window_.controller.spawn(self._open(), "history-open")
        else:  # a store handed in: its policy is the settings' from now on
            self.apply_settings(self.window_.settings)

    async def _open(self) -> None:
        from desktop.core.history.policy import open_history

        store = await asyncio.to_thread(open_history, self.window_.settings)
        if self._store is not None:  # asked for (and opened) meanwhile
            store.close()
        else:
            self._adopt(store)

    def apply_settings(self, settings: AppSettings) -> None:
        from desktop.core.history import Retention
        from desktop.core.history.policy import chosen_retention

        policy = chosen_retention(settings)
        if policy is Retention.KEEP:
            self.store.retention = policy
            return
        self.window_.controller.spawn(self._apply(policy), "history-retention")

    async def _apply(self, policy: Retention) -> None:  # runs after the first paint
        deleted = await asyncio.to_thread(self.store.apply_retention, policy)
        if deleted and self.sidebar is not None:
            self.sidebar.refresh()


def install_history_dock(window: Any, store: HistoryStore | None = None) -> HistoryDock:
    """A hidden left dock with a View-menu toggle; ``store`` defaults to the user's."""
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
