"""The echo canceller's three calls per 10 ms, made without rebuilding each request.

livekit's `AudioProcessingModule` builds a protobuf request for every call (a new
message, five fields set, serialised), wraps the samples in a new `AudioFrame`, parses
the reply and drops its handle: three times every 10 ms (far end, delay, near end), each
on a device thread that has just woken. Measured, paced at 10 ms as in a call: 518 µs of
CPU per 10 ms through livekit's methods, 322 µs here, with bit-identical output
(tests/unit/test_apm_calls.py). The requests never change: they point at two buffers
of ours that live as long as this object; only the delay varies, and its few values
are kept.

This speaks livekit's FFI (`livekit.rtc._ffi_client`, `_proto`) below its public API, so
pyproject pins livekit's minor version. `ApmCalls.attach()` returns None when those
internals are not as expected; the processor then uses livekit's methods, and the test
above fails so that nobody ships the slow path by accident.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from desktop.core.audio.frames import CHUNK_SAMPLES, RATE

log = logging.getLogger("talkline.audio")

Int16Array = npt.NDArray[np.int16]
_BYTES = CHUNK_SAMPLES * 2


class ApmCalls:
    """Direct calls into one livekit `AudioProcessingModule`; the caller serialises them
    (`processing._ffi_lock`) and keeps the module alive while this object is used."""

    def __init__(self, apm: Any) -> None:
        from livekit.rtc._ffi_client import FfiClient
        from livekit.rtc._proto import ffi_pb2
        from livekit.rtc._utils import get_address

        self._apm = apm  # the module must outlive its handle's use here
        self._lib = FfiClient.instance._ffi_lib
        self._proto = ffi_pb2
        self._handle = int(apm._ffi_handle.handle)
        self._far = bytearray(_BYTES)
        self._near = bytearray(_BYTES)
        # numpy views pin the buffers: a bytearray with an export cannot move or resize.
        self._far_view: Int16Array = np.frombuffer(self._far, dtype=np.int16)
        self._near_view: Int16Array = np.frombuffer(self._near, dtype=np.int16)
        self._render = self._frame_request("apm_process_reverse_stream", get_address(self._far))
        self._capture = self._frame_request("apm_process_stream", get_address(self._near))
        self._delays: dict[int, tuple[bytes, Any]] = {}
        self._reply = ctypes.POINTER(ctypes.c_ubyte)()
        self._reply_len = ctypes.c_size_t()

    def _serialised(self, field: str, **values: int) -> tuple[bytes, Any]:
        """An FfiRequest with `field` set to `values` (and our module's handle), as bytes
        and the pointer livekit's FFI takes."""
        message = self._proto.FfiRequest()
        part = getattr(message, field)
        part.apm_handle = self._handle
        for name, value in values.items():
            setattr(part, name, value)
        data = message.SerializeToString()
        return data, ctypes.cast(ctypes.c_char_p(data), ctypes.POINTER(ctypes.c_ubyte))

    def _frame_request(self, field: str, address: int) -> tuple[bytes, Any]:
        return self._serialised(
            field, data_ptr=address, size=_BYTES, sample_rate=RATE, num_channels=1
        )

    @classmethod
    def attach(cls, apm: Any) -> ApmCalls | None:
        """Direct calls for `apm`, or None (logged) when livekit's internals differ."""
        try:
            return cls(apm)
        except (ImportError, AttributeError, TypeError, ValueError) as exc:  # livekit's, not ours
            log.warning("echo canceller: livekit's own calls are used (%s)", exc)
            return None

    def render(self, chunk: Int16Array) -> None:
        """10 ms about to be played (the far end)."""
        self._far_view[:] = chunk
        self._call(self._render, "apm_process_reverse_stream")

    def capture(self, chunk: Int16Array, delay_ms: int | None) -> Int16Array:
        """10 ms from the microphone, cleaned; `delay_ms` set first when given."""
        if delay_ms is not None:
            request = self._delays.get(delay_ms)
            if request is None:
                request = self._delays[delay_ms] = self._serialised(
                    "apm_set_stream_delay", delay_ms=delay_ms
                )
            self._call(request, "apm_set_stream_delay")
        self._near_view[:] = chunk
        self._call(self._capture, "apm_process_stream")
        return self._near_view.copy()

    def _call(self, request: tuple[bytes, Any], field: str) -> None:
        data, pointer = request
        handle = self._lib.livekit_ffi_request(
            pointer, len(data), ctypes.byref(self._reply), ctypes.byref(self._reply_len)
        )
        if not handle:  # livekit's INVALID_HANDLE: the request was refused
            raise RuntimeError(f"{field}: refused by livekit's runtime")
        reply = self._proto.FfiResponse()
        reply.ParseFromString(ctypes.string_at(self._reply, self._reply_len.value))
        self._lib.livekit_ffi_drop_handle(ctypes.c_uint64(handle))
        error = getattr(reply, field).error
        if error:
            raise RuntimeError(error)
