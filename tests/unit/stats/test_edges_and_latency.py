"""Sound edges (the timing VAD) and turn latency, on synthetic audio with known times."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.core.audio.edges import AUDIBLE, SoundEdges
from desktop.core.stats.latency import TurnLatencyTracker

RATE = 48000
BLOCK = 480


def feed(edges: SoundEdges, signal: np.ndarray, t0: float = 100.0) -> None:
    for start in range(0, len(signal), BLOCK):
        edges.feed(signal[start : start + BLOCK], t0 + start / RATE, RATE)


def burst(seconds: float, before: float, after: float) -> np.ndarray:
    loud = np.full(int(seconds * RATE), 3000, dtype=np.int16)
    return np.concatenate(
        (np.zeros(int(before * RATE), np.int16), loud, np.zeros(int(after * RATE), np.int16))
    )


def test_edges_are_sample_precise_and_ignore_short_gaps() -> None:
    edges = SoundEdges("speaker")
    signal = burst(0.5, before=0.2, after=0.1)
    signal = np.concatenate((signal, burst(0.3, before=0.0, after=0.6)))  # a 100 ms hole
    signal[int(0.2 * RATE) + 7] = AUDIBLE  # first audible sample, mid-block
    signal[int(0.2 * RATE) : int(0.2 * RATE) + 7] = AUDIBLE - 1  # just below: inaudible
    feed(edges, signal)
    assert list(edges.onsets) == [100.0 + (int(0.2 * RATE) + 7) / RATE]
    last_loud = 100.0 + (0.2 + 0.5 + 0.1 + 0.3) - 1 / RATE  # the hole did not end it
    assert list(edges.offsets) == [pytest.approx(last_loud, abs=1e-6)]


def test_a_spoken_turn_is_timed_from_our_vad_and_a_typed_one_from_created() -> None:
    mic, speaker = SoundEdges("microphone"), SoundEdges("speaker")
    tracker = TurnLatencyTracker(mic, speaker, origin=lambda: 90.0)
    mic.offsets.append(100.0)  # the user stopped
    tracker.speech_stopped(100.55)  # the server noticed 550 ms later
    tracker.response_created("r1", 100.6)
    speaker.onsets.append(100.9)  # the reply became audible
    assert [t.speech_end_to_audio_ms for t in tracker.poll(101.0)] == [
        pytest.approx(900.0)
    ]
    turn = tracker.turns[0]
    assert turn.speech_end_source == "local_vad" and turn.audio_at == "speaker"
    assert turn.created_to_audio_ms == pytest.approx(300.0)
    assert turn.t_s == pytest.approx(10.6)

    tracker.response_created("r2", 110.0)  # typed: no new end of speech
    assert tracker.poll(110.1) == []  # not heard yet: stays open
    speaker.onsets.append(110.25)
    (typed,) = tracker.poll(110.3)
    assert typed.index == 2 and typed.speech_end_source is None
    assert typed.speech_end_to_audio_ms is None
    assert typed.created_to_audio_ms == pytest.approx(250.0)


def test_without_our_vad_the_server_speech_stopped_is_used_and_labelled() -> None:
    speaker = SoundEdges("speaker")
    tracker = TurnLatencyTracker(None, speaker)
    tracker.speech_stopped(50.0)
    tracker.response_created("r1", 50.1)
    speaker.onsets.append(50.4)
    (turn,) = tracker.poll(51.0)
    assert turn.speech_end_source == "server_vad"
    assert round(turn.speech_end_to_audio_ms or 0) == 400


def test_a_reply_never_heard_closes_without_audio_after_a_while() -> None:
    tracker = TurnLatencyTracker(None, None)
    tracker.response_created("text-only", 10.0)
    assert tracker.poll(20.0) == []
    (turn,) = tracker.poll(41.0)
    assert turn.created_to_audio_ms is None and turn.audio_at is None
