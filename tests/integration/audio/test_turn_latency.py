"""Turn latency through real sound: a voice played into the virtual microphone, a real call
to the local server (it answers each turn with what it heard, after 500 ms of silence),
the reply on the virtual speaker.

The sampler's figure (our VAD's end of speech on the captured audio → the speaker's DAC
time of the reply's first audible sample) must be plausible and agree within 20 ms with
an independent measurement: the same two points found in the audio as played into the
microphone and as recorded off the speaker, on the test's own PortAudio clock.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np

from desktop.core.audio.edges import AUDIBLE
from desktop.core.audio.path import AudioPath
from desktop.core.call.engine import RealtimeCall
from desktop.core.profiles import get_profile
from desktop.core.session import default_config
from desktop.core.stats.sampler import Sampler
from desktop.localserver.server import LocalRealtimeServer
from tests.integration.audio.signals import RATE, speech_like
from tests.pulse import MICFEED, PulseAudio, to_int16

LOCAL = get_profile("local")


def probe_loop_ms(pulse: PulseAudio) -> float:
    """The test's own play → record offset (tests/pulse.py: measure it, subtract it): a
    word played into the microphone feed, recorded straight off that feed's monitor."""
    word = speech_like(0.3, seed=5, dbfs=-14, pauses=False)
    back = pulse.play_and_record(word, source=f"{MICFEED}.monitor", tail=0.3)
    return float((audible(back)[0] - audible(word)[0]) * 1000 / RATE)


def audible(samples: np.ndarray) -> np.ndarray:
    """Indices of the samples the stats call audible (the same int16 threshold)."""
    return np.flatnonzero(np.abs(to_int16(samples).astype(np.int32)) >= AUDIBLE)


async def test_turn_latency_matches_the_recording(
    pulse: PulseAudio, server: LocalRealtimeServer
) -> None:
    path = AudioPath()  # echo cancellation, noise suppression, high-pass: the defaults
    await path.start()
    assert path.source is not None and path.sink is not None, path.errors
    assert server.base_url is not None
    call = RealtimeCall(
        LOCAL.with_base_url(server.base_url),
        default_config(LOCAL),
        audio_source=path.source,
        audio_sink=path.sink,
    )
    sampler = Sampler(call, path)
    sampler.start()
    said = speech_like(1.5, seed=31, dbfs=-14, pauses=False)
    try:
        await call.connect()
        await asyncio.sleep(0.5)  # codecs and the echo canceller settle
        heard = await asyncio.to_thread(pulse.play_and_record, said, tail=3.5)
        probe_ms = await asyncio.to_thread(probe_loop_ms, pulse)
        deadline = time.monotonic() + 10
        while not sampler.stats.turns and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        turns = list(sampler.stats.turns)
    finally:
        sampler.stop()
        await call.close()
        await path.close()

    assert turns, "the reply was timed"
    turn = turns[0]
    speech_end = audible(said)[-1]
    reply = audible(heard[speech_end + RATE // 10 :])  # the reply comes after the turn ends
    assert reply.size, "the reply was heard on the speaker"
    recorded_ms = (reply[0] + RATE // 10) * 1000 / RATE - probe_ms
    measured = turn.speech_end_to_audio_ms
    print(
        f"turn latency: sampler {measured:.1f} ms ({turn.speech_end_source}), recording "
        f"{recorded_ms:.1f} ms (probe loop {probe_ms:.1f} ms taken off); "
        f"response.created → audio {turn.created_to_audio_ms:.1f} ms"
    )
    assert turn.speech_end_source == "local_vad" and turn.audio_at == "speaker"
    assert measured is not None and 500 < measured < 3000, "after the server's 500 ms of silence"
    assert turn.created_to_audio_ms is not None and turn.created_to_audio_ms > 0
    assert abs(measured - recorded_ms) <= 20, (measured, recorded_ms)
