"""The RTP audio level of each frame the local server sends (RFC 6465), with numpy.

Talkline's own call sends pre-encoded Opus (desktop/core/call/opus_send.py), which
carries no level; the local server's replies go through aiortc's encoder.

aiortc's sender computes every outgoing audio frame's level with `struct.iter_unpack`
over all 960 samples, on the event loop, whether or not the ssrc-audio-level header
extension was negotiated: about 260 µs a frame, 1.3 % of a core at 50 frames a second
(measured; numpy does it in about 7 µs). `use_numpy_audio_level()` swaps aiortc's module
function for one with the same results. It checks that on test frames first; if aiortc's
function has moved or answers differently, it logs and leaves aiortc's in place.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import av
import numpy as np

log = logging.getLogger(__name__)

_MAX = 32767.0


def audio_level_dbov(frame: av.AudioFrame) -> int:
    """-dBov of a mono s16 frame, rounded and clamped to [-127, 0] as RFC 6465 says."""
    samples = np.frombuffer(bytes(frame.planes[0]), dtype=np.int16)
    wide = samples.astype(np.int64)
    energy = float(np.sum(wide * wide))  # not np.dot: BLAS threads would spin for nothing
    rms = math.sqrt(energy / (frame.samples * _MAX * _MAX)) if frame.samples else 0.0
    if rms <= 0:
        return -127
    return round(max(-127.0, min(0.0, 20 * math.log10(rms))))


def _probe_frames() -> list[av.AudioFrame]:
    # Tones from silence to clipping (the bundle leaves out numpy's random module).
    t = np.arange(960) / 48000
    wave = np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 3100 * t)
    frames = []
    for amplitude in (0.0, 1.0, 30.0, 1000.0, 12000.0, 40000.0):
        samples = (wave * amplitude).clip(-32768, 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        frames.append(frame)
    return frames


def use_numpy_audio_level() -> bool:
    """Install the numpy level in aiortc (idempotent). False if aiortc changed shape."""
    import aiortc.rtp as rtp

    current: Callable[[Any], int] | None = getattr(rtp, "compute_audio_level_dbov", None)
    if current is audio_level_dbov:
        return True
    if current is None:
        log.warning("aiortc changed: its RTP audio level stays a Python loop")
        return False
    try:
        same = all(current(f) == audio_level_dbov(f) for f in _probe_frames())
    except Exception as exc:  # aiortc's function changed its signature
        log.warning("aiortc changed (%s): its RTP audio level stays a Python loop", exc)
        return False
    if not same:
        log.warning("aiortc's RTP audio level differs from ours: keeping aiortc's")
        return False
    rtp.compute_audio_level_dbov = audio_level_dbov
    return True
