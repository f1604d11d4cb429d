"""A Talkline process ends cleanly while sound flows through the echo canceller: no Rust
abort ("panicked ... cannot unwind") and no crash report, however it exits.

Each run is a real process (tests/integration/audio/exiting_call.py) with the microphone
hearing speech and the speaker playing the far end's, the canceller on, that either closes
its audio as the app does or exits with the devices running.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.integration.audio.signals import speech_like
from tests.pulse import PulseAudio

ROOT = Path(__file__).resolve().parents[3]
RUNS = 8  # about 3 s each on a loaded 2-core machine


def test_exit_while_audio_flows_through_the_canceller_is_clean(pulse: PulseAudio) -> None:
    feed = pulse.play(np.tile(speech_like(1.0), 60), wait=False)  # the user keeps talking
    failures: list[str] = []
    try:
        for i in range(RUNS):
            how = ("close", "exit")[i % 2]
            seconds = f"{0.3 + 0.2 * (i % 4):.1f}"  # exit at varying points of the audio
            proc = subprocess.run(
                [sys.executable, "-m", "tests.integration.audio.exiting_call", seconds, how],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if proc.returncode != 0 or "panicked" in proc.stderr or "Traceback" in proc.stderr:
                failures.append(f"run {i} ({how}) exit {proc.returncode}: {proc.stderr[-800:]}")
    finally:
        feed.kill()
        feed.wait()
    assert failures == [], "\n".join(failures)


