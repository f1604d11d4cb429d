"""Plain-words hints when the call's figures explain why it sounds bad."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desktop.core.stats.series import Sample

LOSS_PCT = 5.0
RTT_MS = 300.0
UNDERRUNS = 3  # within UNDERRUN_WINDOW_S: once is a hiccup, again and again is a problem
UNDERRUN_WINDOW_S = 10.0
LOSS_WINDOW_S = 5.0  # loss over a few seconds: one late RTCP report is not a trend


@dataclass(frozen=True)
class QualityWarning:
    key: str  # "loss", "rtt", "underruns": a newer text with the same key replaces it
    text: str


def assess(samples: Sequence[Sample]) -> list[QualityWarning]:
    """The hints that apply now, judged on the last few seconds of samples."""
    if not samples:
        return []
    last = samples[-1]
    out: list[QualityWarning] = []
    loss = _recent_loss(samples)
    if loss is not None and loss > LOSS_PCT:
        out.append(
            QualityWarning(
                "loss",
                f"The network is dropping packets ({loss:.0f} % lost): the voice may break "
                "up. A wired connection or a less busy network helps.",
            )
        )
    if last.rtt_ms is not None and last.rtt_ms > RTT_MS:
        out.append(
            QualityWarning(
                "rtt",
                f"The connection is slow ({last.rtt_ms:.0f} ms there and back): replies "
                "will start late and interrupting takes a moment.",
            )
        )
    runs = _recent_underruns(samples)
    if runs >= UNDERRUNS:
        out.append(
            QualityWarning(
                "underruns",
                f"The reply's sound ran out {runs} times in the last "
                f"{UNDERRUN_WINDOW_S:.0f} seconds: audio arrives unevenly, so it may stutter.",
            )
        )
    return out


def _window(samples: Sequence[Sample], seconds: float) -> list[Sample]:
    since = samples[-1].t_s - seconds
    return [s for s in samples if s.t_s >= since]


def _recent_loss(samples: Sequence[Sample]) -> float | None:
    """Loss over the window, the worse of the two directions."""
    recent = _window(samples, LOSS_WINDOW_S)
    first, last = samples[max(0, len(samples) - len(recent) - 1)], samples[-1]
    worst: float | None = None
    if None not in (first.packets_lost, last.packets_lost, first.packets_received,
                    last.packets_received):
        lost = last.packets_lost - first.packets_lost  # type: ignore[operator]
        got = last.packets_received - first.packets_received  # type: ignore[operator]
        if lost + got > 0:
            worst = 100 * max(0, lost) / (lost + got)
    remote = [s.remote_loss_pct for s in recent if s.remote_loss_pct is not None]
    if remote:
        worst = max(worst or 0.0, sum(remote) / len(remote))
    return worst


def _recent_underruns(samples: Sequence[Sample]) -> int:
    recent = _window(samples, UNDERRUN_WINDOW_S)
    before = samples[max(0, len(samples) - len(recent) - 1)]
    if before.underruns is None or samples[-1].underruns is None:
        return 0
    return samples[-1].underruns - before.underruns
