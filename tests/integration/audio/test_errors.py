"""When sound cannot work, the user reads why and can still type (and hear, or read)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop.core.audio.devices import DeviceRoute
from desktop.core.audio.errors import DeviceOpenError, NoAudioDevice
from desktop.core.audio.path import AudioPath
from desktop.core.audio.streams import open_stream
from tests.integration.audio.signals import ArrayTrack, classify, tone
from tests.pulse import MIC, PulseAudio

REPO = Path(__file__).resolve().parents[3]


async def test_without_a_microphone_the_user_can_still_hear(pulse: PulseAudio) -> None:
    module = pulse.module_of(MIC)
    assert module is not None
    pulse.unload_module(module)  # the only microphone is gone

    path = AudioPath()
    await path.start()
    try:
        assert path.source is None
        assert path.sink is not None, "the speaker must still work"
        assert [type(e) for e in path.errors] == [NoAudioDevice]
        assert "You can still type" in path.errors[0].message
        async with pulse.record() as heard:
            await path.sink.start(ArrayTrack(tone(1000, 0.6, dbfs=-12)))
            await asyncio.sleep(0.9)
    finally:
        await path.close()
    assert classify(heard.samples(), 1000)[0] > 0.4


def test_a_device_that_refuses_to_open_is_a_sentence(pulse: PulseAudio) -> None:
    route = DeviceRoute("Ghost", "Ghost USB Audio", 9999, 1, 48000.0)  # a vanished index
    with pytest.raises(DeviceOpenError) as caught:
        open_stream("output", route, lambda *a: None, lambda: None)
    assert "The speaker “Ghost USB Audio” could not be opened" in caught.value.message
    assert "48000" in caught.value.message


_PATH_SCRIPT = textwrap.dedent(
    """
    import asyncio
    from desktop.core.audio.path import AudioPath

    async def main():
        path = AudioPath()
        path.notices.connect(lambda text: print("NOTICE", text))
        await path.start()
        print("SOURCE", path.source is not None, "SINK", path.sink is not None)
        await path.close()

    asyncio.run(main())
    """
)


def _without_portaudio(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Without libportaudio2, `import sounddevice` raises OSError (it cannot be uninstalled
    here, so a stand-in module raises exactly that)."""
    (tmp_path / "sounddevice.py").write_text(
        'raise OSError("PortAudio library not found")\n', encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-c", _PATH_SCRIPT],
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def test_missing_portaudio_is_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    # No sound server either: PortAudio would be the only way to a device.
    done = _without_portaudio(tmp_path, PULSE_SERVER="unix:/nonexistent/pulse/native")
    notices = [line for line in done.stdout.splitlines() if line.startswith("NOTICE")]
    assert len(notices) == 1, done.stdout  # said once, not once per device
    assert "libportaudio2" in notices[0] and "You can still type" in notices[0]
    assert "SOURCE False SINK False" in done.stdout


def test_on_a_pulse_server_sound_works_without_portaudio(
    pulse: PulseAudio, tmp_path: Path
) -> None:
    """Streams go straight to the server through libpulse: a missing PortAudio costs
    nothing there."""
    done = _without_portaudio(tmp_path)
    assert "SOURCE True SINK True" in done.stdout, done.stdout + done.stderr
    assert "NOTICE" not in done.stdout
