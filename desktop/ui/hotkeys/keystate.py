"""Whether a key is physically down right now, asked of the window system.

Qt on X11 (xcb) marks a release as auto-repeat only if the repeat's press is already in
its event queue when the release is handled. X sends the pair together, but Qt's reader
thread may not have queued the press yet, and on a busy machine it often has not: the
repeat then looks like a real release followed by a new press, 25 times a second. The X
server knows better: a repeat's release and press are applied in one step, so a
``QueryKeymap`` made after receiving the release sees the key still down, and a real
release sees it up. One round trip to the local server, only when a release arrives.

Wayland, Windows and macOS report auto-repeat exactly (the repeat flag comes with the
event), so there is no probe there: Qt's ``isAutoRepeat()`` is the truth.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger("talkline.ui.keystate")


class KeyState(Protocol):
    def is_down(self, native_key: int) -> bool | None:
        """True/False for the key with this native code (X keycode), None if unknown."""
        ...

    def close(self) -> None: ...


class X11KeyState:
    """``XQueryKeymap`` on a connection of our own (python-xlib is not Qt's connection)."""

    def __init__(self, dpy: Any) -> None:
        self._dpy: Any = dpy

    @classmethod
    def open(cls, display: str | None = None) -> X11KeyState | None:
        try:
            from Xlib import display as xdisplay

            return cls(xdisplay.Display(display))
        except Exception as exc:  # no X server after all, or no python-xlib on this system
            log.warning("cannot ask X for the key state (%s); trusting Qt's auto-repeat", exc)
            return None

    def is_down(self, native_key: int) -> bool | None:
        if self._dpy is None or not 8 <= native_key <= 255:
            return None
        try:
            keys = self._dpy.query_keymap()
        except Exception as exc:  # the X connection went away
            log.warning("key state query failed (%s)", exc)
            self.close()
            return None
        return bool(keys[native_key // 8] & (1 << (native_key % 8)))

    def close(self) -> None:
        dpy, self._dpy = self._dpy, None
        if dpy is not None:
            try:
                dpy.close()
            except Exception as exc:  # already gone
                log.debug("closing the key state connection: %s", exc)


def key_state_for(platform_name: str) -> KeyState | None:
    """The probe for Qt's platform plugin ("xcb", "wayland", "windows", "cocoa", ...)."""
    if platform_name == "xcb":
        return X11KeyState.open()
    return None
