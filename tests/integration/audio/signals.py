"""Test signals and the measurements the audio tests assert on (numpy only)."""

from __future__ import annotations

import fractions
import time

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

RATE = 48000


def tone(freq: float, seconds: float, dbfs: float = -6.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(seconds: float, dbfs: float = -12.0, seed: int = 1) -> np.ndarray:
    """Noise band-limited to 100 Hz-8 kHz (the voice band, so any device rate carries it):
    every 20 ms of it is unique, so pieces can be found again in a recording."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    spectrum[(freqs < 100) | (freqs > 8000)] = 0
    x = np.fft.irfft(spectrum, n)
    return (x / np.sqrt(np.mean(x**2)) * 10 ** (dbfs / 20)).astype(np.float32)


VOWELS = ((730, 1090), (270, 2290), (300, 870), (530, 1840), (640, 1190), (440, 1020), (390, 1990))


def speech_like(
    seconds: float, *, f0: float = 120.0, seed: int = 2, dbfs: float = -14.0, pauses: bool = True
) -> np.ndarray:
    """A voice-like test signal that never repeats itself: syllables of random length, each a
    random vowel (two formants) on a gliding pitch around `f0`, often led by a hiss of a
    consonant, with short gaps and (with `pauses`) longer pauses between words. Echo
    cancellers and noise suppressors treat it like speech; a periodic test tone they would
    rightly treat as echo or noise. RMS is `dbfs`, or less to keep the peaks under 0.9."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    out = np.zeros(n)
    pos = 0
    while pos < n:
        length = int(rng.uniform(0.12, 0.3) * RATE)
        t = np.arange(length) / RATE
        pitch = f0 * rng.uniform(0.8, 1.25) * (1 + rng.uniform(-0.25, 0.25) * t / t[-1])
        phase = np.cumsum(pitch / RATE)
        pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float64)
        f1, f2 = VOWELS[rng.integers(len(VOWELS))]
        voiced = _formant(pulses, f1, 90) + 0.6 * _formant(pulses, f2, 120)
        voiced += 0.25 * _formant(pulses, 2600, 200)
        shape = np.sin(np.pi * np.arange(length) / length) ** 0.6
        syllable = voiced / (np.sqrt(np.mean(voiced**2)) + 1e-12) * shape
        if rng.random() < 0.6:  # a consonant: 30-80 ms of hiss first
            hiss_len = int(rng.uniform(0.03, 0.08) * RATE)
            hiss = _formant(rng.standard_normal(hiss_len), rng.uniform(3000, 6000), 1500)
            hiss *= 0.5 / (np.sqrt(np.mean(hiss**2)) + 1e-12) * np.hanning(hiss_len)
            syllable = np.concatenate((hiss, syllable))
        syllable *= rng.uniform(0.6, 1.0)
        end = min(n, pos + len(syllable))
        out[pos:end] = syllable[: end - pos]
        pos = end + int(rng.uniform(0.02, 0.08) * RATE)
        if pauses and rng.random() < 0.25:
            pos += int(rng.uniform(0.15, 0.4) * RATE)
    out += 1e-4 * rng.standard_normal(n)  # a room is never digitally silent
    out *= 10 ** (dbfs / 20) / (np.sqrt(np.mean(out**2)) + 1e-12)
    peak = np.max(np.abs(out))
    if peak > 0.9:
        out *= 0.9 / peak
    return out.astype(np.float32)


def _formant(x: np.ndarray, freq: float, bandwidth: float) -> np.ndarray:
    r = np.exp(-np.pi * bandwidth / RATE)
    return _resonate(x, -2 * r * np.cos(2 * np.pi * freq / RATE), r * r)


def _resonate(x: np.ndarray, a1: float, a2: float) -> np.ndarray:
    """y[n] = x[n] - a1 y[n-1] - a2 y[n-2], via the exact frequency response (fast)."""
    n = len(x)
    size = 1 << (n + 4096).bit_length()
    w = np.exp(-1j * 2 * np.pi * np.fft.rfftfreq(size))
    h = 1 / (1 + a1 * w + a2 * w * w)
    return np.fft.irfft(np.fft.rfft(x, size) * h, size)[:n]


def rms_db(x: np.ndarray) -> float:
    """RMS in dBFS of float samples in [-1, 1]."""
    return float(10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-12))


def find(needle: np.ndarray, haystack: np.ndarray) -> tuple[int, float]:
    """Where `needle` best matches in `haystack`, and the normalised correlation there."""
    n, m = len(needle), len(haystack)
    if m < n or n == 0:
        return 0, 0.0
    size = 1 << (n + m).bit_length()
    corr = np.fft.irfft(np.fft.rfft(haystack, size) * np.conj(np.fft.rfft(needle, size)), size)
    corr = corr[: m - n + 1]
    squares = np.concatenate(([0.0], np.cumsum(haystack.astype(np.float64) ** 2)))
    energy = squares[n:] - squares[:-n]
    norm = np.sqrt(np.maximum(energy, 0) * float(np.dot(needle, needle)))
    score = np.where(energy > 1e-7 * n, corr / np.maximum(norm, 1e-12), 0.0)
    best = int(np.argmax(score))
    return best, float(score[best])


def block_matches(
    x: np.ndarray, y: np.ndarray, *, block: int = 960, alignments: int = 8
) -> np.ndarray:
    """For each `block`-sample piece of `x`: does it appear in `y` (correlation > 0.8)?

    Tries first the few alignments where x and y line up best overall (one FFT), then
    searches all of `y` for the pieces still missing (recordings jump now and then)."""
    n, m = len(x), len(y)
    size = 1 << (n + m).bit_length()
    corr = np.fft.irfft(np.fft.rfft(y, size) * np.conj(np.fft.rfft(x, size)), size)
    lags = np.arange(size)
    lags[lags >= size // 2] -= size  # corr[k] = sum x[i] y[i + lag]
    order = np.argsort(-np.abs(corr))
    chosen: list[int] = []
    for k in order[: 50 * alignments]:
        if all(abs(lags[k] - c) > block for c in chosen):
            chosen.append(int(lags[k]))
        if len(chosen) == alignments:
            break
    found = np.zeros(n // block, dtype=bool)
    for b in range(n // block):
        piece = x[b * block : (b + 1) * block].astype(np.float64)
        for lag in chosen:
            start = b * block + lag
            if start >= 0 and start + block <= m:
                other = y[start : start + block].astype(np.float64)
                denom = np.sqrt(np.dot(piece, piece) * np.dot(other, other))
                if denom > 0 and np.dot(piece, other) / denom > 0.8:
                    found[b] = True
                    break
        if not found[b] and np.any(piece):
            found[b] = find(piece, y)[1] > 0.8
    return found


def longest_run(flags: np.ndarray | list[bool]) -> int:
    """The longest run of False between the first and the last True."""
    flags = list(flags)
    if True not in flags:
        return len(flags)
    first, last = flags.index(True), len(flags) - 1 - flags[::-1].index(True)
    longest = run = 0
    for present in flags[first : last + 1]:
        run = 0 if present else run + 1
        longest = max(longest, run)
    return longest


class ArrayTrack(MediaStreamTrack):
    """A real audio track that plays samples as 20 ms frames, paced in real time (or all
    at once with `realtime=False`: a burst from the network). Ends when the samples do."""

    kind = "audio"

    def __init__(self, samples: np.ndarray, *, realtime: bool = True, loop: bool = False) -> None:
        super().__init__()
        self._samples = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
        self._realtime = realtime
        self._loop = loop
        self._pos = 0
        self._start: float | None = None
        self.sent_at: list[float] = []

    async def recv(self) -> av.AudioFrame:
        import asyncio

        if self.readyState != "live":
            raise MediaStreamError
        if self._pos >= len(self._samples) and not self._loop:
            self.stop()
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        if self._realtime:
            delay = self._start + self._pos / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        index = self._pos % len(self._samples)
        chunk = np.take(self._samples, range(index, index + 960), mode="wrap")
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pos
        frame.time_base = fractions.Fraction(1, RATE)
        self._pos += 960
        self.sent_at.append(time.monotonic())
        return frame


def frames_to_float(frames: list[av.AudioFrame]) -> np.ndarray:
    if not frames:
        return np.zeros(0, np.float32)
    return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.float32) / 32768


def match_scores(
    played: np.ndarray, heard: np.ndarray, *, pieces: int = 8, seconds: float = 0.1
) -> list[float]:
    """Correlation of `pieces` evenly spaced snippets of `played` with their best match in
    `heard`. The median says whether the sound came through; one bad snippet is a glitch."""
    size = int(seconds * RATE)
    starts = np.linspace(size, len(played) - 2 * size, pieces).astype(int)
    return [find(played[s : s + size], heard)[1] for s in starts]


def classify(x: np.ndarray, tone_hz: float, window: float = 0.02) -> tuple[float, float]:
    """Seconds of (tone at `tone_hz`, other sound) in `x`, judged per 20 ms window; windows
    quieter than -45 dBFS count as silence."""
    size = int(window * RATE)
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    near = np.abs(freqs - tone_hz) <= 100
    tone_s = other_s = 0.0
    for start in range(0, len(x) - size + 1, size):
        w = x[start : start + size]
        if rms_db(w) < -45:
            continue
        power = np.abs(np.fft.rfft(w * np.hanning(size))) ** 2
        if power[near].sum() > 0.8 * power.sum():
            tone_s += window
        else:
            other_s += window
    return tone_s, other_s


class SequenceTrack(ArrayTrack):
    """Plays `burst` all at once (faster than real time), then `paced` in real time."""

    def __init__(self, burst: np.ndarray, paced: np.ndarray) -> None:
        super().__init__(np.concatenate((burst, paced)))
        self._burst_end = len(burst)

    async def recv(self) -> av.AudioFrame:
        if self._pos < self._burst_end:
            self._start = time.monotonic() - (self._pos + 960) / RATE  # always due now
        elif self._pos == self._burst_end or self._start is None:
            self._start = time.monotonic() - self._pos / RATE
        return await super().recv()


ENVELOPE_BLOCK = 120  # 2.5 ms


def envelope(x: np.ndarray, block: int = ENVELOPE_BLOCK) -> np.ndarray:
    usable = len(x) - len(x) % block
    return np.sqrt(np.mean(np.asarray(x[:usable], np.float64).reshape(-1, block) ** 2, axis=1))


def envelope_match(
    reference: np.ndarray, recording: np.ndarray, block: int = ENVELOPE_BLOCK
) -> tuple[float, int]:
    """(correlation of loudness envelopes at the best alignment, that offset in samples).

    Robust to codecs and level changes (two Opus passes keep the envelope, not the waveform);
    a different sound scores low. Long sounds want a coarser `block` (10 ms), so one
    inserted or dropped packet does not misalign the rest."""
    ref, rec = envelope(reference, block), envelope(recording, block)
    n = len(ref)
    if len(rec) < n or n < 2:
        return 0.0, 0
    ref = ref - ref.mean()
    size = 1 << (n + len(rec)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size)), size)
    corr = corr[: len(rec) - n + 1]
    # Pearson per window: sum((w - mean w) * ref) / (|w - mean w| |ref|)
    sums = np.concatenate(([0.0], np.cumsum(rec)))
    squares = np.concatenate(([0.0], np.cumsum(rec**2)))
    window_sum = sums[n:] - sums[:-n]
    window_var = (squares[n:] - squares[:-n]) - window_sum**2 / n
    score = corr / (np.sqrt(np.maximum(window_var, 1e-18)) * np.sqrt(np.dot(ref, ref)) + 1e-18)
    best = int(np.argmax(score))
    return float(score[best]), best * block


def piecewise_match(
    reference: np.ndarray,
    recording: np.ndarray,
    *,
    pieces: int = 3,
    block: int = 480,
    slack: float = 0.25,
) -> list[float]:
    """`envelope_match` of each of `pieces` consecutive parts of `reference`, each looked
    for where it should be (after the whole sound's best alignment) give or take `slack`
    seconds. A playout gap on a loaded machine (an underrun: 10-40 ms of silence, and the
    rest of the reply that much later) misaligns one whole-sound match but only the piece
    it falls in; a wrong, garbled or missing reply scores low in every piece."""
    _score, start = envelope_match(reference, recording, block=block)
    size = len(reference) // pieces
    margin = int(slack * RATE)
    scores = []
    for i in range(pieces):
        part = reference[i * size : (i + 1) * size]
        lo = max(0, start + i * size - margin)
        hi = min(len(recording), start + (i + 1) * size + margin)
        scores.append(envelope_match(part, recording[lo:hi], block=block)[0])
    return scores
