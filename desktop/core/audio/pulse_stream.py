"""Sound streams straight on a Pulse server (PulseAudio or PipeWire-Pulse) through libpulse.

Through PortAudio a Pulse device is three layers deep: PortAudio's ALSA host API, ALSA's
pulse plugin, libpulse. Each stream then has two threads of its own (PortAudio's callback
thread and the plugin's libpulse mainloop) handing every block to each other: a call's
two streams woke threads ~1,460 times a second. Here both streams share one mainloop
thread and the device callbacks run on it directly (~520 wake-ups a second in a call); on
a virtual machine every wake-up costs more than most of the work. Measured side by side
with the PortAudio path in a call (benchmarks/audio_cpu_ab.py): 0.85 of its CPU, with the
same round trip and the same CPU in the sound server (it is asked for the same device
latency as the ALSA plugin asks).

A `PulseStream` looks like the part of sounddevice's streams that `streams.py` uses:
``callback(data, frames, time_info, status)`` with an int16 ``(frames, channels)`` array,
``time_info`` carrying ``currentTime`` and ``inputBufferAdcTime``/``outputBufferDacTime``
on the monotonic clock, ``finished()`` when the server ends the stream, ``latency``,
``start``/``abort``/``close``. Callbacks run on the mainloop thread, one at a time.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from desktop.core.audio import libpulse
from desktop.core.audio.errors import DeviceOpenError
from desktop.core.audio.libpulse import REQUEST_CB, STATE_CB, TIME_CB, BufferAttr, SampleSpec

log = logging.getLogger("talkline.audio")

CONNECT_TIMEOUT_S = 5.0
INPUT_TICK_US = 10_000  # a microphone nobody drains is read this often
NOAUTOSPAWN = 0x1  # a server is found first (pactl); never start one
BYTES = 2  # int16


class TimeInfo:
    """The fields of PortAudio's time info that capture and playback read."""

    __slots__ = ("currentTime", "inputBufferAdcTime", "outputBufferDacTime")

    def __init__(self) -> None:
        self.currentTime = 0.0
        self.inputBufferAdcTime = 0.0
        self.outputBufferDacTime = 0.0


class PulseConnection:
    """One mainloop thread and one server connection, shared by every stream."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        self.streams: set[PulseStream] = set()
        self.inputs: list[PulseStream] = []  # drained when a speaker asks for sound
        self._adopted = False
        self.mainloop = lib.pa_threaded_mainloop_new()
        if not self.mainloop:
            raise DeviceOpenError("The sound server could not be reached: out of memory.")
        self.api = lib.pa_threaded_mainloop_get_api(self.mainloop)
        self.context = lib.pa_context_new(self.api, b"Talkline")
        self._on_state = STATE_CB(self._state_changed)  # kept: libpulse holds the pointer
        lib.pa_context_set_state_callback(self.context, self._on_state, None)
        self._started = False
        try:
            with self.locked():
                if lib.pa_context_connect(self.context, None, NOAUTOSPAWN, None) < 0:
                    self._fail(libpulse.strerror(lib, lib.pa_context_errno(self.context)))
                if lib.pa_threaded_mainloop_start(self.mainloop) < 0:
                    self._fail("its thread did not start")
                self._started = True
                if not self.wait(self._context_settled):
                    self._fail("it did not answer in 5 s")
                if lib.pa_context_get_state(self.context) != libpulse.CONTEXT_READY:
                    self._fail(libpulse.strerror(lib, lib.pa_context_errno(self.context)))
        except DeviceOpenError:
            self.shut()
            raise

    def _context_settled(self) -> bool:
        state = self.lib.pa_context_get_state(self.context)
        return state in (libpulse.CONTEXT_READY, libpulse.CONTEXT_FAILED,
                         libpulse.CONTEXT_TERMINATED)

    def wait(self, settled: Callable[[], bool]) -> bool:
        """With the lock held: wait for state callbacks until `settled()`, or 5 s (a timer
        wakes the wait then). False when the time ran out."""
        lib = self.lib
        passed = False  # this wait's own: two threads may be opening streams at once

        def deadline(_api: int | None, _event: int | None, _tv: int | None,
                     _userdata: int | None) -> None:
            nonlocal passed
            passed = True
            lib.pa_threaded_mainloop_signal(self.mainloop, 0)

        on_deadline = TIME_CB(deadline)  # alive until the timer is freed below
        timer = lib.pa_context_rttime_new(
            self.context, lib.pa_rtclock_now() + int(CONNECT_TIMEOUT_S * 1e6), on_deadline, None
        )
        try:
            while not settled():
                if passed:
                    return False
                lib.pa_threaded_mainloop_wait(self.mainloop)
            return True
        finally:
            if timer:
                self.api.contents.time_free(timer)

    def _fail(self, why: str) -> None:
        raise DeviceOpenError("The sound server could not be reached.", details=why)

    def _state_changed(self, _context: int | None, _userdata: int | None) -> None:
        self.lib.pa_threaded_mainloop_signal(self.mainloop, 0)

    def adopt_thread(self) -> None:
        """Called first in every callback. ctypes makes a Python thread state for each call
        from a foreign thread and frees it after; one extra PyGILState_Ensure, never
        released, keeps the mainloop thread's (the thread is stopped before the interpreter
        finalises, in `_shut_all`). A stream's first state callback runs on the thread
        that opens it: only the mainloop thread is adopted."""
        if not self._adopted and self.lib.pa_threaded_mainloop_in_thread(self.mainloop):
            self._adopted = True
            ctypes.pythonapi.PyGILState_Ensure()

    def drain_inputs(self) -> None:
        """Hand every microphone's whole blocks to its callback: on a speaker's request, so
        both directions share one wake-up, and input timers are pushed back."""
        if self.inputs:
            later = self.lib.pa_rtclock_now() + 2 * INPUT_TICK_US
            for stream in self.inputs:
                stream.drain(later)

    @property
    def alive(self) -> bool:
        with self.locked():
            return bool(self.lib.pa_context_get_state(self.context) == libpulse.CONTEXT_READY)

    def locked(self) -> _Locked:
        return _Locked(self.lib, self.mainloop)

    def shut(self) -> None:
        """Stop the thread and let go of the server. Never from the mainloop thread."""
        for stream in list(self.streams):
            stream.close()
        lib = self.lib
        if self.context:
            with self.locked():
                lib.pa_context_disconnect(self.context)
        if self._started:
            lib.pa_threaded_mainloop_stop(self.mainloop)  # joins the thread
        if self.context:
            lib.pa_context_unref(self.context)
        lib.pa_threaded_mainloop_free(self.mainloop)
        self.context = self.mainloop = None


class _Locked:
    def __init__(self, lib: ctypes.CDLL, mainloop: int) -> None:
        self.lib, self.mainloop = lib, mainloop

    def __enter__(self) -> None:
        self.lib.pa_threaded_mainloop_lock(self.mainloop)

    def __exit__(self, *exc: object) -> None:
        self.lib.pa_threaded_mainloop_unlock(self.mainloop)


_connections_lock = threading.Lock()
_current: PulseConnection | None = None
_retired: list[PulseConnection] = []  # dead connections whose streams are not closed yet


def available() -> bool:
    """Whether streams can go straight to a Pulse server (libpulse loads)."""
    return libpulse.library() is not None


def describe() -> str:
    """Which libpulse, for the self-test: "libpulse 16.1.0"."""
    lib = libpulse.library()
    if lib is None:
        return libpulse.error() or "libpulse not loaded"
    version = (lib.pa_get_library_version() or b"?").decode("ascii", "replace")
    return f"libpulse {version}"


def connection(user: PulseStream) -> PulseConnection:
    """The live connection, made (again) when there is none or the server went away, with
    `user` counted among its streams at once (a dead connection is let go only when
    nothing uses it)."""
    global _current
    lib = libpulse.library()
    if lib is None:
        raise DeviceOpenError(
            "The sound server could not be reached.", details=libpulse.error() or ""
        )
    with _connections_lock:
        if _current is not None and not _current.alive:
            log.info("the sound server connection was lost; connecting again")
            _retired.append(_current)
            _current = None
        for old in [c for c in _retired if not c.streams]:
            _retired.remove(old)
            old.shut()
        if _current is None:
            _current = PulseConnection(lib)
        _current.streams.add(user)
        return _current


@atexit.register
def _shut_all() -> None:
    # Before the interpreter finalises: a mainloop thread must not call into Python then.
    global _current
    with _connections_lock:
        everything = [*_retired, *([_current] if _current else [])]
        _retired.clear()
        _current = None
    for conn in everything:
        conn.shut()


Kind = Literal["input", "output"]
_NO_STATE_CB = STATE_CB()  # NULL function pointers
_NO_REQUEST_CB = REQUEST_CB()
SIZE_ERROR = ctypes.c_size_t(-1).value  # what pa_stream_readable_size returns on failure


def _abandoned(stream: int | None, _userdata: int | None) -> None:
    """State changes of a stream given up on while the server was still making it."""
    lib = libpulse.library()
    assert lib is not None  # the stream came from it
    state = lib.pa_stream_get_state(stream)
    if state == libpulse.STREAM_READY:
        lib.pa_stream_disconnect(stream)  # then TERMINATED, below
    elif state in (libpulse.STREAM_FAILED, libpulse.STREAM_TERMINATED):
        lib.pa_stream_set_state_callback(stream, _NO_STATE_CB, None)
        lib.pa_stream_unref(stream)


_ABANDONED_CB = STATE_CB(_abandoned)
Callback = Callable[[Any, int, Any, Any], None]


class PulseStream:
    """One recording or playback stream, started at once (see the module's docstring).

    A microphone has no read callback: the server hands sound over in pieces as small as
    its source's (2 ms on the test rig's virtual devices, 470 Python calls a second).
    Instead a speaker's request drains it (one wake-up for both directions), and a timer
    every 10 ms does when no speaker runs; either hands over whole blocks only."""

    def __init__(
        self,
        kind: Kind,
        device: str | None,
        callback: Callback,
        finished: Callable[[], None],
        *,
        samplerate: int,
        blocksize: int,
        name: str,
    ) -> None:
        self.channels = 1  # the server mixes up or down to the device
        self._callback = callback
        self._finished = finished
        self._closed = False
        self._time = TimeInfo()
        self._usec = ctypes.c_uint64()
        self._negative = ctypes.c_int()
        self._peek_data = ctypes.c_void_p()
        self._peek_size = ctypes.c_size_t()
        self._block_bytes = blocksize * BYTES
        self._timer: int | None = None
        self.underflows = 0  # the server ran out of sound to play (an audible gap)
        self.stream: int | None = None
        self._opened = False
        self.conn = connection(self)
        lib = self.conn.lib
        self._lib = lib
        spec = SampleSpec(libpulse.SAMPLE_S16LE, samplerate, 1)
        unset = libpulse.UNSET
        timing = libpulse.STREAM_INTERPOLATE_TIMING | libpulse.STREAM_AUTO_TIMING_UPDATE
        if kind == "input":
            # Blocks of `blocksize` from the source, as PortAudio's ALSA plugin asks (early
            # requests: with "adjust latency" instead the round trip measured ~8 ms more).
            attr = BufferAttr(unset, unset, unset, unset, self._block_bytes)
            flags = timing | libpulse.STREAM_EARLY_REQUESTS
        else:
            # Early requests, as the ALSA plugin: the server runs the device at one block's
            # latency and asks for a block at a time, keeping three queued (its least for
            # early requests: the device's block plus two). With "adjust latency" instead
            # it ran the device at its least latency: the sound server's own CPU went from
            # ~8 to ~14 % of a core and the round trip grew ~15 ms (measured).
            attr = BufferAttr(unset, 3 * self._block_bytes, unset, self._block_bytes, unset)
            flags = timing | libpulse.STREAM_EARLY_REQUESTS

        self._on_state = STATE_CB(self._state_changed)  # kept: libpulse holds the pointers
        self._on_underflow = STATE_CB(self._underflow)
        self._on_write = REQUEST_CB(self._write)
        self._on_timer = TIME_CB(self._tick)
        with self.conn.locked():
            self.stream = lib.pa_stream_new(self.conn.context, name.encode(), spec, None)
            if not self.stream:
                self.conn.streams.discard(self)
                raise DeviceOpenError(
                    "The sound server refused a new stream.",
                    details=libpulse.strerror(lib, lib.pa_context_errno(self.conn.context)),
                )
            lib.pa_stream_set_state_callback(self.stream, self._on_state, None)
            target = device.encode() if device else None
            if kind == "input":
                result = lib.pa_stream_connect_record(self.stream, target, attr, flags)
            else:
                lib.pa_stream_set_write_callback(self.stream, self._on_write, None)
                lib.pa_stream_set_underflow_callback(self.stream, self._on_underflow, None)
                result = lib.pa_stream_connect_playback(
                    self.stream, target, attr, flags, None, None
                )
            if result < 0:
                self._refuse(lib.pa_context_errno(self.conn.context))
            if not self.conn.wait(self._settled):
                self._refuse(None)
            if lib.pa_stream_get_state(self.stream) != libpulse.STREAM_READY:
                self._refuse(lib.pa_context_errno(self.conn.context))
            self._opened = True
            got = lib.pa_stream_get_buffer_attr(self.stream).contents
            queued = got.fragsize if kind == "input" else got.tlength
            self.latency = queued / BYTES / samplerate  # nominal, as PortAudio's
            self.device = (lib.pa_stream_get_device_name(self.stream) or b"").decode(
                "utf-8", "replace"
            )
            if kind == "input":
                self._timer = lib.pa_context_rttime_new(
                    self.conn.context, lib.pa_rtclock_now() + INPUT_TICK_US, self._on_timer, None
                )
                self.conn.inputs.append(self)

    def _settled(self) -> bool:
        state = self._lib.pa_stream_get_state(self.stream)
        return state in (libpulse.STREAM_READY, libpulse.STREAM_FAILED, libpulse.STREAM_TERMINATED)

    def _refuse(self, code: int | None) -> None:
        self._release()
        why = libpulse.strerror(self._lib, code) if code is not None else "no answer in 5 s"
        raise DeviceOpenError("The sound server did not open the stream.", details=why)

    # -- on the mainloop thread --------------------------------------------------------

    def _state_changed(self, _stream: int | None, _userdata: int | None) -> None:
        self.conn.adopt_thread()
        lib = self._lib
        state = lib.pa_stream_get_state(self.stream)
        lib.pa_threaded_mainloop_signal(self.conn.mainloop, 0)
        ended = state in (libpulse.STREAM_FAILED, libpulse.STREAM_TERMINATED)
        if ended and self._opened and not self._closed:  # not a failed open: that raises
            self._finished()

    def _underflow(self, _stream: int | None, _userdata: int | None) -> None:
        self.conn.adopt_thread()
        self.underflows += 1

    def _latency(self) -> float | None:
        if self._lib.pa_stream_get_latency(self.stream, self._usec, self._negative) < 0:
            return None  # no timing information yet
        return -1e-6 * self._usec.value if self._negative.value else 1e-6 * self._usec.value

    def _tick(self, _api: int | None, _event: int | None, _tv: int | None, _ud: int | None) -> None:
        self.conn.adopt_thread()
        lib = self._lib
        self.drain(lib.pa_rtclock_now() + INPUT_TICK_US)

    def drain(self, next_tick_us: int) -> None:
        """Hand over what the server has sent, if a whole block; tick next at the time
        given. On the mainloop thread (lock held)."""
        lib = self._lib
        if self._closed or not self.stream:
            return
        readable = lib.pa_stream_readable_size(self.stream)
        if readable == SIZE_ERROR:
            return  # the server ended the stream: its timer stops here
        if self._timer:
            lib.pa_context_rttime_restart(self.conn.context, self._timer, next_tick_us)
        if readable < self._block_bytes:
            return
        latency = self._latency()  # the age of the oldest sample not yet read
        pieces = []
        while lib.pa_stream_peek(self.stream, self._peek_data, self._peek_size) == 0:
            size = self._peek_size.value
            if size == 0:
                break
            address = self._peek_data.value
            # Copied: the server's memory is reused once dropped. A hole reads as silence.
            pieces.append(ctypes.string_at(address, size) if address else bytes(size))
            lib.pa_stream_drop(self.stream)
        if not pieces:
            return
        data = np.frombuffer(b"".join(pieces) if len(pieces) > 1 else pieces[0], np.int16)
        now = time.monotonic()
        self._time.currentTime = now
        self._time.inputBufferAdcTime = now - latency if latency is not None else 0.0
        self._callback(data.reshape(-1, 1), len(data), self._time, None)

    def _write(self, stream: int | None, nbytes: int, _userdata: int | None) -> None:
        self.conn.adopt_thread()
        self.conn.drain_inputs()
        frames = nbytes // BYTES
        out = np.zeros((frames, 1), dtype=np.int16)
        if not self._closed:
            latency = self._latency()  # when the next sample written plays
            now = time.monotonic()
            self._time.currentTime = now
            self._time.outputBufferDacTime = now + latency if latency is not None else 0.0
            self._callback(out, frames, self._time, None)
        self._lib.pa_stream_write(stream, out.ctypes.data, frames * BYTES, None, 0, 0)

    # -- control, from any other thread ---------------------------------------------------

    def start(self) -> None:
        """Already running once constructed (as PortAudio's after start())."""

    def abort(self) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self.conn.locked():
            self._release()
        if self.underflows:
            log.info("the speaker ran dry %d times (the server had nothing to play)",
                     self.underflows)

    def _release(self) -> None:
        """With the mainloop lock held."""
        self._closed = True
        lib = self._lib
        if self._timer:
            self.conn.api.contents.time_free(self._timer)
            self._timer = None
        if self in self.conn.inputs:
            self.conn.inputs.remove(self)
        if self.stream:
            # No callback may reach this object once it is gone.
            lib.pa_stream_set_state_callback(self.stream, _NO_STATE_CB, None)
            lib.pa_stream_set_write_callback(self.stream, _NO_REQUEST_CB, None)
            lib.pa_stream_set_underflow_callback(self.stream, _NO_STATE_CB, None)
            state = lib.pa_stream_get_state(self.stream)
            if state == libpulse.STREAM_CREATING:
                # Timed out while the server still makes it: it must not linger there
                # once made (a sink input nobody feeds), so it is disconnected then.
                lib.pa_stream_set_state_callback(self.stream, _ABANDONED_CB, None)
            else:
                if state == libpulse.STREAM_READY:
                    lib.pa_stream_disconnect(self.stream)
                lib.pa_stream_unref(self.stream)
            self.stream = None
        self.conn.streams.discard(self)
