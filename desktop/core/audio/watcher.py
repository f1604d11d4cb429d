"""Tells the audio path when devices come and go, so a vanished one can be replaced.

With a Pulse server the server announces changes (`pactl subscribe`); the lists are read
again off the loop and handed back to it. Without one, PortAudio cannot re-enumerate while
streams are open; there a vanished device shows as a stream that stops (`channel.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from desktop.core.audio import devices, pactl

log = logging.getLogger("talkline.audio")

DEBOUNCE_S = 0.1  # one unplug is several server events: read the lists once


class DeviceWatcher:
    def __init__(self, on_change: Callable[[set[str], set[str]], None]) -> None:
        """`on_change(input_names, output_names)` runs on the loop."""
        self._on_change = on_change
        self._events: pactl.PulseEvents | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def start(self) -> bool:
        self._loop = asyncio.get_running_loop()
        if devices.backend() != "pulse":
            return False
        self._events = pactl.PulseEvents(self._changed)
        return self._events.start()

    def stop(self) -> None:
        if self._events is not None:
            self._events.stop()
            self._events = None
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _changed(self) -> None:
        with self._lock:
            if self._timer is None and self._events is not None:
                self._timer = threading.Timer(DEBOUNCE_S, self._relist)
                self._timer.daemon = True
                self._timer.start()

    def _relist(self) -> None:
        with self._lock:
            self._timer = None
        try:
            inputs, outputs = devices.names("input"), devices.names("output")
        except Exception as exc:
            log.warning("could not list devices: %s", exc)
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._on_change, inputs, outputs)
