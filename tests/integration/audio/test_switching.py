"""Changing devices mid-call: the sound moves to the new device without a real gap, and a
device that disappears is replaced by the system default, with a notice."""

from __future__ import annotations

import asyncio

import numpy as np

from desktop.core.audio.capture import MicrophoneTrack
from desktop.core.audio.devices import SYSTEM_DEFAULT
from desktop.core.audio.path import AudioPath
from desktop.core.audio.playback import Speaker
from tests.integration.audio.conftest import FrameCollector, opened
from tests.integration.audio.signals import (
    RATE,
    ArrayTrack,
    block_matches,
    classify,
    frames_to_float,
    noise,
    tone,
)
from tests.pulse import SPEAKER_MONITOR, PulseAudio

BLOCK = 960  # 20 ms


def switch_gap(old: np.ndarray, new: np.ndarray) -> int:
    """Blocks heard on neither device between the last one on the old and the first one on
    the new: the glitch the switch caused (not counting hiccups elsewhere)."""
    last_old = int(np.flatnonzero(old)[-1])
    first_new = int(np.flatnonzero(new)[0])
    return max(0, first_new - last_old - 1)


def notice_catcher(path: AudioPath) -> tuple[list[str], asyncio.Event]:
    notices: list[str] = []
    arrived = asyncio.Event()

    def on_notice(text: str) -> None:
        notices.append(text)
        arrived.set()

    path.notices.connect(on_notice)
    return notices, arrived


async def test_switching_the_speaker_moves_the_sound_without_a_gap(pulse: PulseAudio) -> None:
    pulse.add_sink("speaker2")
    speaker = await opened(Speaker())
    sent = noise(2.0, dbfs=-12, seed=11)
    async with pulse.record() as old, pulse.record("speaker2.monitor") as new:
        await speaker.start(ArrayTrack(sent))
        await asyncio.sleep(0.8)
        await speaker.switch_device("speaker2")
        await asyncio.sleep(1.6)
    await speaker.stop()
    old_audio, new_audio = old.samples(), new.samples()

    assert speaker.stats().device == "speaker2"
    on_old, on_new = block_matches(sent, old_audio), block_matches(sent, new_audio)
    heard = "".join("o" if a else "n" if b else "." for a, b in zip(on_old, on_new, strict=True))
    tail = len(heard) * 2 // 3  # the switch came at 0.8 s of 2 s
    assert heard[tail:].count("n") > 0.6 * len(heard[tail:]), f"not on the new device: {heard}"
    assert "o" not in heard[tail:], f"still on the old device: {heard}"
    gap = switch_gap(on_old, on_new)
    assert gap * BLOCK / RATE <= 0.1, f"{gap * 20} ms of the reply were lost: {heard}"


async def test_switching_the_microphone_keeps_sending_without_a_gap(pulse: PulseAudio) -> None:
    pulse.add_sink("micfeed2")
    pulse.add_source("mic2", "micfeed2.monitor")
    first, second = noise(2.0, dbfs=-12, seed=21), noise(2.0, dbfs=-12, seed=22)
    mic = MicrophoneTrack()
    await mic.open()
    collector = FrameCollector(mic)
    loop = asyncio.get_running_loop()
    try:
        await asyncio.sleep(0.2)
        players = [pulse.play(first, wait=False), pulse.play(second, "micfeed2", wait=False)]
        start = loop.time()
        await asyncio.sleep(0.9)
        await mic.switch_device("mic2")
        await asyncio.to_thread(lambda: [p.wait(timeout=10) for p in players])
        end = loop.time()
    finally:
        await collector.stop()
        await mic.aclose()

    assert mic.stats().device == "mic2"
    frames = [f for f, t in zip(collector.frames, collector.times, strict=True) if start < t < end]
    captured = frames_to_float(frames)
    from_old, from_new = block_matches(captured, first), block_matches(captured, second)
    source = "".join(
        "o" if a else "n" if b else "." for a, b in zip(from_old, from_new, strict=True)
    )
    assert "o" in source and "n" in source, source
    assert source.rindex("o") < source.index("n"), f"the old microphone came back: {source}"
    gap = switch_gap(from_old, from_new)
    assert gap * BLOCK / RATE <= 0.1, f"{gap * 20} ms without sound in the switch: {source}"


async def test_a_speaker_that_disappears_falls_back_to_the_default(pulse: PulseAudio) -> None:
    module = pulse.add_sink("usb_speaker")
    path = AudioPath(output_device="usb_speaker", use_input=False)
    notices, noticed = notice_catcher(path)
    await path.start()
    assert path.sink is not None and path.errors == []
    try:
        await path.sink.start(ArrayTrack(tone(1000, 1.0, dbfs=-12), loop=True))
        await asyncio.sleep(0.5)
        await asyncio.to_thread(pulse.unload_module, module)
        async with asyncio.timeout(5):
            await noticed.wait()
        await asyncio.sleep(0.5)  # reopening on the default
        received = path.sink.stats().frames_received
        await asyncio.sleep(0.3)
        async with pulse.record(SPEAKER_MONITOR) as heard:
            await asyncio.sleep(0.8)
        still_receiving = path.sink.stats().frames_received > received
    finally:
        await path.close()
    assert path.stats().output_device == SYSTEM_DEFAULT
    assert any("usb_speaker" in n and "system default" in n for n in notices), notices
    assert still_receiving
    tone_s, _ = classify(heard.samples(), 1000)
    assert tone_s > 0.6, "the reply must go on on the default speaker"


async def test_a_microphone_that_disappears_falls_back_to_the_default(pulse: PulseAudio) -> None:
    pulse.add_sink("usbfeed")
    module = pulse.add_source("usb_mic", "usbfeed.monitor")
    path = AudioPath(input_device="usb_mic", use_output=False)
    notices, noticed = notice_catcher(path)
    await path.start()
    assert path.source is not None and path.errors == []
    collector = FrameCollector(path.source)
    loop = asyncio.get_running_loop()
    try:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(pulse.unload_module, module)
        async with asyncio.timeout(5):
            await noticed.wait()
        await asyncio.sleep(0.5)  # reopening on the default
        start = loop.time()
        await asyncio.to_thread(pulse.play, tone(1000, 0.8, dbfs=-12))  # into the default mic
        end = loop.time()
    finally:
        await collector.stop()
        await path.close()
    assert any("usb_mic" in n and "system default" in n for n in notices), notices
    frames = [f for f, t in zip(collector.frames, collector.times, strict=True) if start < t < end]
    tone_s, _ = classify(frames_to_float(frames), 1000)
    assert tone_s > 0.5, "the default microphone must be heard after the fallback"
