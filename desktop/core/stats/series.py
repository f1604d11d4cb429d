"""A call's statistics as data: one `Sample` a second, the turns, the connect breakdown."""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop.core.call.state import CallState, StageTimings
from desktop.core.stats.rtc import CandidatePair

WINDOW_S = 120.0  # what the graphs show


@dataclass(frozen=True)
class Sample:
    """The call over the last interval; None where nothing measured it (never a guess)."""

    t_s: float  # seconds since the call connected
    rtt_ms: float | None = None  # RTCP round trip (remote-inbound-rtp)
    jitter_ms: float | None = None  # interarrival jitter of what we receive
    remote_jitter_ms: float | None = None  # the same, as the peer measured our stream
    packets_received: int | None = None  # totals since the call started
    packets_lost: int | None = None
    packets_sent: int | None = None
    loss_pct: float | None = None  # of what we received, in this interval
    loss_total_pct: float | None = None  # of what we received, whole call
    remote_loss_pct: float | None = None  # of what we sent, per the peer's last report
    bitrate_in_kbps: float | None = None  # every byte on the transport, both directions
    bitrate_out_kbps: float | None = None
    audio_out_kbps: float | None = None  # RTP payload of our audio only
    input_dbfs: float | None = None  # loudest 50 ms RMS of the interval
    output_dbfs: float | None = None
    playout_ms: float | None = None
    playout_target_ms: float | None = None
    underruns: int | None = None  # totals since the call started
    overruns: int | None = None


@dataclass(frozen=True)
class TurnLatency:
    """One voice turn, in milliseconds; None where that point was not seen."""

    index: int
    response_id: str
    speech_end_source: str | None  # "local_vad" (our microphone) or "server_vad"
    speech_end_to_audio_ms: float | None  # the user stopped → first audible reply sample
    created_to_audio_ms: float | None  # response.created arrived → first audible sample
    speech_end_to_created_ms: float | None
    audio_at: str | None  # "speaker" (the DAC time) or "received" (off the network)
    t_s: float  # when the response was created, seconds since the call connected


CONNECT_STEPS = (
    "authorizing",
    "gathering",
    "signaling",
    "ice_dtls",
    "data_channel",
    "session_ready",
)
STEP_LABELS = {
    "authorizing": "Authorizing",
    "gathering": "Gathering",
    "signaling": "Signaling (HTTP)",
    "ice_dtls": "ICE + DTLS",
    "data_channel": "Data channel",
    "session_ready": "Session ready",
}


def connect_breakdown(timings: StageTimings) -> dict[str, float]:
    """Milliseconds per setup step, in order; a step that was never reached is left out.

    ICE + DTLS ends when aiortc reports the peer connection "connected" (both done); the
    data channel then opens over SCTP; the session is ready at session.updated."""
    points: list[tuple[str, float | None]] = [
        ("start", timings.entered.get(CallState.AUTHORIZING)),
        ("authorizing", timings.entered.get(CallState.GATHERING)),
        ("gathering", timings.entered.get(CallState.SIGNALING)),
        ("signaling", timings.entered.get(CallState.CONNECTING)),
        ("ice_dtls", timings.milestones.get("ice_connected")),
        ("data_channel", timings.milestones.get("channel_open")),
        ("session_ready", timings.milestones.get("session_ready")),
    ]
    out: dict[str, float] = {}
    previous: float | None = None
    for name, t in points:
        if t is None:
            continue
        if previous is not None:
            out[name] = max(0.0, (t - previous) * 1000)
        previous = max(t, previous) if previous is not None else t
    return out


@dataclass
class CallStats:
    """Everything measured about one call; the sampler appends, views and exports read."""

    provider: str = ""
    started_at: float | None = None  # wall-clock time the call connected (for exports)
    samples: list[Sample] = field(default_factory=list)
    turns: list[TurnLatency] = field(default_factory=list)
    connect_ms: dict[str, float] = field(default_factory=dict)
    pair: CandidatePair | None = None
    warnings: list[str] = field(default_factory=list)  # what is shown now, plain words

    def recent(self, seconds: float = WINDOW_S) -> list[Sample]:
        if not self.samples:
            return []
        since = self.samples[-1].t_s - seconds
        return [s for s in self.samples if s.t_s >= since]
