"""Opening one stream on a resolved device: straight on a Pulse server, or through
PortAudio trying sample rates until one works."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.core.audio import pulse_stream
from desktop.core.audio.devices import DeviceRoute, Kind, describe
from desktop.core.audio.errors import AudioError, DeviceOpenError
from desktop.core.audio.frames import RATE
from desktop.core.audio.portaudio import lock, sounddevice, track_open

log = logging.getLogger("talkline.audio")

Latency = str | float

# Device blocks. PortAudio's own choice with latency="low" on Pulse is ~2 ms (~450
# Python callbacks a second per direction): measured 18.4 % of a core for the audio path
# alone, against ~13 % with 240 frames, for 1.3 ms less latency per direction (8.7 vs
# 10 ms reported). Each callback wakes a thread, and on a virtual machine a wake-up costs
# ~150 µs of CPU before any work (caches refilled). The microphone takes 10 ms blocks:
# exactly one piece for the echo canceller per callback, half the wake-ups, ~5 ms more
# latency. The speaker keeps 5 ms: at 10 ms its device latency and playout depth grew
# by ~10 ms each (round trip 85 → 99 ms, measured).
BLOCKSIZE = 240  # the speaker
CAPTURE_BLOCKSIZE = 480  # the microphone


@dataclass
class OpenedStream:
    stream: Any  # sd.InputStream | sd.OutputStream
    route: DeviceRoute
    kind: Kind
    samplerate: int
    channels: int
    latency: float  # seconds, as PortAudio reports it
    closed: bool = False


def open_stream(
    kind: Kind,
    route: DeviceRoute,
    callback: Callable[..., None],
    finished: Callable[[], None],
    *,
    latency: Latency = "low",
    blocksize: int = BLOCKSIZE,
    samplerate: int | None = None,
) -> OpenedStream:
    """Open and start a stream; 48 kHz mono first (or `samplerate` when given), then the
    device's own rate and channels.

    Blocking (it talks to the sound server): call it from a worker thread."""
    if route.pulse is not None and pulse_stream.available():
        return _open_pulse(kind, route, callback, finished, blocksize, samplerate)
    sd = sounddevice()
    first = [samplerate] if samplerate else []
    rates = list(dict.fromkeys([*first, RATE, int(route.default_samplerate), 44100, 16000]))
    layouts = list(dict.fromkeys([1, max(1, min(route.channels, 2))]))
    cls = sd.InputStream if kind == "input" else sd.OutputStream
    failures: list[str] = []
    with lock:
        saved = {key: os.environ.get(key) for key in route.env}
        os.environ.update(route.env)  # read by libpulse while the stream connects
        try:
            for rate in rates:
                for channels in layouts:
                    try:
                        stream = cls(
                            device=route.device,
                            samplerate=rate,
                            channels=channels,
                            dtype="int16",
                            latency=latency,
                            blocksize=blocksize,
                            callback=callback,
                            finished_callback=finished,
                        )
                    except (sd.PortAudioError, ValueError) as exc:
                        failures.append(f"{rate} Hz/{channels} ch: {exc}")
                        continue
                    try:
                        stream.start()
                    except sd.PortAudioError as exc:
                        stream.close()
                        failures.append(f"{rate} Hz/{channels} ch start: {exc}")
                        continue
                    track_open(+1)
                    log.info(
                        "%s opened on %s at %d Hz, %d ch, latency %.1f ms",
                        kind, route.label, rate, channels, stream.latency * 1000,
                    )
                    return OpenedStream(stream, route, kind, rate, channels, stream.latency)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    what = describe(kind)
    raise DeviceOpenError(
        f"The {what} “{route.label}” could not be opened: it refused every sample rate "
        f"tried ({', '.join(str(r) for r in rates)} Hz) or is busy.",
        details="; ".join(failures[-3:]),
    )


def _open_pulse(
    kind: Kind,
    route: DeviceRoute,
    callback: Callable[..., None],
    finished: Callable[[], None],
    blocksize: int,
    samplerate: int | None,
) -> OpenedStream:
    """Straight on the Pulse server (`pulse_stream.py`): it converts rate and channels for
    any device, so 48 kHz mono always opens unless the device is gone."""
    rate = samplerate or RATE
    try:
        stream = pulse_stream.PulseStream(
            kind,
            route.pulse or None,
            callback,
            finished,
            samplerate=rate,
            blocksize=blocksize,
            name="Microphone" if kind == "input" else "Speaker",
        )
    except DeviceOpenError as exc:
        raise DeviceOpenError(
            f"The {describe(kind)} “{route.label}” could not be opened: {exc.message}",
            details=exc.details,
        ) from exc
    log.info(
        "%s opened on %s (Pulse %s) at %d Hz, latency %.1f ms",
        kind, route.label, stream.device, rate, stream.latency * 1000,
    )
    return OpenedStream(stream, route, kind, rate, stream.channels, stream.latency)


def close_stream(opened: OpenedStream) -> None:
    """Stop and close; idempotent. Blocking: call it from a worker thread."""
    with lock:
        if opened.closed:
            return
        opened.closed = True
        try:
            opened.stream.abort()
        except Exception as exc:  # a device that vanished may refuse even that
            log.debug("abort failed: %s", exc)
        try:
            opened.stream.close()
        except Exception as exc:
            log.debug("close failed: %s", exc)
        if not isinstance(opened.stream, pulse_stream.PulseStream):
            track_open(-1)


def safe_error(exc: BaseException, kind: Kind) -> AudioError:
    """Any failure while opening as a user-facing AudioError."""
    if isinstance(exc, AudioError):
        return exc
    return DeviceOpenError(f"The {describe(kind)} could not be opened.", details=str(exc))
