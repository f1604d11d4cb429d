"""Model and voice on the main window, with a voice preview and the voice-lock rule.

The lists are the provider's built-in ones plus what the settings hold (Settings fetches
longer lists). A provider with nothing to choose (Local check) shows no pickers. Where a
provider keeps the first voice once the assistant has spoken (OpenAI), the voice box says
so, and is locked with a visible note for the rest of that call.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.core.profiles.profile import ProviderProfile
from desktop.core.settings.schema import ProviderSettings

_HERE = Path(__file__).resolve().parent
# The repository's resources/ folder, or a copy packaged next to the code.
_CANDIDATES = (_HERE.parent.parent.parent / "resources", _HERE.parent.parent / "resources")
STAND_IN_NOTE = (
    "The sample is a stand-in shipped with Talkline (made offline); the provider's voice "
    "sounds different."
)


def preview_clip(voice: str) -> Path | None:
    """The shipped preview clip of `voice`, or None."""
    name = f"{voice.lower()}.ogg"
    for folder in _CANDIDATES:
        path = folder / "voices" / name
        if path.is_file():
            return path
    return None


class VoicePicker(QWidget):
    model_chosen = Signal(str)
    voice_chosen = Signal(str)
    preview_requested = Signal(str)  # a voice

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile: ProviderProfile | None = None
        self.model = QComboBox(self)
        self.model.setAccessibleName("Model")
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.voice = QComboBox(self)
        self.voice.setAccessibleName("Voice")
        self.voice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.preview = QPushButton("▶", self)
        self.preview.setObjectName("previewButton")
        self.preview.setAccessibleName("Preview the voice")
        self.lock = QLabel("🔒 Voice fixed for this call", self)
        self.lock.setObjectName("voiceLock")
        self.lock.setTextFormat(Qt.TextFormat.PlainText)
        self.lock.hide()
        model_label = QLabel("&Model", self)
        model_label.setBuddy(self.model)
        voice_label = QLabel("&Voice", self)
        voice_label.setBuddy(self.voice)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(model_label)
        row.addWidget(self.model)
        row.addSpacing(6)
        row.addWidget(voice_label)
        row.addWidget(self.voice)
        row.addWidget(self.preview)
        row.addWidget(self.lock)
        row.addStretch(1)
        self.model.activated.connect(lambda _i: self.model_chosen.emit(self._value(self.model)))
        self.voice.activated.connect(lambda _i: self._on_voice())
        self.preview.clicked.connect(lambda: self.preview_requested.emit(self.current_voice))

    # -- what the window tells it ---------------------------------------------------------

    def set_profile(self, profile: ProviderProfile, settings: ProviderSettings) -> None:
        self.profile = profile
        model = settings.model or profile.default_model
        voice = settings.voice or profile.default_voice
        _fill(self.model, profile.models, model)
        _fill(self.voice, profile.voices, voice)
        choices = len(profile.models) > 1 or len(profile.voices) > 1
        self.setVisible(not profile.builtin_server and choices)
        self.model.setToolTip(
            f"The {profile.name} model for the next call (Settings has the full list)."
        )
        self._describe_voice(locked=False)
        self.lock.hide()

    def set_call(self, active: bool, voice_fixed: bool) -> None:
        """During a call the model stays (it is chosen when connecting); the voice can
        change until the provider fixes it."""
        self.model.setEnabled(not active)
        locked = active and voice_fixed
        self.voice.setEnabled(not locked)
        if locked != self.lock.isVisible():
            self.lock.setVisible(locked)
            self._describe_voice(locked=locked)

    @property
    def current_voice(self) -> str:
        return self._value(self.voice)

    # -- internals ------------------------------------------------------------------------

    def _on_voice(self) -> None:
        voice = self._value(self.voice)
        self.preview.setEnabled(preview_clip(voice) is not None)
        self.voice_chosen.emit(voice)

    def _describe_voice(self, *, locked: bool) -> None:
        profile = self.profile
        rule = ""
        if profile is not None and profile.voice_fixed_after_audio:
            rule = (
                f"{profile.name} keeps the first voice once the assistant has spoken in a "
                "call; a new voice applies from the next call."
            )
        tip = "The assistant's voice." + (f" {rule}" if rule else "")
        self.voice.setToolTip(tip)
        self.voice.setAccessibleDescription(tip)
        self.lock.setToolTip(rule)
        self.lock.setAccessibleName("Voice fixed for this call" if locked else "")
        has_clip = preview_clip(self.current_voice) is not None
        self.preview.setEnabled(has_clip)
        self.preview.setToolTip(
            f"Hear a short sample of this voice. {STAND_IN_NOTE}" if has_clip
            else "No sample of this voice is available."
        )

    @staticmethod
    def _value(combo: QComboBox) -> str:
        data = combo.currentData()
        return str(data) if data else combo.currentText()


def _fill(combo: QComboBox, values: tuple[str, ...], current: str) -> None:
    combo.blockSignals(True)
    combo.clear()
    for value in values:
        combo.addItem(value, value)
    if current and combo.findData(current) < 0:
        combo.addItem(current, current)  # a value typed in Settings stays choosable
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)
