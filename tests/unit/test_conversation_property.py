"""Any sequence of server events, in any order, leaves the conversation consistent."""

from __future__ import annotations

import logging
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.core.conversation import Conversation, Turn, TurnChange
from desktop.core.events.server import MalformedEvent, parse_server_event

ITEMS = ["U1", "U2", "A1", "A2", "F1", "T1"]
RESPONSES = ["R1", "R2"]
item_ids = st.sampled_from(ITEMS)
maybe_item = st.none() | item_ids
response_ids = st.sampled_from(RESPONSES)
maybe_response = st.none() | response_ids
words = st.sampled_from(["", "Hi", " there", "ok", "The weather"])
statuses = st.sampled_from(["in_progress", "completed", "incomplete", "cancelled", "failed"])


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["user_audio", "user_text", "assistant", "call", "output"]))
    item: dict[str, Any] = {"id": draw(item_ids), "status": draw(statuses)}
    if kind == "call":
        return {
            **item,
            "type": "function_call",
            "call_id": "c1",
            "name": "f",
            "arguments": draw(words),
        }
    if kind == "output":
        return {**item, "type": "function_call_output", "call_id": "c1", "output": draw(words)}
    role = "assistant" if kind == "assistant" else "user"
    part_type = {"user_audio": "input_audio", "user_text": "input_text"}.get(kind, "output_audio")
    part = {"type": part_type, "text" if kind == "user_text" else "transcript": draw(words)}
    return {**item, "type": "message", "role": role, "content": [part]}


def events() -> st.SearchStrategy[dict[str, Any]]:
    content = {"item_id": maybe_item, "response_id": maybe_response}
    return st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    [
                        "conversation.item.added",
                        "conversation.item.done",
                        "conversation.item.created",
                    ]
                ),
                "previous_item_id": maybe_item,
                "item": items(),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    ["response.output_item.added", "response.output_item.done"]
                ),
                "response_id": response_ids,
                "item": items(),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    ["response.output_audio_transcript.delta", "response.output_text.delta"]
                ),
                "delta": words,
                **content,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("response.output_audio_transcript.done"),
                "transcript": words,
                **content,
            }
        ),
        st.fixed_dictionaries(
            {"type": st.just("response.output_text.done"), "text": words, **content}
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("conversation.item.input_audio_transcription.delta"),
                "item_id": item_ids,
                "delta": words,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("conversation.item.input_audio_transcription.completed"),
                "item_id": item_ids,
                "transcript": words,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("conversation.item.input_audio_transcription.failed"),
                "item_id": item_ids,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    [
                        "response.function_call_arguments.delta",
                        "response.function_call_arguments.done",
                    ]
                ),
                "item_id": maybe_item,
                "call_id": st.none() | st.just("c1"),
                "response_id": maybe_response,
                "delta": words,
                "arguments": words,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["response.created", "response.done"]),
                "response": st.fixed_dictionaries(
                    {
                        "id": response_ids,
                        "status": statuses,
                        "usage": st.none()
                        | st.fixed_dictionaries({"total_tokens": st.integers(0, 1000)}),
                    }
                ),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    [
                        "output_audio_buffer.started",
                        "output_audio_buffer.stopped",
                        "output_audio_buffer.cleared",
                    ]
                ),
                "response_id": maybe_response,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped"]
                ),
                "item_id": item_ids,
                "audio_start_ms": st.integers(0, 9000),
                "audio_end_ms": st.integers(0, 9000),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("input_audio_buffer.committed"),
                "item_id": item_ids,
                "previous_item_id": maybe_item,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    ["conversation.item.deleted", "conversation.item.truncated"]
                ),
                "item_id": item_ids,
            }
        ),
    )


actions = st.one_of(
    events(),
    st.fixed_dictionaries({"local_text": words}),
    st.fixed_dictionaries({"interrupt": maybe_response}),
)

STICKY = {"interrupted", "cancelled", "failed"}


class ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


# too_slow: other suites share the 2 cores; generation speed is not what this tests.
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, max_size=40))
def test_any_event_sequence_keeps_the_conversation_consistent(script: list[dict[str, Any]]) -> None:
    conv = Conversation()
    mirror: list[Turn] = []
    # Keyed by id() but holding the turn, so a deleted turn's id is never reused here.
    history: dict[int, tuple[Turn, list[str]]] = {}

    def on_change(change: TurnChange) -> None:
        if change.kind == "added":
            mirror.insert(change.index, change.turn)
        elif change.kind == "removed":
            assert mirror.pop(change.index) is change.turn
        else:
            assert mirror[change.index] is change.turn
        history.setdefault(id(change.turn), (change.turn, []))[1].append(change.turn.status)

    conv.changed.connect(on_change)
    errors = ErrorCounter()
    logging.getLogger("talkline").addHandler(errors)
    try:
        for action in script:
            if "local_text" in action:
                conv.add_local_user_text(action["local_text"])
            elif "interrupt" in action:
                conv.mark_interrupted(action["interrupt"])
            else:
                event = parse_server_event(action)
                assert not isinstance(event, MalformedEvent), event
                conv.apply(event)
    finally:
        logging.getLogger("talkline").removeHandler(errors)

    assert errors.count == 0  # apply() logs instead of raising: a log here is a bug
    ids = [t.item_id for t in conv.items]
    assert len(ids) == len(set(ids))
    assert all(conv.get(i) is t for i, t in zip(ids, conv.items, strict=True))
    assert [id(t) for t in mirror] == [id(t) for t in conv.items]
    for _, statuses_seen in history.values():  # once interrupted/cancelled/failed, always so
        first_sticky = next((i for i, s in enumerate(statuses_seen) if s in STICKY), None)
        if first_sticky is not None:
            assert len(set(statuses_seen[first_sticky:])) == 1, statuses_seen
    assert conv.usage_total.total_tokens == sum(
        u.total_tokens for u in conv.usage_by_response.values()
    )
