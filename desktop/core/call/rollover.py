"""Carrying a conversation into a new call before the provider's session limit ends it.

OpenAI ends a Realtime session after 60 minutes. Shortly before, Talkline connects a new
call (make before break), moves the microphone and speaker over at a pause, replays the
recent turns into the new session as conversation items, so the model remembers what was
said, and hangs up the old call. The transcript stays one: the replayed items are marked
as carried and not shown again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop.core.conversation.model import Turn
from desktop.core.events import client as ce
from desktop.core.events.client import ClientEvent, Role

if TYPE_CHECKING:  # the engine (aiortc) loads when a call starts, not with the window
    from desktop.core.call.engine import RealtimeCall

log = logging.getLogger("talkline.rollover")


@dataclass(frozen=True)
class RolloverPolicy:
    lead_s: float = 120.0  # start waiting for a pause this long before the limit
    last_moment_s: float = 20.0  # then roll over even mid-reply, to beat the limit
    carry_turns: int = 40  # the most recent messages replayed into the new session
    carry_chars: int = 24_000  # and no more text than this (oldest dropped first)

    def window(self, limit_s: float) -> tuple[float, float]:
        """(look for a pause from, roll over at the latest), in seconds after connecting."""
        start = max(0.0, limit_s - self.lead_s)
        return start, max(start, limit_s - self.last_moment_s)


def carry_over(turns: Sequence[Turn], policy: RolloverPolicy) -> list[ClientEvent]:
    """The recent messages among `turns` (one call's, or a chain of rolled-over or
    reconnected calls') as `conversation.item.create` events, oldest first, each with an
    id of our own so the new conversation can recognise and hide them."""
    messages = [
        t
        for t in turns
        if t.kind == "message" and t.text.strip() and t.role in ("user", "assistant")
    ][-policy.carry_turns :]
    kept: list[tuple[Role, str]] = []
    budget = policy.carry_chars
    for turn in reversed(messages):
        text = turn.text.strip()
        if len(text) > budget:
            break
        budget -= len(text)
        kept.append(("user" if turn.role == "user" else "assistant", text))
    events = []
    for role, text in reversed(kept):
        item_id = f"item_carry_{secrets.token_hex(8)}"  # OpenAI: at most 32 characters
        events.append(ce.conversation_item_create_text(text, role, item_id=item_id))
    return events


def replay(call: RealtimeCall, events: list[ClientEvent]) -> None:
    """Send carried-over items into a connected call, hidden from its transcript."""
    for event in events:
        call.conversation.carried.add(event.payload["item"]["id"])
        call.send_event(event)


async def roll_over(
    old: RealtimeCall,
    new: RealtimeCall,
    policy: RolloverPolicy,
    history: Sequence[Turn] | None = None,
) -> int:
    """Connect `new` (built with no microphone and the same speaker), move the microphone
    to it and replay the conversation; the caller then hangs `old` up (after it has made
    `new` the current call, so nobody sees a "Disconnected" in between). Returns how many
    turns were carried. `history`: the whole conversation when `old` itself continued an
    earlier call (default: `old`'s own).

    Raises CallError when `new` cannot connect: `old` is untouched and goes on."""
    await new.connect()
    new.set_audio_source(old.detach_media())
    events = carry_over(old.conversation.items if history is None else history, policy)
    replay(new, events)
    log.info("rolled over into a new session, %d turns carried", len(events))
    return len(events)


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
