"""What the animated state display costs: one orb frame, and a second of animation.

    .venv/bin/python benchmarks/phase_view.py [--frames 600] [--xvfb]

The real window (offscreen, or under a private Xvfb with --xvfb) shows the assistant
speaking; the orb is driven by changing output levels and repainted `--frames` times
synchronously (`repaint()`: the paint and the parents' background under it, as on screen).
Prints the median and p99 of a frame and the share of one core at 30 frames a second.
Independent of the machine's other load, unlike the loop-lag figure of ui_lag.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gui.xvfb import xvfb  # noqa: E402 - the repository root is on the path now


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--xvfb", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="talkline-orb-")))
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            os.environ[var] = str(home / var.lower())
        if args.xvfb:
            os.environ["DISPLAY"] = stack.enter_context(xvfb())
            os.environ["QT_QPA_PLATFORM"] = "xcb"
        else:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return run(args.frames, "Xvfb" if args.xvfb else "offscreen")


def run(frames: int, where: str) -> int:
    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    from desktop.core.audio.levels import Level
    from desktop.core.settings.schema import AppSettings
    from desktop.core.talk.phase import Phase, PhaseKind
    from desktop.ui.app import build_window
    from desktop.ui.controller import no_audio

    app = QApplication([sys.argv[0]])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = build_window(loop, settings=AppSettings(), audio_factory=no_audio, persist=False)
    window.show()
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    view = window.phase_view
    view.set_phase(Phase(PhaseKind.SPEAKING))
    orb = view.orb
    wall: list[float] = []
    cpu_start = time.process_time()
    for i in range(frames):
        level = -40.0 + 30.0 * abs(((i % 30) - 15) / 15)  # a voice-like rise and fall
        view.set_output_level(Level(level, level + 6, level + 6))
        orb._frame()  # the timer's work: smoothing, then update() when the picture moved
        start = time.perf_counter()
        orb.repaint()
        wall.append((time.perf_counter() - start) * 1000)
    cpu_ms = (time.process_time() - cpu_start) * 1000 / frames
    wall.sort()
    p99 = wall[min(len(wall) - 1, int(0.99 * len(wall)))]
    print(f"phase_view: {frames} orb frames, {where}")
    print(f"  one frame: median {statistics.median(wall):.3f} ms, p99 {p99:.3f} ms "
          f"(CPU {cpu_ms:.3f} ms a frame)")
    print(f"  at 30 frames a second: {cpu_ms * 30 / 10:.2f} % of one core")
    window.controller.setParent(None)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
