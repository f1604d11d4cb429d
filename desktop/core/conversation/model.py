"""The transcript's source of truth: ordered turns built from server events.

``Conversation.apply`` takes every parsed server event and keeps ``items`` in the server's
conversation order, even when events arrive out of order (a transcript delta before its
item, an item before its predecessor, a user transcription finishing after the assistant
started answering). Renderers subscribe to ``changed``; nothing here knows about Qt.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from desktop.core.events.payloads import Item, Usage
from desktop.core.events.server import (
    ConversationItemAdded,
    ConversationItemDeleted,
    ConversationItemDone,
    ConversationItemRetrieved,
    ConversationItemTruncated,
    FunctionCallArgumentsDelta,
    FunctionCallArgumentsDone,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioTranscriptionCompleted,
    InputAudioTranscriptionDelta,
    InputAudioTranscriptionFailed,
    OutputAudioBufferCleared,
    OutputAudioBufferStarted,
    OutputAudioBufferStopped,
    OutputAudioTranscriptDelta,
    OutputAudioTranscriptDone,
    OutputItemAdded,
    OutputItemDone,
    OutputTextDelta,
    OutputTextDone,
    ResponseCreated,
    ResponseDone,
    ServerEvent,
)
from desktop.core.observable import Emitter

log = logging.getLogger("talkline.conversation")

Role = Literal["user", "assistant", "system", "tool"]
Kind = Literal["message", "function_call", "function_call_output"]
TurnStatus = Literal["in_progress", "completed", "interrupted", "cancelled", "failed"]
Source = Literal["voice", "typed"]
ChangeKind = Literal["added", "updated", "removed"]
_AssistantTextEvent = (
    OutputTextDelta | OutputTextDone | OutputAudioTranscriptDelta | OutputAudioTranscriptDone
)

# Once a turn is interrupted, cancelled or failed, later events (a final transcript, a
# "completed" item) must not make it look complete again.
_STICKY: frozenset[str] = frozenset({"interrupted", "cancelled", "failed"})
_KINDS: frozenset[str] = frozenset(
    {"message", "function_call", "function_call_output", "mcp_call"}
)
_MESSAGE_ROLES: frozenset[str] = frozenset({"user", "assistant", "system"})


MAX_TURN_TEXT = 1_000_000  # characters of one turn; a server streaming more is cut off
CUT_NOTE = "\n[… the rest of this turn was longer than Talkline keeps (1 MB) and was dropped]"
# Turns created by deltas for items the server never announced: a few are normal (a delta
# can overtake its item), thousands are a flood, each of which would be a ghost turn.
MAX_UNANNOUNCED = 64


def _item_finished(item: Item, *, done: bool) -> bool:
    """An item is finished when it says so (rtAV's open-loop echo comes "completed" and
    never gets a done event) or when its done event carries no status."""
    return item.status == "completed" or (done and item.status is None)


@dataclass(eq=False)  # identity equality: two turns with the same text are still two turns
class Turn:
    item_id: str
    role: Role = "assistant"
    kind: Kind = "message"
    text: str = ""
    status: TurnStatus = "in_progress"
    source: Source = "voice"
    created_at: float = 0.0
    updated_at: float = 0.0
    response_id: str | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    output: str | None = None
    audio_seconds: float | None = None
    # A function call Talkline ran: how it ended ("ok", "denied", ...), the sentence when it
    # did not succeed, how long it took, and which tool source ("built-in", an MCP server).
    tool_status: str | None = None
    tool_error: str | None = None
    tool_duration_ms: float | None = None
    tool_source: str | None = None
    # Typed locally and not yet confirmed by the server's conversation.item.added.
    pending: bool = field(default=False, metadata={"wire": False})

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        del data["pending"]
        return data

    def append_text(self, delta: str) -> None:
        """Add streamed words in O(len(delta)): the pieces are joined when ``text`` is
        read, not on every delta (a 1 MB answer in 2 KB deltas would copy 250 MB)."""
        parts: list[str] = self.__dict__["_parts"]
        size: int = self.__dict__["_size"]
        if size >= MAX_TURN_TEXT:
            return
        if size + len(delta) > MAX_TURN_TEXT:
            delta = delta[: MAX_TURN_TEXT - size] + CUT_NOTE
            size = MAX_TURN_TEXT
        else:
            size += len(delta)
        parts.append(delta)
        self.__dict__["_size"] = size


def _get_text(turn: Turn) -> str:
    parts: list[str] = turn.__dict__["_parts"]
    if len(parts) > 1:
        parts[:] = ["".join(parts)]
    return parts[0] if parts else ""


def _set_text(turn: Turn, value: str) -> None:
    if len(value) > MAX_TURN_TEXT:
        value = value[:MAX_TURN_TEXT] + CUT_NOTE
    turn.__dict__["_parts"] = [value]
    turn.__dict__["_size"] = min(len(value), MAX_TURN_TEXT)


# ``text`` stays a dataclass field (init, asdict, replace, repr) backed by the parts above.
Turn.text = property(_get_text, _set_text)  # type: ignore[assignment]


@dataclass(frozen=True)
class TurnChange:
    kind: ChangeKind
    turn: Turn
    index: int


class Conversation:
    """Ordered turns plus token usage. Feed it with ``apply``; read ``items``."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.items: list[Turn] = []
        self.usage_total = Usage()
        self.usage_by_response: dict[str, Usage] = {}
        self.changed: Emitter[TurnChange] = Emitter()
        self.usage_changed: Emitter[Usage] = Emitter()
        self._clock = clock
        # Items replayed from an earlier session (a rollover): the transcript has them.
        self.carried: set[str] = set()
        self._by_id: dict[str, Turn] = {}
        self._previous: dict[str, str | None] = {}  # item id → server's previous_item_id
        self._text_stream: dict[str, str] = {}  # item id → "text" or "transcript"
        self._speech_ms: dict[str, tuple[int | None, int | None]] = {}
        self._in_flight: str | None = None  # response created and not yet done
        self._speaking: str | None = None  # response whose audio is playing
        self._unannounced: set[str] = set()  # turns made by deltas, not yet seen as items
        self._flood_logged = False
        self._handlers: dict[type[ServerEvent], Callable[[Any], None]] = {
            ConversationItemAdded: self._on_item_added,
            ConversationItemDone: self._on_item_done,
            ConversationItemRetrieved: self._on_item_retrieved,
            ConversationItemTruncated: self._on_item_truncated,
            ConversationItemDeleted: self._on_item_deleted,
            OutputItemAdded: self._on_output_item,
            OutputItemDone: self._on_output_item,
            InputAudioBufferSpeechStarted: self._on_speech_started,
            InputAudioBufferSpeechStopped: self._on_speech_stopped,
            InputAudioBufferCommitted: self._on_committed,
            InputAudioTranscriptionDelta: self._on_transcription_delta,
            InputAudioTranscriptionCompleted: self._on_transcription_completed,
            InputAudioTranscriptionFailed: self._on_transcription_failed,
            OutputTextDelta: self._on_output_text,
            OutputTextDone: self._on_output_text,
            OutputAudioTranscriptDelta: self._on_output_text,
            OutputAudioTranscriptDone: self._on_output_text,
            FunctionCallArgumentsDelta: self._on_arguments_delta,
            FunctionCallArgumentsDone: self._on_arguments_done,
            ResponseCreated: self._on_response_created,
            ResponseDone: self._on_response_done,
            OutputAudioBufferStarted: self._on_audio_started,
            OutputAudioBufferStopped: self._on_audio_stopped,
            OutputAudioBufferCleared: self._on_audio_cleared,
        }

    # --- public API ----------------------------------------------------------------------

    def apply(self, event: ServerEvent) -> None:
        """Update the transcript from one server event; other event types are ignored."""
        handler = self._handlers.get(type(event))
        if handler is None:
            return
        try:
            handler(event)
        except Exception:  # one odd event must not end the call; the log has the details
            log.exception("could not apply %s to the conversation", event.type)

    def get(self, item_id: str) -> Turn | None:
        return self._by_id.get(item_id)

    def add_local_user_text(self, text: str, *, item_id: str | None = None) -> Turn:
        """Show a typed message now, before the server confirms it.

        Pass ``item_id`` when the client event carries that id; otherwise the turn gets a
        temporary id and is matched by text when the server's item arrives.
        """
        now = self._clock()
        turn = Turn(
            item_id=item_id or f"local_{secrets.token_hex(6)}",
            role="user",
            text=text,
            source="typed",
            created_at=now,
            updated_at=now,
            pending=True,
        )
        self._insert(turn)
        return turn

    def add_earlier(self, turn: Turn) -> Turn:
        """A turn said before this conversation's calls (resumed from history): shown in
        order and carried into the next call, never treated as new."""
        copy = dataclasses.replace(turn, pending=False)
        if copy.item_id in self._by_id:
            copy.item_id = self._unused_id("earlier")
        self._previous[copy.item_id] = self.items[-1].item_id if self.items else None
        self.carried.add(copy.item_id)  # already kept wherever it came from
        self._insert(copy)
        return copy

    def begin_call(self) -> None:
        """A new call of this conversation starts: what the last one had in flight or
        playing is gone with it."""
        self._in_flight = None
        self._speaking = None

    def end_call(self) -> None:
        """The call ended: a reply it was still giving ends there (interrupted), and a
        typed message its server never confirmed is shown as not delivered."""
        for turn in self.items:
            if turn.status != "in_progress":
                continue
            if turn.pending:
                turn.pending = False
                self._set_status(turn, "failed")
            elif turn.role == "assistant":
                self._set_status(turn, "interrupted")
        self.begin_call()

    def attach_tool_result(
        self,
        call_id: str,
        *,
        output: str | None,
        status: str,
        error: str | None = None,
        duration_ms: float | None = None,
        source: str | None = None,
    ) -> Turn | None:
        """Show a tool's result on its call's turn (transcript, exports, history)."""
        turn = next(
            (t for t in self.items if t.kind == "function_call" and t.call_id == call_id), None
        )
        if turn is None:
            return None
        turn.output = output
        turn.tool_status = status
        turn.tool_error = error
        turn.tool_duration_ms = duration_ms
        turn.tool_source = source
        self._touch(turn)
        return turn

    def mark_interrupted(self, response_id: str | None = None) -> None:
        """The user interrupted: mark ``response_id`` (default: the one speaking, else the
        one in flight, else the last unfinished assistant turn) as interrupted."""
        target = response_id or self._speaking or self._in_flight
        if target is not None:
            self._interrupt_response(target)
            return
        for turn in reversed(self.items):
            if turn.role == "assistant" and turn.kind == "message":
                if turn.status == "in_progress":
                    self._set_status(turn, "interrupted")
                break

    def mark_failed(self, item_id: str) -> None:
        """The server rejected an item (e.g. an ``error`` naming a typed message's event)."""
        turn = self._by_id.get(item_id)
        if turn is not None:
            self._set_status(turn, "failed")

    def recent_turns(self, n: int, *, messages_only: bool = False) -> list[Turn]:
        """Copies of the last ``n`` turns (only messages if asked), oldest first."""
        if n <= 0:
            return []
        turns = [t for t in self.items if not messages_only or t.kind == "message"]
        return [dataclasses.replace(t) for t in turns[-n:]]

    def to_markdown(self, **kwargs: Any) -> str:
        from desktop.core.conversation.export import to_markdown

        return to_markdown(self, **kwargs)

    def to_json(self) -> str:
        from desktop.core.conversation.export import to_json

        return to_json(self)

    @classmethod
    def from_json(
        cls, text: str | bytes, *, clock: Callable[[], float] = time.time
    ) -> Conversation:
        """Load an export written by ``to_json``; raises ValueError with a readable reason."""
        from desktop.core.conversation.export import from_json

        return from_json(text, clock=clock)

    def load(self, turns: list[Turn], usage_by_response: dict[str, Usage]) -> None:
        """Replace everything with ``turns`` (used by ``from_json``); emits nothing."""
        self.items = []
        self._by_id = {}
        for turn in turns:
            if turn.item_id not in self._by_id:
                self.items.append(turn)
                self._by_id[turn.item_id] = turn
        self.usage_by_response = dict(usage_by_response)
        self.usage_total = sum(self.usage_by_response.values(), Usage())

    # --- items ---------------------------------------------------------------------------

    def _on_item_added(self, event: ConversationItemAdded) -> None:
        self._previous[event.item.id] = event.previous_item_id
        self._upsert_item(event.item, done=False)

    def _on_item_done(self, event: ConversationItemDone) -> None:
        self._previous[event.item.id] = event.previous_item_id
        self._upsert_item(event.item, done=True)

    def _on_item_retrieved(self, event: ConversationItemRetrieved) -> None:
        self._upsert_item(event.item, done=True)

    def _on_output_item(self, event: OutputItemAdded | OutputItemDone) -> None:
        self._upsert_item(
            event.item, done=isinstance(event, OutputItemDone), response_id=event.response_id
        )

    def _upsert_item(self, item: Item, *, done: bool, response_id: str | None = None) -> None:
        if item.type not in _KINDS or item.id in self.carried:
            return  # e.g. MCP items, or context carried over: nothing new to show
        self._unannounced.discard(item.id)
        turn = self._by_id.get(item.id)
        if turn is None and item.type == "message" and item.role == "user" and not item.has_audio:
            turn = self._claim_pending(item.id, item.text)
        created = turn is None
        if turn is None:
            now = self._clock()
            turn = Turn(item_id=item.id, created_at=now, updated_at=now)
        self._fill_from_item(turn, item, done=done)
        if response_id and turn.response_id is None:
            turn.response_id = response_id
        if created:
            self._insert(turn)
        else:
            self._touch(turn)
            self._reposition(turn)

    def _fill_from_item(self, turn: Turn, item: Item, *, done: bool) -> None:
        turn.kind = item.type  # type: ignore[assignment]  # checked against _KINDS
        if item.type == "mcp_call":
            # A remote MCP tool the provider ran: shown like a function call with its result.
            turn.kind = "function_call"
            turn.role = "assistant"
            turn.name = f"{item.server_label}:{item.name}" if item.server_label else item.name
            turn.arguments = item.arguments or turn.arguments
            turn.tool_source = item.server_label
            if item.output is not None:
                turn.output = item.output
                turn.tool_status = "ok"
            if _item_finished(item, done=done):
                self._set_status(turn, "completed", touch=False)
        elif item.type == "function_call":
            turn.role = "assistant"
            turn.call_id = item.call_id or turn.call_id
            turn.name = item.name or turn.name
            if item.arguments:  # an early item's "" must not erase streamed arguments
                turn.arguments = item.arguments
            if _item_finished(item, done=done):
                self._set_status(turn, "completed", touch=False)
        elif item.type == "function_call_output":
            turn.role = "tool"
            turn.call_id = item.call_id or turn.call_id
            turn.output = item.output if item.output is not None else turn.output
            self._set_status(turn, "completed", touch=False)
        else:
            turn.role = item.role if item.role in _MESSAGE_ROLES else "assistant"  # type: ignore[assignment]
            turn.pending = False
            text = item.text
            if text:  # an item's transcript is often null while deltas carry the words
                turn.text = text
            if turn.role == "user":
                self._fill_user_message(turn, item, done=done)
            elif turn.role == "system":
                turn.source = "typed"
                self._set_status(turn, "completed", touch=False)
            else:
                if item.has_audio:
                    turn.source = "voice"
                elif text:
                    turn.source = "typed"
                if item.status == "incomplete":
                    self._set_status(turn, "interrupted", touch=False)
                elif _item_finished(item, done=done):
                    self._set_status(turn, "completed", touch=False)

    def _fill_user_message(self, turn: Turn, item: Item, *, done: bool) -> None:
        if not item.has_audio:
            turn.source = "typed"
            self._set_status(turn, "completed", touch=False)
            return
        turn.source = "voice"
        self._fill_audio_seconds(turn)
        # A voice turn stays in progress until its transcription completes (or fails),
        # which can be long after the item itself is done.
        if done and item.text:
            self._set_status(turn, "completed", touch=False)

    def _claim_pending(self, item_id: str, text: str) -> Turn | None:
        """The first locally typed turn with this text now gets the server's id."""
        for turn in self.items:
            if turn.pending and turn.role == "user" and turn.text.strip() == text.strip():
                del self._by_id[turn.item_id]
                turn.item_id = item_id
                self._by_id[item_id] = turn
                return turn
        return None

    def _on_item_truncated(self, event: ConversationItemTruncated) -> None:
        turn = self._by_id.get(event.item_id)
        if turn is not None and turn.role == "assistant" and turn.kind == "message":
            self._set_status(turn, "interrupted")

    def _on_item_deleted(self, event: ConversationItemDeleted) -> None:
        turn = self._by_id.pop(event.item_id, None)
        if turn is None:
            return
        index = self._index(turn)
        del self.items[index]
        self._text_stream.pop(turn.item_id, None)
        self._unannounced.discard(turn.item_id)
        self.changed.emit(TurnChange("removed", turn, index))

    # --- the user's voice ----------------------------------------------------------------

    def _on_speech_started(self, event: InputAudioBufferSpeechStarted) -> None:
        if event.item_id:
            self._speech_ms[event.item_id] = (event.audio_start_ms, None)

    def _on_speech_stopped(self, event: InputAudioBufferSpeechStopped) -> None:
        if not event.item_id:
            return
        start, _ = self._speech_ms.get(event.item_id, (None, None))
        self._speech_ms[event.item_id] = (start, event.audio_end_ms)
        turn = self._by_id.get(event.item_id)
        if turn is not None and self._fill_audio_seconds(turn):
            self._touch(turn)

    def _fill_audio_seconds(self, turn: Turn) -> bool:
        start, end = self._speech_ms.get(turn.item_id, (None, None))
        if start is None or end is None or end < start:
            return False
        turn.audio_seconds = (end - start) / 1000
        return True

    def _on_committed(self, event: InputAudioBufferCommitted) -> None:
        if not event.item_id:
            return
        self._previous[event.item_id] = event.previous_item_id
        turn = self._by_id.get(event.item_id)
        if turn is None:
            self._user_voice_turn(event.item_id)
        else:
            self._reposition(turn)

    def _user_voice_turn(self, item_id: str) -> Turn:
        turn = self._by_id.get(item_id)
        if turn is None:  # the transcript can arrive before conversation.item.added
            now = self._clock()
            turn = Turn(item_id=item_id, role="user", created_at=now, updated_at=now)
            self._fill_audio_seconds(turn)
            self._insert(turn)
        return turn

    def _on_transcription_delta(self, event: InputAudioTranscriptionDelta) -> None:
        if not self._admit(event.item_id):
            return
        turn = self._user_voice_turn(event.item_id)
        if event.delta and turn.status == "in_progress":
            turn.append_text(event.delta)
            self._touch(turn)

    def _on_transcription_completed(self, event: InputAudioTranscriptionCompleted) -> None:
        if not self._admit(event.item_id):
            return
        turn = self._user_voice_turn(event.item_id)
        if event.transcript.strip():  # an empty final transcript keeps what the deltas said
            turn.text = event.transcript.strip()
        if not self._set_status(turn, "completed"):
            self._touch(turn)

    def _on_transcription_failed(self, event: InputAudioTranscriptionFailed) -> None:
        if not self._admit(event.item_id):
            return
        self._set_status(self._user_voice_turn(event.item_id), "failed")

    # --- the assistant's words -----------------------------------------------------------

    def _on_output_text(self, event: _AssistantTextEvent) -> None:
        turn = self._assistant_turn(event.item_id, event.response_id)
        if turn is None:
            return
        stream = "text" if isinstance(event, OutputTextDelta | OutputTextDone) else "transcript"
        # With text and audio both on (Inworld), the same words come twice: keep the first.
        if self._text_stream.setdefault(turn.item_id, stream) != stream:
            return
        turn.source = "typed" if stream == "text" else "voice"
        if isinstance(event, OutputTextDelta | OutputAudioTranscriptDelta):
            if not event.delta:
                return
            turn.append_text(event.delta)
        else:
            final = event.text if isinstance(event, OutputTextDone) else event.transcript
            if final:  # an empty final text must not erase a partial one
                turn.text = final
        self._touch(turn)

    def _assistant_turn(self, item_id: str | None, response_id: str | None) -> Turn | None:
        """The turn these words belong to; None when they belong to a flood of unknown
        items (see ``_admit``)."""
        if item_id:
            turn = self._by_id.get(item_id)
            if turn is None:
                if not self._admit(item_id):
                    return None
                turn = self._new_assistant_turn(item_id, response_id)
            elif turn.response_id is None and response_id:
                turn.response_id = response_id
            return turn
        # A loose server without item ids: the response's latest unfinished message.
        for turn in reversed(self.items):
            if (
                turn.role == "assistant"
                and turn.kind == "message"
                and turn.status == "in_progress"
                and (response_id is None or turn.response_id == response_id)
            ):
                return turn
        new_id = self._unused_id(response_id or "response")
        if not self._admit(new_id):
            return None
        return self._new_assistant_turn(new_id, response_id)

    def _admit(self, item_id: str) -> bool:
        """May a delta for ``item_id`` show a turn? Yes if it is shown already or a few
        unannounced ones are; a flood of unknown ids is dropped (logged once)."""
        if item_id in self._by_id:
            return True
        if len(self._unannounced) < MAX_UNANNOUNCED:
            self._unannounced.add(item_id)
            return True
        if not self._flood_logged:
            self._flood_logged = True
            log.warning(
                "more than %d items streamed without being announced; ignoring the rest",
                MAX_UNANNOUNCED,
            )
        return False

    def _new_assistant_turn(self, item_id: str, response_id: str | None) -> Turn:
        now = self._clock()
        turn = Turn(item_id=item_id, response_id=response_id, created_at=now, updated_at=now)
        self._insert(turn)
        return turn

    def _on_arguments_delta(self, event: FunctionCallArgumentsDelta) -> None:
        if event.item_id and not self._admit(event.item_id):
            return
        turn = self._function_call_turn(event.item_id, event.call_id, event.response_id)
        if (
            event.delta
            and turn.status == "in_progress"
            and len(turn.arguments or "") < MAX_TURN_TEXT
        ):
            turn.arguments = (turn.arguments or "") + event.delta
            self._touch(turn)

    def _on_arguments_done(self, event: FunctionCallArgumentsDone) -> None:
        turn = self._function_call_turn(event.item_id, event.call_id, event.response_id)
        turn.call_id = event.call_id or turn.call_id
        turn.name = event.name or turn.name
        turn.arguments = event.arguments
        if not self._set_status(turn, "completed"):
            self._touch(turn)

    def _function_call_turn(
        self, item_id: str | None, call_id: str | None, response_id: str | None
    ) -> Turn:
        turn = self._by_id.get(item_id) if item_id else None
        if turn is None and call_id:
            turn = next((t for t in self.items if t.call_id == call_id), None)
        if turn is None:
            now = self._clock()
            turn = Turn(
                item_id=item_id or self._unused_id(f"call_{call_id or ''}"),
                kind="function_call",
                call_id=call_id,
                response_id=response_id,
                created_at=now,
                updated_at=now,
            )
            self._insert(turn)
        return turn

    # --- responses and playback ----------------------------------------------------------

    def _on_response_created(self, event: ResponseCreated) -> None:
        self._in_flight = event.response.id
        for item in event.response.output:
            self._upsert_item(item, done=False, response_id=event.response.id)

    def _on_response_done(self, event: ResponseDone) -> None:
        response = event.response
        if self._in_flight == response.id:
            self._in_flight = None
        for item in response.output:
            self._upsert_item(item, done=True, response_id=response.id)
        if response.status in ("cancelled", "incomplete"):
            self._interrupt_response(response.id)
        else:
            final: TurnStatus = "failed" if response.status == "failed" else "completed"
            for turn in self._turns_of(response.id):
                if turn.status == "in_progress":
                    self._set_status(turn, final)
        if response.usage is not None:
            self.usage_by_response[response.id] = response.usage
            self.usage_total = sum(self.usage_by_response.values(), Usage())
            self.usage_changed.emit(self.usage_total)

    def _on_audio_started(self, event: OutputAudioBufferStarted) -> None:
        self._speaking = event.response_id or self._in_flight

    def _on_audio_stopped(self, event: OutputAudioBufferStopped) -> None:
        if event.response_id in (None, self._speaking):
            self._speaking = None

    def _on_audio_cleared(self, event: OutputAudioBufferCleared) -> None:
        # Cleared while playing means the user cut the assistant off. A clear after the
        # audio had finished (a defensive client clear) interrupts nothing.
        target = event.response_id or self._speaking
        if target is not None and (
            target == self._speaking
            or any(t.status == "in_progress" for t in self._turns_of(target))
        ):
            self._interrupt_response(target)
        if target == self._speaking:
            self._speaking = None

    def _interrupt_response(self, response_id: str) -> None:
        for turn in self._turns_of(response_id):
            if turn.kind == "message":
                self._set_status(turn, "interrupted")
            elif turn.status == "in_progress":
                self._set_status(turn, "cancelled")

    def _turns_of(self, response_id: str) -> list[Turn]:
        return [t for t in self.items if t.response_id == response_id and t.role == "assistant"]

    # --- bookkeeping ---------------------------------------------------------------------

    def _set_status(self, turn: Turn, status: TurnStatus, *, touch: bool = True) -> bool:
        """Move ``turn`` forward to ``status``; returns whether it changed (and notified)."""
        if turn.status == status or turn.status in _STICKY or status == "in_progress":
            return False
        turn.status = status
        if touch:
            self._touch(turn)
        return True

    def _touch(self, turn: Turn) -> None:
        turn.updated_at = self._clock()
        self.changed.emit(TurnChange("updated", turn, self._index(turn)))

    def _index(self, turn: Turn) -> int:
        # From the end: the turns that change are almost always the latest ones.
        for index in range(len(self.items) - 1, -1, -1):
            if self.items[index] is turn:
                return index
        raise LookupError(turn.item_id)

    def _unused_id(self, prefix: str) -> str:
        """An id for a turn the server gave none (loose servers omit item ids)."""
        n = len(self.items)
        while f"{prefix}_{n}" in self._by_id:
            n += 1
        return f"{prefix}_{n}"

    def _insert(self, turn: Turn) -> None:
        index = self._position_for(turn.item_id)
        self.items.insert(index, turn)
        self._by_id[turn.item_id] = turn
        self.changed.emit(TurnChange("added", turn, index))

    def _reposition(self, turn: Turn) -> None:
        """Move ``turn`` right after the item the server says precedes it, if that one is
        shown. Without one (null, or an id we never saw) the turn stays where it is: moving
        it to the end would undo an order that was right."""
        previous = self._previous.get(turn.item_id)
        if previous is None or previous == turn.item_id or previous not in self._by_id:
            return
        old = self._index(turn)
        del self.items[old]
        new = self._position_for(turn.item_id)
        self.items.insert(new, turn)
        if new != old:
            self.changed.emit(TurnChange("removed", turn, old))
            self.changed.emit(TurnChange("added", turn, new))

    def _position_for(self, item_id: str) -> int:
        previous = self._previous.get(item_id)
        if previous is not None:
            for index, turn in enumerate(self.items):
                if turn.item_id == previous:
                    return index + 1
        # An item already shown that the server placed right after this one.
        for index, turn in enumerate(self.items):
            if self._previous.get(turn.item_id) == item_id:
                return index
        return len(self.items)
