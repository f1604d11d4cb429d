"""The avatar in the window: a window connected to the rtAV test server (real WebRTC on
loopback) shows the avatar video, keeps its shape, and plays a motion the person picks.

The picture is checked the way a person sees it: the widget is grabbed as pixels.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from desktop.core.call.state import CallState
from desktop.core.secrets import KeyStore
from desktop.core.settings.schema import AppSettings
from desktop.core.video.feed import Picture
from desktop.ui.main_window import MainWindow
from desktop.ui.widgets.video_view import BACKGROUND, PLACEHOLDER, VideoView
from tests.fakes.harness import KEYS
from tests.fakes.rtav import RtavFake
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import click, connect


@pytest.fixture
def rtav(gui: Gui) -> Iterator[RtavFake]:
    """Listed before ``make_window``, so the window hangs up before the server stops."""
    server = RtavFake()
    gui.run(server.start())
    yield server
    gui.run(server.stop())


def rtav_window(make_window: WindowFactory, keystore: KeyStore, fake: RtavFake) -> MainWindow:
    keystore.set("rtav", KEYS["rtav"])
    settings = AppSettings()
    settings.provider = "rtav"
    settings.providers["rtav"].base_url = fake.base_url
    return make_window(settings)


def pixels(widget: QWidget) -> np.ndarray:
    """What the widget shows, as a (height, width, 3) array."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    return rows[:, : width * 3].reshape(height, width, 3).copy()


def background_share(shot: np.ndarray) -> float:
    bg = np.array([BACKGROUND.red(), BACKGROUND.green(), BACKGROUND.blue()])
    return float(np.all(np.abs(shot.astype(int) - bg) <= 2, axis=-1).mean())


def test_the_avatar_video_plays_in_the_window(
    gui: Gui, rtav: RtavFake, make_window: WindowFactory, keystore: KeyStore
) -> None:
    window = rtav_window(make_window, keystore, rtav)
    video = window.avatar.video
    assert window.avatar.isVisible() and video.isVisible()
    assert background_share(pixels(video)) > 0.9  # the placeholder: background and a line
    assert not video.has_picture

    connect(gui, window)
    gui.until(lambda: video.frames_painted >= 3, "avatar frames painted")
    first = pixels(video)
    received = video.pictures_received
    gui.until(lambda: video.pictures_received >= received + 3, "newer avatar frames")
    second = pixels(video)

    rect = video.picture_rect()
    inside = first[rect.top() : rect.bottom(), rect.left() : rect.right()]
    assert background_share(inside) < 0.05  # a picture, not the placeholder
    assert inside[..., 0].std() > 30  # the gradient: red changes across it
    assert not np.array_equal(first, second)  # it moves
    # Aspect kept: the 320x240 picture is drawn 4:3, the rest of the area left empty.
    assert abs(rect.width() / rect.height() - 4 / 3) < 0.02
    assert (rect.width(), rect.height()) != (video.width(), video.height())
    outside = first[:, : rect.left()] if rect.left() > 0 else first[: rect.top()]
    assert background_share(outside) > 0.99

    click(gui, window.connect_button)
    gui.until(lambda: not window.controller.state.is_active, "the call to end")
    gui.until(lambda: not video.has_picture, "the placeholder again")


def test_a_motion_picked_in_the_window_reaches_rtav(
    gui: Gui, rtav: RtavFake, make_window: WindowFactory, keystore: KeyStore
) -> None:
    window = rtav_window(make_window, keystore, rtav)
    control = window.avatar.motion
    assert not control.play_button.isEnabled()  # not connected yet

    connect(gui, window)
    # "Nod" is only in the server's own motion list: the combo was filled from it.
    gui.until(lambda: control.motions.findData("Nod") >= 0, "the motion list from rtAV")
    assert control.play_button.isEnabled()
    gui.do(lambda: control.motions.setCurrentIndex(control.motions.findData("Nod")))
    click(gui, control.play_button)
    gui.until(lambda: rtav.calls and rtav.driving_updates(), "the motion at the server")
    (update,) = rtav.driving_updates()
    assert update["session"] == {"type": "realtime", "driving": ["Nod", "idle"]}
    gui.until(lambda: rtav.last_call.session.get("driving") == ["Nod", "idle"], "applied")
    assert window.controller.state is CallState.CONNECTED
    assert "error" not in rtav.last_call.sent_types

    click(gui, window.connect_button)
    gui.until(lambda: not control.play_button.isEnabled(), "Play disabled after hang-up")


def test_the_avatar_area_is_only_there_for_a_provider_with_video(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    assert window.provider.currentData() == "local"
    assert not window.avatar.isVisible()
    gui.do(lambda: window.provider.setCurrentIndex(window.provider.findData("rtav")))
    assert window.avatar.isVisible()
    gui.do(lambda: window.provider.setCurrentIndex(window.provider.findData("openai")))
    assert not window.avatar.isVisible()


def test_the_view_keeps_the_shape_and_waits_while_hidden(gui: Gui, qtbot) -> None:  # noqa: ANN001
    view = VideoView()
    qtbot.addWidget(view)
    view.resize(300, 400)  # taller than wide: bars above and below
    rgb = np.zeros((240, 320, 3), np.uint8)
    rgb[..., 1] = 200
    view.show_picture(Picture(rgb, "track"))  # hidden: kept, not painted
    assert view.frames_painted == 0
    gui.do(view.show)
    gui.until(lambda: view.frames_painted >= 1, "painted once shown")
    rect = view.picture_rect()
    assert (rect.width(), rect.height()) == (300, 225) and rect.top() == (400 - 225) // 2
    shot = pixels(view)
    assert tuple(shot[200, 150]) == (0, 200, 0)  # the picture, in the middle
    assert background_share(shot[:80]) > 0.99  # the bar above it
    view.show_picture(None)
    gui.until(lambda: not view.has_picture, "no picture")
    assert background_share(pixels(view)) > 0.9
    assert view.accessibleName() == "Avatar video" and PLACEHOLDER.startswith("Avatar video")


@pytest.fixture
def rtav_images(gui: Gui) -> Iterator[RtavFake]:
    """rtAV sending the avatar as JPEG frames on the data channel too."""
    server = RtavFake(image_fps=15)
    gui.run(server.start())
    yield server
    gui.run(server.stop())


def test_jpeg_frames_from_the_channel_are_shown(
    gui: Gui, rtav_images: RtavFake, make_window: WindowFactory, keystore: KeyStore
) -> None:
    window = rtav_window(make_window, keystore, rtav_images)
    started = time.monotonic()
    connect(gui, window)
    video = window.avatar.video
    gui.until(
        lambda: video.frames_painted >= 3 and video.picture_source == "image",
        "JPEG frames painted",
    )
    rect = video.picture_rect()
    shot = pixels(video)[rect.top() : rect.bottom(), rect.left() : rect.right()]
    row = shot[shot.shape[0] // 2, :, 0].astype(int)
    assert row.max() > 180 and row.min() < 80  # the stripes, not the track's gradient
    # The event log keeps a short note a second, not kilobytes of base64 fifteen times a
    # second that would push every other event out.
    gui.until(lambda: video.frames_painted >= 40, "about three seconds of frames")
    logged = [e for e in window.event_log.entries() if "output_image" in e.type]
    assert logged and all(len(e.pretty()) < 1000 for e in logged)
    seconds = time.monotonic() - started  # a loaded machine paints 40 frames more slowly
    assert len(logged) <= seconds + 1 and len(logged) < video.frames_painted
    assert "frames_since_last_entry" in logged[-1].pretty()
