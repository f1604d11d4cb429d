"""The playout buffer between the network and the speaker: absorbs jitter, never builds delay.

The network side pushes decoded 48 kHz samples; the device callback pulls exactly what it
plays. Playback (re)starts once the *target* is buffered (or once nothing more arrived for
a moment: the end of a sentence must not wait for the next one).

The target adapts: it starts at `prefill_ms`, grows by `STEP_MS` after each underrun (the
network is jittery: keep more) up to `max_prefill_ms`, and shrinks back a step after every
`CALM_WINDOWS` windows without one. Delay is kept down twice:

- a hard cap: above `max_ms` the oldest audio is dropped down to the target (an idle device
  that starts late, a burst from the network);
- a drift trim: when the buffer never fell below the target for a whole `window_s`, that
  cushion was not needed; the oldest part of it is dropped.

An underrun counts when the buffer ran dry while playing and audio came back within
`GAP_S` (a hole in the speech, not the end of a reply).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from desktop.core.audio.frames import RATE

GAP_S = 0.2  # a dry spell shorter than this was a hole, not the end of speech
FLUSH_S = 0.06  # play what is left below the target when nothing more came for this long
STEP_MS = 10.0
CALM_WINDOWS = 5


@dataclass(frozen=True)
class PlayoutStats:
    depth_ms: float
    target_ms: float
    underruns: int
    overruns: int  # times the cap or the drift trim dropped audio
    dropped_ms: float
    playing: bool


class PlayoutBuffer:
    def __init__(
        self,
        *,
        prefill_ms: float = 20.0,
        max_prefill_ms: float = 80.0,
        max_ms: float = 200.0,
        window_s: float = 1.0,
        rate: int = RATE,
    ) -> None:
        self.rate = rate
        self.min_target = int(rate * prefill_ms / 1000)
        self.max_target = max(int(rate * max_prefill_ms / 1000), self.min_target)
        self.target = self.min_target
        self.cap = max(int(rate * max_ms / 1000), self.max_target)
        self._step = int(rate * STEP_MS / 1000)
        self._window = int(rate * window_s)
        self._buf = np.zeros(self.cap + rate, dtype=np.int16)  # cap + 1 s of headroom
        self._start = 0
        self._end = 0
        self._lock = threading.Lock()
        self._playing = False
        self._starved_at: float | None = None
        self._last_push = 0.0
        self._win_pulled = 0
        self._win_min = self._buf.size
        self._calm = 0
        self.underruns = 0
        self.overruns = 0
        self.dropped = 0  # samples

    # -- network side --------------------------------------------------------------------

    def push(self, samples: np.ndarray) -> None:
        if not len(samples):
            return
        now = time.monotonic()
        with self._lock:
            if self._starved_at is not None and now - self._starved_at < GAP_S:
                self.underruns += 1
                self.target = min(self.target + self._step, self.max_target)
                self._calm = 0
            self._starved_at = None
            self._last_push = now
            depth = self._depth()
            if depth + len(samples) > self.cap:
                # Over the cap: keep only the newest target's worth, old audio first to go.
                excess = depth + len(samples) - self.target
                from_old = min(excess, depth)
                self._start += from_old
                samples = samples[excess - from_old :]
                self.dropped += excess
                self.overruns += 1
            self._append_locked(samples)

    def clear(self) -> None:
        """Drop everything at once (the user interrupted)."""
        with self._lock:
            self._start = self._end = 0
            self._playing = False
            self._starved_at = None
            self._win_pulled = 0
            self._win_min = self._buf.size

    # -- device side ---------------------------------------------------------------------

    def pull(self, n: int) -> np.ndarray:
        """Exactly `n` samples for the device: audio, or silence where there is none."""
        out = np.zeros(n, dtype=np.int16)
        with self._lock:
            depth = self._depth()
            if not self._playing and depth and (
                depth >= self.target or time.monotonic() - self._last_push > FLUSH_S
            ):
                self._playing = True
            if self._playing:
                take = min(n, depth)
                out[:take] = self._buf[self._start : self._start + take]
                self._start += take
                if take < n:
                    self._playing = False
                    self._starved_at = time.monotonic()
            self._window_locked(n)
        return out

    def _window_locked(self, pulled: int) -> None:
        if self._playing:
            self._win_min = min(self._win_min, self._depth())
        self._win_pulled += pulled
        if self._win_pulled < self._window:
            return
        if self._playing and self._win_min > self.target:
            # The cushion above target/2 was never needed for a whole window: drop it.
            excess = self._win_min - self.target // 2
            self._start += excess
            self.dropped += excess
            self.overruns += 1
        self._calm += 1
        if self._calm >= CALM_WINDOWS and self.target > self.min_target:
            self.target = max(self.target - self._step // 2, self.min_target)
            self._calm = 0
        self._win_pulled = 0
        self._win_min = self._buf.size

    # -- state ---------------------------------------------------------------------------

    @property
    def depth_ms(self) -> float:
        return self._depth() * 1000 / self.rate

    def stats(self) -> PlayoutStats:
        with self._lock:
            return PlayoutStats(
                depth_ms=self._depth() * 1000 / self.rate,
                target_ms=self.target * 1000 / self.rate,
                underruns=self.underruns,
                overruns=self.overruns,
                dropped_ms=self.dropped * 1000 / self.rate,
                playing=self._playing,
            )

    def _depth(self) -> int:
        return self._end - self._start

    def _append_locked(self, samples: np.ndarray) -> None:
        n = len(samples)
        if self._end + n > self._buf.size:  # compact: move what is left to the front
            depth = self._depth()
            self._buf[:depth] = self._buf[self._start : self._end]
            self._start, self._end = 0, depth
        self._buf[self._end : self._end + n] = samples
        self._end += n
