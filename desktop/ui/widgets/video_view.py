"""VideoView: paints the avatar's latest picture, scaled with its aspect ratio kept.

It is fed `desktop.core.video.Picture`s (RGB arrays). It repaints at most `max_fps` times a
second, does nothing while hidden (the newest picture is painted when it is shown again),
and shows a sentence instead of a picture when there is no video.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

if TYPE_CHECKING:
    from desktop.core.video.feed import Picture

PLACEHOLDER = "Avatar video appears here when connected to rtAV"
BACKGROUND = QColor("#1c1f24")
PLACEHOLDER_COLOR = QColor("#aab1bb")


class VideoView(QWidget):
    def __init__(self, parent: QWidget | None = None, *, max_fps: float = 30.0) -> None:
        super().__init__(parent)
        self._min_gap = 1.0 / max_fps
        self._picture: Picture | None = None
        self._image: QImage | None = None  # made from _picture when next painted
        self._last_paint = 0.0
        self.frames_painted = 0
        self.pictures_received = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.update)
        self.setObjectName("avatarVideo")
        self.setAccessibleName("Avatar video")
        self.setMinimumSize(QSize(160, 120))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we fill every pixel

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(320, 240)

    @property
    def has_picture(self) -> bool:
        return self._picture is not None

    @property
    def picture_source(self) -> str | None:
        """Where the picture came from: "track" (RTP video), "image" (JPEG events), None."""
        return self._picture.source if self._picture is not None else None

    def show_picture(self, picture: Picture | None) -> None:
        """The newest picture (None: no video, show the placeholder)."""
        self._picture = picture
        self._image = None
        self.pictures_received += picture is not None
        if not self.isVisible():
            return  # nothing to do until it is shown (showEvent repaints)
        if self._timer.isActive():
            return  # a repaint is already booked; it will paint this newer picture
        wait = self._min_gap - (time.monotonic() - self._last_paint)
        if wait <= 0:
            self.update()
        else:
            self._timer.start(max(1, int(wait * 1000)))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.update()

    def picture_rect(self) -> QRect:
        """Where the picture is drawn: as large as fits, aspect kept, centred."""
        picture = self._picture
        if picture is None:
            return QRect()
        size = QSize(picture.width, picture.height).scaled(
            self.size(), Qt.AspectRatioMode.KeepAspectRatio
        )
        rect = QRect(0, 0, size.width(), size.height())
        rect.moveCenter(self.rect().center())
        return rect

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self._last_paint = time.monotonic()
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        picture = self._picture
        if picture is None:
            painter.setPen(PLACEHOLDER_COLOR)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.rect().adjusted(12, 12, -12, -12), flags, PLACEHOLDER)
            painter.end()
            return
        if self._image is None:
            rgb = picture.rgb  # C-contiguous (height, width, 3) uint8; kept alive by _picture
            self._image = QImage(
                rgb.data, picture.width, picture.height, rgb.strides[0],
                QImage.Format.Format_RGB888,
            )
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(self.picture_rect(), self._image)
        painter.end()
        self.frames_painted += 1
