"""RealtimeCall: one call to a realtime speech-to-speech provider over WebRTC.

It owns the peer connection, the microphone sender, the remote audio (and video)
receivers and the data channel, and moves through one observable state:
idle → authorizing → gathering → signaling → connecting → connected → closing → closed,
or failed (with a sentence for the user and the stage it failed in).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, Protocol

import aiohttp
from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack

from desktop.core.audio.errors import AudioError
from desktop.core.audio.gate import GatedTrack
from desktop.core.call.errors import CallError
from desktop.core.call.gathering import Gathered, set_local_offer
from desktop.core.call.jitter import use_arrival_order
from desktop.core.call.opus_receive import decode_inline
from desktop.core.call.opus_send import OpusTrack, prefer_opus
from desktop.core.call.remote import NullSink, RemoteTap
from desktop.core.call.signaling import Signaling, close_quietly
from desktop.core.call.state import CallState, CallStatus, StageTimings
from desktop.core.call.turns import TurnController
from desktop.core.conversation.model import Conversation
from desktop.core.events import client as ce
from desktop.core.events.client import ClientEvent
from desktop.core.events.server import (
    ErrorEvent,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    OutputAudioBufferCleared,
    OutputAudioBufferStarted,
    OutputAudioBufferStopped,
    ResponseCreated,
    ResponseDone,
    ServerEvent,
    SessionCreated,
    SessionUpdated,
    parse_server_event,
)
from desktop.core.observable import Emitter
from desktop.core.profiles.profile import ProviderProfile
from desktop.core.session.config import SessionConfig
from desktop.core.session.dialects import session_payload

log = logging.getLogger("talkline.call")

CHANNEL_OPEN_TIMEOUT = 15.0  # ICE + DTLS + SCTP; slow networks and TURN need a while
SESSION_EVENT_TIMEOUT = 5.0  # the Agents SDK waits 5 s for session.updated
HANGUP_TIMEOUT = 2.0  # the hang-up is finished (or given up) before the HTTP session closes
MAX_EVENT_BYTES = 256 * 1024  # the message size aiortc advertises; bigger ones are dropped


class AudioSink(Protocol):
    async def start(self, track: MediaStreamTrack) -> None: ...
    async def stop(self) -> None: ...
    def clear(self) -> None: ...


class RealtimeCall:
    def __init__(
        self,
        profile: ProviderProfile,
        config: SessionConfig,
        *,
        api_key: str | None = None,
        audio_source: MediaStreamTrack | None = None,
        audio_sink: AudioSink | None = None,
        video_sink: AudioSink | None = None,
        http_timeout: float = 15.0,
        channel_open_timeout: float = CHANNEL_OPEN_TIMEOUT,
        liveness_timeout: float | None = 4.0,
        conversation: Conversation | None = None,
    ) -> None:
        self.profile = profile
        self.config = config
        self._api_key = api_key
        self._gate = GatedTrack(audio_source)
        self._sent = OpusTrack(self._gate)  # encoded on the loop, not in aiortc's pool
        self._sink: AudioSink = audio_sink or NullSink()
        self._video_sink = video_sink
        self._http_timeout = http_timeout
        self._channel_open_timeout = channel_open_timeout
        self._liveness_timeout = liveness_timeout

        self.status = CallStatus(CallState.IDLE)
        self.timings = StageTimings()
        # A conversation that goes on across calls (TalkSession) passes its own.
        self.conversation = conversation if conversation is not None else Conversation()
        self._typed_items: dict[str, str] = {}  # client event id → the typed item's id
        self.status_changed: Emitter[CallStatus] = Emitter()
        self.event_received: Emitter[ServerEvent] = Emitter()
        self.event_sent: Emitter[ClientEvent] = Emitter()
        self.notice: Emitter[str] = Emitter()  # non-fatal problems worth showing

        self.pc: RTCPeerConnection | None = None
        self.call_id: str | None = None
        self.gathered: Gathered | None = None  # what went into the offer
        self.session: dict[str, Any] = {}  # the server's view, from session.created/updated
        self.voice_fixed = False  # the provider no longer accepts another voice
        self.user_speaking = False  # the server's VAD hears the user right now
        self.error: CallError | None = None  # why the call failed, once it has
        self._channel: RTCDataChannel | None = None
        self._http: aiohttp.ClientSession | None = None
        self._signaling: Signaling | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._hangup: asyncio.Future[None] | None = None
        self._waiters: dict[type[ServerEvent], asyncio.Future[ServerEvent]] = {}
        self._channel_open: asyncio.Event = asyncio.Event()
        self._last_traffic = time.monotonic()
        self._closed = asyncio.Event()  # the transport is gone
        self._ended = asyncio.Event()  # close() has finished
        self.turns = TurnController(
            send=self.send_event,
            set_mic_open=self._set_mic_open,
            clear_playback=self._clear_playback,
            mark_interrupted=self.conversation.mark_interrupted,
        )
        self.turns.set_push_to_talk(config.push_to_talk)

    # -- state ----------------------------------------------------------------------------

    @property
    def state(self) -> CallState:
        return self.status.state

    def _set_state(self, state: CallState, **kw: object) -> None:
        if self.status.state is state and not kw:
            return
        self.timings.enter(state)
        self.status = CallStatus(state, **kw)  # type: ignore[arg-type]
        log.info("call %s: %s%s", self.profile.id, state.value, f" — {kw}" if kw else "")
        self.status_changed.emit(self.status)

    # -- connecting -----------------------------------------------------------------------

    async def connect(self) -> None:
        """Set the call up; returns when the session is ready. Raises CallError on failure."""
        if self.state is not CallState.IDLE:
            raise RuntimeError("a RealtimeCall connects once; make a new one to reconnect")
        try:
            await self._connect()
        except CallError as exc:
            await self._fail(exc)
            raise
        except asyncio.CancelledError:
            await self._fail(CallError("Connecting was cancelled.", stage=self.state))
            raise
        except Exception as exc:  # a bug or an unexpected library error: still no traceback
            log.exception("unexpected failure while connecting")
            err = CallError(
                "Something unexpected went wrong while connecting. Try again; if it keeps "
                "happening, report it with the log.",
                stage=self.state,
                details=f"{exc.__class__.__name__}: {exc}",
            )
            await self._fail(err)
            raise err from exc

    async def _connect(self) -> None:
        self._set_state(CallState.AUTHORIZING)
        if self.profile.requires_key and not self._api_key:
            raise CallError(
                f"No API key for {self.profile.name}. Open Settings to add one"
                + (f", or set {self.profile.env_var}." if self.profile.env_var else "."),
                stage=CallState.AUTHORIZING,
            )
        self._http = aiohttp.ClientSession()
        self._signaling = Signaling(
            self.profile,
            self._api_key or "local",
            session_payload(self.config, self.profile),
            self._http,
            timeout=self._http_timeout,
        )
        ice_servers = await self._signaling.fetch_ice_servers()
        auth = await self._signaling.authorize()

        self._set_state(CallState.GATHERING)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers))
        self.pc = pc
        self._channel = pc.createDataChannel(self.profile.channel_label, ordered=True)
        self._wire_channel(self._channel)
        audio = pc.addTransceiver(self._sent, direction="sendrecv")
        prefer_opus(audio)  # what OpusTrack sends (desktop/core/call/opus_send.py)
        use_arrival_order(audio.receiver)
        decode_inline(audio.receiver)  # no decoder thread (opus_receive.py)
        if self.profile.receives_video:
            pc.addTransceiver("video", direction="recvonly")
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_connection_state)
        self.gathered = await set_local_offer(pc, ice_servers)  # never waits on silent STUN

        self._set_state(CallState.SIGNALING)
        answer = await self._signaling.post_offer(pc.localDescription.sdp, auth)
        self.call_id = answer.call_id

        self._set_state(CallState.CONNECTING)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(answer.sdp, "answer"))
        except Exception as exc:  # aiortc raises ValueError, AssertionError, AttributeError...
            # ...for a truncated or hostile SDP: the provider's answer, not our bug.
            raise CallError(
                f"{self.profile.name}'s answer could not be used: its session description "
                "is incomplete or malformed. Check the base URL points at a realtime API.",
                stage=CallState.SIGNALING,
                details=f"{exc.__class__.__name__}: {str(exc)[:200]}",
            ) from exc
        await self._await_ready()
        if self._closed.is_set():  # the channel died between session.updated and now
            raise CallError(
                f"{self.profile.name} closed the connection while the session was starting.",
                stage=CallState.CONNECTING,
                retryable=True,
            )
        self._set_state(CallState.CONNECTED)
        self._spawn(self._watch_liveness())

    async def _await_ready(self) -> None:
        created = self._expect(SessionCreated) if self.profile.sends_session_created else None
        opened = await _first_of(
            self._channel_open, self._closed, seconds=self._channel_open_timeout
        )
        if self.state is CallState.FAILED:
            raise CallError(
                self.status.reason, stage=self.status.stage, details=self.status.details
            )
        if opened is not self._channel_open:
            ice = self.pc.iceConnectionState if self.pc else "?"
            raise CallError(
                f"Could not open a media connection to {self.profile.name}. A firewall may be "
                "blocking WebRTC (UDP); try another network.",
                stage=CallState.CONNECTING,
                details=f"no data channel after {self._channel_open_timeout:.0f} s (ICE {ice})",
                retryable=True,
            )
        self.timings.mark("channel_open")
        if created is not None and await self._wait_for(created, SessionCreated) is not None:
            self.timings.mark("session_created")
        updated = self._expect(SessionUpdated)
        self.send_event(ce.session_update(session_payload(self.config, self.profile)))
        if await self._wait_for(updated, SessionUpdated) is not None:
            self.timings.mark("session_ready")

    def _expect(self, event_type: type[ServerEvent]) -> asyncio.Future[ServerEvent]:
        fut: asyncio.Future[ServerEvent] = asyncio.get_running_loop().create_future()
        self._waiters[event_type] = fut
        return fut

    async def _wait_for(
        self, fut: asyncio.Future[ServerEvent], kind: type[ServerEvent]
    ) -> ServerEvent | None:
        """Wait for a session event; a missing one is a notice, not a failed call."""
        closed = asyncio.ensure_future(self._closed.wait())
        waits: set[asyncio.Future[Any]] = {fut, closed}
        try:
            done, _ = await asyncio.wait(
                waits, timeout=SESSION_EVENT_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            closed.cancel()
        if fut in done:
            return fut.result()
        self._waiters.pop(kind, None)
        name = kind.WIRE_TYPES[0]
        if self._closed.is_set():
            raise CallError(
                f"{self.profile.name} closed the connection while the session was starting.",
                stage=CallState.CONNECTING,
            )
        self.notice.emit(f"{self.profile.name} did not confirm the session ({name}); continuing.")
        return None

    # -- data channel ---------------------------------------------------------------------

    def _wire_channel(self, channel: RTCDataChannel) -> None:
        @channel.on("open")
        def _open() -> None:
            self._channel_open.set()

        @channel.on("message")
        def _message(message: str | bytes) -> None:
            self._last_traffic = time.monotonic()
            if len(message) > MAX_EVENT_BYTES:  # str: chars ≤ bytes, still bounded
                log.warning(
                    "dropped an event of %d bytes (limit %d)", len(message), MAX_EVENT_BYTES
                )
                return
            self._handle_message(message)

        @channel.on("close")
        def _close() -> None:
            self._closed.set()
            if self.state is CallState.CONNECTED:
                self._spawn(
                    self._fail(
                        CallError(
                            f"{self.profile.name} ended the session.",
                            stage=CallState.CONNECTED,
                            details="data channel closed",
                            retryable=True,
                        )
                    )
                )

    def send_event(self, event: ClientEvent) -> bool:
        """Send a client event; False when there is no open channel to send it on."""
        channel = self._channel
        if channel is None or channel.readyState != "open":
            log.info("not sent (channel not open): %s", event.type)
            return False
        channel.send(event.to_json())
        self.event_sent.emit(event)
        return True

    def _handle_message(self, message: str | bytes) -> None:
        event = parse_server_event(message)
        waiter = self._waiters.pop(type(event), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(event)
        handler = self._HANDLERS.get(type(event))
        if handler is not None:
            try:
                handler(self, event)
            except Exception:  # one odd event must not take the call down
                log.exception("handling %s failed", event.type)
        self.conversation.apply(event)
        self.event_received.emit(event)

    def _on_session(self, event: SessionCreated | SessionUpdated) -> None:
        self.session = event.session

    def _on_response_created(self, event: ResponseCreated) -> None:
        self.turns.on_response_created(event.response.id)

    def _on_response_done(self, event: ResponseDone) -> None:
        self.turns.on_response_done(event.response.id)

    def _on_speaking_started(self, event: OutputAudioBufferStarted) -> None:
        self.turns.on_speaking(True)
        self.voice_fixed = self.profile.voice_fixed_after_audio

    def _on_speaking_stopped(
        self, event: OutputAudioBufferStopped | OutputAudioBufferCleared
    ) -> None:
        self.turns.on_speaking(False)

    def _on_user_speech(
        self, event: InputAudioBufferSpeechStarted | InputAudioBufferSpeechStopped
    ) -> None:
        self.user_speaking = isinstance(event, InputAudioBufferSpeechStarted)

    def _on_error(self, event: ErrorEvent) -> None:
        if event.error.code == "session_expired":
            limit = self.profile.max_session_seconds
            length = f"{limit // 60}-minute " if limit else ""
            self._spawn(
                self._fail(
                    CallError(
                        f"The session reached {self.profile.name}'s {length}limit and ended. "
                        "Connect again to go on; the transcript is kept.",
                        stage=CallState.CONNECTED,
                        details=event.message,
                    )
                )
            )
            return
        item_id = self._typed_items.pop(event.error.event_id or "", None)
        if item_id is not None:  # the server rejected a typed message: not "pending" forever
            self.conversation.mark_failed(item_id)
        self.notice.emit(f"{self.profile.name}: {event.message}")

    _HANDLERS: dict[type[ServerEvent], Callable[[RealtimeCall, Any], None]] = {
        SessionCreated: _on_session,
        SessionUpdated: _on_session,
        ResponseCreated: _on_response_created,
        ResponseDone: _on_response_done,
        OutputAudioBufferStarted: _on_speaking_started,
        OutputAudioBufferStopped: _on_speaking_stopped,
        OutputAudioBufferCleared: _on_speaking_stopped,
        ErrorEvent: _on_error,
        InputAudioBufferSpeechStarted: _on_user_speech,
        InputAudioBufferSpeechStopped: _on_user_speech,
    }

    # -- media ----------------------------------------------------------------------------

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(self._sink.start(RemoteTap(track, self._touch)))
        elif track.kind == "video":
            if self._video_sink is None:
                # Nobody shows the avatar: drain it, or aiortc keeps every decoded frame.
                self._video_sink = NullSink()
            self._spawn(self._video_sink.start(RemoteTap(track, self._touch)))

    def _touch(self) -> None:
        self._last_traffic = time.monotonic()

    def _set_mic_open(self, open_: bool) -> None:
        self._gate.muted = not open_

    def _clear_playback(self) -> None:
        self._sink.clear()

    async def _on_connection_state(self) -> None:
        pc = self.pc
        if pc is None:
            return
        if pc.connectionState == "connected":
            self.timings.mark("ice_connected")
        if pc.connectionState in ("failed", "closed") and self.state in (
            CallState.CONNECTING,
            CallState.CONNECTED,
        ):
            self._closed.set()
            await self._fail(
                CallError(
                    f"The connection to {self.profile.name} was lost. Check your network, then "
                    "connect again.",
                    stage=self.state,
                    details=f"peer connection {pc.connectionState}",
                    retryable=True,
                    connection_lost=self.state is CallState.CONNECTED,
                )
            )

    async def _watch_liveness(self) -> None:
        """aiortc notices a dead peer only after ~30 s of failed consent checks; we look at
        traffic: no audio and no events for a few seconds while connected means it is gone."""
        if not self._liveness_timeout:
            return
        while self.state is CallState.CONNECTED:
            await asyncio.sleep(min(1.0, self._liveness_timeout / 4))
            silent_for = time.monotonic() - self._last_traffic
            if silent_for > self._liveness_timeout and self.state is CallState.CONNECTED:
                await self._fail(
                    CallError(
                        f"{self.profile.name} stopped responding (no audio or events for "
                        f"{silent_for:.0f} s). Connect again.",
                        stage=CallState.CONNECTED,
                        details="liveness timeout",
                        retryable=True,
                        connection_lost=True,
                    )
                )
                return

    # -- what the user does ---------------------------------------------------------------

    def send_text(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        # An id of our own, so an `error` naming this event can mark the message failed.
        item_id = f"item_typed_{secrets.token_hex(8)}"
        self.conversation.add_local_user_text(text, item_id=item_id)
        event = ce.conversation_item_create_text(text, item_id=item_id)
        self._typed_items[event.event_id] = item_id
        self.send_event(event)
        self.turns.request_response()

    def interrupt(self) -> bool:
        return self.turns.interrupt()

    def ptt_press(self) -> None:
        self.turns.ptt_press()

    def ptt_release(self) -> None:
        self.turns.ptt_release()

    def set_muted(self, muted: bool) -> None:
        self.turns.set_muted(muted)

    def set_audio_source(self, source: MediaStreamTrack | None) -> None:
        """Swap the microphone without renegotiating (the gate keeps the RTP clock)."""
        old = self._gate.source
        self._gate.set_source(source)
        if old is not None and old is not source:
            old.stop()

    def detach_media(self) -> MediaStreamTrack | None:
        """Hand the microphone and speaker on (a rollover): this call sends silence from
        now on, and closing it no longer stops them. Returns the microphone track."""
        source = self._gate.source
        self._gate.set_source(None)
        self._sink = NullSink()
        return source

    async def update_session(self, config: SessionConfig) -> None:
        if self.voice_fixed and config.voice != self.config.voice:
            self.notice.emit(
                f"The voice stays {self.config.voice} for this call: {self.profile.name} "
                f"keeps it once the assistant has spoken. {config.voice} starts with the "
                "next call."
            )
            config = replace(config, voice=self.config.voice)
        self.config = config
        self.turns.set_push_to_talk(config.push_to_talk)
        self.send_event(ce.session_update(session_payload(config, self.profile)))

    # -- ending ---------------------------------------------------------------------------

    async def _fail(self, error: CallError) -> None:
        if self.state in (CallState.FAILED, CallState.CLOSED):
            return
        stage = error.stage or self.state
        self.error = error
        log.warning("call failed in %s: %s", stage.value, error)
        self._set_state(CallState.FAILED, reason=error.message, stage=stage, details=error.details)
        # If the server may still hold the call (an error, a dead channel), end it there
        # too: a hosted session left open keeps costing money until it times out.
        await self._teardown(hangup=True)

    async def close(self) -> None:
        """Hang up and release everything. Safe to call at any time, any number of times."""
        if self.state in (CallState.CLOSED, CallState.FAILED):
            await self._teardown(hangup=False)
            return
        if self.state is CallState.CLOSING:
            await self._ended.wait()
            return
        self._set_state(CallState.CLOSING)
        await self._teardown(hangup=True)
        self._set_state(CallState.CLOSED)
        self._ended.set()

    async def _teardown(self, *, hangup: bool) -> None:
        self.turns.close()
        if hangup and self.call_id and self._signaling is not None and self._hangup is None:
            # Its own task: cancelling the task that failed the call must not cut it off.
            self._hangup = asyncio.ensure_future(self._signaling.hangup(self.call_id))
            self._hangup.add_done_callback(_log_hangup_failure)
        if self._hangup is not None:
            # Finish (or give up on) the hang-up before the HTTP session closes: cut off,
            # the provider keeps the session open, and billed, until it times out.
            done, _pending = await asyncio.wait({self._hangup}, timeout=HANGUP_TIMEOUT)
            if not done:
                log.warning(
                    "%s did not confirm the hang-up within %.0f s; its session may stay open "
                    "until it times out there",
                    self.profile.name,
                    HANGUP_TIMEOUT,
                )
        for sink in (self._sink, self._video_sink):
            if sink is not None:
                with contextlib.suppress(Exception):
                    await sink.stop()
        pc, self.pc = self.pc, None
        if pc is not None:
            with contextlib.suppress(Exception):
                await pc.close()
        self._sent.stop()  # and the gate, and its source
        if self._http is not None:
            await close_quietly(self._http)
            self._http = None
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        for fut in self._waiters.values():
            fut.cancel()
        self._waiters.clear()
        self._closed.set()

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> asyncio.Task[object]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        """A background part of the call failed (e.g. the speaker would not start): say so
        now, not at garbage collection; the call goes on without that part."""
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        log.error("a background task of the call failed", exc_info=exc)
        if isinstance(exc, AudioError):
            self.notice.emit(str(exc))
        else:
            self.notice.emit("Part of the call failed in the background; the log has details.")


def _log_hangup_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.info("hang-up failed", exc_info=task.exception())


async def _first_of(*events: asyncio.Event, seconds: float) -> asyncio.Event | None:
    """Whichever event is set first, or None after `seconds`."""
    waits = {asyncio.ensure_future(e.wait()): e for e in events}
    try:
        done, _ = await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
    for w in done:
        return waits[w]
    return None
