"""The mouse wheel changes a field only when the field has focus.

Spin boxes, combo boxes and sliders take wheel events by default, so scrolling a long
settings page changed whatever value passed under the pointer (VAD threshold 0.50 → 0.10).
Guarded fields take focus by click or Tab only, and hand the wheel to the page (which
scrolls) until they have focus.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDial,
    QSlider,
    QWidget,
)

_GUARDED = (QAbstractSpinBox, QComboBox, QSlider, QDial)  # not scroll bars: they scroll


class WheelGuard(QObject):
    """One filter shared by every guarded field below a widget."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        wheel = event.type() == QEvent.Type.Wheel
        if wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            # The page scrolls instead. Handed over here: Qt passes a wheel event on to the
            # parents only when it came from the window system.
            area = _scroll_area_above(watched)
            if area is not None:
                QApplication.sendEvent(area.verticalScrollBar(), event.clone())
            return True
        return False


def _scroll_area_above(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


def guard_wheel(root: QWidget) -> WheelGuard:
    """Guard every spin box, combo box and slider below `root` (call after building it)."""
    guard = WheelGuard(root)
    for kind in _GUARDED:
        for field in root.findChildren(kind):
            guard_field(field, guard)
    return guard


def guard_field(field: QWidget, guard: WheelGuard) -> None:
    if field.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a wheel turn must not focus it
    field.installEventFilter(guard)
