"""What the assistant is doing, at a glance: an orb that moves with the voices, and words.

The orb swells with the live level of whoever is audible (your microphone while you speak,
the speaker while the assistant does), turns an arc while it thinks or connects, and
rests while it listens. It is drawn with QPainter from one timer, and only while there is
something to animate: no timer runs and nothing repaints while the window is hidden or
minimised, or while no call is under way. The words beside it (`Phase.label()`) are an
ordinary label for screen readers, announced when they change.
"""

from __future__ import annotations

import time
from typing import Protocol

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QPainter, QPaintEvent, QPen, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from desktop.core.talk.phase import Phase, PhaseKind

FRAME_MS = 33  # ~30 frames a second while animating
FLOOR_DB = -60.0

_COLOURS = {
    PhaseKind.IDLE: "#9ca3af",
    PhaseKind.CONNECTING: "#e0a100",
    PhaseKind.RETRY_WAIT: "#d68a1f",
    PhaseKind.RECONNECTING: "#e0a100",
    PhaseKind.LISTENING: "#2f9e44",
    PhaseKind.USER_SPEAKING: "#2563eb",
    PhaseKind.THINKING: "#d68a1f",
    PhaseKind.SPEAKING: "#8b3fd9",
    PhaseKind.TOOL_RUNNING: "#0891b2",
    PhaseKind.FAILED: "#d64545",
}
_STILL = frozenset({PhaseKind.IDLE, PhaseKind.FAILED})  # nothing moves: no timer
_SPINNING = frozenset(  # an arc turns: something is under way and nobody speaks
    {PhaseKind.THINKING, PhaseKind.CONNECTING, PhaseKind.RECONNECTING, PhaseKind.TOOL_RUNNING}
)


class LevelLike(Protocol):
    rms_dbfs: float


def _fraction(level: LevelLike) -> float:
    return min(1.0, max(0.0, (level.rms_dbfs - FLOOR_DB) / -FLOOR_DB))


class Orb(QWidget):
    """The animated circle; `PhaseView` tells it the phase and the levels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = PhaseKind.IDLE
        self.frames = 0  # paints so far (tests: nothing is drawn while hidden)
        self._input = 0.0
        self._output = 0.0
        self._shown = 0.0  # the smoothed level the orb shows
        self._drawn: tuple[int, int] | None = None  # what the last frame showed
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._frame)
        self.setFixedSize(QSize(44, 44))
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)

    @property
    def animating(self) -> bool:
        return self._timer.isActive()

    def set_kind(self, kind: PhaseKind) -> None:
        self.kind = kind
        self._drawn = None
        self.refresh()
        self.update()

    def set_input(self, level: LevelLike) -> None:
        self._input = _fraction(level)

    def set_output(self, level: LevelLike) -> None:
        self._output = _fraction(level)

    def refresh(self) -> None:
        """Run the timer only when something is on screen to animate."""
        window = self.window()
        wanted = (
            self.kind not in _STILL
            and self.isVisible()
            and not window.isMinimized()
        )
        if wanted and not self._timer.isActive():
            self._timer.start()
        elif not wanted and self._timer.isActive():
            self._timer.stop()
            self._input = self._output = self._shown = 0.0

    def _target(self) -> float:
        if self.kind is PhaseKind.USER_SPEAKING:
            return self._input
        if self.kind is PhaseKind.SPEAKING:
            return self._output
        return 0.0

    def _frame(self) -> None:
        if self.window().isMinimized() or not self.isVisible():
            self.refresh()
            return
        target = self._target()
        # Quick to rise, slower to fall: speech looks lively without flicker.
        rate = 0.6 if target > self._shown else 0.2
        self._shown += (target - self._shown) * rate
        # Repaint only when the picture changes: a still orb (listening, silence) costs
        # a timer tick and nothing else.
        spinning = self.kind in _SPINNING
        key = (round(self._shown * 40), int(time.monotonic() * 30) if spinning else 0)
        if key != self._drawn:
            self._drawn = key
            self.update()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.refresh()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self.frames += 1
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(_COLOURS[self.kind])
        side = min(self.width(), self.height())
        centre_x, centre_y = self.width() / 2, self.height() / 2
        now = time.monotonic()
        base = side * 0.28
        radius = base * (1.0 + 0.75 * self._shown)
        halo = QColor(colour)
        halo.setAlpha(60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(halo)
        outer = min(side / 2 - 1, radius * 1.35)
        painter.drawEllipse(QRectF(centre_x - outer, centre_y - outer, outer * 2, outer * 2))
        painter.setBrush(colour)
        painter.drawEllipse(QRectF(centre_x - radius, centre_y - radius, radius * 2, radius * 2))
        if self.kind in _SPINNING:
            pen = QPen(colour, 2.5)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            ring = side / 2 - 2
            start = int((now * 360) % 360 * 16)  # one turn a second
            painter.drawArc(QRectF(centre_x - ring, centre_y - ring, ring * 2, ring * 2),
                            -start, 100 * 16)


class PhaseView(QWidget):
    """The orb and the phase in words (large), for the window's call controls."""

    announced = Signal(str)  # the words, once per change (the window's announcer says them)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.phase = Phase()
        self.orb = Orb(self)
        self.orb.setAccessibleName("Assistant state indicator")
        self.words = QLabel(self.phase.label(), self)
        self.words.setObjectName("phaseWords")
        self.words.setTextFormat(Qt.TextFormat.PlainText)
        self.words.setAccessibleName("Assistant state")
        self.words.setWordWrap(True)
        self.words.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.orb, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.words, 1, Qt.AlignmentFlag.AlignVCenter)
        self.setAccessibleName("Assistant state")

    def text(self) -> str:
        return self.words.text()

    def set_phase(self, phase: Phase) -> None:
        self.phase = phase
        self.orb.set_kind(phase.kind)
        words = phase.label()
        if words != self.words.text():
            self.words.setText(words)
            self.words.setAccessibleDescription(words)
            self.setAccessibleDescription(words)
            self.announced.emit(words)

    def set_input_level(self, level: LevelLike) -> None:
        self.orb.set_input(level)

    def set_output_level(self, level: LevelLike) -> None:
        self.orb.set_output(level)

    def window_state_changed(self) -> None:
        """The window was minimised or restored: start or stop the animation."""
        self.orb.refresh()
