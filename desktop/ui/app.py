"""Start the window: QApplication, one qasync loop for Qt and asyncio, logging, crash handler.

Start-up does nothing slow before the first paint: settings are a local file, the call
stack (aiortc, PortAudio) is imported in a worker thread afterwards, and the keyring is
first read in a worker thread too.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from desktop.core.secrets import KeyStore
    from desktop.core.settings.schema import AppSettings
    from desktop.core.talk.audio import AudioFactory
    from desktop.ui.main_window import MainWindow

log = logging.getLogger("talkline.ui")

# For benchmarks/startup.py: print "talkline-shown <monotonic>" after the first paint, quit.
EXIT_AFTER_SHOWN = "TALKLINE_EXIT_AFTER_SHOWN"


def run(args: argparse.Namespace, *, on_shown: Callable[[MainWindow], None] | None = None) -> int:
    """The window's main loop; returns the process exit code."""
    import qasync

    from desktop.ui.crash import CrashHandler
    from desktop.ui.gc_guard import MainThreadGc
    from desktop.ui.logs import configure_logging

    app = _application()
    collector = MainThreadGc(app)
    log_path = configure_logging(int(getattr(args, "verbose", 0) or 0))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    crash = CrashHandler(log_path, parent=app)
    crash.install(loop)

    window = build_window(loop)
    window.controller.warmed_up.connect(collector.freeze)
    crash.crashed.connect(lambda text: window.notices.show_notice(text, key="crash"))
    done = asyncio.Event()

    async def quit_app() -> None:
        await window.controller.shutdown()
        window.close()
        done.set()

    def quit_handler() -> None:
        window.controller.spawn(quit_app(), "quit")

    window.quit_handler = quit_handler
    app.aboutToQuit.connect(done.set)
    _handle_signals(window)
    if os.environ.get(EXIT_AFTER_SHOWN):

        def report(w: MainWindow) -> None:
            print(f"talkline-shown {time.monotonic():.6f}", flush=True)
            w.request_quit()

        on_shown = report
    if on_shown is not None:
        window.shown_first.connect(lambda: on_shown(window))
    window.show()
    with loop:
        loop.run_until_complete(done.wait())
    collector.stop()
    return 0


def _application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Talkline")
    app.setOrganizationName("Talkline")
    app.setApplicationDisplayName("Talkline")
    app.setDesktopFileName("talkline")
    app.setQuitOnLastWindowClosed(False)  # quitting goes through the controller's shutdown
    from desktop.ui.icons import app_icon

    app.setWindowIcon(app_icon())
    return app


def build_window(
    loop: asyncio.AbstractEventLoop,
    *,
    settings: AppSettings | None = None,
    keystore: KeyStore | None = None,
    audio_factory: AudioFactory | None = None,
    persist: bool = True,
    global_hotkey: bool = True,
) -> MainWindow:
    """The main window with its controller; tests and scripts pass their own parts."""
    from desktop.core.pricing import BUILTIN_PRICES, PriceTable
    from desktop.core.talk.audio import default_audio
    from desktop.ui.controller import CallController
    from desktop.ui.global_hotkey import GlobalHotkey
    from desktop.ui.main_window import MainWindow

    problems: list[str] = []
    save: Callable[[AppSettings], object] | None = None
    if settings is None:
        settings, problems, save = _load_settings()
    if not persist:
        save = None
    prices = PriceTable.load(BUILTIN_PRICES, _config_folder() / "prices.json")
    controller = CallController(
        settings,
        keystore,  # None: made on first use, off the loop
        loop,
        prices=prices,
        audio_factory=audio_factory or default_audio,
    )
    window = MainWindow(
        controller,
        save_settings=save,
        settings_problems=problems + [f"prices: {p}" for p in prices.problems],
    )
    if global_hotkey:
        window.hotkey = GlobalHotkey(
            loop, lambda: window.ptt.hold("global"), lambda: window.ptt.let_go("global")
        )
    return window


def _load_settings() -> tuple[AppSettings, list[str], Callable[[AppSettings], object] | None]:
    from desktop.core.settings.schema import AppSettings
    from desktop.ui.settings_store import load_settings, save_settings

    try:
        settings, problems = load_settings()
    except Exception:  # the store's own bug must not keep the window from opening
        log.exception("loading settings failed")
        return AppSettings(), ["could not be read; using defaults"], save_settings
    return settings, problems, save_settings


def _config_folder() -> Path:
    location = QStandardPaths.StandardLocation.AppConfigLocation
    return Path(QStandardPaths.writableLocation(location) or Path.home() / ".talkline")


def _handle_signals(window: MainWindow) -> None:
    """Ctrl+C / SIGTERM quit cleanly; a timer lets Python see signals while Qt waits."""

    def on_signal(_signum: int, _frame: object) -> None:
        window.request_quit(ask=False)

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(signum, on_signal)
        except (ValueError, OSError):  # not the main thread, or not supported here
            pass
    timer = QTimer(window)
    timer.start(500)
    timer.timeout.connect(lambda: None)
