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
from desktop.ui.widgets.level_meter import LevelMeter

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

        checks = self._build_checks()

        layout = QVBoxLayout(self)
        for title, content in (("Devices", devices), ("Check your devices", checks),
                               ("Sound processing", processing)):
            group = QGroupBox(title)
            group.setLayout(content)
            layout.addWidget(group)
        layout.addStretch(1)

        self._timer = QTimer(self)
        self._timer.setInterval(DEVICE_REFRESH_MS)
        self._timer.timeout.connect(lambda: self.refresh(rescan=False))

    def _build_checks(self) -> QFormLayout:
        """Test microphone (record 3 s with a live meter, then hear it) and a speaker tone."""
        form = QFormLayout()
        self.mic_test = QPushButton("Test &microphone")
        self.mic_test.setAccessibleName("Test the microphone")
        self.mic_test.setToolTip(
            "Records 3 seconds from the microphone chosen above, then plays them back."
        )
        self.mic_test.clicked.connect(lambda: self._tasks.spawn(self._test_microphone()))
        self.mic_level = LevelMeter("Microphone", self)
        self.mic_level.set_available(True)
        row = QHBoxLayout()
        row.addWidget(self.mic_test)
        row.addWidget(self.mic_level, 1)
        container = QWidget()
        container.setLayout(row)
        container.setContentsMargins(0, 0, 0, 0)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow(container)
        self.mic_result = note_label("", "Microphone test result")
        form.addRow(self.mic_result)
        self.tone_test = QPushButton("Play test &tone")
        self.tone_test.setAccessibleName("Play a test tone on the speaker")
        self.tone_test.setToolTip("Plays a one-second tone on the speaker chosen above.")
        self.tone_test.clicked.connect(lambda: self._tasks.spawn(self._test_speaker()))
        self.tone_result = note_label("", "Speaker test result")
        tone_row = QHBoxLayout()
        tone_row.addWidget(self.tone_test)
        tone_row.addWidget(self.tone_result, 1)
        form.addRow(tone_row)
        return form

    def _devices(self) -> tuple[str, str]:
        """The chosen devices, as the audio package names them ("" is the system's)."""
        values = self.values()
        return (values.input_device or devices.SYSTEM_DEFAULT,
                values.output_device or devices.SYSTEM_DEFAULT)

    async def _test_microphone(self) -> None:
        from desktop.core.audio import device_check

        microphone, speaker = self._devices()
        self.mic_test.setEnabled(False)
        self.mic_result.setText("Recording 3 seconds: say something…")
        try:
            samples = await device_check.record(device=microphone,
                                                on_level=self.mic_level.set_level)
            loudness = device_check.rms_dbfs(samples)
            self.mic_result.setText("Playing back what the microphone heard…")
            await device_check.play(samples, device=speaker)
        except AudioError as exc:
            self.mic_result.setText(f"The microphone test did not work: {exc.message}")
            return
        finally:
            self.mic_test.setEnabled(True)
        if loudness < device_check.QUIET_DBFS:
            self.mic_result.setText(
                "The microphone heard almost nothing. Check that it is plugged in, not "
                "muted, and chosen above."
            )
        else:
            self.mic_result.setText(
                f"Done: the microphone works (level {loudness:.0f} dBFS). If the playback "
                "was silent, check the speaker."
            )

    async def _test_speaker(self) -> None:
        from desktop.core.audio import device_check

        _microphone, speaker = self._devices()
        self.tone_test.setEnabled(False)
        self.tone_result.setText("Playing a tone…")
        try:
            await device_check.play(device_check.tone_samples(), device=speaker)
        except AudioError as exc:
            self.tone_result.setText(f"The speaker test did not work: {exc.message}")
            return
        finally:
            self.tone_test.setEnabled(True)
        self.tone_result.setText("Played. No sound? Check the speaker chosen above and the volume.")

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
