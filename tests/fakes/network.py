"""Network faults on a real loopback call."""

from __future__ import annotations

from desktop.localserver.server import LocalRealtimeServer


def cut_network(server: LocalRealtimeServer) -> None:
    """Everything the server's newest call would send is lost on the way (its ICE transport
    stops sending, as when a cable is pulled): no audio and no events, so the engine's
    liveness check fails the call as a lost connection."""
    pc = server.calls[-1]._pc
    ice = pc.sctp.transport.transport

    async def lost(_data: bytes) -> None:
        return None

    ice._send = lost
