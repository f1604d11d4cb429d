"""Echo cancellation on a real echo path: what the speaker plays comes back into the
microphone at -6 dB through PulseAudio (module-loopback), as from laptop speakers.

One call's audio path, measured on what would be sent to the server:
- echo alone with echo cancellation off, then on (switched at runtime): >= 20 dB less;
- the user talking over the reply (barge-in) stays within 10 dB of the same words spoken
  with no reply playing (median over 250 ms pieces).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import numpy as np

from desktop.core.audio.levels import Level
from desktop.core.audio.path import AudioPath
from desktop.core.audio.processing import ProcessingSettings
from tests.integration.audio.conftest import FrameCollector
from tests.integration.audio.signals import ArrayTrack, find, frames_to_float, rms_db, speech_like
from tests.pulse import MICFEED, SPEAKER_MONITOR, PulseAudio

REPLY = speech_like(7.0, f0=110, seed=5, dbfs=-14, pauses=False)  # the assistant
USER = speech_like(1.5, f0=210, seed=9, dbfs=-14, pauses=False)  # the user barging in


def echo_into_microphone(pulse: PulseAudio, gain_db: float = -6.0) -> None:
    module = pulse.load_module(
        "module-loopback", f"source={SPEAKER_MONITOR}", f"sink={MICFEED}", "latency_msec=30"
    )
    for stream in pulse.pactl_json("list", "sink-inputs"):
        if str(stream.get("owner_module")) == str(module):
            pulse.pactl("--", "set-sink-input-volume", str(stream["index"]), f"{gain_db}dB")
            return
    raise AssertionError("the loopback stream did not appear")


def quarter_levels(x: np.ndarray) -> list[float]:
    return [rms_db(x[i : i + 12000]) for i in range(0, len(x) - 11999, 12000)]


def typical_level(x: np.ndarray) -> float:
    """Median level of 250 ms pieces: the steady echo, not the odd leak when the loaded
    machine makes PulseAudio skip (the canceller re-adapts within a few hundred ms)."""
    return float(np.median(quarter_levels(x)))


def where(burst: np.ndarray, sent: np.ndarray) -> np.ndarray:
    """The part of `sent` that carries `burst` (found by correlation)."""
    at, _ = find(burst, sent)
    return sent[at : at + len(burst)]


async def test_echo_is_cancelled_and_barge_in_still_comes_through(pulse: PulseAudio) -> None:
    echo_into_microphone(pulse)
    path = AudioPath(settings=ProcessingSettings(echo_cancellation=False))
    input_levels: list[Level] = []
    output_levels: list[Level] = []
    path.input_level.connect(input_levels.append)
    path.output_level.connect(output_levels.append)
    await path.start()
    assert path.source is not None and path.sink is not None, path.errors
    collector = FrameCollector(path.source)
    loop = asyncio.get_running_loop()
    windows: dict[str, tuple[float, float]] = {}
    try:
        t0 = loop.time()
        await path.sink.start(ArrayTrack(REPLY))
        await asyncio.sleep(1.6)
        windows["echo, cancellation off"] = (t0 + 0.5, t0 + 1.5)
        # As from the settings switch, mid-reply:
        path.set_processing(replace(path.processor.settings, echo_cancellation=True))
        await asyncio.sleep(3.4)  # the canceller adapts (in under 0.5 s, measured)
        windows["echo, cancellation on"] = (t0 + 3.0, t0 + 5.0)
        barge_in = loop.time()
        await asyncio.to_thread(pulse.play, USER)  # over the reply's last seconds
        await asyncio.sleep(max(0.0, t0 + 7.3 - loop.time()))  # the reply is over
        alone = loop.time()
        await asyncio.to_thread(pulse.play, USER)
        await asyncio.sleep(0.2)
        end = loop.time()
    finally:
        await collector.stop()
        await path.close()
    # The meters moved, about 20 times a second, with what was played and heard.
    for levels in (input_levels, output_levels):
        assert 10 < len(levels) / (end - t0) < 30
    assert max(level.peak_dbfs for level in output_levels) > -20
    assert max(level.peak_dbfs for level in input_levels) > -30

    def sent_between(start: float, stop: float) -> np.ndarray:
        pairs = zip(collector.frames, collector.times, strict=True)
        return frames_to_float([f for f, t in pairs if start <= t < stop])

    off = typical_level(sent_between(*windows["echo, cancellation off"]))
    on = typical_level(sent_between(*windows["echo, cancellation on"]))
    on_worst = max(quarter_levels(sent_between(*windows["echo, cancellation on"])))
    over_reply = where(USER, sent_between(barge_in, alone))
    without_reply = where(USER, sent_between(alone, end))
    user_over_reply, user_alone = rms_db(over_reply), rms_db(without_reply)
    # Piece by piece, so one word swallowed at the end of double talk does not decide.
    attenuation = float(
        np.median(
            np.subtract(quarter_levels(without_reply), quarter_levels(over_reply))
        )
    )
    print(
        f"echo {off:.1f} dBFS -> {on:.1f} dBFS ({off - on:.1f} dB less, worst 250 ms "
        f"{on_worst:.1f} dBFS); user over the reply "
        f"{user_over_reply:.1f} dBFS, alone {user_alone:.1f} dBFS (median attenuation "
        f"{attenuation:.1f} dB); echo delay given "
        f"{path.stats().echo_delay_ms} ms"
    )
    assert off > -40, "the loopback must put a real echo into the microphone"
    assert off - on >= 20, f"echo reduced by only {off - on:.1f} dB"
    assert attenuation <= 10, f"barge-in attenuated by {attenuation:.1f} dB"
