"""The push-to-talk sound cue: a short quiet blip when the microphone opens and closes.

Voice-chat apps do this so the user knows without looking that the key took. The tones
are made here (numpy, no sound files) and mixed into the speaker's output by the device
callback (``CueMixer.mix``), on top of whatever the assistant is playing: queued behind
the reply in the playout buffer they would come late. The speaker hands what it plays,
cue included, to the echo canceller as the far end, so the cue does not reach the
microphone's signal.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

from desktop.core.audio.frames import RATE

Int16Array = npt.NDArray[np.int16]

CUE_DBFS = -26.0  # quiet: under speech, clearly there
NOTE_SECONDS = 0.045
GAP_SECONDS = 0.015


def _note(freq: float, seconds: float, dbfs: float) -> npt.NDArray[np.float64]:
    t = np.arange(int(seconds * RATE)) / RATE
    fade = np.sin(np.pi * np.arange(t.size) / max(t.size - 1, 1)) ** 2  # no clicks
    return np.asarray(10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t) * fade)


def _two_notes(first: float, second: float, dbfs: float) -> Int16Array:
    gap = np.zeros(int(GAP_SECONDS * RATE))
    tone = np.concatenate(
        (_note(first, NOTE_SECONDS, dbfs), gap, _note(second, NOTE_SECONDS, dbfs))
    )
    return (tone * 32767).astype(np.int16)


def press_cue(dbfs: float = CUE_DBFS) -> Int16Array:
    """Rising (660 → 880 Hz, about 0.1 s): the microphone is open."""
    return _two_notes(660.0, 880.0, dbfs)


def release_cue(dbfs: float = CUE_DBFS) -> Int16Array:
    """Falling (880 → 660 Hz): the microphone is closed, the turn is sent."""
    return _two_notes(880.0, 660.0, dbfs)


class CueMixer:
    """Local clips waiting to be mixed into the output; ``play`` from the loop, ``mix``
    from the device thread (a lock between them; a clip replaces one still playing)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clip: Int16Array = np.zeros(0, dtype=np.int16)
        self.played = 0  # clips started, for tests and the log

    def play(self, clip: Int16Array) -> None:
        with self._lock:
            self._clip = clip.astype(np.int16, copy=False)
            self.played += 1

    @property
    def pending(self) -> int:
        """Samples of the current clip not yet mixed."""
        with self._lock:
            return int(self._clip.size)

    def mix(self, out: Int16Array) -> Int16Array:
        """``out`` with the next ``len(out)`` samples of the clip added (saturating)."""
        with self._lock:
            if not self._clip.size:
                return out
            take, self._clip = self._clip[: out.size], self._clip[out.size :]
        mixed = out.astype(np.int32)
        mixed[: take.size] += take
        return np.clip(mixed, -32768, 32767).astype(np.int16)
