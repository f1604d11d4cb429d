"""The speaker: plays the remote track through a sounddevice OutputStream.

A reader task on the loop decodes the track's frames to 48 kHz mono and pushes them into
the playout buffer; the device callback pulls exactly what it plays, hands that same audio
to the echo canceller as the far end, and meters it. Devices at another rate get the audio
resampled in 10 ms steps inside the callback (at most 10 ms more delay, only for them).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from desktop.core.audio.channel import DeviceChannel, DeviceEnd, Handle
from desktop.core.audio.cue import CueMixer
from desktop.core.audio.devices import SYSTEM_DEFAULT
from desktop.core.audio.edges import SoundEdges
from desktop.core.audio.frames import CHUNK_SAMPLES, RATE, Chunker, FrameConverter, Resampler
from desktop.core.audio.levels import LevelMeter
from desktop.core.audio.playout import PlayoutBuffer, PlayoutStats
from desktop.core.audio.processing import AudioProcessor
from desktop.core.audio.streams import BLOCKSIZE, Latency, OpenedStream
from desktop.core.observable import Emitter

log = logging.getLogger("talkline.audio")


@dataclass(frozen=True)
class SpeakerStats:
    device: str
    playout: PlayoutStats
    output_latency_ms: float  # from the buffer's end to the DAC, as PortAudio reports it
    receive_to_play_ms: float  # a received frame waits this long before the DAC plays it
    frames_received: int


class _OutputState:
    """What one output stream's callback keeps between calls."""

    def __init__(self, opened: OpenedStream) -> None:
        self.resampler = Resampler(RATE, opened.samplerate) if opened.samplerate != RATE else None
        self.fifo = np.zeros(0, dtype=np.int16)  # resampled audio not yet written
        self.pace: collections.deque[tuple[float, int]] = collections.deque()  # (time, frames)


class Speaker(DeviceEnd):
    """An audio sink: `await start(track)`, `await stop()`, `clear()`."""

    def __init__(
        self,
        device: str = SYSTEM_DEFAULT,
        *,
        processor: AudioProcessor | None = None,
        meter: LevelMeter | None = None,
        notices: Emitter[str] | None = None,
        prefill_ms: float = 20.0,
        max_ms: float = 200.0,
        latency: Latency = "low",
        blocksize: int = BLOCKSIZE,
        device_rate: int | None = None,
    ) -> None:
        self.device = device
        self.processor = processor
        self.meter = meter or LevelMeter()
        self.edges = SoundEdges("speaker")  # when replies become audible (call stats)
        self.notices = notices if notices is not None else Emitter[str]()
        self.playout = PlayoutBuffer(prefill_ms=prefill_ms, max_ms=max_ms)
        self.cues = CueMixer()  # local sounds (push-to-talk cue) mixed over the reply
        self.frames_received = 0
        self._converter = FrameConverter()
        self._render = Chunker(CHUNK_SAMPLES)  # far-end reference in 10 ms pieces
        self._flush = False
        self._output_latency = 0.0
        self._queued_for = 0.0  # smoothed playout wait of received frames
        self._reader: asyncio.Task[None] | None = None
        self._channel = DeviceChannel(
            "output",
            on_block=self._on_block,
            idle=_silence,
            ready=_running,
            new_state=_OutputState,
            notices=self.notices,
            latency=latency,
            blocksize=blocksize,
            samplerate=device_rate,  # None: 48 kHz when the device takes it
        )

    # -- the sink contract ---------------------------------------------------------------

    async def open(self) -> None:
        """Open the device now (so it is warm before audio arrives). Raises AudioError."""
        if not self._channel.is_open:
            await self._channel.open(self.device)

    async def start(self, track: MediaStreamTrack) -> None:
        """Play `track` (the engine calls this when the remote track arrives)."""
        await self.open()
        await self._stop_reader()
        self._reader = asyncio.create_task(self._read(track), name="speaker-reader")

    async def stop(self) -> None:
        await self._stop_reader()
        await self._channel.close()

    def clear(self) -> None:
        """Silence at once: drop everything queued (the user interrupted)."""
        self.playout.clear()
        self._flush = True

    def stats(self) -> SpeakerStats:
        return SpeakerStats(
            device=self._channel.selected,
            playout=self.playout.stats(),
            output_latency_ms=self._output_latency * 1000,
            receive_to_play_ms=(self._queued_for + self._output_latency) * 1000,
            frames_received=self.frames_received,
        )

    # -- network side --------------------------------------------------------------------

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)  # an audio track's frames
                self.frames_received += 1
                waits = self.playout.depth_ms / 1000  # this frame plays after what is queued
                self._queued_for += (waits - self._queued_for) * 0.05
                self.playout.push(self._converter.convert(frame))
        except MediaStreamError:
            log.info("remote audio ended")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bad frame must not end the call
            log.exception("speaker reader failed")
            self.notices.emit(f"Playback stopped: {exc}")

    async def _stop_reader(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

    # -- device side (PortAudio thread) --------------------------------------------------

    def _on_block(self, handle: Handle, outdata: Any, frames: int, time_info: Any) -> None:
        state: _OutputState = handle.state
        if self._flush:
            self._flush = False
            state.fifo = state.fifo[:0]
        if state.resampler is None:
            reply = self.playout.pull(frames)
            out = self.cues.mix(reply)
            self._reference(out)
        else:
            while len(state.fifo) < frames:
                chunk = self.cues.mix(self.playout.pull(CHUNK_SAMPLES))
                self._reference(chunk)
                state.fifo = np.concatenate((state.fifo, state.resampler.process(chunk)))
            out, state.fifo = state.fifo[:frames], state.fifo[frames:]
            reply = out
        outdata[:] = out.reshape(-1, 1)  # broadcast to every channel
        ahead = time_info.outputBufferDacTime - time_info.currentTime
        if time_info.outputBufferDacTime <= 0 or not 0 <= ahead < 1:
            ahead = handle.latency  # the host API gives no timing: use the nominal latency
        self._output_latency = ahead
        # outputBufferDacTime is when this block's first sample plays: the reply's first
        # audible sample, on the monotonic clock.
        self.edges.feed(reply, time.monotonic() + ahead, handle.samplerate)  # not the cue
        if self.processor is not None:
            # When will the first sample of the last 10 ms handed to the canceller play?
            rate = handle.samplerate
            if state.resampler is None:
                start = (frames - self._render.pending - CHUNK_SAMPLES) / RATE
            else:
                start = (frames + len(state.fifo)) / rate - CHUNK_SAMPLES / RATE
            self.processor.render_delay_ms = (ahead + start) * 1000

    def _reference(self, samples: np.ndarray) -> None:
        for chunk in self._render.push(samples):
            self.meter.feed(chunk)
            if self.processor is not None:
                self.processor.process_render(chunk)


def _silence(outdata: Any) -> None:
    outdata.fill(0)


PACE_WINDOW_S = 0.1


def _running(handle: Handle, frames: int, time_info: Any) -> bool:
    """A new output stream takes over once it consumes in real time: PortAudio first fills
    the device buffer in a burst, which a device that is still starting then sits on (up to
    2 s for an idle Pulse sink). So: over the last 100 ms, about one second of audio per
    second, measured over at least 40 ms."""
    pace: collections.deque[tuple[float, int]] = handle.state.pace
    now = handle.last_callback
    pace.append((now, handle.frames))
    while len(pace) > 1 and now - pace[1][0] >= PACE_WINDOW_S:
        pace.popleft()
    first_t, first_frames = pace[0]
    span = now - first_t
    if span < 0.04 or now - first_t > PACE_WINDOW_S * 1.5:
        return False
    rate = (handle.frames - first_frames) / span
    return 0.7 < rate / handle.samplerate < 1.4
