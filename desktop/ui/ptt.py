"""Push-to-talk from the keyboard: the window key (default Space) and the global binding.

The window key works while a Talkline window is active and a text field does not have
focus (Space there types a space). It only acts while a call is connected; otherwise
Space keeps its usual meaning (pressing the focused button). Auto-repeat is ignored; the
engine drops presses shorter than 150 ms. Holders are counted, so the window key and the
global key held together make one turn.

With Space reserved for talking, Enter and Return press the focused button instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

log = logging.getLogger("talkline.ui.ptt")

_KEY_EVENTS = (QEvent.Type.KeyPress, QEvent.Type.KeyRelease)
_IGNORED_MODIFIERS = Qt.KeyboardModifier.KeypadModifier


def parse_key(text: str) -> tuple[int, Qt.KeyboardModifier] | None:
    """A Qt key sequence like "Space" or "F9" → (key, modifiers); None if unusable."""
    sequence = QKeySequence.fromString(text, QKeySequence.SequenceFormat.PortableText)
    if sequence.count() != 1:
        return None
    combo = sequence[0]
    key = combo.key()
    if key in (Qt.Key.Key_unknown, 0):
        return None
    return int(key.value) if hasattr(key, "value") else int(key), combo.keyboardModifiers()


def takes_text(widget: QWidget | None) -> bool:
    """Widgets where Space must type a space."""
    if isinstance(widget, QLineEdit | QAbstractSpinBox):
        return True
    if isinstance(widget, QTextEdit | QPlainTextEdit):
        return not widget.isReadOnly()
    return isinstance(widget, QComboBox) and widget.isEditable()


class PushToTalk(QObject):
    def __init__(
        self,
        press: Callable[[], None],
        release: Callable[[], None],
        enabled: Callable[[], bool],
        window: QWidget,
        key: str = "Space",
    ) -> None:
        super().__init__(window)
        self._press = press
        self._release = release
        self._enabled = enabled
        self._window = window
        self._holders: set[str] = set()
        self._key: tuple[int, Qt.KeyboardModifier] | None = None
        self.key_text = ""
        self.set_key(key)

    # -- configuration --------------------------------------------------------------------

    def set_key(self, key: str) -> bool:
        parsed = parse_key(key)
        if parsed is None:
            log.warning("push-to-talk key %r is not usable; using Space", key)
            parsed = parse_key("Space")
            key = "Space"
        self._key = parsed
        self.key_text = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
        return parsed is not None

    def install(self) -> None:
        """Watch key events application-wide (buttons would otherwise eat Space)."""
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def uninstall(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    # -- holding --------------------------------------------------------------------------

    @property
    def held(self) -> bool:
        return bool(self._holders)

    def hold(self, source: str) -> None:
        first = not self._holders
        self._holders.add(source)
        if first:
            self._press()

    def let_go(self, source: str) -> None:
        if source not in self._holders:
            return
        self._holders.discard(source)
        if not self._holders:
            self._release()

    def reset(self) -> None:
        """The call ended: forget what was held without sending anything."""
        self._holders.clear()

    # -- key events -----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.WindowDeactivate and watched is self._window:
            self.let_go("window")  # a release we will never see must not leave the mic open
            return False
        if kind not in _KEY_EVENTS or not isinstance(event, QKeyEvent):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._window:
            return False
        return self._on_key(watched, event, kind == QEvent.Type.KeyPress)

    def _on_key(self, widget: QWidget, event: QKeyEvent, pressed: bool) -> bool:
        key = event.key()
        if pressed and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if isinstance(widget, QAbstractButton) and widget.isEnabled():
                widget.animateClick()
                return True
            return False
        if self._key is None or int(key) != self._key[0]:
            return False
        if not pressed and "window" in self._holders:
            if not event.isAutoRepeat():
                self.let_go("window")
            return True
        if takes_text(widget) or not self._enabled():
            return False
        modifiers = event.modifiers() & ~_IGNORED_MODIFIERS
        if pressed and modifiers != self._key[1]:
            return False
        if event.isAutoRepeat():
            return True  # the key is still down: nothing new to say
        if pressed:
            self.hold("window")
        return True
