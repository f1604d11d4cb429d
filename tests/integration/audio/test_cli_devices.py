"""`talkline call` with no WAV files uses the default microphone and speaker through the
same AudioPath as the window: what is said into the (virtual) microphone comes back on
the (virtual) speaker, and `talkline devices` names them."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tests.integration.audio.signals import envelope_match, piecewise_match, speech_like
from tests.pulse import PulseAudio


def test_devices_lists_the_virtual_microphone_and_speaker(pulse: PulseAudio) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "desktop", "devices"],
        capture_output=True, text=True, timeout=60, env=pulse.env,
    )
    assert out.returncode == 0, out.stderr
    microphones, speakers = out.stdout.split("Speakers:")
    assert "mic" in microphones and "speaker" in speakers


async def test_speech_into_the_default_microphone_comes_back_on_the_speaker(
    pulse: PulseAudio,
) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "desktop", "call", "--provider", "local", "--seconds", "9",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=pulse.env,
    )
    assert proc.stderr is not None
    while b"connected" not in (line := await asyncio.wait_for(proc.stderr.readline(), 30)):
        assert line, "the call ended before it connected"
    await asyncio.sleep(1.0)  # the devices and the echo canceller settle
    said = speech_like(1.5, seed=11, dbfs=-14, pauses=False)
    heard = await asyncio.to_thread(pulse.play_and_record, said, tail=3.5)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()
    score, _start = envelope_match(said, heard[len(said) :], block=480)
    parts = piecewise_match(said, heard[len(said) :])
    # As in test_call_audio: found, and two thirds clear (a playout gap on a busy machine
    # shifts what follows it).
    assert score >= 0.5 and sorted(parts)[1] >= 0.8, (
        f"the reply did not come back on the speaker (match {score:.2f}, thirds {parts})"
    )
    assert b"You: (1." in stdout or b"seconds of speech" in stdout
