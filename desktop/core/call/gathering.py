"""ICE gathering on a budget: the offer never waits on a STUN or TURN server that is silent.

aiortc gathers inside `setLocalDescription`, and aioice's gathering waits up to 5 s for
every STUN binding and TURN allocation before the offer exists. When a firewall drops
them, that is 5 s of "Connecting" for nothing: the providers answer at public addresses
and host candidates are enough. aioice's own `Connection.get_component_candidates` takes
that wait as a `timeout` argument but `gather_candidates` never passes it, so we bind it
on each of this call's ICE connections: host candidates always, server-reflexive and relay
candidates when they arrive within the budget; the rest are cancelled, as aioice does
itself after 5 s. Providers take one offer (no trickle ICE), so late candidates are lost;
ICE still connects over host candidates.

`RTCIceGatherer._connection` is aiortc's private handle on the aioice connection (its
own ICE transport reads it). If it or the `timeout` argument moves, we log and gather as
before, slowly but correctly.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections import Counter
from dataclasses import dataclass, field

from aiortc import RTCIceGatherer, RTCIceServer, RTCPeerConnection

log = logging.getLogger(__name__)

# Long enough for a STUN answer or a TURN allocation from a nearby server (tens of ms),
# short enough that nobody notices it when they never come.
GATHER_BUDGET_S = 0.25


@dataclass(frozen=True)
class Gathered:
    """What went into the offer: candidate counts by type, and whether the budget held."""

    budgeted: bool  # False: aioice changed shape and gathering was not limited
    budget_ms: float
    candidates: dict[str, int] = field(default_factory=dict)  # "host" / "srflx" / "relay"
    stun_servers: int = 0
    turn_servers: int = 0

    @property
    def servers_silent(self) -> bool:
        """ICE servers were configured but none of them gave a candidate in time."""
        asked = self.stun_servers + self.turn_servers
        got = self.candidates.get("srflx", 0) + self.candidates.get("relay", 0)
        return asked > 0 and got == 0


def _gatherers(pc: RTCPeerConnection) -> list[RTCIceGatherer]:
    """Each ICE gatherer of the connection (one per transceiver and the data channel)."""
    transports = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    seen: dict[int, RTCIceGatherer] = {}
    for dtls in transports:
        gatherer = dtls.transport.iceGatherer
        seen.setdefault(id(gatherer), gatherer)
    return list(seen.values())


def limit_gathering(pc: RTCPeerConnection, budget_s: float = GATHER_BUDGET_S) -> bool:
    """Make the next gathering (in `setLocalDescription`) wait at most `budget_s` for servers.

    Call after the transceivers and data channel exist, before `setLocalDescription`.
    Returns False (and logs) when aioice's internals moved and gathering is unlimited.
    """
    for gatherer in _gatherers(pc):
        connection = getattr(gatherer, "_connection", None)
        method = getattr(connection, "get_component_candidates", None)
        if method is None or "timeout" not in inspect.signature(method).parameters:
            log.warning(
                "aioice changed: ICE gathering is not budgeted and may wait on silent "
                "STUN/TURN servers"
            )
            return False
        # Instance attribute: only this call's connection, aioice's own code path.
        connection.get_component_candidates = functools.partial(method, timeout=budget_s)  # type: ignore[union-attr]
    return True


def gathered(
    pc: RTCPeerConnection, ice_servers: list[RTCIceServer], *, budgeted: bool, budget_s: float
) -> Gathered:
    """Summarise the candidates gathered for the offer (after `setLocalDescription`)."""
    counts: Counter[str] = Counter()
    for gatherer in _gatherers(pc):
        counts.update(candidate.type for candidate in gatherer.getLocalCandidates())
    urls = [u for s in ice_servers for u in ([s.urls] if isinstance(s.urls, str) else s.urls)]
    return Gathered(
        budgeted=budgeted,
        budget_ms=budget_s * 1000,
        candidates=dict(counts),
        stun_servers=sum(1 for url in urls if url.startswith("stun")),
        turn_servers=sum(1 for url in urls if url.startswith("turn")),
    )


async def set_local_offer(
    pc: RTCPeerConnection, ice_servers: list[RTCIceServer], budget_s: float = GATHER_BUDGET_S
) -> Gathered:
    """Create the offer and gather within `budget_s`; `pc.localDescription` is then ready."""
    budgeted = limit_gathering(pc, budget_s)
    await pc.setLocalDescription(await pc.createOffer())
    return gathered(pc, ice_servers, budgeted=budgeted, budget_s=budget_s)
