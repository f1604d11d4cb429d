"""A conversation's place in the history: its record is made when its first call
connects (an unanswered Connect leaves nothing behind), each finished turn is saved as it
happens, and each call's usage, cost and quality summary when it ends. Never a key, no
audio. A resumed conversation goes on in its own record."""

from __future__ import annotations

import logging
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop.core.events.payloads import Usage

if TYPE_CHECKING:
    from desktop.core.call.engine import RealtimeCall
    from desktop.core.conversation.model import Conversation, Turn
    from desktop.core.history.recorder import HistoryRecorder
    from desktop.core.history.store import HistoryStore
    from desktop.core.pricing import PriceTable
    from desktop.core.stats.sampler import Sampler

log = logging.getLogger("talkline.talk")

HistorySource = Callable[[], "HistoryStore | None"]  # None: this run keeps no history


@dataclass(frozen=True)
class Resumed:
    """A saved conversation to go on with."""

    conversation_id: str
    turns: list[Turn]  # its messages, oldest first
    next_position: int  # where its next turn is saved


def load_resumed(store: HistoryStore, conversation_id: str) -> Resumed | None:
    """The saved conversation (an id or the start of one), or None when there is none."""
    from desktop.core.history.recorder import resume_turns

    full_id = store.resolve_id(conversation_id)
    if full_id is None:
        return None
    record = store.get(full_id)
    if record is None:
        return None
    positions = [t.order for t in record.turns if t.order is not None]
    next_position = max(positions, default=len(record.turns) - 1) + 1
    return Resumed(full_id, resume_turns(store, full_id, record=record), next_position)


class Recording:
    """One conversation's record; `start` when its first call connects."""

    def __init__(self, conversation: Conversation, resumed: Resumed | None = None) -> None:
        self.conversation = conversation
        self.resumed = resumed
        self.conversation_id: str | None = resumed.conversation_id if resumed else None
        self._store: HistoryStore | None = None
        self._recorder: HistoryRecorder | None = None
        # call → (when it started, the responses counted before it)
        self._call_started: dict[int, tuple[float, frozenset[str]]] = {}

    def start(self, source: HistorySource | None, provider: str, model: str, voice: str) -> None:
        if self._recorder is not None or source is None:
            return
        from desktop.core.history.recorder import HistoryRecorder

        store = source()
        if store is None:
            return
        self._store = store
        offset = 0
        if self.resumed is not None:
            offset = max(0, self.resumed.next_position - len(self.resumed.turns))
        else:
            self.conversation_id = store.start_conversation(provider, model, voice)
        assert self.conversation_id is not None
        self._recorder = HistoryRecorder(
            store, self.conversation, self.conversation_id, order_offset=offset
        )

    def call_started(self, call: RealtimeCall) -> None:
        counted = frozenset(self.conversation.usage_by_response)
        self._call_started[id(call)] = (time.time(), counted)

    def call_ended(
        self, call: RealtimeCall, model: str, prices: PriceTable, sampler: Sampler | None
    ) -> None:
        """Save the call's figures: its own tokens (the conversation counts on across
        calls), the cost, connect time and median turn latency."""
        from desktop.core.history.records import SavedCall

        started = self._call_started.pop(id(call), None)
        if self._store is None or self.conversation_id is None or started is None:
            return
        when, counted_before = started
        responses = self.conversation.usage_by_response
        spent = sum((u for r, u in responses.items() if r not in counted_before), Usage())
        latencies = [
            t.speech_end_to_audio_ms
            for t in (sampler.stats.turns if sampler is not None else [])
            if t.speech_end_to_audio_ms is not None
        ]
        self._store.save_call(
            self.conversation_id,
            SavedCall(
                call_id=call.call_id or uuid.uuid4().hex,
                provider=call.profile.id,
                model=model,
                started=when,
                ended=time.time(),
                input_tokens=spent.input_tokens,
                output_tokens=spent.output_tokens,
                cost=prices.estimate(model, spent),
                connect_ms=call.timings.total_setup_ms(),
                median_turn_ms=statistics.median(latencies) if latencies else None,
            ),
        )

    def close(self) -> None:
        """Stop recording (a new conversation, or the app quits): words of a turn still in
        progress are kept as they are."""
        recorder, self._recorder = self._recorder, None
        if recorder is not None:
            recorder.close()
