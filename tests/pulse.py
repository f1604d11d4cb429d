"""A private PulseAudio server with virtual sound devices, for tests that need real sound.

    from tests.pulse import PulseAudio

    with PulseAudio() as pa:                     # or `shared_pulse()` / the `pulse` fixture
        pa.play(samples)                         # the app hears it on its microphone "mic"
        with pa.record() as heard:               # what the app played on "speaker"
            ...
        audio = heard.samples()                  # float32 in [-1, 1], 48 kHz mono

Devices (all mono, 48 kHz):

- sink ``speaker``: the default output. Record ``speaker.monitor`` to hear what the app played.
- sink ``micfeed``: play into it; its monitor feeds the virtual source ``mic``, the default
  input.

The daemon runs in its own ``XDG_RUNTIME_DIR``; starting exports ``XDG_RUNTIME_DIR``,
``PULSE_RUNTIME_PATH`` and ``PULSE_SERVER`` into ``os.environ`` (PortAudio's ALSA ``pulse``
plugin reads them in this process) and re-initialises PortAudio if sounddevice was already
imported, so its device list includes ``pulse``. ``stop()`` kills the daemon and restores the
environment. If ``pulseaudio`` is not installed, ``start()`` raises ``PulseUnavailable``
saying what to install: nothing here skips. A test process that is killed takes its daemon
with it (parent-death signal, then idle exit), so call ``start()`` from a thread that lives
as long as the server (the main thread, as pytest fixtures do).

Null sinks keep their 2 s idle latency until something plays into them, and a stream opened
on an idle null sink waits 0.5-2 s for its first sample to be consumed. Real sound cards
do not do that, so every null sink created here gets a low-latency silent "keepalive"
stream and ``start()``/``add_sink()`` return once the sink runs in small blocks.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

RATE = 48000
SPEAKER = "speaker"
MICFEED = "micfeed"
MIC = "mic"
SPEAKER_MONITOR = f"{SPEAKER}.monitor"

_RAW = ["--raw", "--format=s16le", f"--rate={RATE}", "--channels=1"]
_ENV_KEYS = ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_SERVER")


class PulseUnavailable(RuntimeError):
    """PulseAudio is not installed or did not start."""


def reinit_portaudio() -> None:
    """Make an already imported sounddevice enumerate devices again (no stream may be open)."""
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        sd._terminate()
        sd._initialize()


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float in [-1, 1] (or int16 already) to int16 mono."""
    if samples.dtype == np.int16:
        return samples
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)


class Recording:
    """A `parec` capture running in the background; read it with `samples()`.

    Use it as a context manager (`with`, or `async with` in a test on the event loop, which
    waits off the loop): entering waits for the first audio, because a new recording
    stream on a monitor can take up to a second to start (measured), and a test must not
    play into that blind spot."""

    def __init__(self, env: dict[str, str], source: str) -> None:
        self.source = source
        self._data = bytearray()
        self._lock = threading.Lock()
        self._started = threading.Event()
        self._proc = subprocess.Popen(
            ["parec", "-d", source, "--latency-msec=10", *_RAW],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self._thread = threading.Thread(target=self._read, name=f"parec-{source}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while chunk := self._proc.stdout.read1(4096):
            with self._lock:
                self._data.extend(chunk)
            self._started.set()
        self._started.set()

    def wait_started(self, timeout: float = 5.0) -> None:
        """Block until audio flows, then start the recording from that moment."""
        if not self._started.wait(timeout):
            self.stop()
            raise RuntimeError(f"recording {self.source} did not start in {timeout} s")
        with self._lock:
            self._data.clear()

    def samples(self) -> np.ndarray:
        """Everything recorded so far, float32 in [-1, 1]."""
        with self._lock:
            raw = bytes(self._data[: len(self._data) // 2 * 2])
        return np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768.0

    def stop(self) -> np.ndarray:
        if self._proc.poll() is None:
            self._proc.terminate()
        self._proc.wait(timeout=5)
        self._thread.join(timeout=5)
        return self.samples()

    def __enter__(self) -> Recording:
        self.wait_started()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Recording:
        await asyncio.to_thread(self.wait_started)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)


class PulseAudio:
    """Starts, drives and stops one private PulseAudio daemon. See the module docstring."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._saved_env: dict[str, str | None] = {}
        self._base_modules: set[int] = set()
        self._keepalive: dict[str, subprocess.Popen[bytes]] = {}
        self.env: dict[str, str] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> PulseAudio:
        for tool in ("pulseaudio", "pactl", "pacat", "parec"):
            if shutil.which(tool) is None:
                raise PulseUnavailable(
                    f"`{tool}` is not installed: the audio tests need real PulseAudio virtual "
                    "devices (apt-get install pulseaudio pulseaudio-utils libasound2-plugins)"
                )
        self._dir = Path(tempfile.mkdtemp(prefix="talkline-pulse-"))
        runtime = self._dir / "pulse"
        runtime.mkdir()
        socket = runtime / "native"
        self.env = {
            **os.environ,
            "XDG_RUNTIME_DIR": str(self._dir),
            "PULSE_RUNTIME_PATH": str(runtime),
            "PULSE_SERVER": f"unix:{socket}",
            "LC_ALL": "C",
        }
        log = open(self._dir / "pulseaudio.log", "wb")  # noqa: SIM115 - owned by the daemon
        self._proc = subprocess.Popen(
            [
                # Idle exit: a daemon whose test process died (and took the keepalives
                # with it) goes away by itself.
                "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=5",
                "--disallow-exit", "--use-pid-file=no", "--log-target=stderr",
                "-L", f"module-native-protocol-unix auth-anonymous=1 socket={socket}",
                "-L", f"module-null-sink sink_name={SPEAKER} rate={RATE} channels=1",
                "-L", f"module-null-sink sink_name={MICFEED} rate={RATE} channels=1",
                "-L", f"module-virtual-source source_name={MIC} master={MICFEED}.monitor "
                f"rate={RATE} channels=1",
            ],
            env=self.env,
            stdout=log,
            stderr=log,
            start_new_session=True,  # a Ctrl-C in the test run must not kill it half-way
            preexec_fn=_die_with_parent,
        )
        log.close()
        atexit.register(self.stop)
        try:
            self._wait_ready()
            self.pactl("set-default-sink", SPEAKER)
            self.pactl("set-default-source", MIC)
            self._base_modules = set(self.module_indices())
            for sink in (SPEAKER, MICFEED):
                self._start_keepalive(sink)
            for sink in (SPEAKER, MICFEED):
                self._wait_small_blocks(sink)
        except BaseException:
            self.stop()
            raise
        for key in _ENV_KEYS:
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = self.env[key]
        reinit_portaudio()
        return self

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise PulseUnavailable(f"pulseaudio exited at start:\n{self.log_tail()}")
            done = subprocess.run(
                ["pactl", "info"], env=self.env, capture_output=True, timeout=5, check=False
            )
            if done.returncode == 0:
                return
            time.sleep(0.05)
        raise PulseUnavailable(
            f"pulseaudio did not answer `pactl info` in 10 s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        if self._dir is None:
            return ""
        path = self._dir / "pulseaudio.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        atexit.unregister(self.stop)
        for proc in self._keepalive.values():
            _terminate(proc)
        self._keepalive.clear()
        if self._proc is not None:
            _terminate(self._proc)
            self._proc = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> PulseAudio:
        return self.start()

    def __exit__(
        self, tp: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- control ---------------------------------------------------------------------------

    def pactl(self, *args: str) -> str:
        done = subprocess.run(
            ["pactl", *args], env=self.env, capture_output=True, text=True, timeout=10
        )
        if done.returncode != 0:
            raise RuntimeError(f"pactl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def pactl_json(self, *args: str) -> Any:
        return json.loads(self.pactl("-f", "json", *args) or "null")

    def kill(self, what: str, index: int) -> None:
        """End a client's stream from the server's side (`what`: "sink-input" or
        "source-output"), as a mixer or the server itself may. pactl cannot, so the
        daemon's command-line protocol is loaded and spoken to (pacmd would, but insists
        on a PID file)."""
        assert self._dir is not None
        path = self._dir / "pulse" / "cli"
        if not path.exists():
            self.load_module("module-cli-protocol-unix", f"socket={path}")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as cli:
            cli.settimeout(10)
            cli.connect(str(path))
            cli.sendall(f"kill-{what} {index}\n".encode())
            cli.shutdown(socket.SHUT_WR)  # the daemon answers and hangs up ("exit" would
            answer = b""  # end the daemon itself)
            while chunk := cli.recv(4096):
                answer += chunk
        text = answer.decode(errors="replace")
        if "No " in text or "fail" in text.lower():
            raise RuntimeError(f"kill-{what} {index}: {text.strip()}")

    def load_module(self, name: str, *args: str) -> int:
        return int(self.pactl("load-module", name, *args))

    def unload_module(self, index: int) -> None:
        for sink, proc in list(self._keepalive.items()):
            if self.module_of(sink) == index:
                _terminate(proc)
                del self._keepalive[sink]
        self.pactl("unload-module", str(index))

    def add_sink(self, name: str) -> int:
        """A new mono 48 kHz null sink, running in small blocks; returns its module index."""
        index = self.load_module(
            "module-null-sink", f"sink_name={name}", f"rate={RATE}", "channels=1"
        )
        self._start_keepalive(name)
        self._wait_small_blocks(name)
        return index

    def add_source(self, name: str, master: str) -> int:
        """A virtual source fed by `master` (e.g. a sink's monitor); returns its module index."""
        return self.load_module(
            "module-virtual-source", f"source_name={name}", f"master={master}",
            f"rate={RATE}", "channels=1",
        )

    def set_default_sink(self, name: str) -> None:
        self.pactl("set-default-sink", name)

    def set_default_source(self, name: str) -> None:
        self.pactl("set-default-source", name)

    def reset(self) -> None:
        """Unload every module loaded after start, bring back any of the three standard
        devices a test removed, and restore the defaults."""
        for index in sorted(self.module_indices(), reverse=True):  # dependents first
            if index not in self._base_modules:
                try:
                    self.unload_module(index)
                except RuntimeError:  # went with the sink it depended on
                    pass
        sinks = self.sink_names()
        for sink in (SPEAKER, MICFEED):
            if sink not in sinks:
                self._base_modules.add(self.add_sink(sink))
        if MIC not in self.source_names():
            self._base_modules.add(self.add_source(MIC, f"{MICFEED}.monitor"))
        self.set_default_sink(SPEAKER)
        self.set_default_source(MIC)

    def module_of(self, device: str) -> int | None:
        """The module that created sink or source `device` (unload it to "unplug" it)."""
        for kind in ("sinks", "sources"):
            for d in self.pactl_json("list", kind):
                if d["name"] == device and str(d.get("owner_module", "")).isdigit():
                    return int(d["owner_module"])
        return None

    def module_indices(self) -> list[int]:
        # pactl's JSON module list has no index (pactl 16): read the short text form.
        listing = self.pactl("list", "short", "modules")
        return [int(line.split()[0]) for line in listing.splitlines()]

    def sink_names(self) -> list[str]:
        return [s["name"] for s in self.pactl_json("list", "sinks")]

    def source_names(self) -> list[str]:
        return [s["name"] for s in self.pactl_json("list", "sources")]

    # -- sound -----------------------------------------------------------------------------

    def play(
        self, samples: np.ndarray, sink: str = MICFEED, *, wait: bool = True
    ) -> subprocess.Popen[bytes]:
        """Play float [-1, 1] or int16 mono 48 kHz samples into `sink` with `pacat`.

        With `wait`, returns once pacat has drained (the sound has been played)."""
        proc = subprocess.Popen(
            ["pacat", "--playback", "-d", sink, "--latency-msec=40", *_RAW],
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self.env,
        )
        assert proc.stdin is not None
        if wait:
            proc.communicate(to_int16(samples).tobytes(), timeout=60 + len(samples) / RATE)
        else:
            data = to_int16(samples).tobytes()

            def feed() -> None:
                assert proc.stdin is not None
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.write(data)
                    proc.stdin.close()

            threading.Thread(target=feed, name=f"pacat-{sink}", daemon=True).start()
        return proc

    def record(self, source: str = SPEAKER_MONITOR) -> Recording:
        """Start recording `source`: `with pulse.record() as heard:` (or `async with`)."""
        return Recording(self.env, source)

    def play_and_record(
        self,
        samples: np.ndarray,
        sink: str = MICFEED,
        source: str = SPEAKER_MONITOR,
        *,
        tail: float = 1.0,
    ) -> np.ndarray:
        """Play into `sink` while recording `source`, aligned on PortAudio's clock: sample i
        of the result was captured when sample i of `samples` was played (for latency).

        Returns len(samples) + `tail` seconds, float32. The probe's own loop (~20 ms) is
        included: measure it with `source=f"{sink}.monitor"` and subtract. Two streams, not
        one duplex stream: PortAudio's ALSA duplex mode aborts now and then on two Pulse
        devices (a capture poll error). Blocking; the streams open with PULSE_SINK /
        PULSE_SOURCE set, so do not open other streams at that very moment."""
        import sounddevice as sd

        out = np.concatenate((to_int16(samples), np.zeros(int(tail * RATE), np.int16)))
        chunks: list[np.ndarray] = []
        first_adc: list[float] = []
        first_dac: list[float] = []
        pos = 0
        played = threading.Event()

        def record(indata: np.ndarray, frames: int, when: Any, status: object) -> None:
            if not first_adc:
                first_adc.append(when.inputBufferAdcTime)
            chunks.append(indata[:, 0].copy())

        def play(outdata: np.ndarray, frames: int, when: Any, status: object) -> None:
            nonlocal pos
            if not first_dac:
                first_dac.append(when.outputBufferDacTime)
            n = min(frames, len(out) - pos)
            outdata[:n, 0] = out[pos : pos + n]
            outdata[n:] = 0
            pos += n
            if pos >= len(out):
                raise sd.CallbackStop

        def stream(kind: type, var: str, device: str, callback: Any, **kw: Any) -> Any:
            saved = os.environ.get(var)
            os.environ[var] = device
            try:
                return kind(device="pulse", samplerate=RATE, channels=1, dtype="int16",
                            latency="low", blocksize=240, callback=callback, **kw)
            finally:
                if saved is None:
                    os.environ.pop(var, None)
                else:
                    os.environ[var] = saved

        with stream(sd.InputStream, "PULSE_SOURCE", source, record) as recorder:
            deadline = time.monotonic() + 5
            while not chunks:  # the recording runs before the first sample is played
                if time.monotonic() > deadline:
                    raise RuntimeError(f"recording {source} did not start in 5 s")
                played.wait(0.005)
            with stream(sd.OutputStream, "PULSE_SINK", sink, play, finished_callback=played.set):
                played.wait(timeout=len(out) / RATE + 10)
            recorder.stop()
        recorded = np.concatenate(chunks)
        # Output sample 0 reached the DAC at first_dac; input sample j was taken at
        # first_adc + j / RATE: the input sample taken when output sample 0 played is
        offset = int(round((first_dac[0] - first_adc[0]) * RATE))
        aligned = recorded[max(offset, 0) : max(offset, 0) + len(out)]
        if offset < 0:  # (cannot happen: recording starts first) keep the length anyway
            aligned = np.concatenate((np.zeros(-offset, np.int16), aligned))[: len(out)]
        aligned = np.pad(aligned, (0, len(out) - len(aligned)))
        return aligned.astype(np.float32) / 32768.0

    # -- internals -------------------------------------------------------------------------

    def _start_keepalive(self, sink: str) -> None:
        # Endless silence at 25 ms latency keeps the null sink in small blocks, like a sound card
        # (5 ms costs the daemon 10 % of a core, 25 ms 2 %; either avoids the idle stall).
        # pacat exits when the daemon goes, so these never outlive it.
        with open("/dev/zero", "rb") as zeros:
            self._keepalive[sink] = subprocess.Popen(
                ["pacat", "--playback", "-d", sink, "--latency-msec=25",
                 "--stream-name=keepalive", *_RAW],
                stdin=zeros,
                stderr=subprocess.DEVNULL,
                env=self.env,
            )


    def _wait_small_blocks(self, sink: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for s in self.pactl_json("list", "sinks"):
                if s["name"] == sink and s["latency"]["actual"] < 50_000:
                    return
            time.sleep(0.05)
        raise PulseUnavailable(f"null sink {sink} did not leave its idle latency in {timeout} s")


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the process (strictly: the thread) that started us
    dies, so a killed test run leaves no daemon behind. Linux only; harmless elsewhere."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


_shared: PulseAudio | None = None
_users = 0


@contextlib.contextmanager
def shared_pulse() -> Iterator[PulseAudio]:
    """One daemon per process however many session fixtures ask for it (audio, UI, ...)."""
    global _shared, _users
    if _shared is None:
        _shared = PulseAudio().start()
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0:
            _shared.stop()
            _shared = None
