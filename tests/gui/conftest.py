"""pytest-qt with one qasync loop per test, offscreen.

The window runs on a `qasync.QEventLoop` (Qt and asyncio on one thread). Each test gets
one made with ``already_running=True``: asyncio sees it running for the whole test, and
every Qt event processing (qtbot's waits, pytest-qt's own processEvents between phases,
QTest input) runs its callbacks, as ``QApplication.exec`` does in the app. Tests are
plain functions: `gui.run(coro)`, `gui.until(predicate, what)`, `gui.pause(seconds)`.
(Stopping and restarting ``run_until_complete`` instead breaks: pytest-qt processes
events between phases, and asyncio callbacks fired then find no running loop.)
"""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything imports Qt
os.environ.pop("DISPLAY", None)  # the global hotkey tests set their own (Xvfb)

import asyncio  # noqa: E402
import gc  # noqa: E402
from collections.abc import Callable, Coroutine, Iterator  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import pytest  # noqa: E402
import qasync  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop.core.call.retry import RetryPolicy  # noqa: E402
from desktop.core.secrets import KeyStore  # noqa: E402
from desktop.core.settings.schema import AppSettings  # noqa: E402
from desktop.core.talk.audio import AudioFactory, no_audio  # noqa: E402
from desktop.ui.app import build_window  # noqa: E402
from desktop.ui.main_window import MainWindow  # noqa: E402

T = TypeVar("T")
WAIT_SECONDS = 20.0  # a generous ceiling for waiting; never a timing assertion


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps passwords in a dict (the OS keyring is tested
    elsewhere; these tests must not write to the user's)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


class Gui:
    """The test's qasync loop, always "running" for asyncio, driven by Qt event processing.

    The loop is made with ``already_running=True``: asyncio sees it as the running loop
    for the whole test, and whoever processes Qt events (qtbot's waits, pytest-qt between
    phases, QTest key and mouse events) runs its callbacks, as ``QApplication.exec``
    does in the app. Waiting is ``qtbot.waitUntil``; coroutines run as tasks.
    """

    def __init__(self, loop: qasync.QEventLoop, qtbot: Any) -> None:
        self.loop = loop
        self._qtbot = qtbot

    def run(self, awaitable: Coroutine[Any, Any, T], seconds: float = WAIT_SECONDS) -> T:
        task = asyncio.ensure_future(awaitable, loop=self.loop)
        try:
            self._qtbot.waitUntil(task.done, timeout=int(seconds * 1000))
        except Exception:
            task.cancel()
            raise AssertionError(f"{awaitable!r} did not finish in {seconds} s") from None
        return task.result()

    def do(self, action: Callable[[], T]) -> T:
        """A user action (a click, a key): runs now; what it starts runs as we wait."""
        return action()

    def until(
        self, predicate: Callable[[], object], what: str, seconds: float = WAIT_SECONDS
    ) -> None:
        try:
            self._qtbot.waitUntil(lambda: bool(predicate()), timeout=int(seconds * 1000))
        except Exception:
            raise AssertionError(f"gave up waiting for {what}") from None

    def pause(self, seconds: float) -> None:
        self._qtbot.wait(int(seconds * 1000))


@pytest.fixture(autouse=True)
def collect_on_the_qt_thread() -> Iterator[None]:
    """As the app does (desktop/ui/gc_guard.py): no automatic collection, so a worker
    thread never frees a Qt object; collect here, on the Qt thread, after each test."""
    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture(autouse=True)
def private_history(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows under test keep their conversations in the test's folder."""
    monkeypatch.setenv("TALKLINE_HISTORY", str(tmp_path / "history.sqlite3"))


@pytest.fixture
def gui(qapp: QApplication, qtbot: Any) -> Iterator[Gui]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    driver = Gui(loop, qtbot)
    yield driver
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        driver.run(asyncio.wait(pending), seconds=5)
    # Not loop.stop(): it calls QApplication.exit(), which would end the next test's waits.
    loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
    asyncio.events._set_running_loop(None)
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def keyring_memory() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def keystore(keyring_memory: MemoryKeyring) -> KeyStore:
    return KeyStore(backend=keyring_memory)


WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(gui: Gui, keystore: KeyStore) -> Iterator[WindowFactory]:
    windows: list[MainWindow] = []

    def make(
        settings: AppSettings | None = None,
        *,
        audio_factory: AudioFactory = no_audio,
        keys: KeyStore | None = None,
        global_hotkey: bool = False,
        saved: list[AppSettings] | None = None,
    ) -> MainWindow:
        window = build_window(
            gui.loop,
            settings=settings or AppSettings(),
            keystore=keys or keystore,
            audio_factory=audio_factory,
            persist=False,
            global_hotkey=global_hotkey,
        )
        if saved is not None:
            window._save = saved.append
        # Retries as in the app, with shorter pauses (a server's Retry-After still rules).
        window.controller.session.retry_policy = RetryPolicy(first_delay=0.2, max_delay=1.0)
        windows.append(window)
        gui.do(window.show)
        gui.until(lambda: window.first_paint_at is not None, "the first paint")
        return window

    yield make
    for window in windows:
        gui.run(window.controller.shutdown())
        if window.hotkey is not None:
            window.hotkey.stop()
        window.ptt.uninstall()
        window.close()
        window.deleteLater()
