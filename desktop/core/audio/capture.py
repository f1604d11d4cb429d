"""The microphone as an aiortc audio track: 20 ms, 48 kHz mono s16 frames in real time.

The device callback (a PortAudio thread) downmixes, resamples to 48 kHz when the device
runs at another rate, cleans 10 ms pieces with the audio processor (echo cancellation,
noise suppression, high-pass), and queues whole 20 ms frames. `recv()` hands them out as
soon as they exist, so capture adds no delay beyond the device and one frame.

Real-time pacing without a device clock of our own: when the device is late (starting
up, switching, gone) `recv()` sends silence on a 20 ms timeline so the call keeps its
rhythm. Frames that waited (captured before the call started pulling, or during a stall
of the loop) are dropped down to the newest `max_backlog_ms`: sent as a burst, they would
become permanent delay in any receiver that plays on its own clock (measured: the local
echo server kept a 100 ms start-up burst for the whole call). `pts` counts samples and
never jumps, whatever the device does.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from desktop.core.audio.channel import DeviceChannel, DeviceEnd, Handle
from desktop.core.audio.devices import SYSTEM_DEFAULT
from desktop.core.audio.edges import SoundEdges
from desktop.core.audio.frames import (
    CHUNK_SAMPLES,
    FRAME_SAMPLES,
    RATE,
    Chunker,
    Resampler,
    make_frame,
    to_mono,
)
from desktop.core.audio.levels import LevelMeter
from desktop.core.audio.processing import AudioProcessor
from desktop.core.audio.streams import CAPTURE_BLOCKSIZE, Latency, OpenedStream
from desktop.core.observable import Emitter

log = logging.getLogger("talkline.audio")

FRAME_S = FRAME_SAMPLES / RATE
# How late the device may be before a frame of silence goes out. Pulse delivers 25-40 ms
# late now and then (measured here); filling those with silence would cut words.
LATE_GRACE_S = 0.08
FRESH_S = 0.15  # a new input stream takes over once its blocks are younger than this


@dataclass(frozen=True)
class CaptureStats:
    device: str
    capture_to_send_ms: float  # age of a frame's oldest sample when handed to the sender
    input_latency_ms: float
    frames_sent: int
    silence_frames: int  # sent because the device was late or absent
    dropped_frames: int  # captured but dropped to keep the delay down


class _InputState:
    def __init__(self, opened: OpenedStream) -> None:
        self.resampler = Resampler(opened.samplerate, RATE) if opened.samplerate != RATE else None


class MicrophoneTrack(DeviceEnd, MediaStreamTrack):
    kind = "audio"

    def __init__(
        self,
        device: str = SYSTEM_DEFAULT,
        *,
        processor: AudioProcessor | None = None,
        meter: LevelMeter | None = None,
        notices: Emitter[str] | None = None,
        latency: Latency = "low",
        blocksize: int = CAPTURE_BLOCKSIZE,
        device_rate: int | None = None,
        max_backlog_ms: float = 40.0,
    ) -> None:
        super().__init__()
        self.device = device
        self.processor = processor
        self.meter = meter or LevelMeter()  # the raw microphone, before processing and mute
        self.edges = SoundEdges("microphone")  # when the user stops talking (call stats)
        self.notices = notices if notices is not None else Emitter[str]()
        # The device side keeps up to 100 ms (a stalled loop must not lose more than that);
        # recv() hands out at most `max_backlog_ms` of it.
        self._queue: collections.deque[tuple[np.ndarray, float]] = collections.deque(maxlen=5)
        self._max_age = max_backlog_ms / 1000 + FRAME_S + 0.01  # oldest sample, fresh frame
        self._chunker = Chunker(CHUNK_SAMPLES)
        self._half: np.ndarray | None = None  # first 10 ms of the next frame
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pts = 0
        self._due: float | None = None  # when a silent frame goes out if nothing came
        self._input_latency = 0.0
        self._capture_to_send = 0.0
        self.frames_sent = 0
        self.silence_frames = 0
        self.dropped_frames = 0
        self._channel = DeviceChannel(
            "input",
            on_block=self._on_block,
            idle=_ignore,
            ready=_fresh,
            new_state=_InputState,
            notices=self.notices,
            latency=latency,
            blocksize=blocksize,
            samplerate=device_rate,  # None: 48 kHz when the device takes it
        )

    # -- control -------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the device (raises AudioError with a readable message)."""
        self._loop = asyncio.get_running_loop()
        if not self._channel.is_open:
            await self._channel.open(self.device)

    def stop(self) -> None:
        super().stop()
        self._channel.close_soon()
        self._wake.set()

    async def aclose(self) -> None:
        await self._channel.close()
        super().stop()
        self._wake.set()

    def stats(self) -> CaptureStats:
        return CaptureStats(
            device=self._channel.selected,
            capture_to_send_ms=self._capture_to_send * 1000,
            input_latency_ms=self._input_latency * 1000,
            frames_sent=self.frames_sent,
            silence_frames=self.silence_frames,
            dropped_frames=self.dropped_frames,
        )

    # -- the track -----------------------------------------------------------------------

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        self._loop = loop
        now = loop.time()
        if self._due is None:
            self._due = now + FRAME_S + LATE_GRACE_S
        if not self._queue:
            self._wake.clear()
            if not self._queue and self._due > now:
                # A timer sets the same event: no wait_for, which on Python 3.11 can swallow
                # a cancellation that lands as the event fires (and the sender never stops).
                timer = loop.call_at(self._due, self._wake.set)
                try:
                    await self._wake.wait()
                finally:
                    timer.cancel()
            if self.readyState != "live":
                raise MediaStreamError
        now = loop.time()
        while len(self._queue) > 1 and time.monotonic() - self._queue[0][1] > self._max_age:
            self._queue.popleft()  # stale: it waited while nobody pulled
            self.dropped_frames += 1
        if self._queue:
            samples, captured_at = self._queue.popleft()
            age = time.monotonic() - captured_at
            self._capture_to_send += (age - self._capture_to_send) * 0.1
            self._due = now + FRAME_S + LATE_GRACE_S
        else:
            samples = np.zeros(FRAME_SAMPLES, dtype=np.int16)
            self.silence_frames += 1
            # Keep a 20 ms rhythm while the device is silent; never catch up in a burst.
            self._due = max(self._due + FRAME_S, now)
        frame = make_frame(samples, self._pts)
        self._pts += FRAME_SAMPLES
        self.frames_sent += 1
        return frame

    # -- device side (PortAudio thread) --------------------------------------------------

    def _on_block(self, handle: Handle, indata: Any, frames: int, time_info: Any) -> None:
        now = time.monotonic()
        mono = to_mono(indata)
        state: _InputState = handle.state
        if state.resampler is not None:
            mono = state.resampler.process(mono)
        age = _block_age(handle, frames, time_info)
        self._input_latency = age
        # The last sample of this block was taken `age - block duration` ago.
        end_age = max(0.0, age - frames / handle.samplerate)
        chunks = self._chunker.push(mono)
        for i, chunk in enumerate(chunks):
            peak = self.meter.feed(chunk)  # the raw microphone, before any processing
            # When speech ends, on the ADC clock. The raw signal: processing delays it
            # (~20 ms measured with echo cancellation on).
            back = self._chunker.pending + (len(chunks) - i) * CHUNK_SAMPLES
            self.edges.feed(chunk, now - end_age - back / RATE, RATE, peak)
            if self.processor is not None:
                delay = (end_age + (self._chunker.pending + CHUNK_SAMPLES) / RATE) * 1000
                chunk = self.processor.process_capture(chunk, delay)
            if self._half is None:
                self._half = chunk
                continue
            frame = np.concatenate((self._half, chunk))
            self._half = None
            if len(self._queue) == self._queue.maxlen:
                self.dropped_frames += 1
            captured_at = now - end_age - (self._chunker.pending + FRAME_SAMPLES) / RATE
            self._queue.append((frame, captured_at))
            self._notify()

    def _notify(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the loop closed between the check and the call
            pass


def _block_age(handle: Handle, frames: int, time_info: Any) -> float:
    """How long ago the block's first sample was captured (PortAudio's clock)."""
    adc = time_info.inputBufferAdcTime
    age = time_info.currentTime - adc
    if adc <= 0 or not 0 <= age < 2:
        return handle.latency + frames / handle.samplerate  # no timing from this host API
    return float(age)


def _ignore(indata: Any) -> None:
    pass


def _fresh(handle: Handle, frames: int, time_info: Any) -> bool:
    """A new input stream takes over once it delivers blocks in real time (an idle device
    first hands over a backlog that is seconds old)."""
    return _block_age(handle, frames, time_info) < handle.latency + FRESH_S
