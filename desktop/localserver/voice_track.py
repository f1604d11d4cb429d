"""The assistant's voice: a pull-based audio track of 20 ms, 48 kHz s16 frames (mono sound).

aiortc's sender calls ``recv()`` for each frame; we pace it in real time like aiortc's own
``AudioStreamTrack`` and hand out silence when nothing is queued, so timestamps stay
continuous for the whole call.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from .vad import RATE, Int16Array

FRAME_SAMPLES = RATE // 50  # 20 ms
TIME_BASE = fractions.Fraction(1, RATE)
LIVE_CAP_SAMPLES = RATE // 10  # immediate echo keeps at most 100 ms queued: latency first
LIVE_GRACE_S = 0.1  # immediate echo: how late the client's audio may be before silence


@dataclass(eq=False)
class Playback:
    """One queued sound (a response's audio); ``done`` resolves True when fully sent."""

    samples: Int16Array
    done: asyncio.Future[bool]
    sent: int = 0

    @property
    def sent_ms(self) -> int:
        return self.sent * 1000 // RATE


@dataclass(eq=False)
class _Chunk:
    samples: Int16Array
    playback: Playback | None = None
    offset: int = field(default=0)


class VoiceTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queue: deque[_Chunk] = deque()
        self._queued = 0
        self._start: float | None = None
        self._pts = 0
        self.frames_sent = 0
        self._live = False  # immediate echo: frames go out as they arrive
        self._arrived = asyncio.Event()

    @property
    def busy(self) -> bool:
        return self._queued > 0

    def play(self, samples: Int16Array) -> Playback:
        """Queue a sound after whatever is queued; await ``.done`` to know it was sent."""
        playback = Playback(samples, asyncio.get_running_loop().create_future())
        if samples.size == 0:
            playback.done.set_result(True)
            return playback
        self._queue.append(_Chunk(samples, playback))
        self._queued += samples.size
        return playback

    def push_live(self, samples: Int16Array) -> None:
        """Immediate echo: queue a received frame, dropping the oldest live audio past the cap."""
        self._live = True
        self._queue.append(_Chunk(samples))
        self._queued += samples.size
        self._arrived.set()
        while self._queued > LIVE_CAP_SAMPLES and self._queue[0].playback is None:
            head = self._queue.popleft()
            self._queued -= head.samples.size - head.offset

    def clear(self) -> None:
        """Stop at once: drop everything queued (what was sent stays sent)."""
        while self._queue:
            chunk = self._queue.popleft()
            if chunk.playback is not None and not chunk.playback.done.done():
                chunk.playback.done.set_result(False)
        self._queued = 0

    def stop(self) -> None:
        self.clear()
        super().stop()

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        else:
            self._pts += FRAME_SAMPLES
            wait = self._start + self._pts / RATE - now
            if wait > 0:
                await self._until(wait)
        # Mono content in a packed stereo frame: aiortc's Opus encoder upmixes mono input
        # with a 3 dB loss, which would make the echo quieter than what the user said.
        stereo = np.repeat(self._next_samples(), 2).reshape(1, -1)
        frame = AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = TIME_BASE
        self.frames_sent += 1
        return frame

    async def _until(self, wait: float) -> None:
        """Sleep until the next frame is due. In immediate echo, frames go out as they
        arrive (the clock follows the sender's, so nothing queues here); silence only
        fills in when the client's audio stops for a while."""
        if not self._live:
            await asyncio.sleep(wait)
            return
        deadline = time.monotonic() + wait + LIVE_GRACE_S
        while self._queued < FRAME_SAMPLES:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)
        self._start = time.monotonic() - self._pts / RATE

    def _next_samples(self) -> Int16Array:
        out = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        filled = 0
        while filled < FRAME_SAMPLES and self._queue:
            chunk = self._queue[0]
            take = min(FRAME_SAMPLES - filled, chunk.samples.size - chunk.offset)
            out[filled : filled + take] = chunk.samples[chunk.offset : chunk.offset + take]
            chunk.offset += take
            filled += take
            self._queued -= take
            if chunk.playback is not None:
                chunk.playback.sent += take
            if chunk.offset >= chunk.samples.size:
                self._queue.popleft()
                if chunk.playback is not None and not chunk.playback.done.done():
                    chunk.playback.done.set_result(True)
        return out
