"""A horizontal level meter: RMS bar, peak-hold marker, or a line saying there is no device."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

FLOOR_DB = -60.0  # the bottom of the scale; quieter than this reads as silence


class LevelLike(Protocol):
    @property
    def rms_dbfs(self) -> float: ...
    @property
    def peak_dbfs(self) -> float: ...
    @property
    def hold_dbfs(self) -> float: ...


def _fraction(db: float) -> float:
    return min(1.0, max(0.0, (db - FLOOR_DB) / -FLOOR_DB))


class LevelMeter(QWidget):
    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._rms = 0.0
        self._hold = 0.0
        self._available = False
        self._muted = False
        self._message = "no device"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(f"{name} level")
        self._describe()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(160, max(14, self.fontMetrics().height()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(60, max(12, self.fontMetrics().height()))

    @property
    def available(self) -> bool:
        return self._available

    @property
    def message(self) -> str:
        if not self._available:
            return self._message
        return "muted" if self._muted else ""

    @property
    def level(self) -> float:
        """The bar's length, 0 to 1."""
        return self._rms

    def set_muted(self, muted: bool) -> None:
        """Muted: the bar stops and says so (a moving meter read as "they hear me")."""
        if muted == self._muted:
            return
        self._muted = muted
        if muted:
            self._rms = self._hold = 0.0
        self._describe()
        self.update()

    def set_available(self, available: bool, message: str = "no device") -> None:
        self._available = available
        self._message = message
        if not available:
            self._rms = self._hold = 0.0
        self._describe()
        self.update()

    def set_level(self, level: LevelLike) -> None:
        if self._muted:
            return
        rms, hold = _fraction(level.rms_dbfs), _fraction(level.hold_dbfs)
        if abs(rms - self._rms) < 0.005 and abs(hold - self._hold) < 0.005:
            return  # nothing visible changed: skip the repaint
        self._rms, self._hold = rms, hold
        self.update()

    def _describe(self) -> None:
        # Updated on availability only: a level read aloud 20 times a second is noise.
        message = self.message
        self.setAccessibleDescription(
            f"{self._name}: {message}" if message else f"{self._name} is active"
        )
        self.setToolTip(f"{self._name}: {message}" if message else f"{self._name} level (dBFS)")

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        palette = self.palette()
        trough = palette.color(QPalette.ColorRole.Base)
        border = palette.color(QPalette.ColorRole.Mid)
        painter.setPen(border)
        painter.setBrush(trough)
        painter.drawRoundedRect(rect, 4, 4)
        if self.message:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.message)
            return
        inner = rect.adjusted(2, 2, -2, -2)
        if self._rms > 0:
            gradient = QLinearGradient(inner.left(), 0, inner.right(), 0)
            gradient.setColorAt(0.0, QColor("#2f9e44"))
            gradient.setColorAt(0.75, QColor("#94c11f"))
            gradient.setColorAt(0.9, QColor("#f0a202"))
            gradient.setColorAt(1.0, QColor("#d64545"))
            bar = QRectF(inner.left(), inner.top(), inner.width() * self._rms, inner.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(gradient)
            painter.drawRoundedRect(bar, 3, 3)
        if self._hold > 0:
            x = inner.left() + inner.width() * self._hold
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawLine(int(x), int(inner.top()), int(x), int(inner.bottom()))
