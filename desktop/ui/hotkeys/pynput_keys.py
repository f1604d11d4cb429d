"""Windows and macOS: the global push-to-talk key through pynput.

pynput is a dependency on those platforms only (pyproject: sys_platform markers) and is
bundled there; on Linux its keyboard needs evdev (compiled) or X, which x11.py and the
portal cover. macOS asks for the Accessibility permission (System Settings ▸ Privacy &
Security ▸ Accessibility) the first time; until then no key arrives. Windows needs
nothing more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from desktop.ui.hotkeys.binding import Binding


class PynputKeys:
    """Windows and macOS, through pynput (not exercised on Linux CI)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        pressed: Callable[[], None],
        released: Callable[[], None],
    ) -> None:
        self._pressed = pressed
        self._released = released
        self._listener: Any = None

    async def start(self, binding: Binding) -> str | None:
        try:
            keyboard = await asyncio.to_thread(_import_pynput)
        except ImportError:
            return "The global push-to-talk key needs the pynput package on this system."
        names = {"ctrl": "ctrl", "control": "ctrl", "alt": "alt", "shift": "shift",
                 "meta": "cmd", "super": "cmd", "win": "cmd"}
        try:
            wanted = {getattr(keyboard.Key, names[m]) for m in binding.modifiers}
            key = getattr(keyboard.Key, binding.key, None)
            wanted.add(key if key is not None else keyboard.KeyCode.from_char(binding.key))
        except (AttributeError, ValueError) as exc:
            return f"The global push-to-talk key is not supported here ({exc})."
        down: set[Any] = set()
        state = {"held": False}

        def canonical(k: Any) -> Any:
            return self._listener.canonical(k) if self._listener is not None else k

        def on_press(k: Any) -> None:
            down.add(canonical(k))
            if not state["held"] and wanted <= down:
                state["held"] = True
                self._pressed()

        def on_release(k: Any) -> None:
            c = canonical(k)
            down.discard(c)
            if state["held"] and c in wanted:
                state["held"] = False
                self._released()

        self._listener = keyboard.Listener(on_press=on_press, on_release=on_release)
        self._listener.start()
        return None

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None


def _import_pynput() -> Any:
    from pynput import keyboard

    return keyboard
