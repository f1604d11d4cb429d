"""Echo cancellation, noise suppression and high-pass filtering (WebRTC's audio processing,
through `livekit.rtc.AudioProcessingModule`) on 10 ms, 48 kHz mono frames.

The speaker hands over exactly what it writes to the device (`process_render`, the far
end); the microphone hands over what it captured (`process_capture`, the near end) and gets
it back cleaned. Both run on PortAudio threads. The canceller is told the delay between
the two: how long a rendered sample waits before the DAC plays it plus how long a captured
sample waited since the ADC took it (both from PortAudio's stream timing).

livekit's module cannot switch features after creation, so a change builds a new one
(cheap: ~30 ms) and swaps it in; the echo canceller then re-adapts within a second or so.
Automatic gain control stays off by default: measured here it undid most of the echo
reduction.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from desktop.core.audio.apm_calls import ApmCalls
from desktop.core.audio.frames import CHUNK_SAMPLES, RATE

log = logging.getLogger("talkline.audio")

# livekit's native runtime must not see a call, nor drop a handle, once the interpreter is
# on its way out: a runtime thread calling back into a finalizing Python is killed in the
# middle of Rust code, and Rust aborts ("panic in a function that cannot unwind"; seen at
# the end of a 180 s call). So shutdown is deterministic: `AudioPath.close()` stops the
# devices (nothing feeds the module any more) and then `AudioProcessor.close()` releases
# the module while everything is alive. For a process that exits with audio still
# running, an exit hook registered after livekit's (atexit runs the last registered first)
# closes the door to the FFI and releases every module before livekit's runtime goes.
# Every call goes through one lock, so a PortAudio thread is never inside the FFI then.
_ffi_lock = threading.Lock()
_ffi_open = True
_exit_hook_registered = False
_live: weakref.WeakSet[AudioProcessor] = weakref.WeakSet()


def _close_ffi_at_exit() -> None:
    global _ffi_open
    with _ffi_lock:  # waits for a call in flight
        _ffi_open = False
    for processor in list(_live):
        processor.close()


@dataclass(frozen=True)
class ProcessingSettings:
    echo_cancellation: bool = True
    noise_suppression: bool = True
    high_pass_filter: bool = True
    auto_gain_control: bool = False

    @property
    def any(self) -> bool:
        return (
            self.echo_cancellation
            or self.noise_suppression
            or self.high_pass_filter
            or self.auto_gain_control
        )


class AudioProcessor:
    def __init__(self, settings: ProcessingSettings | None = None) -> None:
        self._settings = settings or ProcessingSettings()
        self._apm: Any = None
        self._calls: ApmCalls | None = None  # the same module, called directly
        self.render_delay_ms = 0.0  # written by the speaker's callback
        self.delay_ms = 0  # the last delay given to the canceller
        self.error = ""  # why processing is off, when the module could not load
        self._closed = False
        self._build()
        _live.add(self)

    @property
    def settings(self) -> ProcessingSettings:
        return self._settings

    @property
    def direct_calls(self) -> bool:
        """The module is called through `ApmCalls` (the fast way), not livekit's methods."""
        return self._calls is not None

    def configure(self, **changes: bool) -> ProcessingSettings:
        """Switch features at runtime, e.g. `configure(echo_cancellation=False)`."""
        new = replace(self._settings, **changes)
        if new != self._settings:
            self._settings = new
            self._build()
        return new

    def close(self) -> None:
        """Release the native module (idempotent); the audio threads must be stopped first.

        Later chunks pass through untouched. Called by `AudioPath.close()`."""
        with _ffi_lock:  # waits for a chunk in flight; the module is dropped right here
            self._closed = True
            self._apm = self._calls = None

    def _build(self) -> None:
        s = self._settings
        apm = None
        calls = None
        if s.any and not self._closed:
            try:
                from livekit.rtc import AudioProcessingModule

                apm = AudioProcessingModule(
                    echo_cancellation=s.echo_cancellation,
                    noise_suppression=s.noise_suppression,
                    high_pass_filter=s.high_pass_filter,
                    auto_gain_control=s.auto_gain_control,
                )
                calls = ApmCalls.attach(apm)
                _register_exit_hook()  # after livekit's runtime (and its own hook) exists
                self.error = ""
            except Exception as exc:  # a missing wheel must not cost the user their voice
                log.warning("audio processing unavailable: %s", exc)
                self.error = f"Echo cancellation is unavailable ({exc})."
        with _ffi_lock:  # the old module is released here, never under a call into it
            self._apm, self._calls = apm, calls  # the audio threads use them from their next chunk

    def process_render(self, chunk: np.ndarray) -> None:
        """10 ms at 48 kHz that is about to be played (speaker thread)."""
        if self._apm is None or not self._settings.echo_cancellation:
            return
        with _ffi_lock:  # no local reference: only close() ever drops the module
            if not _ffi_open or self._apm is None:
                return
            if self._calls is not None:
                try:
                    self._calls.render(chunk)
                except RuntimeError as exc:  # the module refused this chunk
                    log.debug("process_reverse_stream: %s", exc)
                return
            try:
                self._apm.process_reverse_stream(_frame(bytearray(chunk.tobytes())))
            except Exception as exc:
                log.debug("process_reverse_stream: %s", exc)

    def process_capture(self, chunk: np.ndarray, capture_delay_ms: float) -> np.ndarray:
        """10 ms at 48 kHz from the microphone, cleaned (microphone thread)."""
        if self._apm is None:
            return chunk
        with _ffi_lock:
            if not _ffi_open or self._apm is None:
                return chunk
            delay: int | None = None
            if self._settings.echo_cancellation:
                total = self.render_delay_ms + capture_delay_ms
                delay = self.delay_ms = int(max(0.0, min(500.0, total)))
            if self._calls is not None:
                try:
                    return self._calls.capture(chunk, delay)
                except RuntimeError as exc:  # the module refused it: sent as it came
                    log.debug("process_stream: %s", exc)
                    return chunk
            buffer = bytearray(chunk.tobytes())
            try:
                if delay is not None:
                    self._apm.set_stream_delay_ms(delay)  # every frame, or AEC loses ~20 dB
                self._apm.process_stream(_frame(buffer))
            except Exception as exc:
                log.debug("process_stream: %s", exc)
                return chunk
        return np.frombuffer(buffer, dtype=np.int16)  # cleaned in place


def _register_exit_hook() -> None:
    global _exit_hook_registered
    if not _exit_hook_registered:
        _exit_hook_registered = True
        atexit.register(_close_ffi_at_exit)


def _frame(buffer: bytearray) -> Any:
    """10 ms of int16 mono at 48 kHz as livekit's frame, sharing `buffer` (no copy)."""
    from livekit.rtc import AudioFrame

    assert len(buffer) == CHUNK_SAMPLES * 2
    return AudioFrame(buffer, RATE, 1, CHUNK_SAMPLES)
