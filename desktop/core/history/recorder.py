"""From the live conversation to the history, and back for a resumed call.

``HistoryRecorder`` listens to ``Conversation.changed`` and saves each turn when it is
final (completed, interrupted, cancelled, failed), and again if it changes after that.
Items replayed into a new session (``Conversation.carried``) are not saved twice.
``resume_turns`` gives the turns of a saved conversation (and of those it resumed) as
``Turn``s, oldest first, for ``desktop.core.call.rollover.carry_over``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from desktop.core.conversation.model import Conversation, Turn, TurnChange
from desktop.core.history.records import ConversationRecord, SavedTurn

if TYPE_CHECKING:
    from desktop.core.history.store import HistoryStore

FINAL = frozenset({"completed", "interrupted", "cancelled", "failed"})
_RESUME_DEPTH = 20  # resumed conversations followed back at most this far


def saved_turn(turn: Turn, order: int | None = None) -> SavedTurn:
    """What the history keeps of a turn: a function call as its name and arguments, a
    tool's result as its output."""
    if turn.kind == "function_call":
        text = f"{turn.name or 'function'}({turn.arguments or ''})"
    elif turn.kind == "function_call_output":
        text = turn.output or ""
    else:
        text = turn.text
    return SavedTurn(
        item_id=turn.item_id,
        role=turn.role,
        kind=turn.kind,
        text=text,
        status=turn.status,
        started=turn.created_at,
        finished=turn.updated_at or time.time(),
        order=order,
    )


class HistoryRecorder:
    """Saves ``conversation``'s final turns under ``conversation_id``. ``close`` stops."""

    def __init__(
        self,
        store: HistoryStore,
        conversation: Conversation,
        conversation_id: str,
        *,
        order_offset: int = 0,
    ) -> None:
        self.store = store
        self.conversation = conversation
        self.conversation_id = conversation_id
        # A resumed conversation goes on in its record: new turns are saved after the
        # ones already there (which the live conversation shows as carried, unsaved).
        self.order_offset = order_offset
        self._saved: dict[str, tuple[str, str]] = {}  # item id → (status, text) saved
        self._disconnect = conversation.changed.connect(self._on_change)

    def close(self) -> None:
        """Stop listening; turns still in progress that have words are saved as they are
        (the call ended mid-sentence)."""
        self._disconnect()
        for index, turn in enumerate(self.conversation.items):
            if turn.item_id not in self._saved and not turn.pending and saved_turn(turn).text:
                self._save(turn, index)

    def _save(self, turn: Turn, index: int) -> None:
        if turn.item_id in self.conversation.carried:
            return
        record = saved_turn(turn, order=index + self.order_offset)
        if self._saved.get(turn.item_id) == (record.status, record.text):
            return
        self._saved[turn.item_id] = (record.status, record.text)
        self.store.save_turn(self.conversation_id, record)

    def _on_change(self, change: TurnChange) -> None:
        turn = change.turn
        if change.kind != "removed" and turn.status in FINAL and not turn.pending:
            self._save(turn, change.index)


def resume_turns(
    store: HistoryStore, conversation_id: str, *, record: ConversationRecord | None = None
) -> list[Turn]:
    """The messages of ``conversation_id`` and of the conversations it resumed, oldest
    first, as turns with their roles (for ``carry_over``). ``record``: its record, when
    the caller has read it already (it is not read again)."""
    chain: list[ConversationRecord] = []
    seen: set[str] = set()
    current: str | None = conversation_id
    while current is not None and current not in seen and len(chain) < _RESUME_DEPTH:
        seen.add(current)
        found = record if not chain and record is not None else store.get(current)
        if found is None:
            break
        chain.append(found)
        current = found.summary.resumed_from
    turns: list[Turn] = []
    for earlier in reversed(chain):
        for saved in earlier.turns:
            if saved.kind != "message" or saved.role not in ("user", "assistant", "system"):
                continue
            turns.append(Turn(
                item_id=saved.item_id,
                role=saved.role,  # type: ignore[arg-type]  # filtered just above
                kind="message",
                text=saved.text,
                status=saved.status,  # type: ignore[arg-type]  # written from a Turn
                created_at=saved.started,
                updated_at=saved.finished,
            ))
    return turns
