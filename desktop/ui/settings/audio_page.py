"""Microphone and speaker pickers (hot-plug aware) and the sound processing toggles.

Devices are listed by stable name through desktop.core.audio.devices, in a thread (it may
ask PortAudio or the Pulse server); the list is refreshed on request and every few seconds
while the page is shown, so a headset plugged in now appears without reopening Settings.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace

from PySide6.QtCore import QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.audio import devices
from desktop.core.audio.errors import AudioError
from desktop.core.settings import SYSTEM_DEFAULT, AudioSettings
from desktop.ui.settings.features import DEVICE_REFRESH_MS
from desktop.ui.settings.forms import add_row, note_label
from desktop.ui.settings.tasks import Tasks

log = logging.getLogger("talkline.ui.settings")

DEFAULT_LABEL = "System default"


@dataclass(frozen=True)
class DeviceChoices:
    inputs: list[tuple[str, str]]  # (name as stored, label)
    outputs: list[tuple[str, str]]
    problem: str = ""


def list_devices(rescan: bool) -> DeviceChoices:
    """Blocking: both device lists, or a sentence saying why there are none."""
    try:
        if rescan:
            devices.refresh()
        found = {
            kind: [
                (d.name, d.label)
                for d in devices.list_devices(kind)
                if d.name != devices.SYSTEM_DEFAULT
            ]
            for kind in ("input", "output")
        }
    except AudioError as exc:
        return DeviceChoices([], [], exc.message)
    except Exception as exc:  # listing must not take the dialog down
        log.warning("listing sound devices failed", exc_info=True)
        problem = f"Sound devices could not be listed ({exc.__class__.__name__})."
        return DeviceChoices([], [], problem)
    return DeviceChoices(found["input"], found["output"])


def is_default(name: str) -> bool:
    return name in (SYSTEM_DEFAULT, DEFAULT_LABEL)


class AudioPage(QWidget):
    def __init__(self, audio: AudioSettings, tasks: Tasks) -> None:
        super().__init__()
        self._original = audio
        self._tasks = tasks
        self._listing = False

        devices = QFormLayout()
        self.input = QComboBox()
        self.output = QComboBox()
        for combo, name in ((self.input, audio.input_device), (self.output, audio.output_device)):
            _fill(combo, [], "" if is_default(name) else name)
        add_row(devices, "&Microphone:", self.input, name="Microphone",
                help_text="System default follows the system's choice as it changes.")
        add_row(devices, "&Speaker:", self.output, name="Speaker or headphones",
                help_text="System default follows the system's choice as it changes.")
        self.rescan = QPushButton("&Refresh devices")
        self.rescan.setAccessibleName("Look for sound devices again")
        self.rescan.clicked.connect(lambda: self.refresh(rescan=True))
        self.devices_note = note_label("Looking for sound devices…", "Sound devices status")
        devices.addRow(self.devices_note)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.rescan)
        devices.addRow(row)

        processing = QVBoxLayout()
        self.echo_cancellation = _check(
            "&Echo cancellation", audio.echo_cancellation,
            "Removes the assistant's voice from your microphone (needed with speakers).")
        self.noise_suppression = _check(
            "&Noise suppression", audio.noise_suppression, "Quiets steady background noise.")
        self.high_pass = _check(
            "&High-pass filter", audio.high_pass, "Removes rumble below the voice range.")
        self.auto_gain = _check(
            "&Automatic gain", audio.auto_gain,
            "Evens out your volume, but undoes most of the echo cancellation: off by default.")
        for box in (self.echo_cancellation, self.noise_suppression, self.high_pass,
                    self.auto_gain):
            processing.addWidget(box)

        layout = QVBoxLayout(self)
        for title, content in (("Devices", devices), ("Sound processing", processing)):
            group = QGroupBox(title)
            group.setLayout(content)
            layout.addWidget(group)
        layout.addStretch(1)

        self._timer = QTimer(self)
        self._timer.setInterval(DEVICE_REFRESH_MS)
        self._timer.timeout.connect(lambda: self.refresh(rescan=False))

    def values(self) -> AudioSettings:
        return replace(
            self._original,
            input_device=str(self.input.currentData() or SYSTEM_DEFAULT),
            output_device=str(self.output.currentData() or SYSTEM_DEFAULT),
            echo_cancellation=self.echo_cancellation.isChecked(),
            noise_suppression=self.noise_suppression.isChecked(),
            high_pass=self.high_pass.isChecked(),
            auto_gain=self.auto_gain.isChecked(),
        )

    def refresh(self, rescan: bool = False) -> None:
        if not self._listing:
            self._tasks.spawn(self._refresh(rescan))

    async def _refresh(self, rescan: bool) -> None:
        self._listing = True
        self.rescan.setEnabled(False)
        found = await asyncio.to_thread(list_devices, rescan)  # never raises
        self._listing = False
        self.rescan.setEnabled(True)
        _fill(self.input, found.inputs, str(self.input.currentData() or ""))
        _fill(self.output, found.outputs, str(self.output.currentData() or ""))
        self.devices_note.setText(found.problem or _found_sentence(found))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh(rescan=False)
        self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        self._timer.stop()
        super().hideEvent(event)

    def stop(self) -> None:
        self._timer.stop()


def _fill(combo: QComboBox, found: list[tuple[str, str]], current: str) -> None:
    """System default first, then the devices; a chosen device that is gone stays listed."""
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(DEFAULT_LABEL, SYSTEM_DEFAULT)
    for name, label in found:
        combo.addItem(label, name)
    if current and combo.findData(current) < 0:
        combo.addItem(f"{current} (not connected)", current)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)


def _found_sentence(found: DeviceChoices) -> str:
    def count(n: int, what: str) -> str:
        return f"no {what}s" if n == 0 else f"1 {what}" if n == 1 else f"{n} {what}s"

    return (
        f"Found {count(len(found.inputs), 'microphone')} and "
        f"{count(len(found.outputs), 'speaker')}. Devices plugged in now appear here by "
        "themselves."
    )


def _check(text: str, checked: bool, help_text: str) -> QCheckBox:
    box = QCheckBox(text)
    box.setChecked(checked)
    box.setAccessibleName(text.replace("&", ""))
    box.setToolTip(help_text)
    box.setAccessibleDescription(help_text)
    return box
