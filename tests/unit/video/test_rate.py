"""FrameRate: how many frames a second get through, counted on a test clock."""

from __future__ import annotations

import pytest

from desktop.core.video.rate import FrameRate


def passed(max_fps: float, arrivals: list[float]) -> int:
    now = [0.0]
    rate = FrameRate(max_fps, clock=lambda: now[0])
    count = 0
    for t in arrivals:
        now[0] = t
        count += rate.allow()
    return count


@pytest.mark.parametrize(("source_fps", "limit", "expected"), [(60, 30, 60), (30, 10, 20)])
def test_a_faster_source_is_cut_to_the_limit(source_fps: int, limit: int, expected: int) -> None:
    arrivals = [i / source_fps for i in range(2 * source_fps)]  # two seconds
    assert passed(limit, arrivals) == expected


def test_a_slower_source_passes_whole() -> None:
    assert passed(30, [i / 15 for i in range(30)]) == 30


def test_a_pause_does_not_earn_a_burst() -> None:
    # A second of nothing, then 300 frames in a second: still 10 a second (one more may
    # slip in, the slack kept for arrival jitter), not the 10 the pause "saved" on top.
    arrivals = [0.0] + [1.0 + i / 300 for i in range(300)]
    assert 1 + 10 <= passed(10, arrivals) <= 1 + 11


def test_delay_says_when_the_next_slot_opens() -> None:
    now = [5.0]
    rate = FrameRate(10, clock=lambda: now[0])
    assert rate.delay() == 0 and rate.allow()
    assert 0.05 < rate.delay() <= 0.1 and not rate.allow()
    now[0] += rate.delay()
    assert rate.allow()


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_fps"):
        FrameRate(0)
