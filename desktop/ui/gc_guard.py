"""Python's cyclic garbage collector runs on the Qt thread only.

Left alone, the collector runs in whichever thread happens to allocate: a PortAudio
callback, the keyring worker, the hotkey thread. If it frees a Qt object there, Qt
crashes (objects must die in their own thread). CPython 3.11 also shares its compiler's
recursion counter between threads, and a collection in the middle of a compile (every
dataclass does one) can corrupt it. So automatic collection is switched off, and a
frequent timer collects on the Qt thread instead, by Python's own thresholds: small,
frequent collections (a rare large one would stall the window for 100+ ms).

After start-up (`freeze`), everything alive so far (modules, classes, Qt wrappers) moves
to the permanent generation, so full collections only walk what calls created.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger("talkline.ui.gc")

INTERVAL_MS = 20


class MainThreadGc(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_if_due)
        self.frozen = False
        gc.disable()
        self._timer.start()

    def collect_if_due(self) -> int:
        """Collect the generations Python would have collected by now; returns how many
        objects were freed."""
        t0, t1, t2 = self._thresholds
        c0, c1, c2 = gc.get_count()
        if c0 <= t0:
            return 0
        generation = 2 if c2 > t2 else 1 if c1 > t1 else 0
        return gc.collect(generation)

    def freeze(self) -> None:
        """Once, when start-up is over: keep the long-lived out of every later collection."""
        if self.frozen:
            return
        self.frozen = True
        gc.collect()
        gc.freeze()
        log.info("gc: %d start-up objects frozen", gc.get_freeze_count())

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()
