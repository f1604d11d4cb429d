"""The echo canceller called directly (desktop/core/audio/apm_calls.py) is in use with the
installed livekit, and cleans the microphone exactly as livekit's own methods do: same
far end, same delays, same microphone in, the same samples out, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from livekit.rtc import AudioFrame, AudioProcessingModule

from desktop.core.audio.frames import CHUNK_SAMPLES, RATE
from desktop.core.audio.processing import AudioProcessor, ProcessingSettings


def voice(seconds: float, seed: int) -> np.ndarray:
    """Noise shaped into syllables: the canceller and the suppressor both have work."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    envelope = np.abs(np.sin(np.arange(n) * np.pi * 4 / RATE)) ** 2
    return rng.standard_normal(n) * 6000 * envelope


def livekit_own(
    apm: AudioProcessingModule, far: np.ndarray, near: np.ndarray, delay: int | None
) -> np.ndarray:
    apm.process_reverse_stream(AudioFrame(bytearray(far.tobytes()), RATE, 1, CHUNK_SAMPLES))
    if delay is not None:
        apm.set_stream_delay_ms(delay)
    buffer = bytearray(near.tobytes())
    apm.process_stream(AudioFrame(buffer, RATE, 1, CHUNK_SAMPLES))
    return np.frombuffer(buffer, dtype=np.int16)


@pytest.mark.parametrize(
    "settings",
    [
        ProcessingSettings(echo_cancellation=True, noise_suppression=True, high_pass_filter=True),
        ProcessingSettings(echo_cancellation=True, noise_suppression=False, high_pass_filter=False),
        ProcessingSettings(echo_cancellation=False, noise_suppression=True, high_pass_filter=True),
    ],
)
def test_direct_calls_clean_exactly_as_livekits_methods(settings: ProcessingSettings) -> None:
    processor = AudioProcessor(settings)
    assert processor.direct_calls, "the fast path must be in use with the pinned livekit"
    reference = AudioProcessingModule(
        echo_cancellation=settings.echo_cancellation,
        noise_suppression=settings.noise_suppression,
        high_pass_filter=settings.high_pass_filter,
        auto_gain_control=settings.auto_gain_control,
    )
    far = voice(3.0, seed=1)
    echo = np.concatenate((np.zeros(int(0.04 * RATE)), far))[: len(far)] * 0.5  # 40 ms later
    near = np.clip(echo + voice(3.0, seed=2) * 0.3, -32768, 32767).astype(np.int16)
    far16 = np.clip(far, -32768, 32767).astype(np.int16)
    ours, theirs = [], []
    for i in range(len(far16) // CHUNK_SAMPLES):
        piece = slice(i * CHUNK_SAMPLES, (i + 1) * CHUNK_SAMPLES)
        processor.render_delay_ms = 30.0 + (i // 50)  # the delay moves, as in a call
        processor.process_render(far16[piece])
        ours.append(processor.process_capture(near[piece], 10.0))
        delay = processor.delay_ms if settings.echo_cancellation else None
        theirs.append(livekit_own(reference, far16[piece], near[piece], delay))
    processor.close()
    cleaned, expected = np.concatenate(ours), np.concatenate(theirs)
    assert np.array_equal(cleaned, expected)
    assert not np.array_equal(cleaned, near[: len(cleaned)]), "the module did change the sound"
    if settings.echo_cancellation:  # and the echo is down once the canceller has converged
        tail = slice(len(cleaned) // 2, None)
        assert np.std(cleaned[tail]) < 0.7 * np.std(near[tail].astype(np.float64))


def test_after_close_chunks_pass_through_untouched() -> None:
    processor = AudioProcessor(ProcessingSettings())
    processor.close()
    chunk = np.arange(CHUNK_SAMPLES, dtype=np.int16)
    assert not processor.direct_calls
    assert np.array_equal(processor.process_capture(chunk, 10.0), chunk)
