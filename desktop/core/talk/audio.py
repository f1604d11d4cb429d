"""The sound devices a conversation's calls use, as the session sees them.

The session takes an `AudioFactory` so the window, the CLI and tests choose: the real
microphone and speaker (`default_audio`), WAV files, or nothing at all (`no_audio`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from desktop.core.observable import Emitter

if TYPE_CHECKING:  # PortAudio and numpy load when a call starts, not with the window
    from aiortc import MediaStreamTrack

    from desktop.core.audio.levels import Level
    from desktop.core.audio.processing import ProcessingSettings
    from desktop.core.call.engine import AudioSink
    from desktop.core.settings.schema import AppSettings


class Audio(Protocol):
    """What a conversation uses of its audio (desktop.core.audio.path.AudioPath has all of
    it; a test double or a pair of WAV tracks may leave the optional parts as None)."""

    @property
    def source(self) -> MediaStreamTrack | None: ...
    @property
    def sink(self) -> AudioSink | None: ...
    @property
    def notices(self) -> Emitter[str] | None: ...
    @property
    def input_level(self) -> Emitter[Level] | None: ...
    @property
    def output_level(self) -> Emitter[Level] | None: ...

    async def start(self) -> None: ...
    async def close(self) -> None: ...


@runtime_checkable
class SwitchableAudio(Audio, Protocol):
    """Audio whose devices and processing change mid-call (the real devices)."""

    async def switch_input(self, name: str) -> bool: ...
    async def switch_output(self, name: str) -> bool: ...
    def set_processing(self, settings: ProcessingSettings) -> None: ...


AudioFactory = Callable[["AppSettings"], "Audio | None"]


def default_audio(
    settings: AppSettings, *, use_input: bool = True, use_output: bool = True
) -> Audio | None:
    """The real microphone and speaker, with the user's devices and processing choices
    (one side only when the other is a file)."""
    from desktop.core.audio.devices import SYSTEM_DEFAULT
    from desktop.core.audio.path import AudioPath

    audio = settings.audio
    # The settings say "" for the system default; the audio package has its own name.
    return AudioPath(
        audio.input_device or SYSTEM_DEFAULT,
        audio.output_device or SYSTEM_DEFAULT,
        settings=processing_settings(settings),
        use_input=use_input,
        use_output=use_output,
    )


def processing_settings(settings: AppSettings) -> ProcessingSettings:
    """The settings' echo cancellation, noise suppression, high-pass and gain choices."""
    from desktop.core.audio.processing import ProcessingSettings

    audio = settings.audio
    return ProcessingSettings(
        echo_cancellation=audio.echo_cancellation,
        noise_suppression=audio.noise_suppression,
        high_pass_filter=audio.high_pass,
        auto_gain_control=audio.auto_gain,
    )


def no_audio(_settings: AppSettings) -> Audio | None:
    """No sound devices at all: the call sends silence and replies show as text."""
    return None


class TrackAudio:
    """Audio from tracks the caller made (WAV files, a test signal), with the real devices
    for the sides it leaves out when `devices` is given (`talkline call --mic-wav` still
    plays the reply on the speaker)."""

    def __init__(
        self,
        source: MediaStreamTrack | None = None,
        sink: AudioSink | None = None,
        *,
        devices: Audio | None = None,
    ) -> None:
        self._source = source
        self._sink = sink
        self._devices = devices

    @property
    def source(self) -> MediaStreamTrack | None:
        if self._source is not None or self._devices is None:
            return self._source
        return self._devices.source

    @property
    def sink(self) -> AudioSink | None:
        if self._sink is not None or self._devices is None:
            return self._sink
        return self._devices.sink

    @property
    def notices(self) -> Emitter[str] | None:
        return self._devices.notices if self._devices is not None else None

    @property
    def input_level(self) -> Emitter[Level] | None:
        return self._devices.input_level if self._devices is not None else None

    @property
    def output_level(self) -> Emitter[Level] | None:
        return self._devices.output_level if self._devices is not None else None

    async def start(self) -> None:
        if self._devices is not None:
            await self._devices.start()

    async def close(self) -> None:
        if self._devices is not None:
            await self._devices.close()
