"""What the history keeps, as typed values: turns and calls in, summaries and records out.

Never a key and never audio: only what was said (as text), who said it, when, and what a
call cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Retention(Enum):
    KEEP = "keep"  # keep every conversation until the user deletes it
    DAYS_30 = "days_30"  # delete conversations older than 30 days
    OFF = "off"  # keep nothing: nothing is saved, and what was kept is deleted

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, value: str) -> Retention:
        """The setting's value; anything unknown keeps everything (the safe reading)."""
        try:
            return cls(value)
        except ValueError:
            return cls.KEEP


_LABELS = {
    Retention.KEEP: "Keep conversations",
    Retention.DAYS_30: "Delete after 30 days",
    Retention.OFF: "Don't keep conversations",
}


@dataclass(frozen=True)
class SavedTurn:
    """One turn as stored. ``item_id`` is its key within the conversation: saving the same
    item again (its text or status changed) replaces it."""

    item_id: str
    role: str  # user / assistant / system / tool
    kind: str  # message / function_call / function_call_output
    text: str
    status: str  # in_progress / completed / interrupted / cancelled / failed
    started: float  # seconds since the epoch
    finished: float
    order: int | None = None  # position in the conversation; None: after the others


@dataclass(frozen=True)
class SavedCall:
    """One call (one connection) of a conversation; saved again as its figures grow."""

    call_id: str
    provider: str
    model: str
    started: float
    ended: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None  # dollars; None when no price is known
    connect_ms: float | None = None
    median_turn_ms: float | None = None


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    started: float
    ended: float | None
    provider: str
    model: str
    voice: str
    resumed_from: str | None
    turn_count: int
    cost: float | None  # the sum over its calls; None when none had a price

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.ended or self.started) - self.started)


@dataclass(frozen=True)
class ConversationRecord:
    summary: ConversationSummary
    turns: list[SavedTurn] = field(default_factory=list)
    calls: list[SavedCall] = field(default_factory=list)


@dataclass(frozen=True)
class SearchHit:
    """A conversation where the words were found, with one matching turn's snippet.
    ``spans`` are (start, end) character offsets of the matches inside ``snippet``."""

    conversation_id: str
    title: str
    started: float
    provider: str
    item_id: str
    role: str
    snippet: str
    spans: list[tuple[int, int]]
