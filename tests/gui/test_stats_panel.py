"""The "Call quality" panel over a real call to the built-in server (offscreen Qt).

With data: the network path, the connect breakdown, the graphs, a turn latency, export.
On a bad network (the local server's test knob drops 12 % of its packets and delays them
350 ms) the window says so in plain words, and stops saying so after the call.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from desktop.core.audio.files import WavRecorder
from desktop.core.call.state import CallState
from desktop.core.settings.schema import AppSettings
from desktop.core.talk.audio import TrackAudio
from desktop.localserver.impairment import Impairment
from desktop.localserver.server import LocalRealtimeServer
from desktop.ui.main_window import MainWindow
from tests.gui.conftest import Gui, WindowFactory


def RecorderAudio(_settings: AppSettings) -> TrackAudio:  # noqa: N802 - an audio factory
    """No sound devices, but a sink that notes when reply audio arrives (for turn timing)."""
    return TrackAudio(sink=WavRecorder())


def connect(gui: Gui, window: MainWindow) -> None:
    gui.do(window.controller.connect_call)
    gui.until(lambda: window.controller.state is CallState.CONNECTED, "the call to connect")


def open_panel(gui: Gui, window: MainWindow) -> None:
    gui.do(window.stats_dock.toggleViewAction().trigger)
    gui.until(lambda: window.stats_dock.panel is not None, "the panel")


def finite_points(window: MainWindow, field: str) -> int:
    assert window.stats_dock.panel is not None
    _x, y = window.stats_dock.panel.plots.curves[field].getData()
    return 0 if y is None else sum(1 for v in y if not math.isnan(v))


def test_the_panel_shows_a_live_call_and_exports_it(
    gui: Gui, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window(audio_factory=RecorderAudio)
    assert window.stats_dock.toggleViewAction().text() == "Call &quality"
    connect(gui, window)
    open_panel(gui, window)
    panel = window.stats_dock.panel
    assert panel is not None and window.stats_dock.isVisible()
    gui.do(lambda: window.controller.send_text("how is the line?"))
    gui.until(lambda: finite_points(window, "bitrate_in_kbps") >= 2, "two bitrate points")
    gui.until(lambda: "median" in panel.turns_label.text(), "a turn latency")

    assert "host → host over UDP" in panel.path_label.text()
    assert "Round trip" in panel.summary.text() and "kbit/s in" in panel.summary.text()
    assert "ICE + DTLS" in panel.connect_legend.text() and "total" in panel.connect_legend.text()
    assert finite_points(window, "bitrate_out_kbps") >= 2
    assert len(panel.plots.bars.opts["height"]) == 1
    assert not any("dropping" in t or "slow" in t for t in window.notices.texts()), "clean"

    assert panel.export_to(tmp_path / "call.json", "json")
    assert panel.export_to(tmp_path / "call.csv", "csv")
    data = json.loads((tmp_path / "call.json").read_text())
    assert data["samples"] and data["turns"][0]["created_to_audio_ms"] > 0
    assert data["candidate_pair"]["protocol"] == "udp"
    header = (tmp_path / "call.csv").read_text().splitlines()[0]
    assert header.startswith("t_s,rtt_ms,jitter_ms")
    assert (tmp_path / "call-turns.csv").read_text().startswith("index,response_id")

    # Hidden, it draws nothing however many samples arrive.
    gui.do(window.stats_dock.hide)
    drawn = panel.plots.redraws
    count = len(window.controller.last_stats.samples)
    gui.until(lambda: len(window.controller.last_stats.samples) >= count + 2, "more samples")
    assert panel.plots.redraws == drawn


def test_a_lossy_slow_network_is_named_in_plain_words(
    gui: Gui, make_window: WindowFactory
) -> None:
    window = make_window()
    server = LocalRealtimeServer(impairment=Impairment(drop=0.12, delay_ms=350, seed=3))
    gui.run(server.start())
    window.controller.local_server = server  # the window's Local provider uses it
    connect(gui, window)

    def hints() -> list[str]:
        return window.notices.texts()

    gui.until(lambda: any("dropping packets" in t for t in hints()), "the loss hint")
    gui.until(lambda: any("connection is slow" in t for t in hints()), "the round-trip hint")
    gui.do(window.controller.disconnect_call)
    gui.until(lambda: window.controller.state is CallState.CLOSED, "the hang-up")
    assert not any("dropping packets" in t or "slow" in t for t in hints())
