"""X11 (Linux, BSD): the global push-to-talk key through ``XGrabKey`` on the root window.

python-xlib (pure Python). Only our one combination is grabbed: no keystroke logging. X
sends auto-repeat as release+press pairs with the same timestamp; those pairs are
dropped. Everything X-related runs in one worker thread (python-xlib is not
thread-safe); ``pressed``/``released`` are called from it (the owner makes them
thread-safe).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from desktop.ui.hotkeys.binding import Binding

log = logging.getLogger("talkline.ui.hotkey")

AUTOREPEAT_WAIT_S = 0.02  # a repeat's press follows its release at once
X_MODIFIER_MASKS = {"ctrl": "ControlMask", "control": "ControlMask", "alt": "Mod1Mask",
                    "shift": "ShiftMask", "meta": "Mod4Mask", "super": "Mod4Mask",
                    "win": "Mod4Mask"}


class XGrab:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        pressed: Callable[[], None],
        released: Callable[[], None],
    ) -> None:
        self._aio_loop = loop
        self._pressed = pressed
        self._released = released
        self._stop_r, self._stop_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._stopped = False

    async def start(self, binding: Binding) -> str | None:
        ready: asyncio.Future[str | None] = self._aio_loop.create_future()

        def report(problem: str | None) -> None:
            def settle() -> None:
                if not ready.done():
                    ready.set_result(problem)

            self._aio_loop.call_soon_threadsafe(settle)

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
                mask |= getattr(X, X_MODIFIER_MASKS[name])
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
                        self._released()
                    raise
                if event is None or getattr(event, "detail", None) != keycode:
                    continue
                if event.type == X.KeyPress and not held:
                    held = True
                    self._pressed()
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
                    self._released()
        except _Stopped:
            if held:
                self._released()


class _Stopped(Exception):
    pass
