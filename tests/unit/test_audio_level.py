"""The level every audio packet the local server sends carries (RFC 6465) is the same with
numpy as with aiortc's per-sample loop: receivers that show who is speaking see the same
values. (Talkline's own call sends pre-encoded Opus: desktop/core/call/opus_send.py.)"""

from __future__ import annotations

import math
import struct

import av
import numpy as np
import pytest

from desktop.localserver.audio_level import audio_level_dbov, use_numpy_audio_level


def rfc6465_reference(samples: np.ndarray) -> int:
    """RFC 6465 Appendix A, sample by sample (what aiortc 1.16 computes)."""
    energy = sum(s * s for (s,) in struct.iter_unpack("h", samples.tobytes()))
    rms = math.sqrt(energy / (len(samples) * 32767 * 32767))
    return max(-127, min(0, round(20 * math.log10(rms)))) if rms > 0 else -127


def frame(samples: np.ndarray) -> av.AudioFrame:
    out = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    out.sample_rate = 48000
    return out


@pytest.mark.parametrize("amplitude", [0, 1, 3, 50, 700, 5000, 20000, 32767])
def test_numpy_level_matches_the_rfc_reference(amplitude: int) -> None:
    rng = np.random.default_rng(amplitude)
    samples = (rng.standard_normal(960) * amplitude).clip(-32768, 32767).astype(np.int16)
    assert audio_level_dbov(frame(samples)) == rfc6465_reference(samples)


def test_installed_in_aiortc_only_when_it_agrees() -> None:
    import aiortc.rtp

    assert use_numpy_audio_level()
    assert aiortc.rtp.compute_audio_level_dbov is audio_level_dbov
    assert use_numpy_audio_level()  # idempotent
    full_scale = np.full(960, 32767, dtype=np.int16)
    assert aiortc.rtp.compute_audio_level_dbov(frame(full_scale)) == 0
