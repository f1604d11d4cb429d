"""The bridge between the Qt window and the asyncio core.

`CallController` owns the `RealtimeCall` of the moment (one per connect; a reconnect makes
a new one), its `AudioPath`, and the in-process `LocalRealtimeServer` (started the first
time the Local provider is used, stopped at exit). It re-emits the core's `Emitter`s as
Qt signals; the window only ever talks to this object.

Nothing here blocks the loop: keyring reads go through `asyncio.to_thread`, the heavy
imports (aiortc, PortAudio) are warmed up in a worker thread after the window is shown,
and every failure becomes a `CallStatus` or a notice, never an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from desktop.core.call.errors import CallError
from desktop.core.call.retry import RetryPolicy, RetryWait, with_retry
from desktop.core.call.rollover import RolloverPolicy
from desktop.core.call.state import CallState, CallStatus
from desktop.core.events.payloads import Usage
from desktop.core.pricing import PriceTable, format_cost
from desktop.ui.continuity import ContinuityMixin, Resume

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.conversation.model import Conversation
    from desktop.core.events.client import ClientEvent
    from desktop.core.events.server import ServerEvent
    from desktop.core.profiles.profile import ProviderProfile
    from desktop.core.secrets import KeyStore
    from desktop.core.session.config import SessionConfig
    from desktop.core.settings.schema import AppSettings
    from desktop.localserver.server import LocalRealtimeServer

log = logging.getLogger("talkline.ui.controller")

IMAGE_LOG_INTERVAL_S = 1.0  # at most one avatar-frame event a second in the event log

# Imported in a worker thread once the window is up, so Connect does not stall on them.
WARM_MODULES = (
    "desktop.core.secrets",  # keyring: ~120 ms of imports
    "desktop.core.call.engine",
    "desktop.localserver.server",
    "desktop.core.audio.path",
)
AUDIO_START_TIMEOUT = 8.0  # PortAudio on a wedged sound server can hang; a call works without
SHUTDOWN_TIMEOUT = 4.0


class Audio(Protocol):
    """What a call needs from the audio path (desktop.core.audio.path.AudioPath)."""

    source: Any
    sink: Any

    async def start(self) -> None: ...
    async def close(self) -> None: ...


AudioFactory = Callable[["AppSettings"], Audio | None]


def default_audio(settings: AppSettings) -> Audio | None:
    """The real microphone and speaker, with the user's devices and processing choices."""
    from desktop.core.audio.devices import SYSTEM_DEFAULT
    from desktop.core.audio.path import AudioPath

    audio = settings.audio
    # The settings say "" for the system default; the audio package has its own name.
    return AudioPath(
        audio.input_device or SYSTEM_DEFAULT,
        audio.output_device or SYSTEM_DEFAULT,
        settings=processing_settings(settings),
    )


def processing_settings(settings: AppSettings) -> Any:  # noqa: ANN401 - ProcessingSettings
    """The settings' echo cancellation, noise suppression, high-pass and gain choices."""
    from desktop.core.audio.processing import ProcessingSettings

    audio = settings.audio
    return ProcessingSettings(
        echo_cancellation=audio.echo_cancellation,
        noise_suppression=audio.noise_suppression,
        high_pass_filter=audio.high_pass,
        auto_gain_control=audio.auto_gain,
    )


def no_audio(_settings: AppSettings) -> Audio | None:
    """No sound devices at all: the call sends silence and replies show as text."""
    return None


@dataclass
class _Session:
    """One connect: the call, its audio and the subscriptions to undo afterwards."""

    call: RealtimeCall
    audio: Audio | None
    model: str
    unsubscribe: list[Callable[[], None]] = field(default_factory=list)
    connected_at: float | None = None
    warned_malformed: bool = False
    sampler: Any = None  # desktop.core.stats.sampler.Sampler: the call's quality figures
    video: Any = None  # desktop.core.video.VideoFeed for providers with an avatar
    api_key: str | None = None  # for a rollover into a new call (never shown or saved)
    rollover: asyncio.Task[None] | None = None
    image_logged_at: float = float("-inf")  # avatar frames: the last one in the event log
    earlier_usage: Usage = field(default_factory=Usage)  # of the calls this one continues
    history: list[Any] = field(default_factory=list)  # their turns, carried into this one
    images_unlogged: int = 0


class CallController(ContinuityMixin, QObject):
    status_changed = Signal(object)  # CallStatus
    timings_changed = Signal(object, object)  # {stage: ms}, total ms or None
    session_started = Signal(str)  # a title for the transcript's separator
    turn_changed = Signal(object)  # TurnChange
    turn_state_changed = Signal(object)  # TurnState
    usage_changed = Signal(int, str)  # total tokens, estimated cost ("" when unknown)
    event_logged = Signal(str, str, object)  # direction "in"/"out", type, payload dict
    notice = Signal(str, str)  # text, key (a newer notice with the same key replaces it)
    notice_cleared = Signal(str)  # key
    audio_changed = Signal(bool, bool)  # microphone available, speaker available
    warmed_up = Signal()  # the call stack is imported
    held_unmute_changed = Signal(bool)  # the key lifts Mute while held (server-VAD turns)
    input_level = Signal(object)  # desktop.core.audio.levels.Level
    output_level = Signal(object)
    stats_updated = Signal(object)  # desktop.core.stats.series.CallStats, once a second
    quality_changed = Signal(object)  # list of desktop.core.stats.quality.QualityWarning
    video_frame = Signal(object)  # desktop.core.video.Picture, or None: no video
    motions_changed = Signal(object)  # tuple of catalog Choices: the avatar's motions
    phase_changed = Signal(object)  # desktop.core.talk.phase.Phase: what the assistant does
    retry_policy = RetryPolicy()  # connect attempts after a retryable failure
    auto_reconnect = True  # after the network drops a call, connect again on our own
    rollover_policy = RolloverPolicy()  # when and how long sessions continue in a new call

    @staticmethod
    def session_limit(profile: ProviderProfile) -> float | None:
        """Seconds a provider's session may last (tests shorten it)."""
        return profile.max_session_seconds
    video_max_fps = 30.0  # the avatar is shown at most this often (VideoFeed's limit)

    def __init__(
        self,
        settings: AppSettings,
        keystore: KeyStore | None,
        loop: asyncio.AbstractEventLoop,
        *,
        prices: PriceTable | None = None,
        audio_factory: AudioFactory = default_audio,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._keystore = keystore
        self._keystore_lock = threading.Lock()
        self.loop = loop
        self.prices = prices or PriceTable.load()
        self.audio_factory = audio_factory
        self.status = CallStatus(CallState.IDLE)
        self.local_server: LocalRealtimeServer | None = None
        self.conversations: list[Conversation] = []
        self._session: _Session | None = None
        self._connect_task: asyncio.Task[None] | None = None
        self._resume: Resume | None = None  # a lost call's conversation, for the next one
        self._close_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._muted = False
        self._held_unmute = False
        self._shut_down = False
        self.last_stats: Any = None  # the latest call's CallStats (desktop.core.stats)
        self.phase: Any = None  # the last Phase published (desktop.core.talk.phase)

    # -- what the window reads ------------------------------------------------------------

    @property
    def keystore(self) -> KeyStore:
        """The key store, made on first use (first used from a worker thread: importing
        keyring takes longer than a frame)."""
        with self._keystore_lock:  # the key check and a connect may both ask first
            if self._keystore is None:
                from desktop.core.secrets import KeyStore

                self._keystore = KeyStore()
            return self._keystore

    async def resolve_key(self, profile: ProviderProfile) -> str | None:
        """The profile's key from the keyring / environment, read off the loop."""
        key, _source = await asyncio.to_thread(lambda: self.keystore.resolve(profile))
        return key

    @property
    def call(self) -> RealtimeCall | None:
        return self._session.call if self._session else None

    @property
    def audio(self) -> Audio | None:
        return self._session.audio if self._session else None

    @property
    def state(self) -> CallState:
        return self.status.state

    @property
    def connected_since(self) -> float | None:
        return self._session.connected_at if self._session else None

    @property
    def muted(self) -> bool:
        return self._muted

    @property
    def busy(self) -> bool:
        """Connecting or hanging up: the Connect button waits."""
        return self.state is CallState.CLOSING or (
            self._close_task is not None and not self._close_task.done()
        )

    # -- lifecycle ------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Import the call stack in a worker thread (call after the window is shown)."""
        self.spawn(self._warm_up(), "warm-up")

    async def _warm_up(self) -> None:
        for name in WARM_MODULES:
            try:
                await asyncio.to_thread(importlib.import_module, name)
            except Exception as exc:  # reported properly when the module is really needed
                log.warning("warm-up import of %s failed: %s", name, exc)
        self.warmed_up.emit()

    def toggle(self) -> None:
        """The big button: connect when idle, hang up when a call is under way."""
        if self.state.is_active:
            self.disconnect_call()
        else:
            self.connect_call()

    def connect_call(self) -> None:
        if self.state.is_active or self.busy or self._shut_down:
            return
        self._connect_task = self.spawn(self._connect(), "connect")

    def disconnect_call(self) -> None:
        self._resume = None  # hanging up on purpose: the next call starts afresh
        self.notice_cleared.emit("reconnect")
        if self._close_task is not None and not self._close_task.done():
            return
        self._close_task = self.spawn(self._disconnect(), "disconnect")

    def reconnect(self) -> None:
        self.spawn(self._reconnect(), "reconnect")

    async def _reconnect(self) -> None:
        await self._disconnect()
        self.connect_call()

    async def shutdown(self) -> None:
        """Hang up and stop the local server; bounded so quitting never hangs."""
        self._shut_down = True
        try:
            await asyncio.wait_for(self._shutdown(), SHUTDOWN_TIMEOUT)
        except TimeoutError:
            log.warning("shutdown took longer than %.0f s; quitting anyway", SHUTDOWN_TIMEOUT)
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()

    async def _shutdown(self) -> None:
        await self._disconnect(quiet=True)
        server, self.local_server = self.local_server, None
        if server is not None:
            with contextlib.suppress(Exception):
                await server.stop()

    # -- connecting -----------------------------------------------------------------------

    async def _connect(self) -> None:
        """Connect, trying again after a pause when the failure is one a retry can fix
        (rate limit, server error, network); the window shows the wait and its reason."""

        def waiting(wait: RetryWait) -> None:
            self._set_status(
                CallStatus(
                    CallState.WAITING,
                    reason=wait.sentence(),
                    stage=wait.error.stage,
                    details=wait.error.details,
                )
            )

        try:
            await with_retry(self._attempt, self.retry_policy, waiting)
        except CallError:  # the engine already reported FAILED, with the reason
            self.notice_cleared.emit("reconnect")  # given up; Connect still carries it over

    async def _attempt(self, attempt: int) -> None:
        """One connect; raises CallError (its session ended) when the engine failed."""
        settings = self.settings
        self._set_status(CallStatus(CallState.AUTHORIZING))
        try:
            profile = settings.profile()
        except ValueError as exc:  # InvalidBaseUrl / unknown provider: a sentence already
            self._fail(str(exc), CallState.AUTHORIZING)
            return
        prepared = await self._prepare(settings, profile)
        if prepared is None:
            return  # the status says why
        profile, api_key, audio = prepared

        config = settings.session_config()
        session = self._new_session(profile, config, api_key, audio)
        call = session.call
        self._session = session
        if attempt == 1:
            self.session_started.emit(f"{profile.name} · {time.strftime('%H:%M')}")
        self.usage_changed.emit(0, format_cost(self.prices.estimate(config.model, Usage())))
        try:
            await call.connect()
        except asyncio.CancelledError:
            await self._end_session(session)
            self._set_status(CallStatus(CallState.CLOSED))
            raise
        except CallError:  # the engine already reported FAILED with a reason
            await self._end_session(session)
            raise
        except Exception:
            await self._end_session(session)
            return
        session.connected_at = time.monotonic()
        self.timings_changed.emit(call.timings.durations_ms(), call.timings.total_setup_ms())
        self._resume_conversation(session)
        self._schedule_rollover(session)

    def _new_session(
        self,
        profile: ProviderProfile,
        config: SessionConfig,
        api_key: str | None,
        audio: Audio | None,
        *,
        microphone: bool = True,
    ) -> _Session:
        """A call wired to the window (not yet connected); `microphone=False` for a rollover,
        which moves the microphone over once the new call is up."""
        from desktop.core.call.engine import RealtimeCall

        video = self._video_feed(profile, api_key)
        call = RealtimeCall(
            profile,
            config,
            api_key=api_key,
            audio_source=audio.source if audio is not None and microphone else None,
            audio_sink=audio.sink if audio is not None else None,
            video_sink=video,
        )
        session = _Session(
            call=call, audio=audio, model=config.model, video=video, api_key=api_key
        )
        self.conversations.append(call.conversation)
        self._wire(session)
        call.set_muted(self._muted)
        return session

    async def _prepare(
        self, settings: AppSettings, profile: ProviderProfile
    ) -> tuple[ProviderProfile, str | None, Audio | None] | None:
        """The key, the local server, the engine import and the sound devices, side by side.

        None when the call cannot go ahead (the status says why); nothing is left open.
        """
        key_task = self.spawn(self._key_for(profile), "key")
        audio_task = self.spawn(self._open_audio(settings), "audio")
        engine_task = self.spawn(
            asyncio.to_thread(importlib.import_module, "desktop.core.call.engine"), "import"
        )
        try:
            local = await self._local_profile(profile)
            api_key = await key_task
            audio = await audio_task
            await engine_task
        except asyncio.CancelledError:
            await self._drop_audio(audio_task)
            self._set_status(CallStatus(CallState.CLOSED))
            raise
        except Exception as exc:
            log.exception("could not prepare the call")
            await self._drop_audio(audio_task)
            self._fail(
                "Talkline could not prepare the call. Try again; the log has details.",
                CallState.AUTHORIZING,
                details=exc.__class__.__name__,
            )
            return None
        if local is None:
            await self._drop_audio(audio_task)
            return None
        return local, api_key, audio

    async def _drop_audio(self, audio_task: asyncio.Task[Audio | None]) -> None:
        if not audio_task.done():
            audio_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await audio_task
        if audio_task.done() and not audio_task.cancelled() and audio_task.exception() is None:
            audio = audio_task.result()
            if audio is not None:
                with contextlib.suppress(Exception):
                    await audio.close()
        self.audio_changed.emit(False, False)

    async def _key_for(self, profile: ProviderProfile) -> str | None:
        return await self.resolve_key(profile) if profile.requires_key else None

    async def _local_profile(self, profile: ProviderProfile) -> ProviderProfile | None:
        """The Local provider points at the in-process server (started on first use)."""
        if profile.id != "local" or self.settings.provider_settings("local").base_url:
            return profile
        if self.local_server is None or self.local_server.base_url is None:
            from desktop.localserver.server import LocalRealtimeServer

            server = LocalRealtimeServer()
            try:
                await server.start()
            except OSError as exc:
                self._fail(
                    "The built-in local server could not start on this computer.",
                    CallState.AUTHORIZING,
                    details=str(exc),
                )
                return None
            self.local_server = server
        assert self.local_server.base_url is not None
        return profile.with_base_url(self.local_server.base_url)

    async def _open_audio(self, settings: AppSettings) -> Audio | None:
        """The sound devices, or None; problems become notices, never a failed call."""
        try:
            if self.audio_factory is default_audio:  # PortAudio and numpy: import off the loop
                await asyncio.to_thread(importlib.import_module, "desktop.core.audio.path")
            audio = self.audio_factory(settings)
        except Exception as exc:
            log.warning("audio unavailable: %s", exc)
            self._audio_notice("Sound is unavailable; you can still type.")
            self.audio_changed.emit(False, False)
            return None
        if audio is None:
            self._audio_notice(
                "No microphone: the call sends silence. You can still type, and read the replies."
            )
            self.audio_changed.emit(False, False)
            return None
        notices = getattr(audio, "notices", None)
        if notices is not None:
            notices.connect(self._audio_notice)
        try:
            await asyncio.wait_for(audio.start(), AUDIO_START_TIMEOUT)
        except TimeoutError:
            self._audio_notice("The sound devices did not respond; the call goes on without them.")
            with contextlib.suppress(Exception):
                await audio.close()
            self.audio_changed.emit(False, False)
            return None
        levels = (("input_level", self.input_level), ("output_level", self.output_level))
        for name, signal in levels:
            emitter = getattr(audio, name, None)
            if emitter is not None:
                emitter.connect(signal.emit)
        if audio.source is not None:
            self.notice_cleared.emit("audio")
        self.audio_changed.emit(audio.source is not None, audio.sink is not None)
        return audio

    def _audio_notice(self, text: str) -> None:
        self.notice.emit(text, f"audio:{text}")

    # -- wiring the core to Qt ------------------------------------------------------------

    def _wire(self, session: _Session) -> None:
        call = session.call
        subs = session.unsubscribe

        def on_status(status: CallStatus) -> None:
            if self._session is not session:
                return
            self._set_status(status)
            if status.state is CallState.FAILED and session.connected_at is not None:
                self.spawn(self._after_failure(session), "end-failed")

        def on_received(event: ServerEvent) -> None:
            self._log_received(session, event)
            if event.type in _VOICE_ACTIVITY and self._session is session:
                self._publish_phase()

        def on_sent(event: ClientEvent) -> None:
            self.event_logged.emit("out", event.type, event.to_dict())

        def on_usage(usage: Usage) -> None:
            usage = session.earlier_usage + usage  # sessions rolled over count too
            cost = self.prices.estimate(session.model, usage)
            self.usage_changed.emit(usage.total_tokens, format_cost(cost))

        subs.append(call.status_changed.connect(on_status))
        subs.append(call.event_received.connect(on_received))
        subs.append(call.event_sent.connect(on_sent))
        subs.append(call.notice.connect(lambda text: self.notice.emit(text, f"call:{text}")))
        subs.append(call.conversation.changed.connect(self.turn_changed.emit))
        subs.append(call.conversation.usage_changed.connect(on_usage))
        subs.append(call.turns.changed.connect(self.turn_state_changed.emit))
        subs.append(call.turns.changed.connect(lambda _state: self._publish_phase()))
        self._wire_stats(session)
        if session.video is not None:
            subs.append(session.video.frame_ready.connect(self.video_frame.emit))
            subs.append(call.event_received.connect(session.video.on_event))

    def _wire_stats(self, session: _Session) -> None:
        from desktop.core.stats.sampler import Sampler

        sampler = Sampler(session.call, session.audio)
        session.sampler = sampler
        self.last_stats = sampler.stats  # kept after the call, for export
        session.unsubscribe.append(sampler.sampled.connect(self.stats_updated.emit))
        session.unsubscribe.append(sampler.warnings_changed.connect(self.quality_changed.emit))
        session.unsubscribe.append(sampler.stop)
        session.unsubscribe.append(lambda: self.quality_changed.emit([]))
        sampler.start()

    def _log_received(self, session: _Session, event: ServerEvent) -> None:
        from desktop.core.events.server import MalformedEvent

        if isinstance(event, MalformedEvent):
            payload = {"reason": event.reason, "text": event.text}
            self.event_logged.emit("in", f"malformed {event.type}".strip(), payload)
            if not session.warned_malformed:
                session.warned_malformed = True
                self.notice.emit(
                    "The server sent an event Talkline could not read; it was skipped "
                    "(details in the event log).",
                    "malformed",
                )
            return
        raw = event.raw
        if event.type == "response.output_image.delta" and isinstance(raw.get("delta"), str):
            # Avatar frames come 15+ times a second: one entry a second (with how many it
            # stands for) keeps the other events in the log; and its size, not the picture.
            now = time.monotonic()
            session.images_unlogged += 1
            if now - session.image_logged_at < IMAGE_LOG_INTERVAL_S:
                return
            raw = {
                **raw,
                "delta": f"<{len(raw['delta'])} characters of base64 JPEG>",
                "frames_since_last_entry": session.images_unlogged,
            }
            session.image_logged_at, session.images_unlogged = now, 0
        self.event_logged.emit("in", event.type, raw)

    def _set_status(self, status: CallStatus) -> None:
        self.status = status
        self.status_changed.emit(status)
        self._publish_phase()

    def _publish_phase(self) -> None:
        """What the assistant is doing, from the status, the turns and the server's VAD.

        (Interim: the conversation session in the core will publish the phase itself.)"""
        from desktop.core.talk.phase import derive_phase

        call = self.call
        phase = derive_phase(
            self.status,
            call.turns.state if call is not None else _idle_turns(),
            user_speaking=call is not None and call.user_speaking,
            reconnecting=self._resume is not None,
        )
        if phase != self.phase:
            self.phase = phase
            self.phase_changed.emit(phase)

    def _fail(self, reason: str, stage: CallState, details: str = "") -> None:
        self._set_status(CallStatus(CallState.FAILED, reason=reason, stage=stage, details=details))

    # -- ending ---------------------------------------------------------------------------

    async def _disconnect(self, *, quiet: bool = False) -> None:
        task = self._connect_task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        session = self._session
        if session is None:
            if not quiet and self.state.is_active:
                self._set_status(CallStatus(CallState.CLOSED))
            return
        await self._end_session(session)

    async def _end_session(self, session: _Session) -> None:
        if session.rollover is not None and session.rollover is not asyncio.current_task():
            session.rollover.cancel()
        with contextlib.suppress(Exception):
            await session.call.close()  # emits CLOSING/CLOSED (or stays FAILED)
        for undo in session.unsubscribe:
            undo()
        session.unsubscribe.clear()
        if session.audio is not None:
            with contextlib.suppress(Exception):
                await session.audio.close()
            self.audio_changed.emit(False, False)
        if self._session is session:
            self._session = None
        if self._held_unmute:
            self._held_unmute = False
            self.held_unmute_changed.emit(False)
        self.turn_state_changed.emit(_idle_turns())
        self._publish_phase()
        if session.video is not None:
            self.video_frame.emit(None)

    # -- what the user does during a call -------------------------------------------------

    def send_text(self, text: str) -> bool:
        call = self.call
        if call is None or call.state is not CallState.CONNECTED:
            return False
        call.send_text(text)
        return True

    def play_motion(self, motion: str) -> bool:
        """Make the avatar play `motion` once (rtAV); False when not connected to one."""
        call = self.call
        if call is None or call.state is not CallState.CONNECTED:
            return False
        from desktop.core.video.motion import play_motion

        return play_motion(call, motion)

    def _video_feed(self, profile: ProviderProfile, api_key: str | None) -> Any:
        """A VideoFeed for a provider with an avatar (and its motion list, fetched aside)."""
        if not profile.receives_video:
            return None
        from desktop.core.video.feed import VideoFeed

        self.spawn(self._load_motions(profile, api_key), "motions")
        return VideoFeed(max_fps=self.video_max_fps)

    async def _load_motions(self, profile: ProviderProfile, api_key: str | None) -> None:
        from desktop.core.catalog import fetch_lists

        catalog = await fetch_lists(profile, api_key)  # never raises: built-in lists then
        self.motions_changed.emit(catalog.motions)

    def interrupt(self) -> bool:
        call = self.call
        return call.interrupt() if call is not None and call.state is CallState.CONNECTED else False

    def set_muted(self, muted: bool) -> None:
        self._muted = muted
        call = self.call
        if call is not None and not self._held_unmute:
            call.set_muted(muted)

    def ptt_press(self) -> None:
        """The push-to-talk key went down.

        With push-to-talk turns it starts a turn (the engine clears the buffer, opens the
        microphone, and commits on release). With server-detected turns the server
        decides when a turn ends, so a client commit would collide with its own: there
        the key only lifts Mute while held ("hold to speak while muted").
        """
        call = self.call
        if call is None or call.state is not CallState.CONNECTED:
            return
        if call.config.push_to_talk:
            call.ptt_press()
        elif self._muted and not self._held_unmute:
            self._held_unmute = True
            call.set_muted(False)
            self.held_unmute_changed.emit(True)

    def ptt_release(self) -> None:
        call = self.call
        if self._held_unmute:
            self._held_unmute = False
            if call is not None:
                call.set_muted(self._muted)
            self.held_unmute_changed.emit(False)
        elif call is not None and call.state is CallState.CONNECTED and call.config.push_to_talk:
            call.ptt_release()

    def apply_settings(self, settings: AppSettings) -> None:
        """New settings from the dialog: the session follows at once where it can."""
        old, self.settings = self.settings, settings
        call = self.call
        if call is None or call.state is not CallState.CONNECTED:
            return
        if settings.provider != old.provider:
            self.notice.emit("The new provider is used from the next Connect.", "provider")
            return
        config = settings.session_config()
        if config != call.config:
            self.spawn(call.update_session(config), "update-session")
        audio = self.audio
        if audio is not None and hasattr(audio, "switch_input"):
            if settings.audio.input_device != old.audio.input_device:
                self.spawn(audio.switch_input(settings.audio.input_device), "switch-input")
            if settings.audio.output_device != old.audio.output_device:
                self.spawn(audio.switch_output(settings.audio.output_device), "switch-output")
            processing = processing_settings(settings)
            if processing != processing_settings(old):
                audio.set_processing(processing)  # echo cancellation etc., mid-call

    # -- tasks ----------------------------------------------------------------------------

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """A task we keep a reference to; a failure is logged, never lost."""
        task = self.loop.create_task(coro, name=f"talkline-{name}")  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("task %s failed", task.get_name(), exc_info=exc)
            self.notice.emit(
                "Something went wrong in the background; the log has details.", "internal"
            )


_VOICE_ACTIVITY = ("input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped")


def _idle_turns() -> Any:
    from desktop.core.call.turns import TurnState

    return TurnState()
