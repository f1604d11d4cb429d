"""Which microphones and speakers exist, and how to open the one the user picked.

Devices are chosen by a stable *name* (saved settings hold a name, never an index, which
changes on replug); ``SYSTEM_DEFAULT`` is a first-class choice that follows the system.

On Linux with a PulseAudio or PipeWire-Pulse server, PortAudio's ALSA host API lists only
``pulse``/``default`` (plus raw hardware the server already holds), not the server's sinks
and sources, so a user could not pick their USB headset. So with a Pulse server we list its
sinks/sources with ``pactl``, and streams go straight to the server through libpulse
(`pulse_stream.py`), on the chosen sink or source by name; "System default" names none, and
Pulse then moves the stream when the default changes. When the stream's device is
unloaded, Pulse moves the stream to the default itself (verified on PulseAudio 16);
`channel.py` notices and says so. Should libpulse not load, the stream opens on PortAudio's
``pulse`` device with ``PULSE_SINK``/``PULSE_SOURCE`` set while it opens: libpulse in the
ALSA plugin reads them when it connects. Elsewhere (Windows, macOS, Linux without Pulse)
the PortAudio device list is used as is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from desktop.core.audio import pactl, pulse_stream
from desktop.core.audio.errors import NoAudioDevice
from desktop.core.audio.portaudio import query_devices, query_hostapis, reinitialize

log = logging.getLogger("talkline.audio")

SYSTEM_DEFAULT = "System default"
Kind = Literal["input", "output"]
Backend = Literal["pulse", "portaudio"]


@dataclass(frozen=True)
class DeviceInfo:
    name: str  # what settings store; stable across replugs
    label: str  # what the user reads
    kind: Kind
    host_api: str
    channels: int
    default_samplerate: float
    is_default: bool = False


@dataclass(frozen=True)
class DeviceRoute:
    """How to open a chosen device: on a Pulse server by name, or a PortAudio device plus
    the environment for the open."""

    name: str
    label: str
    device: int | None  # PortAudio index; None = PortAudio's default device
    channels: int
    default_samplerate: float
    env: dict[str, str] = field(default_factory=dict)
    pulse: str | None = None  # on a Pulse server: the sink or source ("" = the default)


_backend: Backend | None = None


def backend() -> Backend:
    """"pulse" when a Pulse server answers and streams can reach it: through libpulse, or
    else PortAudio's ``pulse`` device."""
    global _backend
    if _backend is None:
        reachable = pulse_stream.available() or _pulse_index() is not None
        _backend = "pulse" if reachable and pactl.server_available() else "portaudio"
        log.info("audio devices through %s", _backend)
    return _backend


def refresh() -> None:
    """Look again for devices. PortAudio re-enumerates only while no stream is open (it
    cannot otherwise); with a Pulse server the lists come from the server, always fresh."""
    global _backend
    if reinitialize():
        _backend = None


def list_devices(kind: Kind) -> list[DeviceInfo]:
    """"System default" first, then every device of that kind."""
    default = DeviceInfo(SYSTEM_DEFAULT, SYSTEM_DEFAULT, kind, "", 0, 48000.0, True)
    if backend() == "pulse":
        return [default, *_pulse_devices(kind)]
    return [default, *_portaudio_devices(kind)]


def names(kind: Kind) -> set[str]:
    return {d.name for d in list_devices(kind)}


def resolve(kind: Kind, name: str) -> DeviceRoute | None:
    """How to open `name`, or None when no such device is connected.

    Raises NoAudioDevice when the system has no device of this kind at all."""
    if backend() == "pulse":
        # PortAudio's way to the server, only when libpulse does not load
        index = None if pulse_stream.available() else _pulse_index()
        devices = _pulse_devices(kind)
        if not devices:
            raise _no_device(kind)
        if name == SYSTEM_DEFAULT:
            first = _system_default(devices)
            return DeviceRoute(
                SYSTEM_DEFAULT, first.label, index, first.channels, 48000.0, pulse=""
            )
        for d in devices:
            if d.name == name:
                var = "PULSE_SOURCE" if kind == "input" else "PULSE_SINK"
                return DeviceRoute(
                    d.name, d.label, index, d.channels, d.default_samplerate, {var: d.name},
                    pulse=d.name,
                )
        return None
    devices = _portaudio_devices(kind)
    if not devices:
        raise _no_device(kind)
    if name == SYSTEM_DEFAULT:
        first = _system_default(devices)
        return DeviceRoute(
            SYSTEM_DEFAULT, first.label, None, first.channels, first.default_samplerate
        )
    for index, d in _portaudio_indexed(kind):
        if d.name == name:
            return DeviceRoute(d.name, d.label, index, d.channels, d.default_samplerate)
    return None


def _system_default(devices: list[DeviceInfo]) -> DeviceInfo:
    """The device "System default" stands for now: the one marked default, else the first."""
    return next((d for d in devices if d.is_default), devices[0])


def describe(kind: Kind) -> str:
    return "microphone" if kind == "input" else "speaker"


def _no_device(kind: Kind) -> NoAudioDevice:
    if kind == "input":
        return NoAudioDevice("No microphone found. You can still type, and hear the replies.")
    return NoAudioDevice("No speaker or headphones found. Replies will show as text only.")


def _pulse_index() -> int | None:
    for index, dev in enumerate(query_devices()):
        if dev.get("name") == "pulse":
            return index
    return None


def _pulse_devices(kind: Kind) -> list[DeviceInfo]:
    default_sink, default_source = pactl.defaults()
    if kind == "output":
        found, default = pactl.list_devices("sinks"), default_sink
    else:
        found, default = pactl.list_devices("sources"), default_source
    # Virtual devices often share a description ("Null Output"): tell them apart by name.
    labels = [d.description for d in found]
    return [
        DeviceInfo(
            name=d.name,
            label=d.description if labels.count(d.description) == 1 else f"{d.description} "
            f"({d.name})",
            kind=kind,
            host_api="PulseAudio",
            channels=d.channels,
            default_samplerate=float(d.rate),
            is_default=d.name == default,
        )
        for d in found
    ]


def _portaudio_indexed(kind: Kind) -> list[tuple[int, DeviceInfo]]:
    apis = query_hostapis()
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    default_key = "default_input_device" if kind == "input" else "default_output_device"
    defaults = {api.get(default_key) for api in apis}
    system_default = _portaudio_default(kind)
    out = []
    for index, dev in enumerate(query_devices()):
        channels = int(dev.get(key, 0))
        if channels <= 0:
            continue
        api = str(apis[dev["hostapi"]]["name"]) if dev.get("hostapi", -1) < len(apis) else ""
        # One physical device shows once per host API on Windows: the API makes it unique.
        name = f"{dev['name']} ({api})" if api else str(dev["name"])
        out.append(
            (
                index,
                DeviceInfo(
                    name=name,
                    label=name,
                    kind=kind,
                    host_api=api,
                    channels=channels,
                    default_samplerate=float(dev.get("default_samplerate", 48000.0)),
                    is_default=index == system_default
                    or (system_default is None and index in defaults),
                ),
            )
        )
    return out


def _portaudio_devices(kind: Kind) -> list[DeviceInfo]:
    return [d for _, d in _portaudio_indexed(kind)]


def _portaudio_default(kind: Kind) -> int | None:
    from desktop.core.audio.portaudio import sounddevice

    try:
        pair = sounddevice().default.device
        index = int(pair[0] if kind == "input" else pair[1])
    except (TypeError, ValueError, IndexError):
        return None
    return index if index >= 0 else None
