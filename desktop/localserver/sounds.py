"""Sounds the echo assistant makes without a speech engine."""

from __future__ import annotations

import numpy as np

from .vad import RATE, Int16Array


def soft_chime(seconds: float = 0.5, level_dbfs: float = -24.0) -> Int16Array:
    """Two soft notes (E5 then A5) with smooth edges: "I got your text", not a voice."""
    n = int(RATE * seconds)
    t = np.arange(n) / RATE
    half = n // 2
    freq = np.where(np.arange(n) < half, 659.25, 880.0)
    # Integrate the frequency so the note change has no phase jump (no click).
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    envelope = np.minimum(1.0, np.minimum(t, seconds - t) / 0.03)  # 30 ms fades
    peak = 32767 * 10 ** (level_dbfs / 20) * np.sqrt(2)
    chime: Int16Array = (np.sin(phase) * envelope * peak).astype(np.int16)
    return chime
