"""One WebRTC call to the local server: the aiortc answerer and its data channel."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Coroutine
from typing import Any

import numpy as np
from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioResampler

from desktop.core.call.jitter import use_arrival_order
from desktop.core.call.opus_receive import decode_inline

from .assistant import EchoAssistant
from .audio_level import use_numpy_audio_level
from .ids import new_id
from .impairment import ImpairedLink
from .vad import RATE
from .voice_track import VoiceTrack

log = logging.getLogger("talkline.localserver")

Json = dict[str, Any]
EVENTS_LABEL = "oai-events"


class LocalCall:
    """A call: what the client sent (``received``), what we sent (``sent``), and its state."""

    def __init__(self, session: Json, *, echo_mode: str = "turn") -> None:
        self.call_id = new_id("rtc", 12)
        self.created_at = time.time()
        self.received: list[Json] = []
        self.sent: list[Json] = []
        self.malformed: list[str] = []  # data channel messages that were not JSON objects
        self.closed = False
        self.channel_label: str | None = None
        self.voice = VoiceTrack()
        self.impairment: ImpairedLink | None = None  # tests: the simulated bad network
        self._has_audio_sender = False
        self.assistant = EchoAssistant(
            session, self._send, self.voice, echo_mode=echo_mode,
            voice_attached=lambda: self._has_audio_sender,
        )
        use_numpy_audio_level()  # the server sends frames: aiortc's per-sample level → numpy
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._channel: RTCDataChannel | None = None
        self._outbox: list[str] = []
        self._greeted = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._close_task: asyncio.Task[None] | None = None
        self._ended = asyncio.Event()

    @property
    def session(self) -> Json:
        return self.assistant.session

    async def answer(self, offer_sdp: str) -> str:
        """Apply the client's offer and return our answer (ICE gathering already complete)."""
        pc = self._pc
        pc.on("datachannel", self._on_datachannel)
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_connection_state)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        audio = [t for t in pc.getTransceivers() if t.kind == "audio"]
        if audio:
            # Reuses the client's audio transceiver and makes it sendrecv.
            pc.addTrack(self.voice)
            self._has_audio_sender = True
            use_arrival_order(audio[0].receiver)  # echo with no added delay
            decode_inline(audio[0].receiver)
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    async def wait_closed(self) -> None:
        await self._ended.wait()

    def request_close(self, why: str) -> None:
        """Close from a callback (channel closed, connection failed); idempotent."""
        if self._close_task is None and not self.closed:
            log.info("call %s ending: %s", self.call_id, why)
            self._close_task = asyncio.create_task(self._close(), name=f"close-{self.call_id}")

    async def close(self) -> None:
        self.request_close("closed by the server")
        if self._close_task is not None:
            await asyncio.shield(self._close_task)

    # --- peer connection callbacks -----------------------------------------------------

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if self._channel is not None:
            log.info("call %s: ignoring extra data channel %r", self.call_id, channel.label)
            return
        self._channel = channel
        self.channel_label = channel.label
        if channel.label != EVENTS_LABEL:
            log.warning("call %s: events channel is %r, expected %r",
                        self.call_id, channel.label, EVENTS_LABEL)
        channel.on("message", self._on_message)
        channel.on("close", lambda: self.request_close("data channel closed"))
        if channel.readyState == "open":
            self._on_channel_open()
        else:
            channel.on("open", self._on_channel_open)

    def _on_channel_open(self) -> None:
        if self._greeted:
            return
        self._greeted = True
        queued, self._outbox = self._outbox, []
        self.assistant.greet()  # session.created goes first
        for text in queued:
            self._transmit(text)

    def _on_message(self, message: str | bytes) -> None:
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        try:
            event = json.loads(text)
        except ValueError as exc:
            self.malformed.append(text)
            self.assistant.reject_malformed(str(exc))
            return
        if not isinstance(event, dict):
            self.malformed.append(text)
            self.assistant.reject_malformed("expected a JSON object")
            return
        self.received.append(event)
        self.assistant.handle_event(event)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(self._read_audio(track))
        else:  # video from the client is not used; drain it so frames do not pile up
            self._spawn(self._drain(track))

    def _on_connection_state(self) -> None:
        state = self._pc.connectionState
        log.info("call %s: connection %s", self.call_id, state)
        if state in ("failed", "closed"):
            self.request_close(f"connection {state}")

    # --- media ---------------------------------------------------------------------------

    async def _read_audio(self, track: MediaStreamTrack) -> None:
        resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            for mono in resampler.resample(frame):  # type: ignore[arg-type]
                try:
                    self.assistant.on_audio(np.ascontiguousarray(mono.to_ndarray()[0]))
                except Exception:  # a bug in one frame must not deafen the rest of the call
                    log.exception("call %s: failed to process microphone audio", self.call_id)

    async def _drain(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()

    # --- events out ----------------------------------------------------------------------

    def _send(self, event: Json) -> None:
        event = {"event_id": new_id("event"), **event}
        self.sent.append(event)
        text = json.dumps(event)
        if self._greeted or event["type"] == "session.created":
            self._transmit(text)
        else:
            self._outbox.append(text)

    def _transmit(self, text: str) -> None:
        channel = self._channel
        if channel is None or channel.readyState != "open" or self.closed:
            return
        try:
            channel.send(text)
        except Exception as exc:  # the transport went away under us: the call is ending
            log.info("call %s: could not send event: %s", self.call_id, exc)

    # --- lifetime ------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s: task failed", self.call_id, exc_info=task.exception())

    async def _close(self) -> None:
        self.closed = True
        try:
            await self.assistant.aclose()
            self.voice.stop()
            await self._pc.close()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._ended.set()
            log.info("call %s closed", self.call_id)
