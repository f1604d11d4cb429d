"""The client side of the provider tests: open a real RealtimeCall against a fake, watch what
a person would see (status, notices, transcript, sound, picture), and wait for it.

Unlike the fakes themselves, this module imports the client (``desktop``). The fixtures
that use it are in ``tests.fakes.fixtures``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from desktop.core.call.engine import RealtimeCall
from desktop.core.call.state import CallState, CallStatus
from desktop.core.events.server import ServerEvent
from desktop.core.profiles import get_profile
from desktop.core.profiles.profile import ProviderProfile
from desktop.core.session import default_config
from desktop.core.session.config import SessionConfig
from tests.fakes.inworld import DEFAULT_KEY as INWORLD_KEY
from tests.fakes.server import FakeProvider

F = TypeVar("F", bound=FakeProvider)
Serve = Callable[[F], Awaitable[F]]

KEYS = {"openai": "sk-test-123", "inworld": INWORLD_KEY, "rtav": "rtav_ak_test123"}


async def until(predicate: Callable[[], bool], what: str, seconds: float = 5.0) -> None:
    """Wait for something to become true; fail the test naming it if it never does."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened within {seconds} s: {what}")
        await asyncio.sleep(0.02)


class MediaCollector:
    """An audio or video sink (the engine's sink protocol) that keeps what it received."""

    def __init__(self) -> None:
        self.frames: list[Any] = []
        self.cleared = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self, track: MediaStreamTrack) -> None:
        self._task = asyncio.get_running_loop().create_task(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                self.frames.append(await track.recv())

    def clear(self) -> None:
        self.cleared += 1

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def mono_samples(self) -> np.ndarray:
        """The received audio as one float array in [-1, 1] (first channel)."""
        chunks = []
        for frame in self.frames:
            data = frame.to_ndarray().reshape(-1)
            channels = len(frame.layout.channels)
            chunks.append(data[::channels] if frame.format.is_packed else data[: frame.samples])
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(chunks).astype(np.float32) / 32768.0


def dominant_hz(samples: np.ndarray, rate: int = 48_000) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


@dataclass
class Watched:
    """A call plus what its user saw."""

    call: RealtimeCall
    statuses: list[CallStatus] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    events: list[ServerEvent] = field(default_factory=list)

    @property
    def states(self) -> list[CallState]:
        return [s.state for s in self.statuses]

    def event_types(self) -> list[str]:
        return [e.type for e in self.events]

    def transcript(self) -> list[tuple[str, str]]:
        return [(t.role, t.text) for t in self.call.conversation.items]

    async def turn_round_trip(self, text: str) -> None:
        """Type a message and wait until the assistant's answer is complete."""
        self.call.send_text(text)
        await until(
            lambda: any(
                t.role == "assistant" and t.status == "completed"
                for t in self.call.conversation.items
            ),
            "the assistant's turn completes",
        )


class CallFactory:
    """Builds calls against fakes and closes every one of them at the end of a test."""

    def __init__(self) -> None:
        self._calls: list[RealtimeCall] = []

    def make(
        self,
        fake: FakeProvider | None,
        provider_id: str,
        *,
        profile: ProviderProfile | None = None,
        config: SessionConfig | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        **kwargs: Any,  # noqa: ANN401 - RealtimeCall's own keyword arguments
    ) -> Watched:
        base = profile or get_profile(provider_id)
        if base_url is None:
            assert fake is not None, "a call needs a fake or a base_url"
            base_url = fake.base_url
        profile = base.with_base_url(base_url)
        call = RealtimeCall(
            profile,
            config or default_config(profile),
            api_key=KEYS[provider_id] if api_key is None else api_key,
            audio_source=None,
            **kwargs,
        )
        self._calls.append(call)
        watched = Watched(call)
        call.status_changed.connect(watched.statuses.append)
        call.notice.connect(watched.notices.append)
        call.event_received.connect(watched.events.append)
        return watched

    async def close_all(self) -> None:
        for call in self._calls:
            await call.close()
