"""The rolling two-minute graphs of a call's figures (pyqtgraph), drawn only on request.

Curves are made once; an update hands each its last two minutes (at most ~120 points),
so a redraw is a handful of `setData` calls. Gaps (a figure not measured yet) stay gaps.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from desktop.core.stats.series import WINDOW_S, Sample, TurnLatency

# title, unit, curves: (Sample field, label, colour)
PLOTS: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Round trip", "ms", (("rtt_ms", "RTCP", "#2563eb"),)),
    ("Jitter", "ms", (("jitter_ms", "in", "#7c3aed"), ("remote_jitter_ms", "out", "#db2777"))),
    ("Loss", "%", (("loss_pct", "in", "#dc2626"), ("remote_loss_pct", "out", "#f59e0b"))),
    ("Bitrate", "kbit/s", (("bitrate_in_kbps", "in", "#059669"),
                           ("bitrate_out_kbps", "out", "#2563eb"))),
    ("Audio level", "dBFS", (("input_dbfs", "mic", "#059669"),
                             ("output_dbfs", "speaker", "#2563eb"))),
    ("Playout buffer", "ms", (("playout_ms", "depth", "#0891b2"),
                              ("playout_target_ms", "target", "#9ca3af"))),
)
# The smallest vertical span shown: a flat 0 % loss reads as 0 to 1 %, not −0.4 to 0.4.
_MIN_SPAN = {"Loss": 1.0, "Round trip": 10.0, "Jitter": 5.0, "Bitrate": 10.0,
             "Playout buffer": 20.0}
BAR_SPOKEN = "#2563eb"  # end of speech → first audible sample
BAR_TYPED = "#9ca3af"  # response.created → first audible sample (no speech end known)


def _title(name: str, unit: str, curves: Sequence[tuple[str, str, str]]) -> str:
    keys = " · ".join(f'<span style="color:{c}">{label}</span>' for _f, label, c in curves)
    return f'<span style="font-size:9pt">{name} ({unit}) {keys}</span>'


class StatsPlots(pg.GraphicsLayoutWidget):  # type: ignore[misc]  # pyqtgraph is untyped
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, show=False, size=None, title=None)
        self.setBackground("w")
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        for i, (name, unit, curves) in enumerate(PLOTS):
            plot = self.addPlot(row=i // 2, col=i % 2, title=_title(name, unit, curves))
            self._style(plot)
            plot.enableAutoRange(axis="x", enable=False)  # always the last two minutes
            plot.setXRange(-WINDOW_S, 0, padding=0)
            if unit != "dBFS":  # counts, times and rates are never below zero
                plot.setLimits(yMin=0, minYRange=_MIN_SPAN.get(name, 1.0))
            self.plots[name] = plot
            for fld, _label, colour in curves:
                self.curves[fld] = plot.plot(pen=pg.mkPen(colour, width=1.5))
        self.turn_plot = self.addPlot(row=3, col=0, colspan=2, title=self._turn_title(None))
        self._style(self.turn_plot)
        self.turn_plot.getAxis("bottom").setLabel("turn")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6, brushes=[])
        self.turn_plot.addItem(self.bars)
        self.median_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#dc2626", width=1,
                                                                 style=pg.QtCore.Qt.DashLine))
        self.median_line.hide()
        self.turn_plot.addItem(self.median_line)
        self.redraws = 0  # for tests: hidden panels must not draw

    @staticmethod
    def _style(plot: pg.PlotItem) -> None:
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        # No grid: its translucent lines made a full repaint ~10x dearer (26 ms vs 2 ms).
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setPen("#9ca3af")
            plot.getAxis(axis).setTextPen("#374151")

    @staticmethod
    def _turn_title(median: float | None, spoken: bool = True) -> str:
        text = "Turn latency (ms): " + (
            "end of speech → first audible reply sample" if spoken
            else "response.created → first audible reply sample"
        )
        if median is not None:
            text += f' · <span style="color:#dc2626">median {median:.0f}</span>'
        return f'<span style="font-size:9pt">{text}</span>'

    def clear_series(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])
        self._update_turns(())

    def update_series(self, samples: Sequence[Sample], turns: Sequence[TurnLatency]) -> None:
        self.redraws += 1
        if samples:
            now = samples[-1].t_s
            x = np.array([s.t_s - now for s in samples])
            for fld, curve in self.curves.items():
                y = np.array([_num(getattr(s, fld)) for s in samples])
                curve.setData(x, y, connect="finite")
        self._update_turns(turns)

    def _update_turns(self, turns: Sequence[TurnLatency]) -> None:
        xs, heights, brushes, spoken_ms = [], [], [], []
        for turn in turns:
            spoken = turn.speech_end_to_audio_ms
            value = spoken if spoken is not None else turn.created_to_audio_ms
            if value is None:
                continue
            xs.append(turn.index)
            heights.append(value)
            if spoken is not None:
                spoken_ms.append(spoken)
            brushes.append(pg.mkBrush(BAR_SPOKEN if spoken is not None else BAR_TYPED))
        self.bars.setOpts(x=xs, height=heights, brushes=brushes, width=0.6)
        # The median of what the title names: spoken turns when there are any.
        ranked = spoken_ms or heights
        median = statistics.median(ranked) if ranked else None
        if median is None:
            self.median_line.hide()
        else:
            self.median_line.setValue(median)
            self.median_line.show()
        self.turn_plot.setTitle(self._turn_title(median, spoken=bool(spoken_ms) or not heights))
        if xs:
            self.turn_plot.setXRange(min(xs) - 0.6, max(xs) + 0.6, padding=0)


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)
