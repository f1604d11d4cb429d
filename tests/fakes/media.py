"""What the fake providers send back: a voice (a steady tone) and an avatar video over RTP,
and the avatar as JPEG frames for rtAV's data channel.

The tracks are pull-based aiortc tracks paced in real time, like a hosted provider's media: the
tone is 20 ms frames of 48 kHz mono s16, the video a moving colour gradient, 320x240 at
15 frames per second (enough for a test to see frames arrive and change).
"""

from __future__ import annotations

import asyncio
import fractions
import time

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

AUDIO_RATE = 48_000
AUDIO_FRAME_SAMPLES = AUDIO_RATE // 50  # 20 ms
TONE_HZ = 440.0
TONE_AMPLITUDE = 0.25  # of full scale: clearly not silence after Opus, never clipping

VIDEO_WIDTH = 320
VIDEO_HEIGHT = 240
VIDEO_FPS = 15
VIDEO_CLOCK = 90_000  # RTP video clock


class _Pacer:
    """Sleeps so that frame n leaves at start + n * period."""

    def __init__(self, period: float) -> None:
        self._period = period
        self._start: float | None = None
        self._count = 0

    async def wait(self) -> int:
        """Wait for the next frame's slot; returns its index."""
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._count * self._period
        if due > now:
            await asyncio.sleep(due - now)
        index = self._count
        self._count += 1
        return index


class ToneTrack(MediaStreamTrack):
    """The provider's 'voice': a continuous sine (or silence with amplitude 0)."""

    kind = "audio"

    def __init__(self, hz: float = TONE_HZ, amplitude: float = TONE_AMPLITUDE) -> None:
        super().__init__()
        self._pacer = _Pacer(AUDIO_FRAME_SAMPLES / AUDIO_RATE)
        t = np.arange(AUDIO_RATE, dtype=np.float64) / AUDIO_RATE  # one second, loops exactly
        self._cycle = (np.sin(2 * np.pi * hz * t) * amplitude * 32767).astype(np.int16)
        self._time_base = fractions.Fraction(1, AUDIO_RATE)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        index = await self._pacer.wait()
        pts = index * AUDIO_FRAME_SAMPLES
        start = pts % AUDIO_RATE
        samples = self._cycle[start : start + AUDIO_FRAME_SAMPLES]
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = pts
        frame.time_base = self._time_base
        return frame


class GradientTrack(MediaStreamTrack):
    """The avatar: a colour gradient that scrolls one step per frame."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._pacer = _Pacer(1 / VIDEO_FPS)
        x = np.linspace(0, 255, VIDEO_WIDTH, dtype=np.float32)
        y = np.linspace(0, 255, VIDEO_HEIGHT, dtype=np.float32)
        red = np.broadcast_to(x, (VIDEO_HEIGHT, VIDEO_WIDTH))
        green = np.broadcast_to(y[:, None], (VIDEO_HEIGHT, VIDEO_WIDTH))
        blue = 255 - (red + green) / 2
        self._base = np.stack([red, green, blue], axis=-1).astype(np.uint8)
        self._time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self.frames_sent = 0

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        index = await self._pacer.wait()
        image = np.roll(self._base, shift=index * 8, axis=1)
        frame = VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts = index * (VIDEO_CLOCK // VIDEO_FPS)
        frame.time_base = self._time_base
        self.frames_sent += 1
        return frame


IMAGE_WIDTH = 256  # output_image.delta frames: a size of their own, so tests can tell them
IMAGE_HEIGHT = 192  # apart from the RTP track's 320x240


class JpegFrames:
    """The avatar as JPEG frames (rtAV's `response.output_image.delta`): vertical stripes
    that move one step per frame, encoded with PyAV's MJPEG encoder."""

    def __init__(self, width: int = IMAGE_WIDTH, height: int = IMAGE_HEIGHT) -> None:
        self.width, self.height = width, height
        x = np.arange(width)
        stripes = np.where((x // 16) % 2 == 0, 230, 30).astype(np.uint8)
        self._base = np.broadcast_to(stripes[None, :, None], (height, width, 3)).copy()
        self._base[..., 2] = 128  # a constant blue so no frame is plain grey
        self.count = 0

    def next(self) -> bytes:
        image = np.ascontiguousarray(np.roll(self._base, shift=self.count * 4, axis=1))
        self.count += 1
        encoder = av.CodecContext.create("mjpeg", "w")
        encoder.width, encoder.height = self.width, self.height
        encoder.pix_fmt = "yuvj420p"
        encoder.time_base = fractions.Fraction(1, VIDEO_FPS)
        frame = VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuvj420p")
        return b"".join(bytes(packet) for packet in encoder.encode(frame))
