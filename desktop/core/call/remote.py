"""Receiving side helpers: a tap that notes media arriving, and a sink that only drains."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack


class RemoteTap(MediaStreamTrack):
    """Passes the remote track through, calling `on_frame` for each frame (liveness)."""

    def __init__(self, track: MediaStreamTrack, on_frame: Callable[[], None]) -> None:
        super().__init__()
        self.kind = track.kind
        self._track = track
        self._on_frame = on_frame

    async def recv(self) -> av.AudioFrame | av.VideoFrame:
        frame = await self._track.recv()
        assert isinstance(frame, av.AudioFrame | av.VideoFrame)  # tracks carry frames
        self._on_frame()
        return frame

    def stop(self) -> None:
        super().stop()
        self._track.stop()


class NullSink:
    """Reads and discards the remote audio: aiortc queues frames without bound otherwise."""

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    async def start(self, track: MediaStreamTrack) -> None:
        self._task = asyncio.get_running_loop().create_task(self._drain(track))

    @staticmethod
    async def _drain(track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()

    def clear(self) -> None:
        pass

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
