"""What the assistant is doing right now, as one typed value.

The window's state display, the tray, the CLI and history read the same `Phase`; it is
derived in one place (`derive_phase`) from the call's status, the turn controller's state,
the server's voice activity and the tools that are running, so no two views can disagree.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import Enum

from desktop.core.call.state import CallState, CallStatus
from desktop.core.call.turns import TurnState


class PhaseKind(Enum):
    IDLE = "idle"  # no call
    CONNECTING = "connecting"  # setting up a call (authorizing … session ready)
    RETRY_WAIT = "retry_wait"  # a connect failed; the next attempt starts at `until`
    RECONNECTING = "reconnecting"  # the network dropped a call; connecting again, carrying it
    LISTENING = "listening"  # connected; the assistant waits for the user
    USER_SPEAKING = "user_speaking"  # the user talks (server VAD hears them, or the key is held)
    THINKING = "thinking"  # a response was requested and nothing is audible yet
    SPEAKING = "speaking"  # the assistant's voice is playing
    TOOL_RUNNING = "tool_running"  # a tool the model called is running (`detail`: its name)
    FAILED = "failed"  # the call ended on an error (`sentence` says what and what to do)


@dataclass(frozen=True)
class Phase:
    kind: PhaseKind = PhaseKind.IDLE
    sentence: str = ""  # FAILED / RETRY_WAIT: the reason, for a person
    until: float | None = None  # RETRY_WAIT: time.monotonic() of the next attempt
    detail: str = ""  # TOOL_RUNNING: the tool's name(s)

    @property
    def connected(self) -> bool:
        return self.kind in _IN_CALL

    def seconds_left(self, now: float | None = None) -> int | None:
        """RETRY_WAIT: whole seconds until the next attempt (rounded up)."""
        if self.until is None:
            return None
        left = self.until - (time.monotonic() if now is None else now)
        return max(0, math.ceil(left))

    def label(self, now: float | None = None) -> str:
        """The words shown beside the state display and announced to screen readers."""
        kind = self.kind
        if kind is PhaseKind.RETRY_WAIT:
            left = self.seconds_left(now)
            return "Waiting to retry" if left is None else f"Trying again in {left} s"
        if kind is PhaseKind.TOOL_RUNNING:
            return f"Running {self.detail}…" if self.detail else "Running a tool…"
        return _LABELS[kind]


_IN_CALL = frozenset(
    {
        PhaseKind.LISTENING,
        PhaseKind.USER_SPEAKING,
        PhaseKind.THINKING,
        PhaseKind.SPEAKING,
        PhaseKind.TOOL_RUNNING,
    }
)

_LABELS = {
    PhaseKind.IDLE: "Not connected",
    PhaseKind.CONNECTING: "Connecting…",
    PhaseKind.RETRY_WAIT: "Waiting to retry",
    PhaseKind.RECONNECTING: "Reconnecting…",
    PhaseKind.LISTENING: "Listening",
    PhaseKind.USER_SPEAKING: "You are speaking",
    PhaseKind.THINKING: "Thinking…",
    PhaseKind.SPEAKING: "Speaking",
    PhaseKind.TOOL_RUNNING: "Running a tool…",
    PhaseKind.FAILED: "Failed",
}


def derive_phase(
    status: CallStatus,
    turns: TurnState,
    *,
    user_speaking: bool = False,
    tools_running: tuple[str, ...] = (),
    reconnecting: bool = False,
    retry_until: float | None = None,
) -> Phase:
    """The one place a phase is decided (a pure function: tests feed it values)."""
    state = status.state
    if state is CallState.FAILED:
        return Phase(PhaseKind.FAILED, sentence=status.reason)
    if state is CallState.WAITING:
        return Phase(PhaseKind.RETRY_WAIT, sentence=status.reason, until=retry_until)
    if state in (CallState.IDLE, CallState.CLOSED, CallState.CLOSING):
        return Phase(PhaseKind.IDLE)
    if state is not CallState.CONNECTED:
        return Phase(PhaseKind.RECONNECTING if reconnecting else PhaseKind.CONNECTING)
    # Connected. The user's own voice wins: it is what they are doing now (barge-in).
    if turns.listening or user_speaking:
        return Phase(PhaseKind.USER_SPEAKING)
    if turns.assistant_speaking:
        return Phase(PhaseKind.SPEAKING)
    if tools_running:
        return Phase(PhaseKind.TOOL_RUNNING, detail=", ".join(tools_running))
    if turns.response_in_flight:
        return Phase(PhaseKind.THINKING)
    return Phase(PhaseKind.LISTENING)
