"""VideoFeed: the avatar's picture, from the received video track or from JPEG frames.

It is the engine's video sink (`async start(track)`, `async stop()`, `clear()`). It reads
every frame of the track (aiortc queues decoded frames without bound otherwise), shows at
most `max_fps` of them as RGB, and publishes each shown one through `frame_ready`.

rtAV may instead send the avatar as base64 JPEG frames in `response.output_image.delta`
events (../shared/PROVIDERS.md); `on_event` takes those. While they keep coming they are what
is shown, and track frames are read and dropped: a provider that sends pictures on the
data channel means those. Bad input (a frame of impossible size, a JPEG that does not
decode) is counted in `counts.bad`, never raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Literal

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from desktop.core.events.server import OutputImageDelta, ServerEvent
from desktop.core.observable import Emitter
from desktop.core.video.rate import Clock, FrameRate

log = logging.getLogger("talkline.video")

DEFAULT_MAX_FPS = 30.0
MAX_SIDE = 4096  # no avatar stream is larger; a frame claiming more is a broken one
# Converting a 320x240 frame takes ~0.2 ms, 1280x720 ~2.5 ms: above this many pixels the
# conversion runs in a worker thread so the loop (audio, events, the window) never waits.
OFFLOAD_PIXELS = 640 * 480
IMAGE_HOLD = 1.0  # seconds after the last JPEG frame before the track is shown again

Source = Literal["track", "image"]


@dataclass(frozen=True, eq=False)
class Picture:
    """One frame to show: `rgb` is (height, width, 3) uint8, C-contiguous."""

    rgb: np.ndarray
    source: Source

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


@dataclass
class FeedCounts:
    frames_received: int = 0  # read from the video track
    images_received: int = 0  # response.output_image.delta events
    shown: int = 0
    dropped: int = 0  # not shown: over the frame rate, replaced by a newer one, or bad
    bad: int = 0  # could not be used at all (also counted in dropped)


class VideoFeed:
    def __init__(
        self,
        max_fps: float = DEFAULT_MAX_FPS,
        *,
        clock: Clock | None = None,
        image_hold: float = IMAGE_HOLD,
    ) -> None:
        self._clock: Clock = clock or time.monotonic
        self._rate = FrameRate(max_fps, self._clock)
        self._image_hold = image_hold
        self.counts = FeedCounts()
        self.latest: Picture | None = None
        self.frame_ready: Emitter[Picture] = Emitter()
        self._track_task: asyncio.Task[None] | None = None
        self._image_task: asyncio.Task[None] | None = None
        self._pending_image: bytes | None = None
        self._image_wakeup = asyncio.Event()
        self._last_image_at: float | None = None
        self._warned: set[str] = set()
        self._stopped = False

    @property
    def max_fps(self) -> float:
        return 1.0 / self._rate.period

    # -- the sink protocol ----------------------------------------------------------------

    async def start(self, track: MediaStreamTrack) -> None:
        if self._track_task is not None:
            self._track_task.cancel()
        self._track_task = asyncio.get_running_loop().create_task(self._read(track))

    def clear(self) -> None:
        """An interrupt clears queued audio; the picture stays."""

    async def stop(self) -> None:
        self._stopped = True
        for task in (self._track_task, self._image_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._track_task = self._image_task = None
        if self.counts.frames_received or self.counts.images_received:
            log.info("avatar video: %s", self.counts)

    # -- the video track ------------------------------------------------------------------

    async def _read(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                self.counts.frames_received += 1
                if self._images_arriving() or not self._rate.allow():
                    self.counts.dropped += 1
                    continue
                assert isinstance(frame, av.VideoFrame)  # a video track's frames
                rgb = await self._to_rgb(frame)
                if rgb is not None:
                    self._publish(Picture(rgb, "track"))

    async def _to_rgb(self, frame: av.VideoFrame) -> np.ndarray | None:
        width, height = frame.width, frame.height
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            self._bad("track", f"a video frame of {width}x{height}")
            return None
        try:
            if width * height > OFFLOAD_PIXELS:
                rgb = await asyncio.to_thread(frame.to_ndarray, format="rgb24")
            else:
                rgb = frame.to_ndarray(format="rgb24")
        except Exception as exc:  # a frame PyAV cannot convert: skip it, keep the call
            self._bad("track", f"{exc.__class__.__name__}: {exc}")
            return None
        checked = _checked(rgb)
        if checked is None:
            self._bad("track", "a frame of no usable shape")
        return checked

    # -- JPEG frames on the data channel --------------------------------------------------

    def on_event(self, event: ServerEvent) -> None:
        """Subscribe to the call's events: takes `response.output_image.delta` frames."""
        if isinstance(event, OutputImageDelta) and not self._stopped:
            self.show_jpeg(event.jpeg())

    def show_jpeg(self, jpeg: bytes | None) -> None:
        """Show one JPEG frame (None: the event's data was not base64 JPEG)."""
        self.counts.images_received += 1
        self._last_image_at = self._clock()
        if jpeg is None:
            self._bad("image", "an output_image.delta that is not base64 JPEG")
            return
        if self._pending_image is not None:
            self.counts.dropped += 1  # a newer frame came before the older one's turn
        self._pending_image = jpeg
        self._image_wakeup.set()
        if self._image_task is None or self._image_task.done():
            self._image_task = asyncio.get_running_loop().create_task(self._show_images())

    async def _show_images(self) -> None:
        """One frame at a time, the newest, at most at the frame rate."""
        while True:
            await self._image_wakeup.wait()
            self._image_wakeup.clear()
            await asyncio.sleep(self._rate.delay())  # newer frames replace it meanwhile
            self._rate.allow()  # take the slot (the track waits while images arrive)
            jpeg, self._pending_image = self._pending_image, None
            if jpeg is None:
                continue
            try:
                rgb = await asyncio.to_thread(decode_jpeg, jpeg)
            except Exception as exc:  # PyAV's InvalidDataError and friends
                self._bad("image", f"{exc.__class__.__name__}: {exc}")
                continue
            if rgb is None:
                self._bad("image", "a JPEG that decodes to no usable picture")
            else:
                self._publish(Picture(rgb, "image"))

    def _images_arriving(self) -> bool:
        last = self._last_image_at
        return last is not None and self._clock() - last < self._image_hold

    # -- both -----------------------------------------------------------------------------

    def _publish(self, picture: Picture) -> None:
        self.latest = picture
        self.counts.shown += 1
        self.frame_ready.emit(picture)

    def _bad(self, source: Source, what: str) -> None:
        """Count a frame that cannot be shown (returns None, so callers can return it)."""
        self.counts.bad += 1
        self.counts.dropped += 1
        if source not in self._warned:  # once per source: a broken stream would flood the log
            self._warned.add(source)
            log.warning("avatar %s skipped: %s", source, what)


def decode_jpeg(data: bytes) -> np.ndarray | None:
    """A JPEG as (height, width, 3) RGB; raises PyAV's errors for data it cannot read.

    The size its header claims is checked first: a frame saying 60000 x 60000 is refused
    before the decoder allocates for it."""
    size = jpeg_size(data)
    if size is None or not (0 < size[0] <= MAX_SIDE and 0 < size[1] <= MAX_SIDE):
        return None
    decoder = av.CodecContext.create("mjpeg", "r")
    frames = decoder.decode(av.Packet(data)) or decoder.decode(None)  # None: flush
    if not frames:
        return None
    frame = frames[-1]
    if not (0 < frame.width <= MAX_SIDE and 0 < frame.height <= MAX_SIDE):
        return None
    return _checked(frame.to_ndarray(format="rgb24"))


def _checked(rgb: np.ndarray) -> np.ndarray | None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or 0 in rgb.shape:
        return None
    return np.ascontiguousarray(rgb)


# Start-of-frame markers (baseline, extended, progressive, lossless...): they carry the size.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header, or None when it has none."""
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in _SOF:
            if i + 9 > len(data):
                return None
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        if marker == 0xDA or length < 2:  # scan data before any frame header: broken
            return None
        i += 2 + length
    return None
