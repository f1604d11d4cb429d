"""Streams straight on the Pulse server (libpulse), and PortAudio's way there as a fallback."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from desktop.core.audio import pulse_stream
from desktop.core.audio.capture import MicrophoneTrack
from desktop.core.audio.devices import DeviceRoute
from desktop.core.audio.playback import Speaker
from desktop.core.audio.portaudio import query_devices
from desktop.core.audio.streams import close_stream, open_stream
from tests.integration.audio.conftest import FrameCollector, opened
from tests.integration.audio.signals import (
    ArrayTrack,
    classify,
    frames_to_float,
    tone,
)
from tests.pulse import MICFEED, PulseAudio


def talkline_streams(pulse: PulseAudio, kind: str) -> list[int]:
    """The server's indexes of our streams ("sink-inputs" or "source-outputs")."""
    return [
        int(s["index"])
        for s in pulse.pactl_json("list", kind)
        if s["properties"].get("application.name") == "Talkline"
    ]


async def test_both_directions_share_one_server_connection(pulse: PulseAudio) -> None:
    speaker = await opened(Speaker())
    mic = MicrophoneTrack()
    await mic.open()
    try:
        assert len(talkline_streams(pulse, "sink-inputs")) == 1
        assert len(talkline_streams(pulse, "source-outputs")) == 1
        # One client: named after the app (the window's volume mixer shows it), not "ALSA
        # plug-in [python3]" twice as through PortAudio.
        clients = [c for c in pulse.pactl_json("list", "clients")
                   if c["properties"].get("application.name") == "Talkline"]
        assert len(clients) == 1
    finally:
        await mic.aclose()
        await speaker.stop()
    assert talkline_streams(pulse, "sink-inputs") == []
    assert talkline_streams(pulse, "source-outputs") == []


async def test_a_speaker_stream_the_server_ends_is_replaced_and_sound_goes_on(
    pulse: PulseAudio,
) -> None:
    """The server may end a stream (a user kills it in a mixer, a device goes away that
    no other can stand in for): the user reads why, and the reply keeps playing."""
    notices: list[str] = []
    speaker = await opened(Speaker())
    speaker.notices.connect(notices.append)
    try:
        await speaker.start(ArrayTrack(tone(660, 3.0, dbfs=-12)))
        await asyncio.sleep(0.6)
        [index] = talkline_streams(pulse, "sink-inputs")
        pulse.kill("sink-input", index)
        await asyncio.sleep(0.8)  # the default opens again
        async with pulse.record() as heard:
            await asyncio.sleep(0.8)
    finally:
        await speaker.stop()
    assert any("stopped working" in n and "system default" in n for n in notices), notices
    tone_s, _ = classify(heard.samples(), 660)
    assert tone_s > 0.5, f"only {tone_s:.2f} s of the reply after the stream was ended"


async def test_a_microphone_stream_the_server_ends_is_replaced(pulse: PulseAudio) -> None:
    notices: list[str] = []
    mic = MicrophoneTrack()
    mic.notices.connect(notices.append)
    await mic.open()
    collector = FrameCollector(mic)
    try:
        await asyncio.sleep(0.4)
        [index] = talkline_streams(pulse, "source-outputs")
        pulse.kill("source-output", index)
        await asyncio.sleep(0.8)
        start = len(collector.frames)
        pulse.play(tone(440, 1.0, dbfs=-12), wait=False)
        await asyncio.sleep(1.3)
    finally:
        await collector.stop()
        await mic.aclose()
    assert any("stopped working" in n for n in notices), notices
    tone_s, _ = classify(frames_to_float(collector.frames[start:]), 440)
    assert tone_s > 0.6, f"the microphone heard {tone_s:.2f} s of the tone after it reopened"


async def test_without_libpulse_portaudios_pulse_device_reaches_the_chosen_sink(
    pulse: PulseAudio,
) -> None:
    """Where libpulse cannot be loaded, a route without `pulse` opens through PortAudio's
    ALSA ``pulse`` device with PULSE_SINK set: the sound lands on the sink named."""
    index = next(i for i, d in enumerate(query_devices()) if d["name"] == "pulse")
    route = DeviceRoute(MICFEED, "Feed", index, 1, 48000.0, {"PULSE_SINK": MICFEED})
    sound = (tone(880, 1.5, dbfs=-12) * 32767).astype(np.int16)
    position = 0

    def play(outdata: Any, frames: int, _time: Any, _status: Any) -> None:
        nonlocal position
        chunk = sound[position : position + frames]
        position += len(chunk)
        outdata[: len(chunk), 0] = chunk
        outdata[len(chunk) :] = 0

    async with pulse.record(f"{MICFEED}.monitor") as heard:
        opened_stream = await asyncio.to_thread(
            open_stream, "output", route, play, lambda: None
        )
        try:
            assert not isinstance(opened_stream.stream, pulse_stream.PulseStream)
            await asyncio.sleep(1.2)
        finally:
            await asyncio.to_thread(close_stream, opened_stream)
    assert classify(heard.samples(), 880)[0] > 0.6
