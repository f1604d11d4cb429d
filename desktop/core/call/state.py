"""The single observable state of a call, and when each stage was reached."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum


class CallState(Enum):
    IDLE = "idle"
    WAITING = "waiting"  # a connect attempt failed; the next one starts after a pause
    AUTHORIZING = "authorizing"  # minting an ephemeral key, fetching ICE servers
    GATHERING = "gathering"  # ICE candidate gathering for the offer
    SIGNALING = "signaling"  # the offer/answer HTTP exchange
    CONNECTING = "connecting"  # ICE + DTLS + data channel + session ready
    CONNECTED = "connected"
    CLOSING = "closing"
    CLOSED = "closed"
    FAILED = "failed"

    @property
    def is_active(self) -> bool:
        """A call is under way or being set up (Connect should read Disconnect)."""
        return self not in (CallState.IDLE, CallState.CLOSED, CallState.FAILED)

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    CallState.IDLE: "Not connected",
    CallState.WAITING: "Waiting to retry",
    CallState.AUTHORIZING: "Authorizing",
    CallState.GATHERING: "Preparing network",
    CallState.SIGNALING: "Contacting server",
    CallState.CONNECTING: "Connecting",
    CallState.CONNECTED: "Connected",
    CallState.CLOSING: "Hanging up",
    CallState.CLOSED: "Disconnected",
    CallState.FAILED: "Failed",
}

# The order a successful call moves through; the setup stages are timed.
SETUP_STAGES = (
    CallState.AUTHORIZING,
    CallState.GATHERING,
    CallState.SIGNALING,
    CallState.CONNECTING,
)


@dataclass(frozen=True)
class CallStatus:
    """What the window shows: the state, and for failures why and where."""

    state: CallState
    reason: str = ""  # a sentence for a person: what happened and what to do (or, while
    # WAITING, what happened and when the next attempt starts)
    stage: CallState | None = None  # the stage a failure happened in
    details: str = ""  # the server's own words, for the tooltip / support


@dataclass
class StageTimings:
    """Monotonic timestamps for each stage entered, plus finer connect milestones.

    `milestones` holds named points inside CONNECTING (ice_connected, channel_open,
    session_ready) so the stats view can draw the connect breakdown.
    """

    started: float | None = None
    entered: dict[CallState, float] = field(default_factory=dict)
    milestones: dict[str, float] = field(default_factory=dict)

    def enter(self, state: CallState, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self.started is None:
            self.started = now
        self.entered[state] = now

    def mark(self, name: str, now: float | None = None) -> None:
        self.milestones[name] = time.monotonic() if now is None else now

    def durations_ms(self) -> dict[str, float]:
        """Time spent in each setup stage, and connect milestones from the stage start."""
        out: dict[str, float] = {}
        points = sorted(self.entered.items(), key=lambda kv: kv[1])
        for (state, t0), (_next_state, t1) in zip(points, points[1:], strict=False):
            if state in SETUP_STAGES:
                out[state.value] = (t1 - t0) * 1000
        connecting = self.entered.get(CallState.CONNECTING)
        if connecting is not None:
            for name, t in sorted(self.milestones.items(), key=lambda kv: kv[1]):
                out[name] = (t - connecting) * 1000
        return out

    def total_setup_ms(self) -> float | None:
        if self.started is None or CallState.CONNECTED not in self.entered:
            return None
        return (self.entered[CallState.CONNECTED] - self.started) * 1000
