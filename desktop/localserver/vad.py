"""Energy-based voice activity detection on 48 kHz mono s16 audio.

OpenAI's ``server_vad`` knobs map onto levels in dBFS: ``threshold`` (0..1) sets both an
absolute floor (-60 dBFS at 0, -20 dBFS at 1) and how far above the noise floor (the quietest
10 ms block of the last 3 s) a block must be to count as speech. It detects sound, not
words: the assistant reports it honestly as "seconds of speech".
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

RATE = 48000
BLOCK = RATE // 100  # 10 ms
MIN_SPEECH_MS = 60  # a click is not the start of a turn
HYSTERESIS_DB = 4.0  # once talking, softer syllables still count
MAX_UTTERANCE_S = 60  # bound memory if the room never goes quiet
FLOOR_MIN_DB, FLOOR_MAX_DB = -90.0, -25.0
FLOOR_WINDOW_MS = 3000  # longer than any pause-free stretch of real speech
SILENT_DB = -100.0

Int16Array = np.ndarray[Any, np.dtype[np.int16]]


def level_db(samples: np.ndarray) -> float:
    """RMS level in dBFS (full scale = 32768)."""
    if samples.size == 0:
        return SILENT_DB
    rms = math.sqrt(float(np.mean(np.square(samples.astype(np.float64)))))
    return SILENT_DB if rms < 1e-9 else max(SILENT_DB, 20.0 * math.log10(rms / 32768.0))


def ms_to_samples(ms: float) -> int:
    return int(round(ms * RATE / 1000))


def samples_to_ms(samples: int) -> int:
    return int(round(samples * 1000 / RATE))


@dataclass(frozen=True)
class VadSettings:
    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 500

    @classmethod
    def from_turn_detection(cls, td: dict[str, Any] | None) -> VadSettings:
        if not td:
            return cls()
        if td.get("type") == "semantic_vad":
            silence = {"low": 1000, "medium": 600, "high": 300}.get(td.get("eagerness", ""), 600)
            return cls(silence_duration_ms=silence)
        return cls(
            threshold=float(td.get("threshold", 0.5)),
            prefix_padding_ms=int(td.get("prefix_padding_ms", 300)),
            silence_duration_ms=int(td.get("silence_duration_ms", 500)),
        )

    @property
    def absolute_db(self) -> float:
        return -60.0 + 40.0 * self.threshold

    @property
    def margin_db(self) -> float:
        return 8.0 + 16.0 * self.threshold


@dataclass(frozen=True)
class SpeechStarted:
    audio_start_ms: int  # includes the prefix padding, as OpenAI reports it


@dataclass(frozen=True)
class SpeechStopped:
    audio_end_ms: int  # includes the silence that ended the turn, as OpenAI reports it
    audio: Int16Array  # prefix padding + speech + that silence
    speech_start: int  # sample offsets of the voiced part inside ``audio``
    speech_end: int

    @property
    def speech_seconds(self) -> float:
        return (self.speech_end - self.speech_start) / RATE


VadEvent = SpeechStarted | SpeechStopped


class SpeechDetector:
    """Turns a stream of audio into speech started/stopped events with the spoken audio."""

    def __init__(self, settings: VadSettings | None = None) -> None:
        self.settings = settings or VadSettings()
        self.position = 0  # samples seen since the session started
        self.floor_db = FLOOR_MIN_DB
        self._recent: deque[float] = deque(maxlen=FLOOR_WINDOW_MS // 10)
        self._pending = np.zeros(0, dtype=np.int16)
        self._reset_turn()

    def configure(self, settings: VadSettings) -> None:
        self.settings = settings
        self._reset_turn()

    def reset(self) -> None:
        """Forget any turn in progress (``input_audio_buffer.clear``)."""
        self._reset_turn()

    @property
    def in_speech(self) -> bool:
        return self._utterance is not None

    def push(self, samples: Int16Array) -> list[VadEvent]:
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        usable = data.size - data.size % BLOCK
        self._pending = data[usable:].copy()
        events: list[VadEvent] = []
        for start in range(0, usable, BLOCK):
            event = self._block(data[start : start + BLOCK])
            if event is not None:
                events.append(event)
        return events

    def force_stop(self) -> SpeechStopped | None:
        """End the turn in progress now (a manual commit while the user is talking)."""
        return self._stop() if self._utterance is not None else None

    # --- internals ---------------------------------------------------------------------

    def _reset_turn(self) -> None:
        prefix_blocks = self.settings.prefix_padding_ms // 10
        self._preroll: deque[Int16Array] = deque(maxlen=prefix_blocks + MIN_SPEECH_MS // 10)
        self._run = 0
        self._utterance: list[Int16Array] | None = None
        self._utterance_start = 0
        self._speech_start = 0
        self._speech_end = 0
        self._silence_blocks = 0

    def _threshold(self) -> float:
        base = max(self.settings.absolute_db, self.floor_db + self.settings.margin_db)
        return base - HYSTERESIS_DB if self._utterance is not None else base

    def _block(self, block: Int16Array) -> VadEvent | None:
        level = level_db(block)
        # Minimum statistics: speech always has quiet gaps between syllables, a fan does not,
        # so the quietest recent block is the noise floor (and a steady hum ends a "turn").
        self._recent.append(level)
        self.floor_db = min(FLOOR_MAX_DB, max(FLOOR_MIN_DB, min(self._recent)))
        voiced = level > self._threshold()
        self.position += block.size
        if self._utterance is None:
            return self._idle_block(block, level, voiced)
        self._utterance.append(block)
        if voiced:
            self._speech_end = self.position
            self._silence_blocks = 0
        else:
            self._silence_blocks += 1
        too_long = self.position - self._utterance_start >= MAX_UTTERANCE_S * RATE
        if self._silence_blocks * 10 >= self.settings.silence_duration_ms or too_long:
            return self._stop()
        return None

    def _idle_block(self, block: Int16Array, level: float, voiced: bool) -> VadEvent | None:
        self._preroll.append(block)
        if not voiced:
            self._run = 0
            return None
        self._run += 1
        if self._run * 10 < MIN_SPEECH_MS:
            return None
        self._utterance = list(self._preroll)
        kept = sum(b.size for b in self._utterance)
        self._utterance_start = self.position - kept
        self._speech_start = self.position - self._run * BLOCK
        self._speech_end = self.position
        self._silence_blocks = 0
        return SpeechStarted(audio_start_ms=samples_to_ms(self._utterance_start))

    def _stop(self) -> SpeechStopped:
        assert self._utterance is not None
        audio = np.concatenate(self._utterance)
        start = self._utterance_start
        event = SpeechStopped(
            audio_end_ms=samples_to_ms(self.position),
            audio=audio,
            speech_start=self._speech_start - start,
            speech_end=self._speech_end - start,
        )
        self._reset_turn()
        return event


def find_speech(audio: Int16Array, settings: VadSettings | None = None) -> tuple[int, int] | None:
    """Sample offsets of the first and last voiced 10 ms blocks of a recording, or None."""
    absolute = (settings or VadSettings()).absolute_db
    voiced = [
        i
        for i in range(0, audio.size - BLOCK + 1, BLOCK)
        if level_db(audio[i : i + BLOCK]) > absolute
    ]
    if not voiced:
        return None
    return voiced[0], voiced[-1] + BLOCK
