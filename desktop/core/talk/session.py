"""One conversation across calls: `TalkSession`, the object the window and the CLI drive.

It prepares a call (key, sound devices, the local server when that is the provider),
connects with the retry policy, reconnects after the network drops a call, rolls over into
a new call before the provider's session limit, and keeps one `Conversation` through all
of it (turns replayed into a new call are hidden). It publishes what happens as `Emitter`s
— the assistant's `Phase`, the call status, notices, turns, usage — and has no Qt in it:
`desktop/ui/controller.py` re-emits these as Qt signals, `talkline call` prints them.

Connect continues the current conversation: a call after Disconnect (or after the app was
closed, through `resume`) is told the earlier turns first. `new_conversation()` starts
afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from desktop.core.call.errors import CallError
from desktop.core.call.retry import RetryPolicy, RetryWait, with_retry
from desktop.core.call.rollover import (
    RolloverPolicy,
    carry_over,
    replay,
    roll_over,
    until_quiet,
)
from desktop.core.call.state import CallState, CallStatus
from desktop.core.call.turns import TurnState
from desktop.core.conversation.model import Conversation, Turn, TurnChange
from desktop.core.events.payloads import Usage
from desktop.core.observable import Emitter
from desktop.core.pricing import PriceTable, format_cost
from desktop.core.talk.audio import Audio, AudioFactory, SwitchableAudio, processing_settings
from desktop.core.talk.link import CallLink
from desktop.core.talk.phase import Phase, derive_phase
from desktop.core.talk.preparation import CallPreparer, LocalServer, PrepareFailed, close_audio
from desktop.core.talk.recording import HistorySource, Recording, Resumed, load_resumed
from desktop.core.talk.tools import ConversationTools
from desktop.core.tasks import TaskSet

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.catalog.lists import Choice
    from desktop.core.events.client import ClientEvent
    from desktop.core.events.server import ServerEvent
    from desktop.core.profiles.profile import ProviderProfile
    from desktop.core.secrets import KeyStore
    from desktop.core.session.config import SessionConfig
    from desktop.core.settings.schema import AppSettings
    from desktop.core.stats.quality import QualityWarning
    from desktop.core.stats.series import CallStats
    from desktop.core.video.feed import Picture, VideoFeed

log = logging.getLogger("talkline.talk")
T = TypeVar("T")

SHUTDOWN_TIMEOUT = 4.0


@dataclass(frozen=True)
class Notice:
    text: str
    key: str  # a newer notice with the same key replaces the older one


@dataclass(frozen=True)
class UsageTotal:
    tokens: int
    cost: str  # "" when unknown


class TalkSession:
    retry_policy = RetryPolicy()
    rollover_policy = RolloverPolicy()
    auto_reconnect = True  # after the network drops a call, connect again on our own
    video_max_fps = 30.0

    def __init__(
        self,
        settings: AppSettings,
        *,
        keystore: KeyStore | Callable[[], KeyStore] | None = None,
        audio_factory: AudioFactory,
        local_server: LocalServer | None = None,
        prices: PriceTable | None = None,
        session_limit: Callable[[ProviderProfile], float | None] | None = None,
        history: HistorySource | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self._tasks = TaskSet(on_failure=self._background_failed)
        self._preparer = CallPreparer(
            keystore=keystore,
            audio_factory=audio_factory,
            local_server=local_server,
            tasks=self._tasks,
        )
        self.local_server = local_server
        self.prices = prices or PriceTable.load()
        self.session_limit = session_limit or (lambda profile: profile.max_session_seconds)
        self._sleep = sleep

        self.phase_changed: Emitter[Phase] = Emitter()
        self.status_changed: Emitter[CallStatus] = Emitter()
        self.notice: Emitter[Notice] = Emitter()
        self.notice_cleared: Emitter[str] = Emitter()  # key
        self.conversation_started: Emitter[Conversation] = Emitter()
        self.call_started: Emitter[str] = Emitter()  # a title ("OpenAI · 14:05"): Connect
        self.connected: Emitter[RealtimeCall] = Emitter()  # every call, rollovers included
        self.turn_changed: Emitter[TurnChange] = Emitter()
        self.turn_state_changed: Emitter[TurnState] = Emitter()
        self.usage_changed: Emitter[UsageTotal] = Emitter()
        self.event_received: Emitter[ServerEvent] = Emitter()
        self.event_sent: Emitter[ClientEvent] = Emitter()
        # The sound devices' news comes straight from the preparer.
        self.audio_changed = self._preparer.audio_changed  # (microphone, speaker) available
        self.input_level = self._preparer.input_level
        self.output_level = self._preparer.output_level
        self._preparer.audio_notice.connect(self._audio_notice)
        self._preparer.audio_working.connect(lambda _none: self.notice_cleared.emit("audio"))
        self.held_unmute_changed: Emitter[bool] = Emitter()
        self.stats_updated: Emitter[CallStats] = Emitter()
        self.quality_changed: Emitter[list[QualityWarning]] = Emitter()
        self.video_frame: Emitter[Picture | None] = Emitter()
        self.motions_changed: Emitter[tuple[Choice, ...]] = Emitter()

        self.status = CallStatus(CallState.IDLE)
        self.phase = Phase()
        self.conversation = Conversation()
        self.history = history  # where conversations are kept (None: not kept)
        self._recording = Recording(self.conversation)
        self.tools: ConversationTools | None = None
        self._link: CallLink | None = None
        self._connect_task: asyncio.Task[None] | None = None
        self._close_task: asyncio.Task[None] | None = None
        self._retry_until: float | None = None
        self._reconnecting = False
        self._tools_running: tuple[str, ...] = ()
        self._muted = False
        self._held_unmute = False
        self._shut_down = False
        self.last_stats: CallStats | None = None  # the latest call's figures, for export
        self._conversation_subs: list[Callable[[], None]] = []
        self._follow(self.conversation)

    # -- what the shells read -------------------------------------------------------------

    @property
    def keystore(self) -> KeyStore:
        return self._preparer.keystore

    async def resolve_key(self, profile: ProviderProfile) -> str | None:
        return await self._preparer.resolve_key(profile)

    @property
    def call(self) -> RealtimeCall | None:
        return self._link.call if self._link else None

    @property
    def audio(self) -> Audio | None:
        return self._link.audio if self._link else None

    @property
    def state(self) -> CallState:
        return self.status.state

    @property
    def connected_since(self) -> float | None:
        return self._link.connected_at if self._link else None

    @property
    def muted(self) -> bool:
        return self._muted

    @property
    def busy(self) -> bool:
        """Hanging up: Connect waits."""
        return self.state is CallState.CLOSING or (
            self._close_task is not None and not self._close_task.done()
        )

    # -- the conversation -----------------------------------------------------------------

    def new_conversation(
        self, earlier: list[Turn] | None = None, *, resumed: Resumed | None = None
    ) -> Conversation:
        """Start afresh (or with `earlier` turns; or go on with a saved conversation): the
        next Connect tells the model those turns first. Hangs up a call under way."""
        if self.state.is_active:
            self.disconnect()
        self._recording.close()
        conversation = Conversation()
        for turn in (resumed.turns if resumed is not None else earlier) or ():
            conversation.add_earlier(turn)
        self._follow(conversation)
        self.conversation = conversation
        self._recording = Recording(conversation, resumed)
        self.conversation_started.emit(conversation)
        self._publish_usage()
        return conversation

    def resume(self, conversation_id: str) -> bool:
        """Go on with a saved conversation (the next Connect carries it over); False when
        there is no history or no such conversation."""
        store = self.history() if self.history is not None else None
        resumed = load_resumed(store, conversation_id) if store is not None else None
        if resumed is None:
            return False
        self.new_conversation(resumed=resumed)
        return True

    def use_tools(self, tools: ConversationTools) -> None:
        """The tools the model may call (the shell builds them: approval is its business)."""
        self.tools = tools
        tools.calls.running_changed.connect(self.set_tools_running)
        tools.calls.notice.connect(lambda text: self.notice.emit(Notice(text, f"tool:{text}")))
        tools.registry.changed.connect(lambda _none: self._tools_changed())

    async def replace_tools(self, tools: ConversationTools) -> None:
        """New tool settings: the old tools stop (their servers too), the new ones start and
        are declared to a call under way."""
        old = self.tools
        self.use_tools(tools)
        if old is not None:
            await old.aclose()
        call = self.call
        if call is not None:
            tools.attach(call)
        tools.start()
        self._tools_changed()

    def start_tools(self) -> None:
        """Start the MCP servers in the background (at start-up; Connect never waits)."""
        if self.tools is not None:
            self.tools.start()

    def _declared(self, config: SessionConfig) -> SessionConfig:
        return self.tools.declare(config) if self.tools is not None else config

    def _tools_changed(self) -> None:
        """An MCP server's tools arrived (or went) during a call: tell the model."""
        call = self._connected_call()
        if call is None:
            return
        config = self._declared(call.config)
        if config != call.config:
            self._tasks.spawn(call.update_session(config), "declare-tools")

    @property
    def conversation_id(self) -> str | None:
        """The current conversation's id in the history, once it has one."""
        return self._recording.conversation_id

    def _follow(self, conversation: Conversation) -> None:
        for undo in self._conversation_subs:
            undo()
        self._conversation_subs = [
            conversation.changed.connect(self.turn_changed.emit),
            conversation.usage_changed.connect(lambda _usage: self._publish_usage()),
        ]

    def _publish_usage(self) -> None:
        usage: Usage = self.conversation.usage_total
        model = self._link.model if self._link else self.settings.session_config().model
        cost = format_cost(self.prices.estimate(model, usage))
        self.usage_changed.emit(UsageTotal(usage.total_tokens, cost))

    # -- connecting -----------------------------------------------------------------------

    def connect(self) -> asyncio.Task[None] | None:
        """Connect (continuing the conversation); None when a call is already under way."""
        if self.state.is_active or self.busy or self._shut_down:
            return None
        self._connect_task = self._tasks.spawn(self._connect(), "connect")
        return self._connect_task

    async def _connect(self) -> None:
        """Connect, trying again after a pause when the failure is one a retry can fix
        (rate limit, server error, network); the phase shows the wait and its reason."""

        def waiting(wait: RetryWait) -> None:
            self._retry_until = time.monotonic() + wait.seconds
            self._set_status(
                CallStatus(
                    CallState.WAITING,
                    reason=wait.sentence(),
                    stage=wait.error.stage,
                    details=wait.error.details,
                )
            )

        try:
            await with_retry(self._attempt, self.retry_policy, waiting, self._sleep)
        except CallError:  # the status already says why
            self.notice_cleared.emit("reconnect")
        finally:
            self._retry_until = None
            self._reconnecting = False
            self._publish_phase()

    async def _attempt(self, attempt: int) -> None:
        """One connect; raises CallError (its link ended) when the engine failed."""
        settings = self.settings
        self._set_status(CallStatus(CallState.AUTHORIZING))
        try:
            profile = settings.profile()
        except ValueError as exc:  # InvalidBaseUrl / unknown provider: a sentence already
            self._fail(str(exc), CallState.AUTHORIZING)
            return
        try:
            prepared = await self._preparer.prepare(settings, profile)
        except asyncio.CancelledError:
            self._set_status(CallStatus(CallState.CLOSED))
            raise
        except PrepareFailed as exc:
            self._fail(exc.reason, CallState.AUTHORIZING, details=exc.details)
            return
        profile, api_key, audio = prepared.profile, prepared.api_key, prepared.audio
        config = self._declared(settings.session_config())
        self.conversation.begin_call()
        link = self._new_link(profile, config, api_key, audio)
        self._link = link
        if self.tools is not None:
            self.tools.attach(link.call)
        if attempt == 1 and not self._reconnecting:
            self.call_started.emit(f"{profile.name} · {time.strftime('%H:%M')}")
        self._publish_usage()
        try:
            await link.call.connect()
        except asyncio.CancelledError:
            await self._end_link(link)
            self._set_status(CallStatus(CallState.CLOSED))
            raise
        except CallError:  # the engine already reported FAILED with a reason
            await self._end_link(link)
            raise
        self._connected(link)

    def _connected(self, link: CallLink) -> None:
        link.connected_at = time.monotonic()
        call = link.call
        self._recording.start(self.history, call.profile.id, link.model, call.config.voice)
        self._recording.call_started(call)
        carried = self._replay_conversation(link.call)
        if self._reconnecting:
            self.notice_cleared.emit("reconnect")
            self.notice.emit(
                Notice("Reconnected; the conversation was carried over.", "reconnected")
            )
        elif carried:
            self.notice.emit(
                Notice(f"{carried} earlier messages were given to the assistant.", "resumed")
            )
        self._reconnecting = False
        self._schedule_rollover(link)
        self.connected.emit(link.call)
        self._publish_phase()

    def _replay_conversation(self, call: RealtimeCall) -> int:
        """Tell a new call what was said before (earlier calls of this conversation)."""
        events = carry_over(self.conversation.items, self.rollover_policy)
        replay(call, events)
        return len(events)

    def _new_link(
        self,
        profile: ProviderProfile,
        config: SessionConfig,
        api_key: str | None,
        audio: Audio | None,
        *,
        microphone: bool = True,
    ) -> CallLink:
        """A call of this conversation, wired (not yet connected); `microphone=False` for a
        rollover, which moves the microphone over once the new call is up."""
        from desktop.core.call.engine import RealtimeCall

        video = self._video_feed(profile, api_key)
        call = RealtimeCall(
            profile,
            config,
            api_key=api_key,
            audio_source=audio.source if audio is not None and microphone else None,
            audio_sink=audio.sink if audio is not None else None,
            video_sink=video,
            conversation=self.conversation,
        )
        link = CallLink(call=call, audio=audio, model=config.model, api_key=api_key, video=video)
        self._wire(link)
        call.set_muted(self._muted)
        return link

    def _call_notice(self, text: str) -> None:
        self.notice.emit(Notice(text, f"call:{text}"))

    def _audio_notice(self, text: str) -> None:
        self.notice.emit(Notice(text, f"audio:{text}"))

    # -- one call's events ----------------------------------------------------------------

    def _wire(self, link: CallLink) -> None:
        call = link.call
        subs = link.unsubscribe

        def on_status(status: CallStatus) -> None:
            if self._link is not link:
                return
            self._set_status(status)
            if status.state is CallState.FAILED and link.connected_at is not None:
                self._tasks.spawn(self._after_failure(link), "end-failed")

        def on_received(event: ServerEvent) -> None:
            if self._link is link:
                self.event_received.emit(event)
                self._publish_phase()  # the server's VAD: speech started / stopped

        def on_turns(state: TurnState) -> None:
            if self._link is link:
                self.turn_state_changed.emit(state)
                self._publish_phase()

        subs.append(call.status_changed.connect(on_status))
        subs.append(call.event_received.connect(on_received))
        subs.append(call.event_sent.connect(self.event_sent.emit))
        subs.append(call.notice.connect(self._call_notice))
        subs.append(call.turns.changed.connect(on_turns))
        self._wire_stats(link)
        if link.video is not None:
            subs.append(link.video.frame_ready.connect(self.video_frame.emit))
            subs.append(call.event_received.connect(link.video.on_event))

    def _wire_stats(self, link: CallLink) -> None:
        from desktop.core.stats.sampler import Sampler

        sampler = Sampler(link.call, link.audio)
        link.sampler = sampler
        self.last_stats = sampler.stats  # kept after the call, for export
        link.unsubscribe.append(sampler.sampled.connect(self.stats_updated.emit))
        link.unsubscribe.append(sampler.warnings_changed.connect(self.quality_changed.emit))
        link.unsubscribe.append(sampler.stop)
        link.unsubscribe.append(lambda: self.quality_changed.emit([]))
        sampler.start()

    def _video_feed(self, profile: ProviderProfile, api_key: str | None) -> VideoFeed | None:
        """A VideoFeed for a provider with an avatar (and its motion list, fetched aside)."""
        if not profile.receives_video:
            return None
        from desktop.core.video.feed import VideoFeed

        self._tasks.spawn(self._load_motions(profile, api_key), "motions")
        return VideoFeed(max_fps=self.video_max_fps)

    async def _load_motions(self, profile: ProviderProfile, api_key: str | None) -> None:
        from desktop.core.catalog import fetch_lists

        catalog = await fetch_lists(profile, api_key)  # never raises: built-in lists then
        self.motions_changed.emit(catalog.motions)

    # -- status and phase -----------------------------------------------------------------

    def _set_status(self, status: CallStatus) -> None:
        if status == self.status:
            return  # e.g. "authorizing" from the session, then again from the call
        self.status = status
        self.status_changed.emit(status)
        self._publish_phase()

    def _fail(self, reason: str, stage: CallState, details: str = "") -> None:
        self._set_status(CallStatus(CallState.FAILED, reason=reason, stage=stage, details=details))

    def set_tools_running(self, names: tuple[str, ...]) -> None:
        """The tools the model is waiting for (the tool runner tells the session)."""
        self._tools_running = names
        self._publish_phase()

    def _publish_phase(self) -> None:
        call = self.call
        status = self.status
        if self._reconnecting and status.state in (CallState.FAILED, CallState.CLOSED):
            status = CallStatus(CallState.CONNECTING)  # between the lost call and the next
        phase = derive_phase(
            status,
            call.turns.state if call is not None else TurnState(),
            user_speaking=call.user_speaking if call is not None else False,
            tools_running=self._tools_running,
            reconnecting=self._reconnecting,
            retry_until=self._retry_until,
        )
        if phase != self.phase:
            self.phase = phase
            log.info("phase: %s", phase.label())
            self.phase_changed.emit(phase)

    def _background_failed(self, _exc: BaseException) -> None:
        self.notice.emit(
            Notice("Something went wrong in the background; the log has details.", "internal")
        )

    # -- a lost connection ----------------------------------------------------------------

    async def _after_failure(self, link: CallLink) -> None:
        """A connected call failed: free the devices; if the network went away under it,
        connect again on our own and carry the conversation over."""
        error = link.call.error
        lost = error is not None and error.connection_lost
        if lost and self.auto_reconnect and not self._shut_down:
            self._reconnecting = True  # before the devices close: the phase says so
        await self._end_link(link)
        if not self._reconnecting:
            return
        if self.state is not CallState.FAILED or self._link is not None:
            self._reconnecting = False
            return  # the person already did something else
        self.notice.emit(
            Notice(
                f"The connection to {link.call.profile.name} was lost. Reconnecting; the "
                "conversation will be carried over.",
                "reconnect",
            )
        )
        self._publish_phase()
        self._connect_task = self._tasks.spawn(self._connect(), "reconnect")

    # -- long sessions --------------------------------------------------------------------

    def _schedule_rollover(self, link: CallLink) -> None:
        limit = self.session_limit(link.call.profile)
        if limit:
            link.rollover = self._tasks.spawn(self._roll_over_when_due(link, limit), "rollover")

    async def _roll_over_when_due(self, link: CallLink, limit: float) -> None:
        """Before the provider's session limit, continue in a new call at a pause."""
        policy = self.rollover_policy
        start, last = policy.window(limit)
        assert link.connected_at is not None
        since = link.connected_at
        await asyncio.sleep(max(0.0, since + start - time.monotonic()))
        name = link.call.profile.name
        self.notice.emit(
            Notice(
                f"{name} ends a session after {format_minutes(limit)}: Talkline continues in "
                "a new one at the next pause, keeping the conversation.",
                "rollover",
            )
        )
        await until_quiet(link.call, since + last)
        if self._link is not link or link.call.state is not CallState.CONNECTED:
            return
        old = link.call
        new = self._new_link(old.profile, old.config, link.api_key, link.audio, microphone=False)
        try:
            # Connects the new call, moves the microphone over, replays the conversation.
            carried = await roll_over(old, new.call, policy, self.conversation.items)
        except CallError as exc:
            new.unwire()
            await new.call.close()
            self.notice.emit(
                Notice(
                    f"Could not continue in a new session ({exc.message}) This call ends "
                    f"when {name}'s limit is reached.",
                    "rollover",
                )
            )
            return
        new.connected_at = time.monotonic()
        self._recording.call_started(new.call)
        self._recording.call_ended(old, link.model, self.prices, link.sampler)
        new.call.set_muted(self._muted)
        self._link = new  # before the old call closes: the phase stays "Listening"
        if self.tools is not None:
            self.tools.attach(new.call)  # a tool still running answers on the new call
        self._set_status(new.call.status)
        link.unwire()
        await old.close()
        self._schedule_rollover(new)
        self.connected.emit(new.call)
        self.notice.emit(
            Notice(
                f"Continued in a new {name} session; {carried} recent messages were carried "
                "over.",
                "rollover",
            )
        )

    # -- ending ---------------------------------------------------------------------------

    def disconnect(self) -> None:
        """Hang up on purpose (or stop waiting to retry)."""
        self._reconnecting = False
        self.notice_cleared.emit("reconnect")
        if self._close_task is not None and not self._close_task.done():
            return
        self._close_task = self._tasks.spawn(self._disconnect(), "disconnect")

    async def _disconnect(self, *, quiet: bool = False) -> None:
        task = self._connect_task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        link = self._link
        if link is None:
            if not quiet and self.state.is_active:
                self._set_status(CallStatus(CallState.CLOSED))
            return
        await self._end_link(link)

    async def hang_up(self) -> None:
        """Disconnect and wait until the call has ended (the CLI, tests)."""
        self.disconnect()
        if self._close_task is not None:
            await self._close_task

    async def _end_link(self, link: CallLink) -> None:
        if link.rollover is not None and link.rollover is not asyncio.current_task():
            link.rollover.cancel()
        try:
            await link.call.close()  # emits CLOSING/CLOSED (or stays FAILED)
        finally:
            self._recording.call_ended(link.call, link.model, self.prices, link.sampler)
            link.unwire()
            if link.audio is not None:
                await close_audio(link.audio)
                self.audio_changed.emit((False, False))
            if self._link is link:
                self._link = None
            if self._held_unmute:
                self._held_unmute = False
                self.held_unmute_changed.emit(False)
            self.conversation.end_call()
            self.turn_state_changed.emit(TurnState())
            if link.video is not None:
                self.video_frame.emit(None)
            self._publish_phase()

    async def shutdown(self) -> None:
        """Hang up and stop the local server; bounded so quitting never hangs."""
        self._shut_down = True
        try:
            await asyncio.wait_for(self._shutdown(), SHUTDOWN_TIMEOUT)
        except TimeoutError:
            log.warning("shutdown took longer than %.0f s; quitting anyway", SHUTDOWN_TIMEOUT)
        self._tasks.cancel_all()

    async def _shutdown(self) -> None:
        await self._disconnect(quiet=True)
        self._recording.close()
        if self.tools is not None:
            await self.tools.aclose()
        if self.local_server is not None:
            await self.local_server.stop()

    # -- what the user does during a call -------------------------------------------------

    def _connected_call(self) -> RealtimeCall | None:
        call = self.call
        return call if call is not None and call.state is CallState.CONNECTED else None

    def send_text(self, text: str) -> bool:
        call = self._connected_call()
        if call is None:
            return False
        call.send_text(text)
        return True

    def play_motion(self, motion: str) -> bool:
        """Make the avatar play `motion` once (rtAV); False when not connected to one."""
        call = self._connected_call()
        if call is None:
            return False
        from desktop.core.video.motion import play_motion

        return play_motion(call, motion)

    def interrupt(self) -> bool:
        """Stop the reply, and any tool it is waiting for (the model is told so)."""
        call = self._connected_call()
        if call is None:
            return False
        stopped = call.interrupt()
        if self.tools is not None:
            stopped = self.tools.calls.cancel_all() > 0 or stopped
        return stopped

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
        call = self._connected_call()
        if call is None:
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
        """New settings (the dialog): the call follows at once where it can."""
        old, self.settings = self.settings, settings
        call = self._connected_call()
        if call is None:
            return
        if settings.provider != old.provider:
            self.notice.emit(Notice("The new provider is used from the next Connect.", "provider"))
            return
        config = self._declared(settings.session_config())
        if config != call.config:
            self._tasks.spawn(call.update_session(config), "update-session")
        audio = self.audio
        if _switchable(audio):
            if settings.audio.input_device != old.audio.input_device:
                self._tasks.spawn(audio.switch_input(settings.audio.input_device), "switch-input")
            if settings.audio.output_device != old.audio.output_device:
                self._tasks.spawn(
                    audio.switch_output(settings.audio.output_device), "switch-output"
                )
            processing = processing_settings(settings)
            if processing != processing_settings(old):
                audio.set_processing(processing)  # echo cancellation etc., mid-call

    def spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """A background task of this session (kept, and reported if it fails)."""
        return self._tasks.spawn(coro, name)


def _switchable(audio: Audio | None) -> TypeGuard[SwitchableAudio]:
    # The real devices switch mid-call; WAV files and test doubles do not.
    return isinstance(audio, SwitchableAudio)


def format_minutes(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.0f} minutes" if minutes >= 2 else f"{seconds:.0f} seconds"

