"""The PulseAudio (or PipeWire-Pulse) server, through the `pactl` command.

Used only to list the server's sinks and sources, its defaults, and to hear when they
change; sound itself goes through libpulse (`pulse_stream.py`) or PortAudio.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("talkline.audio")

_TIMEOUT = 3.0


@dataclass(frozen=True)
class PulseDevice:
    name: str  # stable across replugs: "alsa_output.usb-Logitech_..." (what settings store)
    description: str  # what people read: "USB Headset Analog Stereo"
    channels: int
    rate: int


def _run(*args: str) -> str | None:
    if shutil.which("pactl") is None:
        return None
    try:
        done = subprocess.run(
            ["pactl", *args],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            env={**os.environ, "LC_ALL": "C"},  # parse English, whatever the user's locale
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("pactl %s failed: %s", args, exc)
        return None
    return done.stdout if done.returncode == 0 else None


def server_available() -> bool:
    return _run("info") is not None


def defaults() -> tuple[str | None, str | None]:
    """(default sink, default source) names."""
    info = _run("info") or ""
    sink = re.search(r"^Default Sink: (.+)$", info, re.M)
    source = re.search(r"^Default Source: (.+)$", info, re.M)
    return (sink.group(1).strip() if sink else None, source.group(1).strip() if source else None)


def _spec(text: str) -> tuple[int, int]:
    """'s16le 2ch 44100Hz' -> (2, 44100)."""
    ch = re.search(r"(\d+)ch", text)
    hz = re.search(r"(\d+)Hz", text)
    return (int(ch.group(1)) if ch else 2, int(hz.group(1)) if hz else 48000)


def list_devices(kind: str) -> list[PulseDevice]:
    """Sinks (kind "sinks") or sources without the monitors ("sources")."""
    raw = _run("-f", "json", "list", kind)
    if raw is not None:
        try:
            items = json.loads(raw)
        except ValueError:
            items = None
        if isinstance(items, list):
            out = []
            for item in items:
                if kind == "sources" and _is_monitor(item):
                    continue
                channels, rate = _spec(str(item.get("sample_specification", "")))
                name = str(item.get("name", ""))
                out.append(PulseDevice(name, str(item.get("description") or name), channels, rate))
            return out
    # pactl before 16 has no JSON: the short listing has names and sample specs only.
    short = _run("list", "short", kind) or ""
    out = []
    for line in short.splitlines():
        fields = line.split("\t")
        if len(fields) < 4 or (kind == "sources" and fields[1].endswith(".monitor")):
            continue
        channels, rate = _spec(fields[3])
        out.append(PulseDevice(fields[1], fields[1], channels, rate))
    return out


def _is_monitor(source: dict[str, object]) -> bool:
    # pactl 16's JSON calls the monitored sink "monitor_source"; older text said "of sink".
    for key in ("monitor_source", "monitor_of_sink"):
        if source.get(key) not in (None, "", "n/a"):
            return True
    props = source.get("properties")
    return isinstance(props, dict) and props.get("device.class") == "monitor"


class PulseEvents:
    """Runs `pactl subscribe` and calls `on_change()` (on its own thread) when a sink, a
    source or the server's defaults change. No polling: the server tells us."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._proc: subprocess.Popen[str] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        if shutil.which("pactl") is None:
            return False
        try:
            self._proc = subprocess.Popen(
                ["pactl", "subscribe"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "LC_ALL": "C"},
            )
        except OSError as exc:
            log.warning("cannot watch audio devices: %s", exc)
            return False
        self._thread = threading.Thread(target=self._read, name="pactl-subscribe", daemon=True)
        self._thread.start()
        return True

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            # "Event 'remove' on sink #3", "Event 'change' on server #-1"
            match = re.match(r"Event '(\w+)' on ([\w-]+) #", line)
            if not match:
                continue
            event, facility = match.groups()
            if facility in ("sink", "source") and event in ("new", "remove") or (
                facility == "server" and event == "change"
            ):
                try:
                    self._on_change()
                except Exception:
                    log.exception("device change handler failed")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None
