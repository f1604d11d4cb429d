"""Push-to-talk from the keyboard: the window key (default Space) and the global binding.

The window key works while a Talkline window is active and a text field does not have
focus (Space there types a space). It only acts while a call is connected; otherwise
Space keeps its usual meaning (pressing the focused button). Holders are counted, so the
window key and the global key held together make one turn; the engine drops presses
shorter than 150 ms (the window says so).

Held is what the keyboard says, not what event timing suggests: on X11 a release is only
believed when the X server says the key is up (desktop/ui/hotkeys/keystate.py: Qt's own
auto-repeat flag is unreliable there on a busy machine, and a repeat taken for a release
ended the turn 25 times a second), and a press only when the key is down (a repeat's
press still queued after the turn was sent must not start another). While held, the key
is also checked every ``POLL_MS``, and the hold ends when the window is deactivated or
hidden, so no lost release can leave the microphone open.

With Space reserved for talking, Enter and Return press the focused button instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
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

from desktop.core.call.turns import TurnState
from desktop.ui.hotkeys.keystate import KeyState, key_state_for

log = logging.getLogger("talkline.ui.ptt")

_KEY_EVENTS = (QEvent.Type.KeyPress, QEvent.Type.KeyRelease)
_IGNORED_MODIFIERS = Qt.KeyboardModifier.KeypadModifier
_LOST_FOCUS = (QEvent.Type.WindowDeactivate, QEvent.Type.Hide)
POLL_MS = 100  # while held: a release we never see ends the turn within this


def parse_key(text: str) -> tuple[int, Qt.KeyboardModifier] | None:
    """A Qt key sequence like "Space" or "F9" → (key, modifiers); None if unusable."""
    sequence = QKeySequence.fromString(text, QKeySequence.SequenceFormat.PortableText)
    if sequence.count() != 1:
        return None
    combo = sequence[0]  # type: ignore[index]  # QKeySequence has operator[]; stubs miss it
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
        key_state: KeyState | Literal["auto"] | None = "auto",
    ) -> None:
        super().__init__(window)
        self._press = press
        self._release = release
        self._enabled = enabled
        self._window = window
        self._holders: set[str] = set()
        # "auto": ask the window system where Qt's auto-repeat flag cannot be trusted.
        self._key_state: KeyState | None = (
            key_state_for(QGuiApplication.platformName())
            if isinstance(key_state, str)
            else key_state
        )
        self._native_key: int | None = None  # the held key's native code, for the probe
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_still_down)
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
        self._poll.stop()
        if self._key_state is not None:
            self._key_state.close()
            self._key_state = None

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
        if source == "window":
            self._poll.stop()
            self._native_key = None
        if not self._holders:
            self._release()

    def reset(self) -> None:
        """The call ended: forget what was held without sending anything."""
        self._holders.clear()
        self._poll.stop()
        self._native_key = None

    def _physically_down(self) -> bool | None:
        if self._key_state is None or self._native_key is None:
            return None
        return self._key_state.is_down(self._native_key)

    def _check_still_down(self) -> None:
        if "window" in self._holders and self._physically_down() is False:
            log.debug("the push-to-talk key is up though no release arrived")
            self.let_go("window")

    # -- key events -----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind in _LOST_FOCUS and watched is self._window:
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
            # X11: a repeat's release often comes without Qt's auto-repeat flag: the X
            # server's key state says whether the finger really left the key.
            if not event.isAutoRepeat() and not self._physically_down():
                self.let_go("window")
            return True
        if takes_text(widget) or not self._enabled():
            return False
        modifiers = event.modifiers() & ~_IGNORED_MODIFIERS
        if pressed and modifiers != self._key[1]:
            return False
        if event.isAutoRepeat():
            return True  # the key is still down: nothing new to say
        if pressed and "window" not in self._holders:
            self._native_key = event.nativeScanCode() or None
            if self._physically_down() is False:
                # A stale press (a repeat's, still queued when the key was let go and the
                # turn sent): the key is up now, so this is no new turn.
                self._native_key = None
                return True
            self.hold("window")
            if self._key_state is not None and self._native_key is not None:
                self._poll.start()
        return True


def sound_cue(audio: object, listening: bool) -> bool:
    """The push-to-talk blip through the call's audio path (AudioPath.play_cue); False
    where there is no speaker. Duck-typed: the audio path is imported after first paint."""
    play = getattr(audio, "play_cue", None)
    if play is None:
        return False
    from desktop.core.audio.cue import press_cue, release_cue

    return bool(play(press_cue() if listening else release_cue()))


class Listening(QObject):
    """Whether the microphone is open for a held key: the one answer the window's
    "● Listening" badge and the tray's red dot both show, so they cannot disagree.

    It follows the turn state (push-to-talk: held and not muted) and the held unmute
    (voice-activity turns: the key lifts Mute while held); a call that ends clears both.
    """

    changed = Signal(bool)
    short_press = Signal()  # a tap under the engine's minimum: nothing was sent

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._turns = False
        self._held_unmute = False
        self._short_presses = 0
        self.value = False

    def on_turns(self, turns: TurnState | None) -> None:
        self._turns = turns is not None and turns.listening
        if turns is not None and turns.short_presses > self._short_presses:
            self.short_press.emit()
        self._short_presses = 0 if turns is None else turns.short_presses
        self._apply()

    def on_held_unmute(self, held: bool) -> None:
        self._held_unmute = held
        self._apply()

    def _apply(self) -> None:
        value = self._turns or self._held_unmute
        if value != self.value:
            self.value = value
            self.changed.emit(value)
