"""Take docs/stats.png: the "Call quality" panel with real data, under Xvfb.

    .venv/bin/python scripts/screenshot_stats.py [--out docs/stats.png] [--seconds 40]

The real window connects to the built-in local server over real WebRTC, with the real
audio path on a private PulseAudio's virtual devices (when installed): spoken turns
(a voice-like test signal played into the virtual microphone) and typed ones, so the
graphs, the turn latencies and the connect breakdown are all measured, none drawn by
hand. So that the graphs have something to show, the local server simulates a modest
network (its test knob: 2 % of its packets dropped, 40-80 ms delay); the panel reports
that network as it measures it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.screenshot import until  # noqa: E402 - the repository root is on the path now
from tests.gui.xvfb import xvfb  # noqa: E402

SIZE = (1400, 900)
TYPED = "How does the line look today?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "stats.png")
    parser.add_argument("--seconds", type=float, default=40.0, help="how long the call runs")
    args = parser.parse_args()
    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="talkline-shot-")))
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            os.environ[var] = str(home / var.lower())
        os.environ["DISPLAY"] = stack.enter_context(xvfb())
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        os.environ["XDG_SESSION_TYPE"] = "x11"
        pulse = None
        if shutil.which("pulseaudio"):
            from tests.pulse import PulseAudio

            pulse = stack.enter_context(PulseAudio())
        return shoot(args.out, args.seconds, pulse)


def shoot(out: Path, seconds: float, pulse: object | None) -> int:
    import qasync
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from desktop.core.call.state import CallState
    from desktop.core.settings.schema import AppSettings
    from desktop.core.talk.audio import default_audio, no_audio
    from desktop.localserver.impairment import Impairment
    from desktop.localserver.server import LocalRealtimeServer
    from desktop.ui.app import build_window
    from tests.integration.audio.signals import speech_like

    app = QApplication([sys.argv[0]])
    app.setApplicationName("Talkline")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    settings = AppSettings()
    window = build_window(
        loop,
        settings=settings,
        audio_factory=default_audio if pulse is not None else no_audio,
        persist=False,
        global_hotkey=False,
    )
    window.resize(*SIZE)

    async def scenario() -> None:
        window.show()
        await until(lambda: window.first_paint_at is not None, "the first paint")
        server = LocalRealtimeServer(
            impairment=Impairment(drop=0.02, delay_ms=40, jitter_ms=40, seed=11)
        )
        await server.start()
        window.controller.local_server = server
        window.stats_dock.toggleViewAction().trigger()
        window.resizeDocks([window.stats_dock], [760], Qt.Orientation.Horizontal)
        window.controller.connect_call()
        await until(lambda: window.controller.state is CallState.CONNECTED, "the connection")
        started = time.monotonic()
        turn = 0
        while time.monotonic() - started < seconds:
            turn += 1
            if pulse is not None and turn % 3:
                voice = speech_like(1.2 + 0.3 * (turn % 2), seed=turn, dbfs=-16, pauses=False)
                await asyncio.to_thread(pulse.play, voice)  # type: ignore[attr-defined]
            else:
                window.message.edit.setText(TYPED)
                window.message.edit.returnPressed.emit()
            await asyncio.sleep(1.0)
            await until(lambda: not window.interrupt_button.isEnabled(), "the reply", 30)
            await asyncio.sleep(2.5)
        panel = window.stats_dock.panel
        assert panel is not None
        await until(lambda: "median" in panel.turns_label.text(), "turn latencies")
        await asyncio.sleep(1.2)  # one more sample drawn
        out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(out)):
            raise SystemExit(f"screenshot: could not write {out}")
        stats = window.controller.last_stats
        print(f"saved {out} ({window.width()}x{window.height()}); {len(stats.samples)} samples, "
              f"{len(stats.turns)} turns, connect {stats.connect_ms}")
        for t in stats.turns:
            print(f"  turn {t.index}: end of speech → audio {t.speech_end_to_audio_ms} ms "
                  f"({t.speech_end_source}), created → audio {t.created_to_audio_ms} ms")
        await window.controller.shutdown()

    with loop:
        loop.run_until_complete(scenario())
    return 0


if __name__ == "__main__":
    sys.exit(main())
