"""Real sound for the audio tests: a private PulseAudio with virtual devices (tests/pulse.py).

Started once per session (shared with any other suite that asks `shared_pulse()`), reset
after each test, stopped at the end; `pytest` alone works on a fresh machine that has
pulseaudio installed, and fails loudly (never skips) where it has not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import av
import pytest

from desktop.core.audio.playback import Speaker
from tests.pulse import PulseAudio, shared_pulse


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration/audio" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.audio)


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[PulseAudio]:
    with shared_pulse() as server:
        yield server


@pytest.fixture
def pulse(pulse_server: PulseAudio) -> Iterator[PulseAudio]:
    """The running server, restored (extra modules unloaded, defaults back) after the test."""
    from desktop.core.audio import devices

    devices.refresh()
    yield pulse_server
    pulse_server.reset()


async def opened(speaker: Speaker) -> Speaker:
    """Open the speaker and let its device settle, as a call does before audio arrives
    (a new stream on a virtual sink can take a moment to start consuming)."""
    await speaker.open()
    await asyncio.sleep(0.4)
    return speaker


class FrameCollector:
    """Pulls a track's frames on the loop as the sender would, keeping them and when."""

    def __init__(self, track: object) -> None:
        self.track = track
        self.frames: list[av.AudioFrame] = []
        self.times: list[float] = []
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        from aiortc.mediastreams import MediaStreamError

        loop = asyncio.get_running_loop()
        try:
            while True:
                frame = await self.track.recv()  # type: ignore[attr-defined]
                self.frames.append(frame)
                self.times.append(loop.time())
        except MediaStreamError:
            pass

    async def stop(self) -> None:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
