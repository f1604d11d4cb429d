"""The last line of defence: exceptions nobody caught are logged and shown as one sentence.

Covers `sys.excepthook` (Qt slots), `threading.excepthook` and the asyncio loop's
exception handler. The user sees the kind of problem and where the log is, never a
traceback, never an exception message (which could quote a key or a URL).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("talkline.crash")

QUIET_SECONDS = 10.0  # one message per burst, not one per repeated failure
# Noise from network libraries while a connection goes down: logged, not shown.
_BACKGROUND_NOISE = (ConnectionError, TimeoutError, asyncio.CancelledError)


class CrashHandler(QObject):
    crashed = Signal(str)  # a sentence for the window

    def __init__(self, log_path: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_path = log_path
        self._last_told = 0.0
        self.count = 0

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook
        loop.set_exception_handler(self._loop_handler)

    def message(self, exc: BaseException) -> str:
        where = f" Details are in the log: {self.log_path}" if self.log_path else ""
        return (
            f"Something went wrong inside Talkline ({type(exc).__name__}); it kept running. "
            f"If things misbehave, restart it.{where}"
        )

    def _excepthook(
        self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.critical("uncaught exception", exc_info=(kind, exc, tb))
        self._tell(exc)

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        log.critical(
            "uncaught exception in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
        # Qt objects may only be touched on the main thread; the signal is queued.
        self._tell(args.exc_value)

    def _loop_handler(self, _loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = context.get("message", "asyncio error")
        if exc is None:
            log.error("asyncio: %s", message)
            return
        if isinstance(exc, _BACKGROUND_NOISE):
            log.warning("asyncio: %s (%s)", message, type(exc).__name__, exc_info=exc)
            return
        log.error("asyncio: %s", message, exc_info=exc)
        self._tell(exc)

    def _tell(self, exc: BaseException) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self._last_told < QUIET_SECONDS:
            return
        self._last_told = now
        try:
            self.crashed.emit(self.message(exc))
        except RuntimeError:  # the window is already gone at exit
            pass
