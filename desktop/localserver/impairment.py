"""A test-only bad network on the local server's sending side: drop and delay packets.

    server = LocalRealtimeServer(impairment=Impairment(drop=0.1, delay_ms=350, seed=1))
    ...
    link = server.calls[-1].impairment    # rtp_sent / rtp_dropped: what really happened

It wraps the call's DTLS transport's `_send_rtp` (aiortc's one exit for RTP and RTCP, both
the sender's audio and the receiver's reports), so the client sees a real lossy, slow
link: gaps in sequence numbers, late receiver reports. The data channel (SCTP) goes its
own way and is never touched: events arrive, only the media and its RTCP suffer. Off
(the default, None) nothing is wrapped. Random choices come from a seeded RNG.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiortc.rtp import is_rtcp


@dataclass(frozen=True)
class Impairment:
    drop: float = 0.0  # fraction of outgoing RTP packets dropped (RTCP is never dropped)
    delay_ms: float = 0.0  # added to every outgoing RTP and RTCP packet
    jitter_ms: float = 0.0  # plus a uniform random 0..jitter_ms (packets may reorder)
    seed: int = 0


class ImpairedLink:
    """Counts what was sent and dropped; `rtp_sent` includes the dropped ones."""

    def __init__(self, impairment: Impairment, send: Callable[[bytes], Awaitable[None]]) -> None:
        self.impairment = impairment
        self._send = send
        self._rng = random.Random(impairment.seed)
        self._pending: set[asyncio.Task[None]] = set()
        self.rtp_sent = 0
        self.rtp_dropped = 0

    @property
    def dropped_pct(self) -> float:
        return 100 * self.rtp_dropped / self.rtp_sent if self.rtp_sent else 0.0

    async def send(self, data: bytes) -> None:
        imp = self.impairment
        if not is_rtcp(data):
            self.rtp_sent += 1
            if self._rng.random() < imp.drop:
                self.rtp_dropped += 1
                return
        delay = (imp.delay_ms + self._rng.uniform(0, imp.jitter_ms)) / 1000
        if delay <= 0:
            await self._send(data)
            return
        asyncio.get_running_loop().call_later(delay, self._later, data)

    def _later(self, data: bytes) -> None:
        task = asyncio.get_running_loop().create_task(self._quietly(data))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _quietly(self, data: bytes) -> None:
        try:
            await self._send(data)
        except Exception:  # the call closed while the packet was "in flight"
            pass


def impair(pc: Any, impairment: Impairment) -> ImpairedLink | None:
    """Wrap the transport the call's audio goes out on; None when there is none."""
    for sender in pc.getSenders():
        dtls = sender.transport
        if dtls is not None:
            link = ImpairedLink(impairment, dtls._send_rtp)
            dtls._send_rtp = link.send
            return link
    return None
