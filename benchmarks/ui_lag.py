"""UI responsiveness: event-loop lag (timer drift) during a call with the transcript streaming.

    .venv/bin/python benchmarks/ui_lag.py [--seconds 60] [--no-audio] [--offscreen] [--no-stats]

The real window (under a private Xvfb, or offscreen) connects to the built-in local server
over real WebRTC and keeps it talking: a long typed message, its echo streamed back into
the transcript delta by delta, then the next one, with the event log panel open and the
"Call quality" panel open beside it (its graphs redrawn on every sample). With
PulseAudio installed the real audio path runs on virtual devices (capture, playback,
echo canceller, meters at 20 Hz). Meanwhile a 10 ms asyncio timer on the same qasync
loop records how late it fires; the p99 of that drift is the figure (target ≤ 20 ms).

`--no-stats` leaves the call-quality panel closed (the sampler still runs: it is part of
every call), to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gui.xvfb import xvfb  # noqa: E402 - the repository root is on the path now

TICK_S = 0.010
IDLE_S = 5.0
TARGET_P99_MS = 20.0
MESSAGE = (
    "This is a long message so that the echo streams for a good while: "
    + "one two three four five six seven eight nine ten " * 4
)


async def until(predicate: Callable[[], object], seconds: float) -> bool:
    """Poll what the window shows (no event to wait on); False after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not predicate():  # noqa: ASYNC110 - polling widget state
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-audio", action="store_true")
    parser.add_argument("--offscreen", action="store_true")
    parser.add_argument("--no-stats", action="store_true", help="keep the stats panel closed")
    args = parser.parse_args()
    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="talkline-lag-")))
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            os.environ[var] = str(home / var.lower())
        if args.offscreen:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        else:
            os.environ["DISPLAY"] = stack.enter_context(xvfb())
            os.environ["QT_QPA_PLATFORM"] = "xcb"
        pulse = None
        if not args.no_audio and shutil.which("pulseaudio"):
            from tests.pulse import PulseAudio

            pulse = stack.enter_context(PulseAudio())
        return measure(
            args.seconds,
            with_audio=pulse is not None,
            offscreen=args.offscreen,
            with_stats=not args.no_stats,
        )


def measure(seconds: float, *, with_audio: bool, offscreen: bool, with_stats: bool) -> int:
    import qasync
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from desktop.core.call.state import CallState
    from desktop.core.settings.schema import AppSettings
    from desktop.core.talk.audio import default_audio, no_audio
    from desktop.ui.app import build_window
    from desktop.ui.gc_guard import MainThreadGc

    app = QApplication([sys.argv[0]])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    collector = MainThreadGc(app)  # as desktop.ui.app.run does
    settings = AppSettings()
    settings.show_event_log = True
    window = build_window(
        loop,
        settings=settings,
        audio_factory=default_audio if with_audio else no_audio,
        persist=False,
        global_hotkey=False,
    )
    window.resize(1280, 800)
    if with_stats:  # below, so the event log stays open too: both panels draw
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, window.stats_dock)
        window.stats_dock.show()
    window.controller.warmed_up.connect(collector.freeze)
    drift_ms: list[float] = []
    idle_ms: list[float] = []
    counts = {"messages": 0, "deltas": 0}

    async def ticker(stop: asyncio.Event, into: list[float]) -> None:
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(TICK_S)
            into.append((time.perf_counter() - start - TICK_S) * 1000)

    async def talker(stop: asyncio.Event) -> None:
        while not stop.is_set():
            window.message.edit.setText(f"{counts['messages']}: {MESSAGE}")
            window.message.edit.returnPressed.emit()
            counts["messages"] += 1
            await asyncio.sleep(0.3)
            await until(lambda: not window.interrupt_button.isEnabled(), 30)

    async def scenario() -> None:
        window.show()
        await until(lambda: window.first_paint_at is not None, 10)
        # The machine's own noise: the same timer with the window open and no call.
        await asyncio.sleep(2.0)  # past start-up (warm-up imports, first collection)
        idle = asyncio.Event()
        idle_task = loop.create_task(ticker(idle, idle_ms))
        await asyncio.sleep(IDLE_S)
        idle.set()
        await idle_task
        window.controller.connect_call()
        while window.controller.state is not CallState.CONNECTED:
            if window.controller.state is CallState.FAILED:
                raise SystemExit(f"could not connect: {window.controller.status.reason}")
            await asyncio.sleep(0.02)
        window.controller.event_logged.connect(
            lambda _d, kind, _p: counts.__setitem__(
                "deltas", counts["deltas"] + kind.endswith("transcript.delta")
            )
        )
        await asyncio.sleep(0.5)  # past the connect burst
        stop = asyncio.Event()
        tasks = [loop.create_task(ticker(stop, drift_ms)), loop.create_task(talker(stop))]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks)
        await window.controller.shutdown()

    with loop:
        loop.run_until_complete(scenario())

    where = "offscreen" if offscreen else "Xvfb"
    audio = "real audio path on PulseAudio virtual devices" if with_audio else "no audio devices"
    p99 = percentile(drift_ms, 0.99)
    panel = window.stats_dock.panel
    stats = "call-quality panel open" if with_stats else "call-quality panel closed"
    print(f"ui_lag: {seconds:.0f} s call to Local, {where}, {audio}, event log open, {stats}")
    print(
        f"  {counts['messages']} messages, {counts['deltas']} transcript deltas streamed, "
        f"{window.transcript.turn_count} turns, {len(drift_ms)} timer samples"
    )
    print(
        f"  timer drift (10 ms asyncio sleep): median {statistics.median(drift_ms):.2f} ms, "
        f"p99 {p99:.2f} ms, max {max(drift_ms):.2f} ms "
        f"(target p99 ≤ {TARGET_P99_MS:.0f} ms: {'ok' if p99 <= TARGET_P99_MS else 'OVER'})"
    )
    print(
        f"  baseline, window open and no call ({IDLE_S:.0f} s): median "
        f"{statistics.median(idle_ms):.2f} ms, p99 {percentile(idle_ms, 0.99):.2f} ms, "
        f"max {max(idle_ms):.2f} ms"
    )
    if panel is not None:
        print(f"  call-quality panel: {panel.plots.redraws} redraws of its graphs "
              f"({len(window.controller.last_stats.samples)} samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
