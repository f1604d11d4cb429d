"""Where sound starts and stops, with sample precision: a tiny energy VAD for timing.

Audio threads `feed()` blocks with the time their first sample is captured (ADC) or
played (DAC); the loop reads `onsets` and `offsets`. The call stats time each voice turn
with it (end of the user's speech on the microphone → first audible sample of the reply
on the speaker). A threshold on single samples, not a smoothed level: what is measured
is "the first sample a person could hear", and a recording of the same audio gives the
same answer.
"""

from __future__ import annotations

import collections

import numpy as np

AUDIBLE = 328  # int16 amplitude: -40 dBFS, well above a digital-silence or dither floor
GAP_S = 0.3  # silence this long ends a sound (syllable gaps are shorter; turns are longer)


class SoundEdges:
    def __init__(
        self, where: str, threshold: int = AUDIBLE, gap_s: float = GAP_S, keep: int = 64
    ) -> None:
        self.where = where  # "microphone", "speaker" (DAC time), "received" (off the network)
        self.threshold = threshold
        self.gap_s = gap_s
        self.onsets: collections.deque[float] = collections.deque(maxlen=keep)
        self.offsets: collections.deque[float] = collections.deque(maxlen=keep)
        self._sounding = False
        self._last_loud: float | None = None

    def feed(self, samples: np.ndarray, t0: float, rate: int, peak: int | None = None) -> None:
        """int16 `samples` whose first one is at monotonic time `t0` (any thread); `peak`
        when the caller has it already (the level meter measured the same samples)."""
        n = len(samples)
        if not n:
            return
        if peak is None:
            peak = max(int(samples.max()), -int(samples.min()))
        if peak >= self.threshold:
            loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= self.threshold)
            first = t0 + loud[0] / rate
            if not self._sounding:
                self.onsets.append(float(first))
                self._sounding = True
            self._last_loud = float(t0 + loud[-1] / rate)
        elif (
            self._sounding
            and self._last_loud is not None
            and t0 + n / rate - self._last_loud >= self.gap_s
        ):
            self.offsets.append(self._last_loud)
            self._sounding = False

    @property
    def sounding(self) -> bool:
        return self._sounding
