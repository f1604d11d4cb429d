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
