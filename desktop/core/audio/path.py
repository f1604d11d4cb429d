"""The audio of one call in one object: microphone, speaker, echo canceller, meters.

    path = AudioPath(input_device=..., output_device=...)
    path.notices.connect(show)                 # readable sentences, never tracebacks
    await path.start()                         # never raises
    call = RealtimeCall(..., audio_source=path.source, audio_sink=path.sink)
    ...
    await path.close()

A part that cannot open is left out with a notice: without a microphone `source` is None
(the user can still type and hear); without a speaker `sink` is None.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from desktop.core.audio.capture import MicrophoneTrack
from desktop.core.audio.devices import SYSTEM_DEFAULT
from desktop.core.audio.errors import AudioError, AudioUnavailable, NoAudioDevice
from desktop.core.audio.levels import Level, LevelMeter, LevelPublisher
from desktop.core.audio.playback import Speaker
from desktop.core.audio.processing import AudioProcessor, ProcessingSettings
from desktop.core.audio.streams import Latency
from desktop.core.audio.watcher import DeviceWatcher
from desktop.core.observable import Emitter

log = logging.getLogger("talkline.audio")

Part = TypeVar("Part", Speaker, MicrophoneTrack)


@dataclass(frozen=True)
class AudioStats:
    input_device: str
    output_device: str
    playout_depth_ms: float
    underruns: int
    overruns: int
    dropped_ms: float
    capture_to_send_ms: float
    input_latency_ms: float
    output_latency_ms: float
    echo_delay_ms: int  # the delay the echo canceller was given
    settings: ProcessingSettings


class AudioPath:
    def __init__(
        self,
        input_device: str = SYSTEM_DEFAULT,
        output_device: str = SYSTEM_DEFAULT,
        *,
        settings: ProcessingSettings | None = None,
        latency: Latency = "low",
        blocksize: int | None = None,  # both directions; None: each its own default
        use_input: bool = True,
        use_output: bool = True,
    ) -> None:
        self.notices = Emitter[str]()
        self.input_level = Emitter[Level]()
        self.output_level = Emitter[Level]()
        self.errors: list[AudioError] = []
        self.processor = AudioProcessor(settings)
        self._input_meter = LevelMeter()
        self._output_meter = LevelMeter()
        self._input_device = input_device
        self._output_device = output_device
        self._latency = latency
        self._block = {} if blocksize is None else {"blocksize": blocksize}
        self._use_input = use_input
        self._use_output = use_output
        self.source: MicrophoneTrack | None = None
        self.sink: Speaker | None = None
        self._levels = LevelPublisher(
            [(self._input_meter, self.input_level), (self._output_meter, self.output_level)]
        )
        self._watcher = DeviceWatcher(self._devices_changed)

    async def start(self) -> None:
        """Open the devices. Failures become notices and `errors`, never exceptions."""
        if self.processor.error:
            self._problem(AudioError(self.processor.error))
        if self._use_output:
            self.sink = await self._open_part(
                lambda device: Speaker(
                    device,
                    processor=self.processor,
                    meter=self._output_meter,
                    notices=self.notices,
                    latency=self._latency,
                    **self._block,
                ),
                self._output_device,
            )
        if self._use_input:
            self.source = await self._open_part(
                lambda device: MicrophoneTrack(
                    device,
                    processor=self.processor,
                    meter=self._input_meter,
                    notices=self.notices,
                    latency=self._latency,
                    **self._block,
                ),
                self._input_device,
            )
        try:
            self._watcher.start()
        except Exception as exc:  # watching is a nicety; sound works without it
            log.warning("device watcher: %s", exc)
        self._levels.start()

    async def close(self) -> None:
        """Idempotent. The devices stop first, then the echo canceller is released: a
        deterministic end for its native runtime, long before the interpreter's exit."""
        self._watcher.stop()
        await self._levels.stop()
        if self.source is not None:
            await self.source.aclose()
        if self.sink is not None:
            await self.sink.stop()
        self.processor.close()

    # -- runtime controls ----------------------------------------------------------------

    def play_cue(self, clip: npt.NDArray[np.int16]) -> bool:
        """Mix a short local sound into the speaker (desktop/core/audio/cue.py)."""
        if self.sink is None:
            return False
        self.sink.cues.play(clip)
        return True

    def set_processing(self, settings: ProcessingSettings) -> None:
        """Switch echo cancellation, noise suppression, high-pass or gain mid-call."""
        self.processor.configure(**asdict(settings))

    async def switch_input(self, name: str) -> bool:
        """Capture from `name` from now on; False (with a notice) if it cannot be opened."""
        if self.source is None:
            self._input_device = name
            return False
        try:
            await self.source.switch_device(name)
        except AudioError as exc:
            self._problem(exc)
            return False
        return True

    async def switch_output(self, name: str) -> bool:
        """Play on `name` from now on; False (with a notice) if it cannot be opened."""
        if self.sink is None:
            self._output_device = name
            return False
        try:
            await self.sink.switch_device(name)
        except AudioError as exc:
            self._problem(exc)
            return False
        return True

    def stats(self) -> AudioStats:
        mic = self.source.stats() if self.source else None
        spk = self.sink.stats() if self.sink else None
        return AudioStats(
            input_device=mic.device if mic else "",
            output_device=spk.device if spk else "",
            playout_depth_ms=spk.playout.depth_ms if spk else 0.0,
            underruns=spk.playout.underruns if spk else 0,
            overruns=spk.playout.overruns if spk else 0,
            dropped_ms=spk.playout.dropped_ms if spk else 0.0,
            capture_to_send_ms=mic.capture_to_send_ms if mic else 0.0,
            input_latency_ms=mic.input_latency_ms if mic else 0.0,
            output_latency_ms=spk.output_latency_ms if spk else 0.0,
            echo_delay_ms=self.processor.delay_ms,
            settings=self.processor.settings,
        )

    # -- internals -----------------------------------------------------------------------

    async def _open_part(self, make: Callable[[str], Part], device: str) -> Part | None:
        """Open on `device`; if that one fails (a saved headset not plugged in), on the system
        default, saying so; if that fails too, leave the part out with the reason."""
        part = make(device)
        try:
            await part.open()
            return part
        except AudioError as exc:
            if device == SYSTEM_DEFAULT or isinstance(exc, AudioUnavailable | NoAudioDevice):
                self._problem(exc)
                return None
            self.notices.emit(f"{exc.message} Using the system default instead.")
        part = make(SYSTEM_DEFAULT)
        try:
            await part.open()
            return part
        except AudioError as exc:
            self._problem(exc)
            return None

    def _problem(self, exc: AudioError) -> None:
        log.warning("audio: %s", exc)
        if any(e.message == exc.message for e in self.errors):
            return  # PortAudio missing fails input and output alike: say it once
        self.errors.append(exc)
        self.notices.emit(exc.message)

    def _devices_changed(self, inputs: set[str], outputs: set[str]) -> None:
        if self.source is not None:
            self.source.devices_changed(inputs)
        if self.sink is not None:
            self.sink.devices_changed(outputs)
