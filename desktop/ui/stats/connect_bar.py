"""The connect breakdown as one small stacked bar, each step its colour, with a key."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from desktop.core.stats.series import CONNECT_STEPS, STEP_LABELS

COLOURS = dict(
    zip(CONNECT_STEPS, ("#a78bfa", "#60a5fa", "#34d399", "#fbbf24", "#f87171", "#94a3b8"),
        strict=True)
)


def legend_html(steps: dict[str, float]) -> str:
    parts = [
        f'<span style="color:{COLOURS.get(name, "#000")}">■</span> '
        f"{STEP_LABELS.get(name, name)} {ms:.0f} ms"
        for name, ms in steps.items()
    ]
    total = sum(steps.values())
    return " &nbsp;".join(parts) + (f" &nbsp;<b>total {total:.0f} ms</b>" if steps else "")


class ConnectBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps: dict[str, float] = {}
        self.setMinimumHeight(14)
        self.setAccessibleName("Connect time by step")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(300, 14)

    def set_steps(self, steps: dict[str, float]) -> None:
        if steps != self.steps:
            self.steps = dict(steps)
            self.setToolTip(", ".join(f"{STEP_LABELS.get(k, k)}: {v:.0f} ms"
                                      for k, v in steps.items()))
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        rect = QRectF(self.rect()).adjusted(0, 1, -1, -1)
        painter.fillRect(rect, QColor("#eef0f3"))
        total = sum(self.steps.values())
        if total <= 0:
            return
        x = rect.left()
        for name, ms in self.steps.items():
            width = rect.width() * ms / total
            painter.fillRect(QRectF(x, rect.top(), width, rect.height()),
                             QColor(COLOURS.get(name, "#000000")))
            x += width
