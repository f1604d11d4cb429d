"""PortAudio through sounddevice, imported lazily so a missing libportaudio2 is a message.

Every stream in the app is opened and closed here, under one lock: PortAudio's ALSA host
API is not safe to open from several threads at once, the Pulse device trick in
`devices.py` sets environment variables around the open, and re-initialising PortAudio
(to see new devices) is only allowed while no stream is open.
"""

from __future__ import annotations

import logging
import threading
from types import ModuleType
from typing import Any

from desktop.core.audio.errors import AudioUnavailable

log = logging.getLogger("talkline.audio")

lock = threading.RLock()
_open_streams = 0


def sounddevice() -> ModuleType:
    """The sounddevice module, or AudioUnavailable saying what to install."""
    try:
        import sounddevice as sd
    except OSError as exc:  # the wheel has no PortAudio on Linux: libportaudio2 is separate
        raise AudioUnavailable(
            "Sound is unavailable: the PortAudio library is not installed "
            "(on Debian/Ubuntu: sudo apt install libportaudio2). You can still type.",
            details=str(exc),
        ) from exc
    except ImportError as exc:
        raise AudioUnavailable(
            "Sound is unavailable: the sounddevice package is missing. You can still type.",
            details=str(exc),
        ) from exc
    module: ModuleType = sd
    return module


def track_open(delta: int) -> None:
    global _open_streams
    with lock:
        _open_streams += delta


def reinitialize() -> bool:
    """Make PortAudio enumerate devices again; only possible while none of ours is open."""
    sd = sounddevice()
    with lock:
        if _open_streams:
            return False
        sd._terminate()
        sd._initialize()
        return True


def query_devices() -> list[dict[str, Any]]:
    sd = sounddevice()
    with lock:
        return [dict(d) for d in sd.query_devices()]


def query_hostapis() -> list[dict[str, Any]]:
    sd = sounddevice()
    with lock:
        return [dict(h) for h in sd.query_hostapis()]
