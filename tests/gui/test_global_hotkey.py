"""The global push-to-talk key on a real X server (Xvfb), keys typed through XTest.

The window itself is offscreen, so it never has keyboard focus on that X server: this is
exactly "Talkline in the background". Xvfb auto-repeats a held key (release+press pairs
with equal timestamps); the server must still see one turn.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from desktop.core.call.state import CallState
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import connect, push_to_talk_turns, turn_events
from tests.gui.xvfb import xvfb


@pytest.fixture
def x_display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with xvfb("640x480x24") as display:
        monkeypatch.setenv("DISPLAY", display)
        monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
        yield display


def type_on_x(display: str, keys: list[str], *, hold: float) -> None:
    """Press ``keys`` in order, hold, release in reverse (what a person's fingers do)."""
    from Xlib import XK, X
    from Xlib import display as xdisplay
    from Xlib.ext import xtest

    dpy = xdisplay.Display(display)
    try:
        codes = [dpy.keysym_to_keycode(XK.string_to_keysym(k)) for k in keys]
        for code in codes:
            xtest.fake_input(dpy, X.KeyPress, code)
        dpy.sync()
        time.sleep(hold)
        for code in reversed(codes):
            xtest.fake_input(dpy, X.KeyRelease, code)
        dpy.sync()
    finally:
        dpy.close()


def test_ctrl_alt_space_talks_while_in_the_background(
    gui: Gui, x_display: str, make_window: WindowFactory
) -> None:
    window = make_window(push_to_talk_turns(), global_hotkey=True)
    gui.until(lambda: "anywhere" in window.status.ptt_hint.text(), "the global key")
    assert "Ctrl+Alt+Space" in window.status.ptt_hint.text()
    connect(gui, window)
    before = len(turn_events(window))

    async def hold_keys() -> None:
        import asyncio

        # Longer than X's auto-repeat delay (660 ms), so repeats happen while held.
        await asyncio.to_thread(type_on_x, x_display, ["Control_L", "Alt_L", "space"], hold=1.0)

    gui.run(hold_keys())
    gui.until(lambda: "response.create" in turn_events(window)[before:], "the turn")
    gui.pause(0.3)
    assert turn_events(window)[before:] == [
        "input_audio_buffer.clear",
        "input_audio_buffer.commit",
        "response.create",
    ]
    assert window.controller.state is CallState.CONNECTED


def test_space_alone_is_not_grabbed(gui: Gui, x_display: str, make_window: WindowFactory) -> None:
    window = make_window(push_to_talk_turns(), global_hotkey=True)
    gui.until(lambda: "anywhere" in window.status.ptt_hint.text(), "the global key")
    connect(gui, window)
    before = len(turn_events(window))

    async def tap_space() -> None:
        import asyncio

        await asyncio.to_thread(type_on_x, x_display, ["space"], hold=0.4)

    gui.run(tap_space())
    gui.pause(0.4)
    assert turn_events(window)[before:] == []  # other programs keep their Space


# -- Wayland: the XDG GlobalShortcuts portal, a fake one on a private session bus ----------


class Portal:
    """tests/gui/fake_portal.py in its own process; what it printed."""

    def __init__(self, env: dict[str, str]) -> None:
        import subprocess
        import sys
        import threading

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.gui.fake_portal"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.said: list[dict[str, object]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        import json

        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.said.append(json.loads(line))

    def tell(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture
def wayland_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private D-Bus session bus (dbus-daemon --session), as the only session bus."""
    import os
    import subprocess

    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address"],
        stdout=subprocess.PIPE, text=True,
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-test")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert os.environ["DBUS_SESSION_BUS_ADDRESS"] == address
    yield address
    daemon.terminate()
    daemon.wait(timeout=5)


@pytest.fixture
def portal(wayland_bus: str, gui: Gui) -> Iterator[Portal]:
    import os

    running = Portal(dict(os.environ))
    gui.until(lambda: {"ready": True} in running.said, "the fake portal")
    yield running
    running.stop()


def test_on_wayland_the_portal_gives_the_global_key(
    gui: Gui, portal: Portal, make_window: WindowFactory
) -> None:
    window = make_window(push_to_talk_turns(), global_hotkey=True)
    gui.until(lambda: "anywhere" in window.status.ptt_hint.text(), "the global key")
    assert window.hotkey is not None and window.hotkey.backend_name == "portal"
    bound = [s for s in portal.said if "bound" in s]
    assert bound == [{"bound": ["push-to-talk"], "triggers": ["CTRL+ALT+space"]}]
    connect(gui, window)
    before = len(turn_events(window))

    for _ in range(2):  # the compositor's press (Activated) and release (Deactivated)
        portal.tell("press")
        gui.until(lambda: window.listening.isVisible(), "listening")
        assert "Listening" in window.tray.tooltip
        gui.pause(0.3)
        portal.tell("release")
        gui.until(lambda: not window.listening.isVisible(), "listening to end")
        assert "Listening" not in window.tray.tooltip
        gui.until(lambda b=before: turn_events(window)[b:][-1:] == ["response.create"], "a turn")
        gui.pause(0.2)
        assert turn_events(window)[before:] == [
            "input_audio_buffer.clear", "input_audio_buffer.commit", "response.create",
        ]
        before = len(turn_events(window))

    window.hotkey.stop()  # Settings cleared the key, or the app quits: the session closes
    gui.until(lambda: any("closed" in s for s in portal.said), "the portal session to close")


def test_a_global_key_the_user_declines_is_explained(
    gui: Gui, portal: Portal, make_window: WindowFactory
) -> None:
    portal.tell("refuse")
    gui.pause(0.1)
    window = make_window(push_to_talk_turns(), global_hotkey=True)
    gui.until(lambda: "no global key" in window.status.ptt_hint.text(), "the hint")
    assert "not confirmed" in window.status.ptt_hint.toolTip()
    assert "Hold Space to talk" in window.status.ptt_hint.text()


def test_without_a_portal_the_window_says_there_is_no_global_key(
    gui: Gui, wayland_bus: str, make_window: WindowFactory
) -> None:
    window = make_window(global_hotkey=True)
    gui.until(lambda: "no global key" in window.status.ptt_hint.text(), "the hint")
    assert "Wayland" in window.status.ptt_hint.toolTip()


# -- which backend each desktop gets (the platforms CI cannot run are checked here) ---------


@pytest.mark.parametrize(
    ("platform", "env", "backend"),
    [
        ("linux", {"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, "x11"),
        ("linux", {"DISPLAY": ":0"}, "x11"),
        ("freebsd14", {"DISPLAY": ":0"}, "x11"),
        ("linux", {"XDG_SESSION_TYPE": "wayland", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/b"},
         "portal"),
        # XWayland's DISPLAY does not make a background key possible: still the portal.
        ("linux", {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_RUNTIME_DIR": "/r"},
         "portal"),
        ("win32", {}, "pynput"),
        ("darwin", {"XDG_SESSION_TYPE": "wayland"}, "pynput"),
    ],
)
def test_each_desktop_gets_its_backend(platform: str, env: dict[str, str], backend: str) -> None:
    from desktop.ui.hotkeys.backend import choose, factory

    choice = choose(platform, env)
    assert choice.backend == backend and choice.reason is None
    names = {"x11": "XGrab", "portal": "PortalShortcut", "pynput": "PynputKeys"}
    assert factory(choice.backend).__name__ == names[backend]


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({}, "No X11 display"),
        ({"XDG_SESSION_TYPE": "tty"}, "No X11 display"),
        ({"XDG_SESSION_TYPE": "wayland"}, "no D-Bus session"),
    ],
)
def test_where_no_backend_can_work_the_reason_is_a_sentence(
    env: dict[str, str], words: str
) -> None:
    from desktop.ui.hotkeys.backend import choose

    choice = choose("linux", env)
    assert choice.backend is None and choice.reason is not None and words in choice.reason


def test_the_portal_is_asked_for_the_same_key_in_its_own_words() -> None:
    from desktop.ui.hotkeys.binding import Binding

    assert Binding.parse("Ctrl+Alt+Space").xdg_trigger() == "CTRL+ALT+space"
    assert Binding.parse("Meta+Shift+F9").xdg_trigger() == "LOGO+SHIFT+F9"
    assert Binding.parse("Pause").xdg_trigger() == "Pause"


def test_pynput_is_a_dependency_on_windows_and_macos_only() -> None:
    """The bundles there need it; on Linux its keyboard needs evdev (compiled) or X."""
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    pynput = [d for d in project["project"]["dependencies"] if d.startswith("pynput")]
    assert len(pynput) == 1
    marker = pynput[0].split(";", 1)[1]
    assert "win32" in marker and "darwin" in marker and "linux" not in marker
