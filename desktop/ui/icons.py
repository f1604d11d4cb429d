"""The application icon (resources/talkline.svg) and its "listening" variant."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QLinearGradient, QPainter, QPixmap

_HERE = Path(__file__).resolve().parent
# The repository's resources/ folder, or a copy packaged next to the code.
_CANDIDATES = (_HERE.parent.parent / "resources", _HERE.parent / "resources")
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def icon_path(name: str = "talkline.svg") -> Path | None:
    for folder in _CANDIDATES:
        path = folder / name
        if path.is_file():
            return path
    return None


@cache
def app_icon() -> QIcon:
    path = icon_path()
    icon = QIcon(str(path)) if path is not None else QIcon()
    if icon.isNull():
        icon = QIcon()
        for size in SIZES:
            icon.addPixmap(_drawn(size))
    return icon


@cache
def listening_icon() -> QIcon:
    """The app icon with a red dot: the microphone is open for push-to-talk."""
    base = app_icon()
    icon = QIcon()
    for size in SIZES:
        pixmap = base.pixmap(size, size)
        if pixmap.isNull():
            pixmap = _drawn(size)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        radius = size * 0.22
        centre = QPointF(size - radius - size * 0.02, size - radius - size * 0.02)
        painter.setPen(QColor("white"))
        painter.setBrush(QColor("#e03131"))
        painter.drawEllipse(centre, radius, radius)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def _drawn(size: int) -> QPixmap:
    """A painted stand-in when the SVG is missing (a wheel without resources)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    gradient = QLinearGradient(0, 0, size, size)
    gradient.setColorAt(0, QColor("#3b82f6"))
    gradient.setColorAt(1, QColor("#8b3fd9"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(gradient)
    painter.drawRoundedRect(QRectF(0, 0, size, size), size * 0.22, size * 0.22)
    painter.setBrush(QColor("white"))
    painter.drawRoundedRect(QRectF(size * 0.2, size * 0.24, size * 0.6, size * 0.44), 4, 4)
    painter.end()
    return pixmap
