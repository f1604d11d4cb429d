"""The app itself (`python -m desktop`) on a real X server (Xvfb), keys typed through XTest.

Ctrl+Q must quit: on X11 the platform's Quit key and the spelled-out "Ctrl+Q" were the
same binding twice, which Qt reports as "Ambiguous shortcut overload" and ignores.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gui.xvfb import xvfb

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def x_display() -> Iterator[str]:
    with xvfb("1280x800x24") as display:
        yield display


def find_window(display: str, title: str, seconds: float = 30.0) -> tuple[int, int, int, int]:
    """The root-relative geometry of the mapped top-level window called `title`, given the
    keyboard focus as a window manager would on a click (Qt takes no focus that merely
    follows the pointer)."""
    from Xlib import X
    from Xlib import display as xdisplay

    dpy = xdisplay.Display(display)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for child in dpy.screen().root.query_tree().children:
                try:
                    name = child.get_wm_name()
                    mapped = child.get_attributes().map_state == X.IsViewable
                except Exception:  # noqa: BLE001 - a window that went away meanwhile
                    continue
                if name == title and mapped:
                    child.set_input_focus(X.RevertToParent, X.CurrentTime)
                    dpy.sync()
                    geometry = child.get_geometry()
                    return geometry.x, geometry.y, geometry.width, geometry.height
            time.sleep(0.2)
    finally:
        dpy.close()
    raise AssertionError(f"no {title!r} window appeared")


def press(display: str, keys: list[str], *, at: tuple[int, int]) -> None:
    """Put the pointer at `at`, then press `keys` together and let go, as fingers do."""
    from Xlib import XK, X
    from Xlib import display as xdisplay
    from Xlib.ext import xtest

    dpy = xdisplay.Display(display)
    try:
        xtest.fake_input(dpy, X.MotionNotify, x=at[0], y=at[1])
        dpy.sync()
        time.sleep(0.3)
        codes = [dpy.keysym_to_keycode(XK.string_to_keysym(k)) for k in keys]
        for code in codes:
            xtest.fake_input(dpy, X.KeyPress, code)
        dpy.sync()
        time.sleep(0.05)
        for code in reversed(codes):
            xtest.fake_input(dpy, X.KeyRelease, code)
        dpy.sync()
    finally:
        dpy.close()


def start_app(display: str, home: Path) -> subprocess.Popen[str]:
    env = dict(
        os.environ,
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        XDG_SESSION_TYPE="x11",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "desktop"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def quit_with_ctrl_q(display: str, app: subprocess.Popen[str]) -> str:
    """Type Ctrl+Q into the window; its stderr once it has quit."""
    try:
        x, y, width, height = find_window(display, "Talkline")
        time.sleep(1.0)  # the first paint, then the key check
        press(display, ["Control_L", "q"], at=(x + width // 2, y + height // 2))
        try:
            _out, err = app.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError("Ctrl+Q did not quit Talkline") from None
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, err[-2000:]
    return err


def resize_window(display: str, title: str, width: int, height: int) -> None:
    """What dragging the window's corner does (there is no window manager to drag)."""
    from Xlib import display as xdisplay

    dpy = xdisplay.Display(display)
    try:
        for child in dpy.screen().root.query_tree().children:
            try:
                name = child.get_wm_name()
            except Exception:  # noqa: BLE001 - a window that went away meanwhile
                continue
            if name == title:
                child.configure(width=width, height=height)
        dpy.sync()
    finally:
        dpy.close()


def test_ctrl_q_quits_the_app(x_display: str, tmp_path: Path) -> None:
    err = quit_with_ctrl_q(x_display, start_app(x_display, tmp_path))
    assert "Ambiguous shortcut" not in err


def test_the_window_comes_back_at_its_size(x_display: str, tmp_path: Path) -> None:
    app = start_app(x_display, tmp_path)
    find_window(x_display, "Talkline")
    time.sleep(1.0)
    resize_window(x_display, "Talkline", 900, 640)
    time.sleep(0.5)
    quit_with_ctrl_q(x_display, app)
    again = start_app(x_display, tmp_path)  # the next start, same settings folder
    try:
        _x, _y, width, height = find_window(x_display, "Talkline")
    finally:
        again.kill()
        again.communicate()
    assert (width, height) == (900, 640)
