"""The one seam for global push-to-talk: which backend this desktop gets, and its interface.

- X11 (Linux, BSD): ``XGrabKey`` through python-xlib (x11.py).
- Wayland: the XDG GlobalShortcuts portal over D-Bus (portal.py); the compositor asks the
  user to confirm the key and reports press (Activated) and release (Deactivated).
- Windows and macOS: pynput (pynput_keys.py), a platform-conditional dependency; macOS
  asks for the Accessibility permission.

``choose()`` is pure (platform and environment in, a name or a sentence out) so the
choice is tested here for the platforms the tests cannot run on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from desktop.ui.hotkeys.binding import Binding

BackendName = Literal["x11", "portal", "pynput"]


class HotkeyBackend(Protocol):
    """Calls ``pressed``/``released`` (from any thread: they are thread-safe) while held."""

    async def start(self, binding: Binding) -> str | None:
        """Start listening; None on success, else a sentence for the user."""
        ...

    def stop(self) -> None: ...


BackendFactory = Callable[
    [asyncio.AbstractEventLoop, Callable[[], None], Callable[[], None]], HotkeyBackend
]


@dataclass(frozen=True)
class Choice:
    backend: BackendName | None
    reason: str | None = None  # why there is none


def choose(platform: str, env: Mapping[str, str]) -> Choice:
    """The backend for ``sys.platform`` and the environment (XDG_SESSION_TYPE, ...)."""
    if platform in ("win32", "darwin"):
        return Choice("pynput")
    wayland = env.get("XDG_SESSION_TYPE") == "wayland" or bool(env.get("WAYLAND_DISPLAY"))
    if wayland:
        # XGrabKey under XWayland only sees keys while an X window has focus: useless
        # for a background key, so Wayland always goes through the portal.
        if not env.get("DBUS_SESSION_BUS_ADDRESS") and not env.get("XDG_RUNTIME_DIR"):
            return Choice(None, "There is no D-Bus session here, so no global "
                                "push-to-talk key. Hold the window key instead.")
        return Choice("portal")
    if env.get("DISPLAY"):
        return Choice("x11")
    return Choice(None, "No X11 display, so there is no global push-to-talk key.")


def factory(name: BackendName) -> BackendFactory:
    """The backend class for a name (imported only when chosen)."""
    if name == "x11":
        from desktop.ui.hotkeys.x11 import XGrab

        return XGrab
    if name == "portal":
        from desktop.ui.hotkeys.portal import PortalShortcut

        return PortalShortcut
    from desktop.ui.hotkeys.pynput_keys import PynputKeys

    return PynputKeys
