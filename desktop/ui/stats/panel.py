"""The "Call quality" panel: the path, the connect breakdown, live graphs, turn latencies.

`set_stats()` only keeps a reference; drawing happens when the panel is visible (at most
once per new sample, which the sampler makes once a second) and once on being shown.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.stats.export import NOT_MEASURED, write
from desktop.core.stats.series import CallStats, Sample
from desktop.ui.stats.connect_bar import ConnectBar, legend_html
from desktop.ui.stats.plots import StatsPlots


def summary(sample: Sample | None) -> str:
    """The latest figures in one line; a figure not measured yet says so."""
    if sample is None:
        return "No call yet: connect to see its quality."

    def fig(value: float | None, unit: str, fmt: str = ".0f") -> str:
        return "—" if value is None else f"{value:{fmt}} {unit}"

    return (
        f"Round trip {fig(sample.rtt_ms, 'ms')} · jitter {fig(sample.jitter_ms, 'ms', '.1f')}"
        f" · loss {fig(sample.loss_pct, '%', '.1f')} in, {fig(sample.remote_loss_pct, '%', '.1f')}"
        f" out · {fig(sample.bitrate_in_kbps, 'kbit/s')} in,"
        f" {fig(sample.bitrate_out_kbps, 'kbit/s')} out"
    )


class StatsPanel(QWidget):
    exported = Signal(str)  # a sentence for the status bar / notices

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stats: CallStats | None = None
        self._drawn: tuple[int, int] | None = None  # (samples, turns) last drawn
        self.heading = QLabel("", self)  # "This call" / "Last call (ended 16:40)"
        self.heading.setObjectName("statsHeading")
        self.heading.setStyleSheet("font-weight: 600")
        self.heading.hide()
        self.path_label = QLabel("Network path: —", self)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Wrapped: one long address line set the dock's minimum width and clipped the panel.
        self.path_label.setWordWrap(True)
        self.summary = QLabel(summary(None), self)
        self.summary.setWordWrap(True)
        self.summary.setToolTip(
            "Not measured (aiortc does not provide them):\n"
            + "\n".join(f"• {text}" for text in NOT_MEASURED.values())
        )
        self.connect_bar = ConnectBar(self)
        self.connect_legend = QLabel("", self)
        self.connect_legend.setWordWrap(True)
        self.connect_legend.setTextFormat(Qt.TextFormat.RichText)
        self.plots = StatsPlots(self)
        self.turns_label = QLabel("", self)
        self.turns_label.setWordWrap(True)
        self.connect_label = QLabel("Connect time", self)
        self.save_csv = QPushButton("Save CSV…", self)
        self.save_json = QPushButton("Save JSON…", self)
        for button in (self.save_csv, self.save_json):
            button.setEnabled(False)
        self.save_csv.clicked.connect(lambda: self.export_dialog("csv"))
        self.save_json.clicked.connect(lambda: self.export_dialog("json"))

        column = QVBoxLayout(self)
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(4)
        column.addWidget(self.heading)
        column.addWidget(self.path_label)
        column.addWidget(self.summary)
        column.addWidget(self.connect_label)
        column.addWidget(self.connect_bar)
        column.addWidget(self.connect_legend)
        column.addWidget(self.plots, 1)
        column.addWidget(self.turns_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_csv)
        buttons.addWidget(self.save_json)
        column.addLayout(buttons)

    # -- data ---------------------------------------------------------------------------

    def set_stats(self, stats: CallStats | None) -> None:
        self.stats = stats
        if self.isVisible():
            self.redraw()

    def set_heading(self, text: str) -> None:
        self.heading.setText(text)
        self.heading.setVisible(bool(text))

    def clear(self) -> None:
        """No call's figures (a new connect is starting)."""
        self.stats = None
        self._drawn = None
        self.set_heading("")
        self.path_label.setText("Network path: —")
        self.summary.setText(summary(None))
        self.connect_bar.set_steps({})
        self.connect_legend.setText("")
        self.plots.clear_series()
        self.turns_label.setText("")
        for button in (self.save_csv, self.save_json):
            button.setEnabled(False)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.redraw()

    def redraw(self) -> None:
        stats = self.stats
        has = stats is not None and bool(stats.samples)
        for button in (self.save_csv, self.save_json):
            button.setEnabled(has)
        if stats is None:
            self.summary.setText(summary(None))
            return
        key = (len(stats.samples), len(stats.turns))
        if key == self._drawn and stats.samples:
            return  # nothing new since the last drawing
        self._drawn = key
        pair = stats.pair
        self.path_label.setText(
            "Network path: "
            + (f"{pair.describe()} ({pair.local_address} ↔ {pair.remote_address})"
               if pair else "not known yet")
        )
        self.summary.setText(summary(stats.samples[-1] if stats.samples else None))
        self.connect_bar.set_steps(stats.connect_ms)
        self.connect_legend.setText(legend_html(stats.connect_ms))
        self.plots.update_series(stats.recent(), stats.turns)
        self.turns_label.setText(self._turns_text(stats))

    @staticmethod
    def _turns_text(stats: CallStats) -> str:
        spoken = [t.speech_end_to_audio_ms for t in stats.turns
                  if t.speech_end_to_audio_ms is not None]
        typed = [t.created_to_audio_ms for t in stats.turns if t.created_to_audio_ms is not None]
        if not spoken and not typed:
            return "Turn latency: no reply heard yet."
        parts = []
        if spoken:
            parts.append(
                f"end of your speech → first sound of the reply: median "
                f"{statistics.median(spoken):.0f} ms over {len(spoken)} turns"
            )
        if typed:
            parts.append(
                f"response.created → first sound: median {statistics.median(typed):.0f} ms"
            )
        return "Turn latency: " + "; ".join(parts) + "."

    # -- export -------------------------------------------------------------------------

    def export_to(self, path: Path, fmt: str) -> bool:
        if self.stats is None:
            return False
        try:
            written = write(self.stats, path, fmt)
        except OSError as exc:
            self.exported.emit(f"Could not save the call statistics to {path}: "
                               f"{exc.strerror or exc}.")
            return False
        self.exported.emit("Call statistics saved to " + ", ".join(str(p) for p in written))
        return True

    def export_dialog(self, fmt: str) -> None:
        label = "JSON (*.json)" if fmt == "json" else "CSV (*.csv)"
        default = Path.home() / f"talkline-stats-{time.strftime('%Y%m%d-%H%M')}.{fmt}"
        name, _ = QFileDialog.getSaveFileName(self, "Save call statistics", str(default), label)
        if name:
            self.export_to(Path(name), fmt)
