"""The connection-state indicator: a coloured dot, the state in words, the elapsed time.

Its tooltip holds the stage timings of a successful connect, or the failure reason with
the server's own words. The reason of a failure is also shown in full under the state,
so nobody has to hover to learn what went wrong.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFocusEvent, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop.core.call.state import CallState, CallStatus
from desktop.core.text import as_markup, plain

_COLOURS = {
    CallState.IDLE: "#8a8f98",
    CallState.CLOSED: "#8a8f98",
    CallState.CONNECTED: "#1f9d55",
    CallState.FAILED: "#d64545",
    CallState.WAITING: "#d68a1f",
}
_BUSY_COLOUR = "#e0a100"  # authorizing, gathering, signaling, connecting, closing

_STAGE_WORDS = {
    "authorizing": "Authorizing",
    "gathering": "Preparing network",
    "signaling": "Contacting server",
    "connecting": "Connecting",
    "ice_connected": "network path found",
    "channel_open": "data channel open",
    "session_created": "session created",
    "session_ready": "session ready",
}
_MILESTONES = ("ice_connected", "channel_open", "session_created", "session_ready")


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def timings_text(durations_ms: dict[str, float], total_ms: float | None) -> str:
    """The tooltip of a connected call: time per setup stage, then connect milestones."""
    lines = [f"Connected in {total_ms:.0f} ms" if total_ms is not None else "Connected"]
    for stage in ("authorizing", "gathering", "signaling", "connecting"):
        if stage in durations_ms:
            lines.append(f"  {_STAGE_WORDS[stage]}: {durations_ms[stage]:.0f} ms")
    marks = [
        f"{_STAGE_WORDS[m]} at {durations_ms[m]:.0f} ms" for m in _MILESTONES if m in durations_ms
    ]
    if marks:
        lines.append("  (" + ", ".join(marks) + ")")
    return "\n".join(lines)


def failure_text(status: CallStatus) -> str:
    lines = [status.reason or "The call failed."]
    if status.stage is not None:
        lines.append(f"Failed while: {status.stage.label.lower()}")
    if status.details and status.details not in status.reason:
        lines.append(f"Details: {status.details}")
    return "\n".join(lines)


class _Dot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = QColor(_COLOURS[CallState.IDLE])
        self.setFixedSize(QSize(14, 14))

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colour)
        painter.drawEllipse(self.rect().adjusted(1, 1, -1, -1))


class StateIndicator(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = CallStatus(CallState.IDLE)
        self._since = time.monotonic()
        self._timings = ""
        self._dot = _Dot(self)
        self._label = QLabel(self)
        self._label.setObjectName("stateLabel")
        self._label.setTextFormat(Qt.TextFormat.PlainText)
        self._reason = QLabel(self)
        # A failure reason carries the server's words: shown, never rendered as HTML.
        self._reason.setTextFormat(Qt.TextFormat.PlainText)
        self._reason.setObjectName("stateReason")
        self._reason.setWordWrap(True)
        self._reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._reason.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._reason.hide()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(self._dot, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self._label, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 2, 4, 2)  # room for the focus ring
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self._reason)

        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # reachable by keyboard, read aloud
        self.setAccessibleName("Connection state")
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._refresh)
        self._refresh()

    # -- what the window tells it ---------------------------------------------------------

    def set_status(self, status: CallStatus) -> None:
        if status.state is not self.status.state:
            self._since = time.monotonic()
        self.status = status
        if status.state is not CallState.CONNECTED:
            self._timings = ""
        self._dot.colour = QColor(_COLOURS.get(status.state, _BUSY_COLOUR))
        self._dot.update()
        failed = status.state is CallState.FAILED
        explained = failed or (status.state is CallState.WAITING and bool(status.reason))
        self._reason.setText(plain(status.reason or "The call failed.", 600) if explained else "")
        self._reason.setVisible(explained)
        if status.state.is_active:
            self._tick.start()
        else:
            self._tick.stop()
        self._refresh()

    def set_timings(self, durations_ms: dict[str, float], total_ms: float | None) -> None:
        self._timings = timings_text(durations_ms, total_ms)
        self._refresh()

    def text(self) -> str:
        """Everything the indicator says, as one string (state, time, failure reason)."""
        parts = [self._label.text()]
        if self._reason.text():  # a failure, or why a retry is pending
            parts.append(self._reason.text())
        return "\n".join(p for p in parts if p)

    # -- drawing --------------------------------------------------------------------------

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        # A Tab stop shows it has focus (a plain QWidget draws nothing of its own).
        if self.hasFocus():
            painter = QPainter(self)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor("#1d4ed8"), 2))
            painter.drawRoundedRect(self.rect().adjusted(1, 1, -1, -1), 4, 4)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)
        self.update()

    def _refresh(self) -> None:
        state = self.status.state
        # While connected the assistant's state is shown beside the orb; here, the call.
        words = "In call" if state is CallState.CONNECTED else state.label
        if state.is_active:
            words += f" · {format_elapsed(time.monotonic() - self._since)}"
        self._label.setText(words)
        if state is CallState.FAILED or state is CallState.WAITING and self.status.reason:
            tip = failure_text(self.status)
        elif state is CallState.CONNECTED and self._timings:
            tip = self._timings
        elif state.is_active:
            tip = f"{state.label}…"
        else:
            tip = "Not connected. Choose a provider and press Connect."
        self.setToolTip(as_markup(tip))  # escaped: a tooltip would obey a server's tags
        self.setAccessibleDescription(plain(tip, 2000))
        # Only the words change every second; the accessible name carries the state.
        self.setAccessibleName(f"Connection state: {state.label}")
