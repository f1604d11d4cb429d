"""Mute without tearing down the call: the gate sends silence in place of the source."""

from __future__ import annotations

import asyncio

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from desktop.core.audio.frames import FRAME_SAMPLES
from desktop.core.audio.pacer import Pacer, silence


class GatedTrack(MediaStreamTrack):
    """Wraps the microphone (or None) so the engine can mute and swap sources.

    While muted the source is still read (its buffers must not back up) but silence is
    sent. With no source at all it sends paced silence, so a person without a microphone
    can still type and hear.
    """

    kind = "audio"

    def __init__(self, source: MediaStreamTrack | None) -> None:
        super().__init__()
        self._source = source
        self.muted = False
        self._pts = 0
        self._pacer = Pacer()

    @property
    def source(self) -> MediaStreamTrack | None:
        return self._source

    def set_source(self, source: MediaStreamTrack | None) -> None:
        self._source = source

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        frame: av.AudioFrame | None = None
        source = self._source
        if source is not None:
            try:
                received = await source.recv()
                assert isinstance(received, av.AudioFrame)  # an audio track's frames
                frame = received
            except MediaStreamError:
                self._source = None  # the source ended (file played out): send silence
            except asyncio.CancelledError:
                raise
        if frame is None:
            await self._pacer.wait()
            frame = silence(self._pts)
        elif self.muted:
            frame = silence(self._pts, frame.samples)
        # Our own timeline, so switching or losing the source never jumps the RTP clock.
        frame.pts = self._pts
        self._pts += frame.samples or FRAME_SAMPLES
        return frame

    def stop(self) -> None:
        super().stop()
        if self._source is not None:
            self._source.stop()
