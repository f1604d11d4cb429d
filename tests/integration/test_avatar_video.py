"""The rtAV avatar end to end: real WebRTC on loopback against the rtAV test server.

Its video track (a moving 320x240 gradient) and its `response.output_image.delta` JPEG
frames must reach the VideoFeed as pictures of the right size that change; a motion played
mid-call must reach the server as rtAV's flat `session.update` with `driving`.
"""

from __future__ import annotations

import numpy as np

from desktop.core.call.state import CallState
from desktop.core.catalog import fetch_lists
from desktop.core.profiles import get_profile
from desktop.core.video import Picture, VideoFeed, play_motion
from tests.fakes import RtavFake
from tests.fakes.harness import KEYS, CallFactory, Serve, until
from tests.fakes.media import IMAGE_HEIGHT, IMAGE_WIDTH

pytest_plugins = ("tests.fakes.fixtures",)

WAIT = 20.0  # generous: a loaded CI machine decodes slowly; never a speed assertion


def collect(feed: VideoFeed) -> list[Picture]:
    shown: list[Picture] = []
    feed.frame_ready.connect(shown.append)
    return shown


async def test_track_frames_reach_the_feed_and_move(
    rtav_fake: RtavFake, provider_calls: CallFactory
) -> None:
    feed = VideoFeed()
    shown = collect(feed)
    w = provider_calls.make(rtav_fake, "rtav", video_sink=feed)
    await w.call.connect()
    await until(lambda: len(shown) >= 8, "eight avatar pictures", WAIT)

    first, last = shown[0], shown[-1]
    assert {(p.width, p.height, p.source) for p in shown} == {(320, 240, "track")}
    assert not np.array_equal(first.rgb, last.rgb)  # the gradient scrolls
    # A colour gradient, not a black or grey square: red rises left to right.
    assert last.rgb[:, :, 0].std() > 30 and last.rgb[:, :, 1].std() > 30
    counts = feed.counts
    assert counts.bad == 0 and counts.shown == len(shown)
    assert counts.frames_received >= counts.shown  # every frame read, at most 30 a second
    assert w.notices == []


async def test_jpeg_frames_on_the_channel_are_shown_instead_of_the_track(
    serve_fake: Serve, provider_calls: CallFactory
) -> None:
    fake = await serve_fake(RtavFake(image_fps=15, bad_images=2))
    feed = VideoFeed(image_hold=60.0)  # a stall on a loaded machine must not bring the track
    shown = collect(feed)
    w = provider_calls.make(fake, "rtav", video_sink=feed)
    w.call.event_received.connect(feed.on_event)
    await w.call.connect()
    images = lambda: [p for p in shown if p.source == "image"]  # noqa: E731
    await until(lambda: len(images()) >= 5, "five JPEG pictures", WAIT)
    received_then = feed.counts.frames_received
    await until(lambda: feed.counts.frames_received > received_then + 5, "track frames", WAIT)

    pictures = images()
    assert {(p.width, p.height) for p in pictures} == {(IMAGE_WIDTH, IMAGE_HEIGHT)}
    assert not np.array_equal(pictures[0].rgb, pictures[-1].rgb)  # the stripes move
    # The track is still drained, but while JPEG frames come it is not what is shown.
    first_image = next(i for i, p in enumerate(shown) if p.source == "image")
    assert {p.source for p in shown[first_image:]} == {"image"}
    assert feed.counts.bad == 2  # the two broken frames: counted, skipped, no traceback
    assert feed.counts.images_received >= 7
    assert "response.output_image.delta" in w.event_types()
    assert w.notices == []


async def test_a_motion_mid_call_reaches_rtav_as_a_flat_session_update(
    rtav_fake: RtavFake, provider_calls: CallFactory
) -> None:
    w = provider_calls.make(rtav_fake, "rtav")
    await w.call.connect()
    assert play_motion(w.call, "Nod")
    await rtav_fake.last_call.wait_until(
        lambda c: c.sent_types.count("session.updated") >= 2, seconds=WAIT
    )
    (update,) = rtav_fake.driving_updates()
    assert update == {
        "type": "session.update",
        "event_id": update["event_id"],
        "session": {"type": "realtime", "driving": ["Nod", "idle"]},
    }
    assert rtav_fake.last_call.session["driving"] == ["Nod", "idle"]
    assert "error" not in rtav_fake.last_call.sent_types

    # A motion the server does not know: its error reaches the person, the call goes on.
    assert play_motion(w.call, "Moonwalk")
    await until(lambda: any("Unknown motion" in n for n in w.notices), "the error notice", WAIT)
    assert w.call.state is CallState.CONNECTED


async def test_the_motion_list_comes_from_rtav(rtav_fake: RtavFake) -> None:
    profile = get_profile("rtav").with_base_url(rtav_fake.base_url)
    catalog = await fetch_lists(profile, KEYS["rtav"])
    assert [c.value for c in catalog.motions] == ["idle", "Wink", "Nod"]
    assert "motions" in catalog.fetched and "faces" in catalog.fetched
    lists = rtav_fake.requests_to("driving")
    assert [(r.method, r.path, r.credential) for r in lists] == [("GET", "/v1/driving", "api_key")]
