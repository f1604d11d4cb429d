"""What aiortc's `getStats()` and ICE transport tell us, as plain numbers.

aiortc 1.16 reports, per call:

- ``inbound-rtp`` (what we receive): packetsReceived, packetsLost, jitter (in RTP clock
  units). No bytesReceived, no concealment: aiortc does no packet-loss concealment.
- ``outbound-rtp`` (what we send): packetsSent, bytesSent (RTP payload bytes).
- ``remote-inbound-rtp`` (the peer's receiver reports on our stream): packetsLost,
  fractionLost, jitter and roundTripTime, after the first report that echoes one of our
  sender reports (RTCP every 0.5-1.5 s).
- ``transport``: bytes and packets sent and received on the DTLS transport (audio,
  RTCP and the data channel together).

No candidate-pair or ICE statistics at all (aioice measures no round-trip time): the
selected pair is read from the ICE transport itself, through two private attributes
(`RTCIceTransport._connection`, an aioice `Connection`, and its `_nominated` pairs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

OPUS_CLOCK = 48000


@dataclass(frozen=True)
class RtcCounters:
    """One `getStats()` report boiled down; None where the report has no such figure."""

    packets_received: int | None = None
    packets_lost: int | None = None
    jitter_ms: float | None = None
    packets_sent: int | None = None
    rtp_bytes_sent: int | None = None
    rtt_ms: float | None = None
    remote_loss_pct: float | None = None  # the peer's loss on our stream, last report
    remote_jitter_ms: float | None = None
    bytes_received: int | None = None  # transport: audio + RTCP + data channel
    bytes_sent: int | None = None


@dataclass(frozen=True)
class CandidatePair:
    local_type: str  # host, srflx, prflx, relay
    remote_type: str
    protocol: str  # udp, tcp
    local_address: str
    remote_address: str

    def describe(self) -> str:
        return f"{self.local_type} → {self.remote_type} over {self.protocol.upper()}"


def read_report(report: dict[str, Any], clock_rate: int = OPUS_CLOCK) -> RtcCounters:
    """Sum the audio streams of a report (a call has one of each; video adds its own)."""
    fields: dict[str, Any] = {}
    per_ms = clock_rate / 1000
    for stats in report.values():
        kind = getattr(stats, "kind", "audio")
        typ = stats.type
        if typ == "inbound-rtp" and kind == "audio":
            fields["packets_received"] = stats.packetsReceived
            fields["packets_lost"] = max(0, stats.packetsLost)
            fields["jitter_ms"] = stats.jitter / per_ms
        elif typ == "outbound-rtp" and kind == "audio":
            fields["packets_sent"] = stats.packetsSent
            fields["rtp_bytes_sent"] = stats.bytesSent
        elif typ == "remote-inbound-rtp" and kind == "audio":
            if stats.roundTripTime is not None:
                fields["rtt_ms"] = stats.roundTripTime * 1000
            fields["remote_loss_pct"] = stats.fractionLost * 100 / 256
            fields["remote_jitter_ms"] = stats.jitter / per_ms
        elif typ == "transport":
            fields["bytes_received"] = stats.bytesReceived
            fields["bytes_sent"] = stats.bytesSent
    return RtcCounters(**fields)


def audio_clock_rate(sdp: str | None) -> int:
    """The RTP clock of the negotiated audio codec (the first one on the m=audio line)."""
    if not sdp:
        return OPUS_CLOCK
    media = re.search(r"^m=audio \S+ \S+ (\d+)", sdp, re.M)
    if media is None:
        return OPUS_CLOCK
    rtpmap = re.search(rf"^a=rtpmap:{media.group(1)} [^/\s]+/(\d+)", sdp, re.M)
    return int(rtpmap.group(1)) if rtpmap else OPUS_CLOCK


def selected_pair(pc: Any) -> CandidatePair | None:
    """The nominated ICE pair of the call's (bundled) transport, or None before there is
    one. Reaches into aiortc/aioice privates, so anything unexpected gives None."""
    try:
        transports = [s.transport for s in pc.getSenders() if s.transport is not None]
        if pc.sctp is not None:
            transports.append(pc.sctp.transport)
        for dtls in transports:
            connection = dtls.transport._connection
            for pair in getattr(connection, "_nominated", {}).values():
                local, remote = pair.local_candidate, pair.remote_candidate
                return CandidatePair(
                    local_type=local.type,
                    remote_type=remote.type,
                    protocol=local.transport.lower(),
                    local_address=f"{local.host}:{local.port}",
                    remote_address=f"{remote.host}:{remote.port}",
                )
    except Exception:  # private API moved: the pair is a nicety, never a failure
        return None
    return None
