"""The bridge between the Qt window and the conversation session in the core.

`CallController` owns a `TalkSession` (desktop/core/talk: connect, retry, reconnect,
rollover, the one conversation, the assistant's phase) and the built-in local server's
launcher. It re-emits the session's `Emitter`s as Qt signals and turns clicks into session
calls; the window only ever talks to this object. What a call does lives in the core, so
`talkline call` does the same things headless.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop.core.call.state import CallState, CallStatus
from desktop.core.pricing import PriceTable
from desktop.core.talk.audio import AudioFactory, default_audio
from desktop.core.talk.session import Notice, TalkSession, UsageTotal
from desktop.localserver.launcher import LocalServerLauncher

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.conversation.model import Conversation
    from desktop.core.events.client import ClientEvent
    from desktop.core.events.server import ServerEvent
    from desktop.core.profiles.profile import ProviderProfile
    from desktop.core.secrets import KeyStore
    from desktop.core.settings.schema import AppSettings
    from desktop.core.stats.series import CallStats
    from desktop.core.talk.audio import Audio
    from desktop.localserver.server import LocalRealtimeServer

log = logging.getLogger("talkline.ui.controller")
T = TypeVar("T")

IMAGE_LOG_INTERVAL_S = 1.0  # at most one avatar-frame event a second in the event log

# Imported in a worker thread once the window is up, so Connect does not stall on them.
WARM_MODULES = (
    "desktop.core.secrets",  # keyring: ~120 ms of imports
    "desktop.core.call.engine",
    "desktop.localserver.server",
    "desktop.core.audio.path",
)

__all__ = ["CallController", "AudioFactory", "default_audio"]


class CallController(QObject):
    status_changed = Signal(object)  # CallStatus
    phase_changed = Signal(object)  # desktop.core.talk.phase.Phase
    timings_changed = Signal(object, object)  # {stage: ms}, total ms or None
    session_started = Signal(str)  # a title for the transcript's separator
    conversation_started = Signal(object)  # Conversation: a new (or resumed) conversation
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
        self.loop = loop
        self.launcher = LocalServerLauncher()
        self.session = TalkSession(
            settings,
            keystore=keystore,  # None: made on first use, off the loop
            audio_factory=audio_factory,
            local_server=self.launcher,
            prices=prices,
        )
        self.conversations: list[Conversation] = [self.session.conversation]
        self._image_logged_at = float("-inf")
        self._images_unlogged = 0
        self._warned_malformed = False
        self._wire()

    def _wire(self) -> None:
        s = self.session
        s.status_changed.connect(self.status_changed.emit)
        s.phase_changed.connect(self.phase_changed.emit)
        s.call_started.connect(self._on_call_started)
        s.conversation_started.connect(self._on_conversation_started)
        s.connected.connect(self._on_connected)
        s.turn_changed.connect(self.turn_changed.emit)
        s.turn_state_changed.connect(self.turn_state_changed.emit)
        s.usage_changed.connect(self._on_usage)
        s.event_received.connect(self._log_received)
        s.event_sent.connect(self._log_sent)
        s.notice.connect(self._on_notice)
        s.notice_cleared.connect(self.notice_cleared.emit)
        s.audio_changed.connect(lambda sides: self.audio_changed.emit(*sides))
        s.input_level.connect(self.input_level.emit)
        s.output_level.connect(self.output_level.emit)
        s.held_unmute_changed.connect(self.held_unmute_changed.emit)
        s.stats_updated.connect(self.stats_updated.emit)
        s.quality_changed.connect(self.quality_changed.emit)
        s.video_frame.connect(self.video_frame.emit)
        s.motions_changed.connect(self.motions_changed.emit)

    # -- what the window reads ------------------------------------------------------------

    @property
    def settings(self) -> AppSettings:
        return self.session.settings

    @property
    def keystore(self) -> KeyStore:
        return self.session.keystore

    async def resolve_key(self, profile: ProviderProfile) -> str | None:
        return await self.session.resolve_key(profile)

    @property
    def call(self) -> RealtimeCall | None:
        return self.session.call

    @property
    def audio(self) -> Audio | None:
        return self.session.audio

    @property
    def status(self) -> CallStatus:
        return self.session.status

    @property
    def state(self) -> CallState:
        return self.session.state

    @property
    def connected_since(self) -> float | None:
        return self.session.connected_since

    @property
    def muted(self) -> bool:
        return self.session.muted

    @property
    def busy(self) -> bool:
        return self.session.busy

    @property
    def last_stats(self) -> CallStats | None:
        return self.session.last_stats

    @property
    def local_server(self) -> LocalRealtimeServer | None:
        """The built-in server, once the Local provider has been used."""
        return self.launcher.server

    @local_server.setter
    def local_server(self, server: LocalRealtimeServer | None) -> None:
        self.launcher.server = server  # tests hand in one with their own knobs

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
        self.session.connect()

    def disconnect_call(self) -> None:
        self.session.disconnect()

    def reconnect(self) -> None:
        self.spawn(self._reconnect(), "reconnect")

    async def _reconnect(self) -> None:
        await self.session.hang_up()
        self.session.connect()

    def new_conversation(self) -> None:
        self.session.new_conversation()

    def resume(self, conversation_id: str) -> bool:
        """Go on with a saved conversation (False: it is not in the history)."""
        return self.session.resume(conversation_id)

    async def shutdown(self) -> None:
        """Hang up and stop the local server; bounded so quitting never hangs."""
        await self.session.shutdown()

    # -- what the user does during a call -------------------------------------------------

    def send_text(self, text: str) -> bool:
        return self.session.send_text(text)

    def play_motion(self, motion: str) -> bool:
        return self.session.play_motion(motion)

    def interrupt(self) -> bool:
        return self.session.interrupt()

    def set_muted(self, muted: bool) -> None:
        self.session.set_muted(muted)

    def ptt_press(self) -> None:
        self.session.ptt_press()

    def ptt_release(self) -> None:
        self.session.ptt_release()

    def apply_settings(self, settings: AppSettings) -> None:
        self.session.apply_settings(settings)

    def spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """A task we keep a reference to; a failure is logged and shown, never lost."""
        return self.session.spawn(coro, name)

    # -- the session's news, as Qt signals ------------------------------------------------

    def _on_call_started(self, title: str) -> None:
        self._warned_malformed = False
        self.session_started.emit(title)

    def _on_conversation_started(self, conversation: Conversation) -> None:
        self.conversations.append(conversation)
        self.conversation_started.emit(conversation)

    def _on_connected(self, call: RealtimeCall) -> None:
        self.timings_changed.emit(call.timings.durations_ms(), call.timings.total_setup_ms())

    def _on_usage(self, usage: UsageTotal) -> None:
        self.usage_changed.emit(usage.tokens, usage.cost)

    def _on_notice(self, notice: Notice) -> None:
        self.notice.emit(notice.text, notice.key)

    def _log_sent(self, event: ClientEvent) -> None:
        self.event_logged.emit("out", event.type, event.to_dict())

    def _log_received(self, event: ServerEvent) -> None:
        from desktop.core.events.server import MalformedEvent

        if isinstance(event, MalformedEvent):
            payload = {"reason": event.reason, "text": event.text}
            self.event_logged.emit("in", f"malformed {event.type}".strip(), payload)
            if not self._warned_malformed:
                self._warned_malformed = True
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
            self._images_unlogged += 1
            if now - self._image_logged_at < IMAGE_LOG_INTERVAL_S:
                return
            raw = {
                **raw,
                "delta": f"<{len(raw['delta'])} characters of base64 JPEG>",
                "frames_since_last_entry": self._images_unlogged,
            }
            self._image_logged_at, self._images_unlogged = now, 0
        self.event_logged.emit("in", event.type, raw)
