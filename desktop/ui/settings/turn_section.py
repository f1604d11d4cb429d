"""Turn detection: semantic VAD (eagerness), server VAD (threshold, padding, silence), or
push-to-talk. Only the fields of the chosen mode are shown."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox

from desktop.core.session import TurnMode
from desktop.core.settings import ProviderSettings
from desktop.ui.settings.features import (
    EAGERNESS,
    PREFIX_PADDING_MS,
    SILENCE_MS,
    VAD_THRESHOLD,
)
from desktop.ui.settings.forms import add_row

MODES = (
    (TurnMode.SEMANTIC_VAD, "Semantic voice detection (the model decides when you are done)"),
    (TurnMode.SERVER_VAD, "Voice activity detection (a pause ends your turn)"),
    (TurnMode.PUSH_TO_TALK, "Push-to-talk (hold the key while you speak)"),
)


class TurnSection:
    """Adds its rows to a form; `read()` and `write()` move values in and out."""

    def __init__(self, form: QFormLayout, provider_name: str) -> None:
        self._form = form
        self.mode = QComboBox()
        for mode, label in MODES:
            self.mode.addItem(label, mode.value)
        self.eagerness = QComboBox()
        for value in EAGERNESS:
            self.eagerness.addItem(value.capitalize(), value)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(VAD_THRESHOLD.low, VAD_THRESHOLD.high)
        self.threshold.setSingleStep(VAD_THRESHOLD.step)
        self.threshold.setDecimals(2)
        self.padding = _ms_box(PREFIX_PADDING_MS.low, PREFIX_PADDING_MS.high,
                               PREFIX_PADDING_MS.step)
        self.silence = _ms_box(SILENCE_MS.low, SILENCE_MS.high, SILENCE_MS.step)

        add_row(form, "T&urn taking:", self.mode, name=f"{provider_name} turn taking",
                help_text="How Talkline and the provider decide that you finished speaking.")
        add_row(form, "Eagerness:", self.eagerness, name="Semantic detection eagerness",
                help_text="How quickly the model answers: low waits longer for you to go on.")
        add_row(form, "Threshold:", self.threshold, name="Voice detection threshold",
                help_text="0 to 1: higher needs louder speech (use in noisy rooms).")
        add_row(form, "Prefix padding:", self.padding, name="Audio kept before speech",
                help_text="Audio kept from just before speech was detected.")
        add_row(form, "Silence:", self.silence, name="Silence that ends a turn",
                help_text="How long a pause ends your turn.")
        self.mode.currentIndexChanged.connect(self._show_mode_fields)

    def read(self, ps: ProviderSettings) -> None:
        index = self.mode.findData(ps.turn_mode)
        self.mode.setCurrentIndex(index if index >= 0 else self.mode.findData(
            TurnMode.SERVER_VAD.value))
        eager = self.eagerness.findData(ps.eagerness)
        self.eagerness.setCurrentIndex(eager if eager >= 0 else 0)
        self.threshold.setValue(ps.vad_threshold)
        self.padding.setValue(ps.prefix_padding_ms)
        self.silence.setValue(ps.silence_duration_ms)
        self._show_mode_fields()

    def write(self, ps: ProviderSettings) -> None:
        ps.turn_mode = str(self.mode.currentData())
        ps.eagerness = str(self.eagerness.currentData())
        ps.vad_threshold = round(self.threshold.value(), 2)
        ps.prefix_padding_ms = self.padding.value()
        ps.silence_duration_ms = self.silence.value()

    def _show_mode_fields(self) -> None:
        mode = self.mode.currentData()
        self._form.setRowVisible(self.eagerness, mode == TurnMode.SEMANTIC_VAD.value)
        for box in (self.threshold, self.padding, self.silence):
            self._form.setRowVisible(box, mode == TurnMode.SERVER_VAD.value)


def _ms_box(low: float, high: float, step: float) -> QSpinBox:
    box = QSpinBox()
    box.setRange(int(low), int(high))
    box.setSingleStep(int(step))
    box.setSuffix(" ms")
    return box


