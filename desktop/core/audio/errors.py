"""Audio failures, each with a sentence the user can act on (never a traceback)."""

from __future__ import annotations


class AudioError(Exception):
    """Sound could not start or stopped; `message` is what the window and the CLI show."""

    def __init__(self, message: str, *, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.message} ({self.details})" if self.details else self.message


class AudioUnavailable(AudioError):
    """The sound library itself is missing (PortAudio not installed)."""


class NoAudioDevice(AudioError):
    """The system has no microphone (or no speaker) at all."""


class DeviceOpenError(AudioError):
    """A device exists but refused to open (busy, unsupported sample rate, gone)."""
