"""VideoFeed: what reaches the avatar view from the track and from JPEG frames.

Frames are real PyAV frames; time is a test clock that each frame moves on, so the frame
rate limit is checked by counting, never by timing.
"""

from __future__ import annotations

import asyncio
import base64

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from desktop.core.events.server import OutputImageDelta, parse_server_event
from desktop.core.video.feed import MAX_SIDE, Picture, VideoFeed, decode_jpeg, jpeg_size
from tests.fakes.harness import until
from tests.fakes.media import JpegFrames


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FrameList(MediaStreamTrack):
    """Plays `frames`, moving the clock `step` seconds before each, then ends."""

    kind = "video"

    def __init__(self, frames: list[av.VideoFrame], clock: Clock, step: float) -> None:
        super().__init__()
        self._frames = list(frames)
        self._clock = clock
        self._step = step
        self.done = asyncio.Event()

    async def recv(self) -> av.VideoFrame:
        if not self._frames:
            self.done.set()
            raise MediaStreamError
        self._clock.now += self._step
        await asyncio.sleep(0)
        return self._frames.pop(0)


def yuv_frame(width: int = 320, height: int = 240, shade: int = 0) -> av.VideoFrame:
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    rgb[..., 1] = shade
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


async def play(feed: VideoFeed, track: FrameList) -> list[Picture]:
    shown: list[Picture] = []
    feed.frame_ready.connect(shown.append)
    await feed.start(track)
    await asyncio.wait_for(track.done.wait(), 10)
    await feed.stop()
    return shown


async def test_track_frames_arrive_as_rgb_of_their_size() -> None:
    clock = Clock()
    feed = VideoFeed(clock=clock)
    frames = [yuv_frame(shade=s) for s in (0, 120)]
    shown = await play(feed, FrameList(frames, clock, step=0.1))
    assert [(p.width, p.height, p.source) for p in shown] == [(320, 240, "track")] * 2
    assert shown[0].rgb.shape == (240, 320, 3) and shown[0].rgb.dtype == np.uint8
    assert shown[0].rgb[:, 300, 0].mean() > 200 > shown[0].rgb[:, 10, 0].mean()  # not garbled
    assert not np.array_equal(shown[0].rgb, shown[1].rgb)
    assert feed.latest is shown[-1]
    assert (feed.counts.frames_received, feed.counts.shown, feed.counts.dropped) == (2, 2, 0)


async def test_a_fast_source_is_limited_and_every_frame_is_still_read() -> None:
    clock = Clock()
    feed = VideoFeed(max_fps=10, clock=clock)
    track = FrameList([yuv_frame() for _ in range(60)], clock, step=1 / 30)  # 2 s at 30 fps
    shown = await play(feed, track)
    assert len(shown) == 20  # 10 a second
    assert feed.counts.frames_received == 60  # drained, not left queued
    assert feed.counts.dropped == 40 and feed.counts.bad == 0


async def test_a_source_at_the_limit_loses_nothing() -> None:
    clock = Clock()
    feed = VideoFeed(max_fps=15, clock=clock)
    steps = [1 / 15 + jitter for jitter in (-0.006, 0.006) * 15]  # ±6 ms of arrival jitter

    class Jittery(FrameList):
        async def recv(self) -> av.VideoFrame:
            self._step = steps[len(self._frames) % len(steps)]
            return await super().recv()

    shown = await play(feed, Jittery([yuv_frame() for _ in range(30)], clock, 0))
    assert len(shown) == 30 and feed.counts.dropped == 0


async def test_odd_and_impossible_frame_sizes() -> None:
    clock = Clock()
    feed = VideoFeed(clock=clock)
    odd = yuv_frame(321, 241)
    huge = av.VideoFrame(MAX_SIDE + 2, 16, "yuv420p")
    shown = await play(feed, FrameList([odd, huge, yuv_frame()], clock, step=0.1))
    assert [(p.width, p.height) for p in shown] == [(321, 241), (320, 240)]
    assert (feed.counts.bad, feed.counts.dropped, feed.counts.shown) == (1, 1, 2)


def image_event(jpeg: bytes) -> OutputImageDelta:
    raw = {"type": "response.output_image.delta", "delta": base64.b64encode(jpeg).decode()}
    event = parse_server_event(raw)
    assert isinstance(event, OutputImageDelta)
    return event


async def test_jpeg_frames_from_events_are_decoded() -> None:
    feed = VideoFeed(max_fps=1000)
    shown: list[Picture] = []
    feed.frame_ready.connect(shown.append)
    jpegs = JpegFrames(256, 192)
    for n in range(1, 4):
        feed.on_event(image_event(jpegs.next()))
        await until(lambda n=n: len(shown) == n, f"frame {n} is shown")
    await feed.stop()
    assert [(p.width, p.height, p.source) for p in shown] == [(256, 192, "image")] * 3
    stripe = shown[0].rgb[96, :, 0]
    assert stripe.max() > 200 and stripe.min() < 60  # the stripes survived JPEG
    assert not np.array_equal(shown[0].rgb, shown[1].rgb)
    assert (feed.counts.images_received, feed.counts.shown, feed.counts.bad) == (3, 3, 0)


@pytest.mark.parametrize(
    "delta",
    [
        "%%% not base64 %%%",
        base64.b64encode(b"GIF89a....").decode(),  # base64, but not a JPEG
        base64.b64encode(b"\xff\xd8\xff\xe0 then garbage").decode(),  # starts like one
    ],
)
async def test_a_broken_jpeg_is_a_counted_drop_and_the_next_one_shows(delta: str) -> None:
    feed = VideoFeed(max_fps=1000)
    shown: list[Picture] = []
    feed.frame_ready.connect(shown.append)
    event = parse_server_event({"type": "response.output_image.delta", "delta": delta})
    feed.on_event(event)
    await until(lambda: feed.counts.bad == 1, "the bad frame is counted")
    feed.on_event(image_event(JpegFrames().next()))
    await until(lambda: len(shown) == 1, "the good frame is shown")
    await feed.stop()
    assert (feed.counts.images_received, feed.counts.dropped, feed.counts.shown) == (2, 1, 1)


async def test_a_burst_of_jpegs_shows_the_newest() -> None:
    feed = VideoFeed(max_fps=1000)
    shown: list[Picture] = []
    feed.frame_ready.connect(shown.append)
    jpegs = JpegFrames()
    frames = [jpegs.next() for _ in range(5)]
    for data in frames:  # all in one go: no chance to decode in between
        feed.show_jpeg(data)
    await until(lambda: len(shown) == 1, "one frame is shown")
    await feed.stop()
    expected = decode_jpeg(frames[-1])
    assert expected is not None and np.array_equal(shown[0].rgb, expected)
    assert (feed.counts.images_received, feed.counts.dropped) == (5, 4)


async def test_while_jpegs_arrive_track_frames_are_read_but_not_shown() -> None:
    clock = Clock()
    feed = VideoFeed(clock=clock, image_hold=1.0)
    shown: list[Picture] = []
    feed.frame_ready.connect(shown.append)
    feed.show_jpeg(JpegFrames().next())
    await until(lambda: len(shown) == 1, "the JPEG frame is shown")
    track = FrameList([yuv_frame() for _ in range(20)], clock, step=0.125)  # 2.5 s of track
    await feed.start(track)
    await asyncio.wait_for(track.done.wait(), 10)
    await feed.stop()
    sources = [p.source for p in shown]
    # Within a second of the last JPEG the track is drained unseen; after it, it shows again.
    assert sources[0] == "image" and sources.count("track") == 13
    assert feed.counts.frames_received == 20
    assert feed.counts.dropped == 7


async def test_nothing_is_shown_after_stop() -> None:
    feed = VideoFeed()
    await feed.stop()
    feed.on_event(image_event(JpegFrames().next()))
    await asyncio.sleep(0.05)
    assert feed.latest is None and feed.counts.images_received == 0


def test_a_jpeg_claiming_a_huge_picture_is_refused_before_decoding() -> None:
    """Its header is read first: 60000 x 60000 would be 10 GB of RGB for the decoder."""
    real = JpegFrames(256, 192).next()
    assert jpeg_size(real) == (256, 192)
    sof = next(i for i in range(2, len(real) - 1) if real[i] == 0xFF and real[i + 1] == 0xC0)
    huge = bytearray(real)
    huge[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") * 2
    assert jpeg_size(bytes(huge)) == (60000, 60000)
    assert decode_jpeg(bytes(huge)) is None
    assert decode_jpeg(real) is not None
    assert jpeg_size(b"GIF89a") is None
