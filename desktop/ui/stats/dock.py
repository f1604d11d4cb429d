"""The "Call quality" dock: where the stats panel lives, its View-menu toggle, the hints.

The panel (and pyqtgraph) is built the first time the dock is shown, so start-up does not
pay for it; until then the latest `CallStats` is only kept. Quality hints go to the
window's notices in plain words, and leave when the problem does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu

if TYPE_CHECKING:
    from desktop.core.stats.series import CallStats
    from desktop.ui.stats.panel import StatsPanel

QUALITY_KEYS = ("loss", "rtt", "underruns")
PANEL_WIDTH = 440  # the dock's width when first opened: two columns of readable graphs


class StatsDock(QDockWidget):
    def __init__(self, window: Any) -> None:  # MainWindow
        super().__init__("Call quality", window)
        self.window_ = window
        self.panel: StatsPanel | None = None
        self.stats: CallStats | None = None
        self.setObjectName("statsDock")
        self.setAllowedAreas(
            Qt.DockWidgetArea.RightDockWidgetArea | Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.setWidget(QLabel("Connect to see the call's quality.", self))
        toggle = self.toggleViewAction()
        toggle.setText("Call &quality")
        toggle.setShortcut("Ctrl+I")
        toggle.setStatusTip("Show the call's network and audio figures as graphs (Ctrl+I)")
        toggle.triggered.connect(lambda on: self.raise_() if on else None)  # its tab to the front
        self.visibilityChanged.connect(self._on_visible)
        controller = window.controller
        controller.stats_updated.connect(self.set_stats)
        controller.quality_changed.connect(self.show_warnings)
        controller.status_changed.connect(self._on_status)
        self.ended_at: str | None = None  # "16:40": the figures are the last call's

    def set_stats(self, stats: CallStats) -> None:
        self.stats = stats
        self.ended_at = None
        if self.panel is not None:
            self.panel.set_heading("This call")
            self.panel.set_stats(stats)  # draws only while visible

    def begin_attempt(self) -> None:
        """A new connect: the last call's path, connect time and graphs would mislead."""
        self.stats = None
        self.ended_at = None
        if self.panel is not None:
            self.panel.clear()

    def _on_status(self, status: Any) -> None:  # CallStatus
        if status.state.is_active or self.stats is None or self.ended_at is not None:
            return
        import time

        self.ended_at = time.strftime("%H:%M")
        if self.panel is not None:
            self.panel.set_heading(f"Last call (ended {self.ended_at})")

    def _on_visible(self, visible: bool) -> None:
        if visible and self.width() < PANEL_WIDTH and not self.window_.settings.window_state:
            # Docks keep their minimum width until dragged, and the graphs need room; a
            # width the user chose (saved with the window) is kept.
            QTimer.singleShot(0, self._widen)
        if visible and self.panel is None:
            from desktop.ui.stats.panel import StatsPanel

            self.panel = StatsPanel(self)
            self.panel.exported.connect(self._exported)
            self.setWidget(self.panel)
            self.panel.set_stats(self.stats)
            if self.ended_at is not None:
                self.panel.set_heading(f"Last call (ended {self.ended_at})")
            elif self.stats is not None:
                self.panel.set_heading("This call")

    def _widen(self) -> None:
        if self.isVisible() and self.width() < PANEL_WIDTH:
            self.window_.resizeDocks([self], [PANEL_WIDTH], Qt.Orientation.Horizontal)

    def show_warnings(self, warnings: list[Any]) -> None:
        notices = self.window_.notices
        active = {w.key for w in warnings}
        for key in QUALITY_KEYS:
            if key not in active:
                notices.dismiss(f"quality:{key}")
        for warning in warnings:
            notices.show_notice(warning.text, key=f"quality:{warning.key}")

    def _exported(self, sentence: str) -> None:
        if sentence.startswith("Could not"):
            self.window_.notices.show_notice(sentence, key="stats-export")
        else:
            self.window_.statusBar().showMessage(sentence, 5000)


def install_stats_dock(window: QMainWindow) -> StatsDock:
    """Dock the panel beside the event log (tabbed), hidden, with a View-menu toggle."""
    dock = StatsDock(window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    event_log = getattr(window, "event_log_dock", None)
    if event_log is not None:
        window.tabifyDockWidget(event_log, dock)
    dock.hide()
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") == "View":
            entries = menu.actions()
            after = entries[1] if len(entries) > 1 else None  # after the event log toggle
            menu.insertAction(after, dock.toggleViewAction())  # type: ignore[arg-type]  # None: at the end
            break
    return dock
