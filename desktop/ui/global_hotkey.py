"""A push-to-talk key that works while Talkline is in the background, where the OS allows.

The platform code sits behind one seam (desktop/ui/hotkeys/backend.py): X11 grabs the
key (XGrabKey), Wayland asks the XDG GlobalShortcuts portal, Windows and macOS use
pynput. Where none can work, ``start`` returns a sentence the window shows. Presses and
releases reach the loop through ``call_soon_threadsafe`` (backends may call from a
thread of their own).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Mapping

from desktop.ui.hotkeys.backend import BackendFactory, HotkeyBackend, choose, factory
from desktop.ui.hotkeys.binding import Binding

log = logging.getLogger("talkline.ui.hotkey")

__all__ = ["Binding", "GlobalHotkey", "unavailable_reason"]


def unavailable_reason(
    platform: str | None = None, env: Mapping[str, str] | None = None
) -> str | None:
    """Why there can be no global hotkey on this desktop, or None if it can be tried."""
    return choose(platform or sys.platform, os.environ if env is None else env).reason


class GlobalHotkey:
    """Calls ``on_press`` / ``on_release`` on the loop while the binding is held."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_press: Callable[[], None],
        on_release: Callable[[], None],
        backend: BackendFactory | None = None,
    ) -> None:
        self._loop = loop
        self._on_press = on_press
        self._on_release = on_release
        self._factory = backend  # None: chosen for this platform at start
        self._backend: HotkeyBackend | None = None
        self.binding: str = ""
        self.backend_name: str = ""

    @property
    def active(self) -> bool:
        return self._backend is not None

    async def start(self, binding: str) -> str | None:
        """Listen for ``binding``; returns None on success, else a sentence saying why not."""
        self.stop()
        if not binding.strip():
            return "No global push-to-talk key is set."
        make = self._factory
        name = "custom"
        if make is None:
            choice = choose(sys.platform, os.environ)
            if choice.backend is None:
                return choice.reason
            make, name = factory(choice.backend), choice.backend
        try:
            parsed = Binding.parse(binding)
        except ValueError as exc:
            return f"The global push-to-talk key {binding!r} is not valid ({exc})."
        backend = make(self._loop, self._pressed, self._released)
        problem = await backend.start(parsed)
        if problem is None:
            self._backend = backend
            self.binding = binding
            self.backend_name = name
        return problem

    def stop(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.stop()

    # may be called from a backend's thread
    def _pressed(self) -> None:
        self._loop.call_soon_threadsafe(self._on_press)

    def _released(self) -> None:
        self._loop.call_soon_threadsafe(self._on_release)
