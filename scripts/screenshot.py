"""Take docs/screenshot.png: the real window under Xvfb, connected to Local, mid-conversation
(the assistant's state beside the meters), and docs/first_run.png: the window as a new user
first sees it (what to do, in the empty transcript).

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png]

Starts its own Xvfb and (when PulseAudio is installed) a private PulseAudio with virtual
devices, so the meters show real sound: a typed message, then a spoken one (espeak-ng
played into the virtual microphone while push-to-talk is held), each echoed by the
built-in local server over real WebRTC. Nothing is written outside a temporary folder
except the picture.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gui.xvfb import xvfb  # noqa: E402 - the repository root is on the path now

TYPED = ("Hi! Is my microphone working?", "And can you hear me over the speaker?")
SPOKEN = "Testing one two three, can you hear me?"
SIZE = (1280, 760)


def speech_samples(text: str) -> object | None:
    """``text`` spoken by espeak-ng as 48 kHz mono int16, or None without espeak-ng."""
    import numpy as np

    if shutil.which("espeak-ng") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "say.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), text], check=True)
        from desktop.core.audio.files import read_wav_mono48k

        samples = read_wav_mono48k(wav)
    return (np.asarray(samples) * 0.6).astype(samples.dtype)


async def until(predicate: Callable[[], object], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshot: gave up waiting for {what}")
        await asyncio.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--no-audio", action="store_true", help="skip the virtual devices")
    args = parser.parse_args()

    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="talkline-shot-")))
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            os.environ[var] = str(home / var.lower())
        os.environ["DISPLAY"] = stack.enter_context(xvfb())
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        os.environ["XDG_SESSION_TYPE"] = "x11"
        pulse = None
        if not args.no_audio and shutil.which("pulseaudio"):
            from tests.pulse import PulseAudio

            pulse = stack.enter_context(PulseAudio())
        return asyncio_main(args.out, pulse)


def asyncio_main(out: Path, pulse: object | None) -> int:
    import qasync
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from desktop.core.call.state import CallState
    from desktop.core.settings.schema import AppSettings
    from desktop.core.talk.audio import default_audio, no_audio
    from desktop.ui.app import build_window

    app = QApplication([sys.argv[0]])
    app.setApplicationName("Talkline")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    settings = AppSettings()
    settings.show_event_log = True
    settings.providers["local"].turn_mode = "push_to_talk"  # the spoken turn is held
    window = build_window(
        loop,
        settings=settings,
        audio_factory=default_audio if pulse is not None else no_audio,
        persist=False,
    )
    window.resize(*SIZE)
    window.resizeDocks([window.event_log_dock], [440], Qt.Orientation.Horizontal)

    async def scenario() -> None:
        window.show()
        await until(lambda: window.first_paint_at is not None, "the first paint")
        await asyncio.sleep(0.3)
        first_run = out.with_name("first_run.png")
        out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(first_run)):
            raise SystemExit(f"screenshot: could not write {first_run}")
        print(f"saved {first_run}")
        window.controller.connect_call()
        await until(lambda: window.controller.state is CallState.CONNECTED, "the connection")
        for text in TYPED:
            window.message.edit.setText(text)
            window.message.edit.returnPressed.emit()
            await until(lambda t=text: f'"{t}"' in window.transcript.toPlainText(), "the echo")
            await until(lambda: not window.interrupt_button.isEnabled(), "the reply", 30)

        speech = speech_samples(SPOKEN) if pulse is not None else None
        if speech is not None:
            window.ptt.hold("window")
            await asyncio.to_thread(pulse.play, speech)  # type: ignore[attr-defined]
            window.ptt.let_go("window")
            await until(lambda: "seconds of speech" in window.transcript.toPlainText(), "voice")
            # Grab while the echo plays: the speaker meter moves, Interrupt is on.
            await until(lambda: window.interrupt_button.isEnabled(), "the spoken echo")
            await until(lambda: window.phase_view.text() == "Speaking", "the spoken reply")
            await asyncio.sleep(0.5)
        log = window.event_log
        for row in range(log.proxy.rowCount() - 1, -1, -1):
            entry = log.model.entry(log.proxy.mapToSource(log.proxy.index(row, 0)).row())
            if entry.type == "conversation.item.input_audio_transcription.completed":
                log.select_row(row)
                break
        log.table.scrollToBottom()
        window.message.edit.setFocus()
        await asyncio.sleep(0.2)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(out)):
            raise SystemExit(f"screenshot: could not write {out}")
        print(f"saved {out} ({window.width()}x{window.height()})")
        await window.controller.shutdown()
        if window.hotkey is not None:
            window.hotkey.stop()

    with loop:
        loop.run_until_complete(scenario())
    return 0


if __name__ == "__main__":
    sys.exit(main())
