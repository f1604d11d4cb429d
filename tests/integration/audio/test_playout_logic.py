"""The playout buffer's rules, fed by hand (no devices: these are its arithmetic)."""

from __future__ import annotations

import time

import numpy as np

from desktop.core.audio.playout import FLUSH_S, PlayoutBuffer

MS = 48  # samples per millisecond


def chunk(ms: int, value: int = 1000) -> np.ndarray:
    return np.full(ms * MS, value, dtype=np.int16)


def test_playback_waits_for_the_target_then_plays_in_order() -> None:
    buf = PlayoutBuffer(prefill_ms=20)
    buf.push(chunk(10, 1))
    assert not buf.pull(5 * MS).any(), "10 ms is under the 20 ms target: silence"
    buf.push(chunk(20, 2))
    out = buf.pull(30 * MS)
    assert list(out[:: 10 * MS]) == [1, 2, 2]


def test_a_hole_in_the_speech_raises_the_target_and_counts_an_underrun() -> None:
    buf = PlayoutBuffer(prefill_ms=20)
    buf.push(chunk(20))
    buf.pull(30 * MS)  # ran dry while playing
    buf.push(chunk(20))  # ... and the speech went on: a hole, not the end
    stats = buf.stats()
    assert stats.underruns == 1
    assert stats.target_ms == 30


def test_the_end_of_a_reply_is_not_an_underrun_and_is_played_out() -> None:
    buf = PlayoutBuffer(prefill_ms=40)
    buf.push(chunk(10, 7))  # the last 10 ms of a reply, under the target
    time.sleep(FLUSH_S + 0.02)
    assert buf.pull(10 * MS).all(), "the tail plays once nothing more comes"
    assert buf.stats().underruns == 0


def test_an_unneeded_cushion_is_trimmed_within_a_window() -> None:
    buf = PlayoutBuffer(prefill_ms=20, max_ms=500, window_s=0.2)
    buf.push(chunk(300))  # 300 ms queued, more than the 20 ms target
    for _ in range(25):  # 250 ms of device pulls, fed in real time
        buf.push(chunk(10))
        buf.pull(10 * MS)
    stats = buf.stats()
    assert stats.depth_ms < 60
    assert stats.dropped_ms > 200 and stats.overruns >= 1


def test_the_cap_drops_the_oldest_audio() -> None:
    buf = PlayoutBuffer(prefill_ms=20, max_ms=100)
    buf.push(chunk(80, 1))
    buf.push(chunk(80, 2))  # 160 ms > the 100 ms cap: keep the newest 20 ms
    assert buf.stats().depth_ms == 20
    assert set(buf.pull(20 * MS)) == {2}

