"""One direction's device stream: open, switch without a gap, fall back when it vanishes.

Switching is make-before-break: the new stream opens and runs silent while the old one
keeps playing (or capturing); the new one takes over from inside its own callback once
it runs in real time (`ready`), then the old one is closed. A stream opened on an idle
device can take a second or two before it really runs; the old one covers that time.

A chosen device that disappears (Pulse removes it, or PortAudio stops the stream, or its
callbacks stop for `STALL_S`) is replaced by the system default, with a notice.

Callbacks run on PortAudio threads: they only touch numpy buffers and hand events to the
loop with `call_soon_threadsafe`; opening and closing happen in worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop.core.audio import devices
from desktop.core.audio.devices import SYSTEM_DEFAULT, Kind, describe
from desktop.core.audio.errors import AudioError, DeviceOpenError
from desktop.core.audio.streams import (
    BLOCKSIZE,
    Latency,
    OpenedStream,
    close_stream,
    open_stream,
    safe_error,
)
from desktop.core.observable import Emitter

log = logging.getLogger("talkline.audio")

STALL_S = 3.0  # longer than the worst start-up wait of an idle Pulse device (about 2 s)
SWITCH_WAIT_S = 2.5  # how long the old device covers for a new one that has not started


@dataclass(eq=False)
class Handle:
    """One open stream plus what its callback keeps between calls."""

    opened: OpenedStream | None = None
    state: Any = None  # per-stream conversion state owned by capture/playback
    frames: int = 0
    last_callback: float = 0.0
    closing: bool = False
    failed: bool = False  # the callback raised once (logged)

    @property
    def samplerate(self) -> int:
        assert self.opened is not None
        return self.opened.samplerate

    @property
    def latency(self) -> float:
        return self.opened.latency if self.opened else 0.0


# on_block(handle, data, frames, time_info) for the live stream; idle(data) for the others
BlockFn = Callable[[Handle, Any, int, Any], None]
ReadyFn = Callable[[Handle, int, Any], bool]
StateFn = Callable[[OpenedStream], Any]


class DeviceChannel:
    def __init__(
        self,
        kind: Kind,
        *,
        on_block: BlockFn,
        idle: Callable[[Any], None],
        ready: ReadyFn,
        new_state: StateFn,
        notices: Emitter[str] | None = None,
        latency: Latency = "low",
        blocksize: int = BLOCKSIZE,
        samplerate: int | None = None,
    ) -> None:
        self.kind = kind
        self.selected = SYSTEM_DEFAULT
        self.notices = notices if notices is not None else Emitter[str]()
        self._on_block = on_block
        self._idle = idle
        self._ready = ready
        self._new_state = new_state
        self._latency = latency
        self._blocksize = blocksize
        self._samplerate = samplerate
        self._active: Handle | None = None
        self._pending: Handle | None = None
        self._promoted = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._switching = asyncio.Lock()
        self._watchdog: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._closed = False
        # Only while a switch hands over can two callbacks run at once: one at a time.
        self._block_lock = threading.Lock()

    # -- state ---------------------------------------------------------------------------

    @property
    def active(self) -> Handle | None:
        return self._active

    @property
    def device_label(self) -> str:
        if self._active and self._active.opened:
            return self._active.opened.route.label
        return ""

    @property
    def is_open(self) -> bool:
        return self._active is not None

    # -- opening and switching -----------------------------------------------------------

    async def open(self, name: str) -> None:
        """Open `name` (raises AudioError with a readable message)."""
        await self.switch(name)
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch(), name=f"audio-{self.kind}-watch")

    async def switch(self, name: str) -> None:
        """Move to device `name`; the old stream keeps going until the new one runs.

        Raises AudioError and keeps the current device when `name` cannot be opened."""
        self._loop = asyncio.get_running_loop()
        async with self._switching:
            try:
                route = await asyncio.to_thread(devices.resolve, self.kind, name)
            except Exception as exc:
                raise safe_error(exc, self.kind) from exc
            if route is None:
                raise DeviceOpenError(
                    f"The {describe(self.kind)} “{name}” is not connected.",
                )
            handle = Handle()
            callback = self._callback_for(handle)

            def finished() -> None:
                self._call_soon(self._on_finished, handle)

            try:
                opened = await asyncio.to_thread(
                    open_stream,
                    self.kind,
                    route,
                    callback,
                    finished,
                    latency=self._latency,
                    blocksize=self._blocksize,
                    samplerate=self._samplerate,
                )
            except Exception as exc:
                raise safe_error(exc, self.kind) from exc
            handle.state = self._new_state(opened)
            handle.opened = opened  # the callback ignores the stream until this is set
            old = self._active
            if old is None or old.closing:
                self._active = handle
            else:
                self._promoted.clear()
                self._pending = handle
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(SWITCH_WAIT_S):
                        await self._promoted.wait()
                if self._pending is handle:  # never ran in time: take over anyway
                    self._pending = None
                    self._active = handle
            if self._closed:  # closed while we waited for the new stream
                await self._close(handle)
                return
            self.selected = name
            if old is not None:
                await self._close(old)

    async def close(self) -> None:
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for handle in (self._pending, self._active):
            if handle is not None:
                await self._close(handle)
        self._pending = self._active = None

    def close_soon(self) -> None:
        """`close()` from synchronous code (MediaStreamTrack.stop): closing blocks for a
        moment, so it happens on a worker thread when a loop is running."""
        if self._closed:
            return
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        handles = [h for h in (self._pending, self._active) if h is not None]
        self._pending = self._active = None
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        for handle in handles:
            handle.closing = True
            if handle.opened is None:
                continue
            if loop is None:
                close_stream(handle.opened)
            else:
                done = loop.run_in_executor(None, close_stream, handle.opened)
                self._tasks.add(done)
                done.add_done_callback(self._tasks.discard)

    async def _close(self, handle: Handle) -> None:
        handle.closing = True
        if handle.opened is not None:
            await asyncio.to_thread(close_stream, handle.opened)

    # -- losing a device -----------------------------------------------------------------

    def devices_changed(self, present: set[str]) -> None:
        """The list of connected devices changed (on the loop): is ours still there?"""
        if self._closed or self.selected == SYSTEM_DEFAULT or self.selected in present:
            return
        self._lost(f"The {describe(self.kind)} “{self.selected}” was disconnected")

    def _on_finished(self, handle: Handle) -> None:
        if not handle.closing and handle is self._active and not self._closed:
            handle.closing = True
            self._lost(f"The {describe(self.kind)} “{self.device_label}” stopped working")

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            handle = self._active
            if handle is None or handle.closing or handle.frames == 0:
                continue
            if time.monotonic() - handle.last_callback > STALL_S:
                handle.closing = True
                self._lost(f"The {describe(self.kind)} “{self.device_label}” stopped responding")

    def _lost(self, why: str) -> None:
        if self.selected == SYSTEM_DEFAULT and (self._active and not self._active.closing):
            return
        log.warning("%s; falling back to the system default", why)
        self.notices.emit(f"{why}; using the system default instead.")
        self.selected = SYSTEM_DEFAULT
        task = asyncio.get_running_loop().create_task(self._fall_back())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fall_back(self) -> None:
        try:
            await self.switch(SYSTEM_DEFAULT)
        except AudioError as exc:
            self.notices.emit(exc.message)
            if self._active is not None and self._active.closing:
                await self._close(self._active)
                self._active = None
        except Exception as exc:  # never let a device problem end the call
            log.exception("fallback failed")
            self.notices.emit(f"The {describe(self.kind)} could not be reopened: {exc}")

    # -- the PortAudio side --------------------------------------------------------------

    def _callback_for(self, handle: Handle) -> Callable[[Any, int, Any, Any], None]:
        def callback(data: Any, frames: int, time_info: Any, status: Any) -> None:
            handle.last_callback = time.monotonic()
            handle.frames += frames
            try:
                if handle.opened is None or handle.closing:
                    self._idle(data)
                elif handle is self._active:
                    with self._block_lock:
                        self._on_block(handle, data, frames, time_info)
                elif handle is self._pending and self._ready(handle, frames, time_info):
                    with self._block_lock:
                        self._pending = None
                        self._active = handle  # the old stream's next callback finds it lost
                        self._on_block(handle, data, frames, time_info)
                    self._call_soon(self._promoted.set)
                else:
                    self._idle(data)
            except Exception:
                # A bug here must cost a block of sound, not the stream (sounddevice would
                # print a traceback and stop it): log it once per stream, play silence.
                if not handle.failed:
                    handle.failed = True
                    log.exception("audio %s callback failed", self.kind)
                self._idle(data)

        return callback

    def _call_soon(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is shutting down
            loop.call_soon_threadsafe(fn, *args)


class DeviceEnd:
    """What the microphone and the speaker share: the device chosen by name and the
    channel that keeps it open (and moves it without a gap)."""

    device: str
    _channel: DeviceChannel

    async def switch_device(self, name: str) -> None:
        """Use `name` from now on, without a gap. Raises AudioError (and keeps the current
        device) when it cannot be opened."""
        if self._channel.is_open:
            await self._channel.switch(name)
        self.device = name

    def devices_changed(self, present: set[str]) -> None:
        self._channel.devices_changed(present)
