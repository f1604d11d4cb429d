"""The controls above the transcript: provider, Connect, state, meters, mute, interrupt."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.core.profiles import BUILTIN_PROFILES
from desktop.ui.widgets.level_meter import LevelMeter
from desktop.ui.widgets.notice_bar import NoticeBar
from desktop.ui.widgets.phase_view import PhaseView
from desktop.ui.widgets.state_indicator import StateIndicator
from desktop.ui.widgets.voice_picker import VoicePicker

LOCAL_HINT = (
    "Local check runs on this computer and plays back what you say, so you can check "
    "your microphone and speaker without a key. To talk to a model, add a provider key "
    "in Settings (Ctrl+,)."
)


class CallControls(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.provider = QComboBox(self)
        for profile in BUILTIN_PROFILES.values():  # Local first: it needs no key
            self.provider.addItem(profile.name, profile.id)
            index = self.provider.count() - 1
            self.provider.setItemData(index, profile.description, Qt.ItemDataRole.ToolTipRole)
        self.provider.setAccessibleName("Provider")
        self.provider.setAccessibleDescription("Which realtime service to talk to")
        self.provider.setToolTip(
            "Which realtime service Connect calls. Add its key in Settings (Ctrl+,)."
        )
        self.provider.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        provider_label = QLabel("&Provider", self)
        provider_label.setBuddy(self.provider)

        self.connect_button = QPushButton("Connect", self)
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setAccessibleName("Connect")
        self.connect_button.setAccessibleDescription("Start or end the call (Ctrl+D)")
        self.connect_button.setToolTip("Start or end the call (Ctrl+D)")
        self.connect_button.setCursor(Qt.CursorShape.PointingHandCursor)

        self.state = StateIndicator(self)
        self.state.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

        self.hint = QLabel(LOCAL_HINT, self)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.setAccessibleName("About the Local check")

        self.notices = NoticeBar(self)

        self.mic_meter = LevelMeter("Microphone", self)
        self.speaker_meter = LevelMeter("Speaker", self)
        for meter in (self.mic_meter, self.speaker_meter):
            meter.set_available(False, "off")
        self.mute_button = QPushButton("Mute", self)
        self.mute_button.setCheckable(True)
        self.mute_button.setAccessibleName("Mute microphone")
        self.mute_button.setAccessibleDescription("Stop sending your voice (Ctrl+M)")
        self.mute_button.setToolTip("Stop sending your voice (Ctrl+M)")
        self.interrupt_button = QPushButton("Interrupt", self)
        self.interrupt_button.setAccessibleName("Interrupt the assistant")
        self.interrupt_button.setAccessibleDescription("Stop the reply being spoken (Esc)")
        self.interrupt_button.setToolTip("Stop the reply being spoken (Esc)")
        self.listening = QLabel("● Listening", self)
        self.listening.setObjectName("listeningBadge")
        self.listening.setAccessibleName("Listening")
        self.listening.setVisible(False)

        self.phase = PhaseView(self)
        self.voice_picker = VoicePicker(self)  # model and voice (not for Local check)

        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(provider_label)
        top.addWidget(self.provider)
        top.addWidget(self.connect_button)
        top.addSpacing(8)
        top.addWidget(self.state, 1)

        # The meters stacked, mic over speaker: one row of both was wider than the window
        # with a panel open, and its labels were cut off.
        mic_label = QLabel("Microphone", self)
        mic_label.setBuddy(self.mute_button)
        meters = QGridLayout()
        meters.setHorizontalSpacing(8)
        meters.setVerticalSpacing(4)
        meters.addWidget(mic_label, 0, 0)
        meters.addWidget(self.mic_meter, 0, 1)
        meters.addWidget(self.mute_button, 0, 2)
        meters.addWidget(QLabel("Speaker", self), 1, 0)
        meters.addWidget(self.speaker_meter, 1, 1)
        meters.addWidget(self.interrupt_button, 1, 2)
        meters.addWidget(self.listening, 0, 3)
        meters.setColumnStretch(1, 1)

        middle = QHBoxLayout()
        middle.setSpacing(16)
        middle.addWidget(self.phase, 2)
        middle.addLayout(meters, 3)

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        column.addLayout(top)
        column.addWidget(self.voice_picker)
        column.addWidget(self.hint)
        column.addWidget(self.notices)
        column.addLayout(middle)
