"""Push-to-talk keys, closing to the tray, the text size, and how long history is kept."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QKeySequenceEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.history import Retention
from desktop.core.settings import AppSettings
from desktop.ui.settings.features import FONT_SCALE_PERCENT
from desktop.ui.settings.forms import add_row, note_label

PORTABLE = QKeySequence.SequenceFormat.PortableText


@dataclass(frozen=True)
class HotkeyValues:
    ptt_key: str
    global_ptt_key: str
    ptt_sound_cue: bool
    minimize_to_tray: bool
    font_scale: float
    history_retention: str


class HotkeyPage(QWidget):
    def __init__(self, settings: AppSettings) -> None:
        super().__init__()
        keys = QFormLayout()
        self.ptt_key = _key_edit(settings.ptt_key)
        self.global_ptt_key = _key_edit(settings.global_ptt_key)
        add_row(keys, "&Push-to-talk key:", self.ptt_key, name="Push-to-talk key",
                help_text="Hold it while you speak, while the Talkline window has focus and "
                "the message box does not. Click here and press the key; Backspace clears.")
        add_row(keys, "&Global push-to-talk:", self.global_ptt_key,
                name="Global push-to-talk key",
                help_text="Works while Talkline is in the background, where the system allows "
                "it (under Wayland the desktop asks you to confirm it). Leave empty for none.")
        self.ptt_sound_cue = QCheckBox("Play a short &sound when the microphone opens and closes")
        self.ptt_sound_cue.setChecked(settings.ptt_sound_cue)
        self.ptt_sound_cue.setAccessibleName("Push-to-talk sound")
        keys.addRow(self.ptt_sound_cue)
        keys.addRow(note_label(
            "The global key works while Talkline is in the background where the system allows "
            "it; the window says so when it does not (for example a Wayland desktop without "
            "the global shortcuts portal).",
            "About the global key"))

        window = QFormLayout()
        self.minimize_to_tray = QCheckBox("Closing the window keeps Talkline in the &tray")
        self.minimize_to_tray.setChecked(settings.minimize_to_tray)
        self.minimize_to_tray.setAccessibleName("Close to the tray")
        window.addRow(self.minimize_to_tray)
        self.font_scale = QSpinBox()
        self.font_scale.setRange(int(FONT_SCALE_PERCENT.low), int(FONT_SCALE_PERCENT.high))
        self.font_scale.setSingleStep(int(FONT_SCALE_PERCENT.step))
        self.font_scale.setSuffix(" %")
        self.font_scale.setValue(round(settings.font_scale * 100))
        add_row(window, "Text si&ze:", self.font_scale, name="Text size",
                help_text="Relative to the system's font size.")

        history = QFormLayout()
        self.history_retention = QComboBox()
        for policy in Retention:
            self.history_retention.addItem(policy.label, policy.value)
        self.history_retention.setCurrentIndex(max(0, self.history_retention.findData(
            Retention.parse(settings.history_retention).value)))
        add_row(history, "&Conversations:", self.history_retention, name="Keep conversations",
                help_text="Saved on this computer only, never with keys or audio. "
                "\"Don't keep\" also deletes the conversations already saved.")

        layout = QVBoxLayout(self)
        for title, content in (("Push-to-talk", keys), ("Window", window), ("History", history)):
            group = QGroupBox(title)
            group.setLayout(content)
            layout.addWidget(group)
        layout.addStretch(1)

    def values(self) -> HotkeyValues:
        return HotkeyValues(
            ptt_key=self.ptt_key.keySequence().toString(PORTABLE),
            global_ptt_key=self.global_ptt_key.keySequence().toString(PORTABLE),
            ptt_sound_cue=self.ptt_sound_cue.isChecked(),
            minimize_to_tray=self.minimize_to_tray.isChecked(),
            font_scale=self.font_scale.value() / 100,
            history_retention=str(self.history_retention.currentData()),
        )


def _key_edit(text: str) -> QKeySequenceEdit:
    edit = QKeySequenceEdit(QKeySequence.fromString(text, PORTABLE))
    edit.setMaximumSequenceLength(1)  # one key (with modifiers), not a chord sequence
    edit.setClearButtonEnabled(True)
    for button in edit.findChildren(QToolButton):  # Qt's clear button has no name of its own
        button.setAccessibleName("Clear the key")
    return edit
