"""The few libpulse calls Talkline's sound streams need, through ctypes.

libpulse is the client library of PulseAudio and of PipeWire's Pulse server; it is on
every Linux desktop that has either (PortAudio's ALSA ``pulse`` device loads it too). No
maintained Python package streams audio through its asynchronous API with callbacks (the
ones on PyPI are control-only, like pulsectl, or wrap the blocking "simple" API, one thread
per stream), so the declarations are here: names, argument and result types as in
<pulse/*.h> of libpulse 16.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any

vp = ctypes.c_void_p
size_t = ctypes.c_size_t


class SampleSpec(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("rate", ctypes.c_uint32), ("channels", ctypes.c_uint8)]


class BufferAttr(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint32) for name in ("maxlength", "tlength", "prebuf", "minreq", "fragsize")
    ]


UNSET = 0xFFFFFFFF  # (uint32_t) -1: "the server's choice" in pa_buffer_attr
SAMPLE_S16LE = 3

CONTEXT_READY, CONTEXT_FAILED, CONTEXT_TERMINATED = 4, 5, 6
STREAM_CREATING, STREAM_READY, STREAM_FAILED, STREAM_TERMINATED = 1, 2, 3, 4

STREAM_INTERPOLATE_TIMING = 0x2
STREAM_AUTO_TIMING_UPDATE = 0x8
STREAM_EARLY_REQUESTS = 0x4000

USEC_INVALID = 0xFFFFFFFFFFFFFFFF

STATE_CB = ctypes.CFUNCTYPE(None, vp, vp)  # (object, userdata)
REQUEST_CB = ctypes.CFUNCTYPE(None, vp, size_t, vp)  # (stream, nbytes, userdata)
TIME_CB = ctypes.CFUNCTYPE(None, vp, vp, vp, vp)  # (api, event, timeval, userdata)


class MainloopApi(ctypes.Structure):
    """The start of pa_mainloop_api, up to the call that frees a time event."""

    _fields_ = [
        ("userdata", vp),
        ("io_new", vp),
        ("io_enable", vp),
        ("io_free", vp),
        ("io_set_destroy", vp),
        ("time_new", vp),
        ("time_restart", vp),
        ("time_free", ctypes.CFUNCTYPE(None, vp)),
    ]

_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "pa_threaded_mainloop_new": (vp, []),
    "pa_threaded_mainloop_free": (None, [vp]),
    "pa_threaded_mainloop_get_api": (ctypes.POINTER(MainloopApi), [vp]),
    "pa_threaded_mainloop_start": (ctypes.c_int, [vp]),
    "pa_threaded_mainloop_stop": (None, [vp]),
    "pa_threaded_mainloop_lock": (None, [vp]),
    "pa_threaded_mainloop_unlock": (None, [vp]),
    "pa_threaded_mainloop_wait": (None, [vp]),
    "pa_threaded_mainloop_signal": (None, [vp, ctypes.c_int]),
    "pa_threaded_mainloop_in_thread": (ctypes.c_int, [vp]),
    "pa_context_new": (vp, [ctypes.POINTER(MainloopApi), ctypes.c_char_p]),
    "pa_context_rttime_new": (vp, [vp, ctypes.c_uint64, TIME_CB, vp]),
    "pa_context_rttime_restart": (None, [vp, vp, ctypes.c_uint64]),
    "pa_rtclock_now": (ctypes.c_uint64, []),
    "pa_context_connect": (ctypes.c_int, [vp, ctypes.c_char_p, ctypes.c_int, vp]),
    "pa_context_disconnect": (None, [vp]),
    "pa_context_unref": (None, [vp]),
    "pa_context_set_state_callback": (None, [vp, STATE_CB, vp]),
    "pa_context_get_state": (ctypes.c_int, [vp]),
    "pa_context_errno": (ctypes.c_int, [vp]),
    "pa_strerror": (ctypes.c_char_p, [ctypes.c_int]),
    "pa_get_library_version": (ctypes.c_char_p, []),
    "pa_stream_new": (vp, [vp, ctypes.c_char_p, ctypes.POINTER(SampleSpec), vp]),
    "pa_stream_unref": (None, [vp]),
    "pa_stream_get_state": (ctypes.c_int, [vp]),
    "pa_stream_set_state_callback": (None, [vp, STATE_CB, vp]),
    "pa_stream_set_write_callback": (None, [vp, REQUEST_CB, vp]),
    "pa_stream_set_underflow_callback": (None, [vp, STATE_CB, vp]),
    "pa_stream_connect_record": (
        ctypes.c_int,
        [vp, ctypes.c_char_p, ctypes.POINTER(BufferAttr), ctypes.c_int],
    ),
    "pa_stream_connect_playback": (
        ctypes.c_int,
        [vp, ctypes.c_char_p, ctypes.POINTER(BufferAttr), ctypes.c_int, vp, vp],
    ),
    "pa_stream_disconnect": (ctypes.c_int, [vp]),
    "pa_stream_readable_size": (size_t, [vp]),
    "pa_stream_peek": (ctypes.c_int, [vp, ctypes.POINTER(vp), ctypes.POINTER(size_t)]),
    "pa_stream_drop": (ctypes.c_int, [vp]),
    "pa_stream_write": (ctypes.c_int, [vp, vp, size_t, vp, ctypes.c_int64, ctypes.c_int]),
    "pa_stream_get_latency": (
        ctypes.c_int,
        [vp, ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_int)],
    ),
    "pa_stream_get_buffer_attr": (ctypes.POINTER(BufferAttr), [vp]),
    "pa_stream_get_device_name": (ctypes.c_char_p, [vp]),
}

_lock = threading.Lock()
_library: ctypes.CDLL | None = None
_error: str | None = None


def library() -> ctypes.CDLL | None:
    """libpulse with its functions declared, or None when it cannot be loaded (`error()`
    says why)."""
    global _library, _error
    with _lock:
        if _library is None and _error is None:
            try:
                lib = ctypes.CDLL("libpulse.so.0")  # the SONAME; no find_library subprocess
                for function, (restype, argtypes) in _SIGNATURES.items():
                    declared = getattr(lib, function)
                    declared.restype = restype
                    declared.argtypes = argtypes
            except (OSError, AttributeError) as exc:
                _error = f"libpulse could not be loaded: {exc}"
            else:
                _library = lib
        return _library


def error() -> str | None:
    return _error


def strerror(lib: ctypes.CDLL, code: int) -> str:
    text = lib.pa_strerror(code)
    return text.decode("utf-8", "replace") if text else f"error {code}"
