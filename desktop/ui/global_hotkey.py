"""A push-to-talk key that works while Talkline is in the background, where the OS allows.

- X11 (Linux, BSD): the native way, ``XGrabKey`` on the root window through python-xlib
  (pure Python). Only our one combination is grabbed: no keystroke logging. X sends
  auto-repeat as release+press pairs with the same timestamp; those pairs are dropped.
- Wayland: not possible. The compositor does not let an application see keys while
  another application has focus; the window key still works.
- Windows and macOS: pynput when it is installed (macOS asks for the Accessibility
  permission).

Everything X-related runs in one worker thread (python-xlib is not thread-safe); presses
and releases reach the loop through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("talkline.ui.hotkey")

AUTOREPEAT_WAIT_S = 0.02  # a repeat's press follows its release at once
_X_MODIFIERS = {"ctrl": "ControlMask", "control": "ControlMask", "alt": "Mod1Mask",
                "shift": "ShiftMask", "meta": "Mod4Mask", "super": "Mod4Mask",
                "win": "Mod4Mask"}
_X_KEYSYMS = {"space": "space", "enter": "Return", "return": "Return", "tab": "Tab",
              "esc": "Escape", "escape": "Escape", "backspace": "BackSpace", "pause": "Pause",
              "scrolllock": "Scroll_Lock", "insert": "Insert", "ins": "Insert",
              "home": "Home", "end": "End", "pgup": "Prior", "pgdown": "Next"}


@dataclass(frozen=True)
class Binding:
    modifiers: tuple[str, ...]  # lower-case: ctrl, alt, shift, meta
    key: str  # lower-case: space, f9, a

    @classmethod
    def parse(cls, text: str) -> Binding:
        """``"Ctrl+Alt+Space"`` → Binding(("ctrl", "alt"), "space"). Raises ValueError."""
        parts = [p.strip().lower() for p in text.replace(" ", "").split("+")]
        if text.strip().endswith("++"):  # "Ctrl++": the plus key itself
            parts = [p for p in parts if p] + ["plus"]
        if not parts or not parts[-1]:
            raise ValueError(f"no key in {text!r}")
        *mods, key = parts
        unknown = [m for m in mods if m not in _X_MODIFIERS]
        if unknown:
            raise ValueError(f"unknown modifier {unknown[0]!r} in {text!r}")
        return cls(tuple(mods), key)

    def x_keysym(self) -> str:
        if self.key in _X_KEYSYMS:
            return _X_KEYSYMS[self.key]
        if len(self.key) > 1 and self.key[0] == "f" and self.key[1:].isdigit():
            return self.key.upper()
        return self.key


def unavailable_reason() -> str | None:
    """Why there can be no global hotkey on this desktop, or None if it can be tried."""
    if sys.platform in ("win32", "darwin"):
        return None
    if os.environ.get("XDG_SESSION_TYPE") == "wayland" or (
        os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY")
    ):
        return (
            "Wayland does not let applications see keys while they are in the background, "
            "so there is no global push-to-talk key here. Hold the window key instead."
        )
    if not os.environ.get("DISPLAY"):
        return "No X11 display, so there is no global push-to-talk key."
    return None


class GlobalHotkey:
    """Calls ``on_press`` / ``on_release`` on the loop while the binding is held."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_press: Callable[[], None],
        on_release: Callable[[], None],
    ) -> None:
        self._loop = loop
        self._on_press = on_press
        self._on_release = on_release
        self._backend: _XGrab | _Pynput | None = None
        self.binding: str = ""

    @property
    def active(self) -> bool:
        return self._backend is not None

    async def start(self, binding: str) -> str | None:
        """Grab ``binding``; returns None on success, else a sentence saying why not."""
        self.stop()
        if not binding.strip():
            return "No global push-to-talk key is set."
        reason = unavailable_reason()
        if reason:
            return reason
        try:
            parsed = Binding.parse(binding)
        except ValueError as exc:
            return f"The global push-to-talk key {binding!r} is not valid ({exc})."
        backend: _XGrab | _Pynput
        backend = _Pynput(self) if sys.platform in ("win32", "darwin") else _XGrab(self)
        problem = await backend.start(parsed)
        if problem is None:
            self._backend = backend
            self.binding = binding
        return problem

    def stop(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.stop()

    # called from the worker thread
    def _pressed(self) -> None:
        self._loop.call_soon_threadsafe(self._on_press)

    def _released(self) -> None:
        self._loop.call_soon_threadsafe(self._on_release)


class _XGrab:
    def __init__(self, owner: GlobalHotkey) -> None:
        self._owner = owner
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._stopped = False

    async def start(self, binding: Binding) -> str | None:
        ready: asyncio.Future[str | None] = self._owner._loop.create_future()

        def report(problem: str | None) -> None:
            self._owner._loop.call_soon_threadsafe(
                lambda: ready.done() or ready.set_result(problem)
            )

        self._thread = threading.Thread(
            target=self._run, args=(binding, report), name="talkline-hotkey", daemon=True
        )
        self._thread.start()
        problem = await ready
        if problem is not None:
            self.stop()
        return problem

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(OSError):
            os.write(self._stop_w, b"x")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        for fd in (self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _run(self, binding: Binding, report: Callable[[str | None], None]) -> None:
        try:
            from Xlib import XK, X, display, error
        except ImportError:
            report("The global push-to-talk key needs the python-xlib package.")
            return
        try:
            dpy = display.Display()
        except Exception as exc:  # DisplayError and friends: no X server after all
            report(f"Could not reach the X display ({exc.__class__.__name__}).")
            return
        try:
            keycode = dpy.keysym_to_keycode(XK.string_to_keysym(binding.x_keysym()))
            if not keycode:
                report(f"This keyboard has no {binding.key!r} key.")
                return
            mask = 0
            for name in binding.modifiers:
                mask |= getattr(X, _X_MODIFIERS[name])
            root = dpy.screen().root
            catch = error.CatchError(error.BadAccess)
            # Grab with and without Caps Lock / Num Lock, or those would break the binding.
            variants = [mask | extra for extra in (0, X.LockMask, X.Mod2Mask,
                                                   X.LockMask | X.Mod2Mask)]
            for mods in variants:
                root.grab_key(keycode, mods, True, X.GrabModeAsync, X.GrabModeAsync,
                              onerror=catch)
            dpy.sync()
            if catch.get_error() is not None:
                report("Another program already uses this key combination; choose another "
                       "global push-to-talk key in Settings.")
                return
            report(None)
            self._loop(dpy, keycode, X)
        except error.ConnectionClosedError:
            log.warning("the X display went away; no global push-to-talk key any more")
        except Exception:
            log.exception("global hotkey thread failed")
            report("The global push-to-talk key stopped working (see the log).")
        finally:
            with contextlib.suppress(Exception):
                dpy.close()

    def _loop(self, dpy: Any, keycode: int, X: Any) -> None:  # noqa: N803 - the Xlib module
        held = False
        queue: deque[Any] = deque()

        def next_event(timeout: float | None) -> Any:
            if queue:
                return queue.popleft()
            if not dpy.pending_events():
                ready, _, _ = select.select([dpy.fileno(), self._stop_r], [], [], timeout)
                if self._stop_r in ready:
                    raise _Stopped
                if not ready and not dpy.pending_events():
                    return None
            return dpy.next_event()

        try:
            while True:
                try:
                    event = next_event(None)
                except Exception:
                    if held:  # the display went away mid-turn: end the turn
                        self._owner._released()
                    raise
                if event is None or getattr(event, "detail", None) != keycode:
                    continue
                if event.type == X.KeyPress and not held:
                    held = True
                    self._owner._pressed()
                elif event.type == X.KeyRelease and held:
                    following = next_event(AUTOREPEAT_WAIT_S)
                    if (
                        following is not None
                        and following.type == X.KeyPress
                        and getattr(following, "detail", None) == keycode
                        and following.time == event.time
                    ):
                        continue  # auto-repeat: the key is still down
                    if following is not None:
                        queue.append(following)
                    held = False
                    self._owner._released()
        except _Stopped:
            if held:
                self._owner._released()


class _Stopped(Exception):
    pass


class _Pynput:
    """Windows and macOS, through pynput if it is installed (not exercised on Linux CI)."""

    def __init__(self, owner: GlobalHotkey) -> None:
        self._owner = owner
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
                self._owner._pressed()

        def on_release(k: Any) -> None:
            c = canonical(k)
            down.discard(c)
            if state["held"] and c in wanted:
                state["held"] = False
                self._owner._released()

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
