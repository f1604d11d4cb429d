"""One call of a conversation and what hangs off it: its audio, quality sampler, avatar
feed and the subscriptions to undo when it ends. A conversation goes through several links
(a retry, a reconnect after the network dropped, a rollover before a session limit)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.stats.sampler import Sampler
    from desktop.core.talk.audio import Audio
    from desktop.core.video.feed import VideoFeed


@dataclass(eq=False)
class CallLink:
    call: RealtimeCall
    audio: Audio | None
    model: str
    api_key: str | None = None  # for a rollover into a new call (never shown or saved)
    video: VideoFeed | None = None
    sampler: Sampler | None = None
    unsubscribe: list[Callable[[], None]] = field(default_factory=list)
    connected_at: float | None = None  # time.monotonic()
    rollover: asyncio.Task[None] | None = None
    warned_malformed: bool = False

    def unwire(self) -> None:
        for undo in self.unsubscribe:
            undo()
        self.unsubscribe.clear()
