"""Keeping a conversation going across calls: before a provider's session limit (a
rollover into a new call at a pause) and after the network drops a call (reconnect and
carry the conversation over). Part of CallController, kept apart to stay readable; it
uses the controller's sessions, notices and connect machinery.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop.core.call.errors import CallError
from desktop.core.call.state import CallState

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.call.rollover import RolloverPolicy
    from desktop.ui.controller import _Session


class ContinuityMixin:
    """Methods of CallController (see the module docstring). Besides what is annotated
    here it calls the controller's connect_call, spawn, _new_session, _end_session and
    _set_status."""

    _session: _Session | None
    _resume: Resume | None
    _muted: bool
    _shut_down: bool
    auto_reconnect: bool
    rollover_policy: RolloverPolicy
    notice: Any  # Signal(str, str): text, key
    notice_cleared: Any  # Signal(str): key

    # -- a lost connection ----------------------------------------------------------------

    async def _after_failure(self, session: _Session) -> None:
        """A connected call failed: free the devices; if the network went away under it,
        connect again on our own and carry the conversation over."""
        await self._end_session(session)
        error = session.call.error
        lost = error is not None and error.connection_lost
        if not (lost and self.auto_reconnect) or self._shut_down:
            return
        if self.state is not CallState.FAILED or self._session is not None:
            return  # the person already did something else
        assert error is not None
        self._resume = Resume(
            history=so_far(session),
            usage=session.earlier_usage + session.call.conversation.usage_total,
        )
        self.notice.emit(
            f"The connection to {session.call.profile.name} was lost. Reconnecting; the "
            "conversation will be carried over.",
            "reconnect",
        )
        self.connect_call()

    def _resume_conversation(self, session: _Session) -> None:
        resume, self._resume = self._resume, None
        if resume is None:
            return
        from desktop.core.call.rollover import carry_over, replay

        replay(session.call, carry_over(resume.history, self.rollover_policy))
        session.history = resume.history
        session.earlier_usage = resume.usage
        self.notice_cleared.emit("reconnect")
        self.notice.emit("Reconnected; the conversation was carried over.", "reconnected")

    # -- long sessions --------------------------------------------------------------------

    def _schedule_rollover(self, session: _Session) -> None:
        limit = self.session_limit(session.call.profile)
        if limit:
            task = self.spawn(self._roll_over_when_due(session, limit), "rollover")
            session.rollover = task

    async def _roll_over_when_due(self, session: _Session, limit: float) -> None:
        """Before the provider's session limit, continue in a new call at a pause."""
        from desktop.core.call.rollover import roll_over

        policy = self.rollover_policy
        start, last = policy.window(limit)
        assert session.connected_at is not None
        since = session.connected_at
        await asyncio.sleep(max(0.0, since + start - time.monotonic()))
        name = session.call.profile.name
        self.notice.emit(
            f"{name} ends a session after {format_minutes(limit)}: Talkline continues in a "
            "new one at the next pause, keeping the conversation.",
            "rollover",
        )
        await until_quiet(session.call, since + last)
        if self._session is not session or session.call.state is not CallState.CONNECTED:
            return
        old = session.call
        new = self._new_session(old.profile, old.config, session.api_key, session.audio,
                                microphone=False)
        new.earlier_usage = session.earlier_usage + old.conversation.usage_total
        new.history = so_far(session)
        try:
            carried = await roll_over(old, new.call, policy, new.history)
        except CallError as exc:
            await self._drop_session(new)
            self.notice.emit(
                f"Could not continue in a new session ({exc.message}) This call ends when "
                f"{name}'s limit is reached.",
                "rollover",
            )
            return
        new.connected_at = time.monotonic()
        new.call.set_muted(self._muted)
        self._session = new  # before the old call closes: the window stays "Connected"
        self._set_status(new.call.status)
        await self._drop_session(session)
        self._schedule_rollover(new)
        self.notice.emit(
            f"Continued in a new {name} session; {carried} recent messages were carried over.",
            "rollover",
        )

    async def _drop_session(self, session: _Session) -> None:
        """End a call that is not (or no longer) the current one; its audio stays open."""
        for undo in session.unsubscribe:
            undo()
        session.unsubscribe.clear()
        with contextlib.suppress(Exception):
            await session.call.close()


@dataclass
class Resume:
    """What a call lost to the network leaves for the one that replaces it."""

    history: list[Any]
    usage: Any


def so_far(session: _Session) -> list[Any]:
    """The conversation up to now: the turns carried into this call, then its own."""
    return [*session.history, *session.call.conversation.items]


def is_quiet(call: RealtimeCall) -> bool:
    """Nobody is talking and no reply is on its way: a good moment to switch calls."""
    turns = call.turns.state
    busy = turns.response_in_flight or turns.assistant_speaking or turns.listening
    return not (busy or call.user_speaking)


async def until_quiet(call: RealtimeCall, deadline: float) -> None:
    """Wait for a pause in the conversation, but not past `deadline` (monotonic)."""
    quiet = asyncio.Event()

    def check(_state: object = None) -> None:
        if is_quiet(call):
            quiet.set()

    undo = call.turns.changed.connect(check)
    check()
    try:
        await asyncio.wait_for(quiet.wait(), max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        pass
    finally:
        undo()


def format_minutes(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.0f} minutes" if minutes >= 2 else f"{seconds:.0f} seconds"
