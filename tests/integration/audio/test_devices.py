"""Device choice: by stable name, with "System default" first, following what is plugged in."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from desktop.core.audio import devices
from desktop.core.audio.devices import SYSTEM_DEFAULT
from desktop.core.audio.errors import DeviceOpenError
from desktop.core.audio.path import AudioPath
from desktop.core.audio.playback import Speaker
from tests.integration.audio.conftest import opened
from tests.integration.audio.signals import ArrayTrack, match_scores, noise
from tests.pulse import MIC, MICFEED, SPEAKER, PulseAudio


def test_the_pulse_devices_are_listed_by_name_with_the_system_default_first(
    pulse: PulseAudio,
) -> None:
    # PortAudio alone would only offer "pulse" and "default" here.
    inputs, outputs = devices.list_devices("input"), devices.list_devices("output")
    assert inputs[0].name == outputs[0].name == SYSTEM_DEFAULT
    assert [d.name for d in inputs[1:]] == [MIC], "monitors are not microphones"
    assert {d.name for d in outputs[1:]} == {SPEAKER, MICFEED}
    assert [d.name for d in inputs + outputs if d.is_default and d.name != SYSTEM_DEFAULT] == [
        MIC,
        SPEAKER,
    ]
    speaker = next(d for d in outputs if d.name == SPEAKER)
    assert (speaker.host_api, speaker.channels, speaker.default_samplerate) == (
        "PulseAudio",
        1,
        48000.0,
    )
    assert len({d.label for d in outputs}) == len(outputs), "labels tell devices apart"


def test_a_plugged_headset_appears_and_disappears(pulse: PulseAudio) -> None:
    module = pulse.add_sink("usb_headset")
    assert "usb_headset" in devices.names("output")
    pulse.unload_module(module)
    assert "usb_headset" not in devices.names("output")


async def test_a_device_picked_by_name_is_the_one_that_plays(pulse: PulseAudio) -> None:
    speaker = await opened(Speaker(MICFEED))  # not the default: it reaches the microphone
    sent = noise(0.8, seed=4)
    async with pulse.record(f"{MICFEED}.monitor") as there, pulse.record() as default:
        await speaker.start(ArrayTrack(sent))
        await asyncio.sleep(1.1)
        await speaker.stop()
    assert sorted(match_scores(sent, there.samples()))[4] >= 0.8
    assert max(match_scores(sent, default.samples())) < 0.5


async def test_an_unplugged_device_is_a_sentence_and_the_default_steps_in(
    pulse: PulseAudio,
) -> None:
    with pytest.raises(DeviceOpenError, match="“usb_headset” is not connected"):
        await Speaker("usb_headset").open()

    path = AudioPath(input_device="usb_mic", output_device="usb_headset")
    notices: list[str] = []
    path.notices.connect(notices.append)
    await path.start()
    try:
        assert path.source is not None and path.sink is not None
        assert path.stats().input_device == path.stats().output_device == SYSTEM_DEFAULT
    finally:
        await path.close()
    assert any("usb_headset" in n and "system default" in n for n in notices), notices
    assert any("usb_mic" in n and "system default" in n for n in notices), notices


async def test_system_default_follows_the_system(pulse: PulseAudio) -> None:
    """Chosen as "System default", the speaker moves when the user changes the default."""
    pulse.add_sink("usb_headset")
    speaker = await opened(Speaker())  # SYSTEM_DEFAULT
    await speaker.start(ArrayTrack(noise(4.0, seed=6)))
    try:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(pulse.set_default_sink, "usb_headset")
        await asyncio.sleep(0.5)
        async with pulse.record("usb_headset.monitor") as headset, pulse.record() as old:
            await asyncio.sleep(1.0)
    finally:
        await speaker.stop()
    assert np.sqrt(np.mean(headset.samples() ** 2)) > 0.05, "plays on the new default"
    assert np.sqrt(np.mean(old.samples() ** 2)) < 0.01, "and no longer on the old one"
