"""The conversation turns a realistic stream of server events into the transcript a user sees."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from desktop.core.conversation import Conversation, Turn, TurnChange
from desktop.core.events.payloads import Usage
from desktop.core.events.server import MalformedEvent, UnknownEvent, parse_server_event

T0 = datetime(2026, 1, 5, 12, 3, 4, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Mirror:
    """A renderer that only follows ``changed`` notifications, like the window does."""

    def __init__(self, conversation: Conversation) -> None:
        self.rows: list[Turn] = []
        self.updates = 0
        conversation.changed.connect(self.on_change)

    def on_change(self, change: TurnChange) -> None:
        if change.kind == "added":
            self.rows.insert(change.index, change.turn)
        elif change.kind == "removed":
            assert self.rows[change.index] is change.turn
            del self.rows[change.index]
        else:
            assert self.rows[change.index] is change.turn
            self.updates += 1


def feed(conversation: Conversation, *payloads: dict[str, Any]) -> None:
    """Send events through the real parser, as the engine does."""
    for payload in payloads:
        event = parse_server_event(json.dumps(payload))
        assert not isinstance(event, MalformedEvent | UnknownEvent), event
        conversation.apply(event)


def rows(conversation: Conversation) -> list[tuple[str, str, str, str]]:
    return [(t.item_id, t.role, t.status, t.text) for t in conversation.items]


def usage(total: int, inp: int, out: int, audio_in: int = 0, cached: int = 0) -> dict[str, Any]:
    return {
        "total_tokens": total,
        "input_tokens": inp,
        "output_tokens": out,
        "input_token_details": {
            "text_tokens": inp - audio_in,
            "audio_tokens": audio_in,
            "cached_tokens": cached,
            "cached_tokens_details": {"text_tokens": cached, "audio_tokens": 0},
        },
        "output_token_details": {"text_tokens": out // 4, "audio_tokens": out - out // 4},
    }


def message(item_id: str, role: str, status: str, *parts: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": role,
        "status": status,
        "content": list(parts),
    }


def audio_transcript(item_id: str, response_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": f"response.output_audio_transcript.{kind}",
        "response_id": response_id,
        "item_id": item_id,
        "output_index": 0,
        "content_index": 0,
        **fields,
    }


# --- the scripted call -------------------------------------------------------------------


def user_voice_turn_transcribed_late(conv: Conversation, clock: Clock) -> None:
    """The user speaks; the assistant starts answering before the transcription is in."""
    feed(
        conv,
        {"type": "session.created", "session": {"type": "realtime"}},
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": 1000, "item_id": "U1"},
        {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 3400, "item_id": "U1"},
        {"type": "input_audio_buffer.committed", "previous_item_id": None, "item_id": "U1"},
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": message("U1", "user", "completed", {"type": "input_audio", "transcript": None}),
        },
        {
            "type": "conversation.item.done",
            "previous_item_id": None,
            "item": message("U1", "user", "completed", {"type": "input_audio", "transcript": None}),
        },
        {"type": "response.created", "response": {"id": "R1", "status": "in_progress"}},
    )
    clock.now += 2
    feed(
        conv,
        {
            "type": "response.output_item.added",
            "response_id": "R1",
            "output_index": 0,
            "item": message("A1", "assistant", "in_progress"),
        },
        {
            "type": "conversation.item.added",
            "previous_item_id": "U1",
            "item": message("A1", "assistant", "in_progress"),
        },
        audio_transcript("A1", "R1", "delta", delta="The weather"),
        {"type": "output_audio_buffer.started", "response_id": "R1"},
        audio_transcript("A1", "R1", "delta", delta=" in Paris"),
    )
    # Mid-answer, the user's words arrive.
    assert rows(conv) == [
        ("U1", "user", "in_progress", ""),
        ("A1", "assistant", "in_progress", "The weather in Paris"),
    ]
    feed(
        conv,
        {
            "type": "conversation.item.input_audio_transcription.delta",
            "item_id": "U1",
            "content_index": 0,
            "delta": "What's the",
        },
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "U1",
            "content_index": 0,
            "transcript": "What's the weather in Paris?",
        },
        audio_transcript("A1", "R1", "done", transcript="The weather in Paris is sunny."),
        {
            "type": "response.output_item.done",
            "response_id": "R1",
            "output_index": 0,
            "item": message(
                "A1",
                "assistant",
                "completed",
                {"type": "output_audio", "transcript": "The weather in Paris is sunny."},
            ),
        },
        {
            "type": "response.done",
            "response": {"id": "R1", "status": "completed", "usage": usage(300, 200, 100, 150)},
        },
        {"type": "output_audio_buffer.stopped", "response_id": "R1"},
    )


def interrupted_answer_arriving_out_of_order(conv: Conversation, clock: Clock) -> None:
    """The assistant's item is announced before the user item it follows; then the user
    barges in while the answer is playing."""
    clock.now += 10
    feed(
        conv,
        {"type": "response.created", "response": {"id": "R2", "status": "in_progress"}},
        {
            "type": "conversation.item.added",
            "previous_item_id": "U2",
            "item": message("A2", "assistant", "in_progress"),
        },
        {
            "type": "conversation.item.added",
            "previous_item_id": "A1",
            "item": message(
                "U2", "user", "completed", {"type": "input_audio", "transcript": "And tomorrow?"}
            ),
        },
        {
            "type": "conversation.item.done",
            "previous_item_id": "A1",
            "item": message(
                "U2", "user", "completed", {"type": "input_audio", "transcript": "And tomorrow?"}
            ),
        },
        {"type": "output_audio_buffer.started", "response_id": "R2"},
        audio_transcript("A2", "R2", "delta", delta="Tomorrow it will"),
        audio_transcript("A2", "R2", "delta", delta=" rain, so"),
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": 9000, "item_id": "U9"},
        {"type": "output_audio_buffer.cleared", "response_id": "R2"},
        {
            "type": "response.done",
            "response": {
                "id": "R2",
                "status": "cancelled",
                "status_details": {"type": "cancelled", "reason": "turn_detected"},
                "output": [message("A2", "assistant", "incomplete")],
                "usage": usage(120, 100, 20),
            },
        },
    )


def typed_message(conv: Conversation, clock: Clock) -> Turn:
    clock.now += 5
    local = conv.add_local_user_text("Actually, what about Rome?")
    assert (local.status, local.source, local.pending) == ("in_progress", "typed", True)
    assert conv.items[-1] is local
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": "A2",
            "item": message(
                "T1",
                "user",
                "completed",
                {"type": "input_text", "text": "Actually, what about Rome?"},
            ),
        },
    )
    return local


def function_call_and_answer(conv: Conversation, clock: Clock) -> None:
    clock.now += 1
    call = {
        "id": "F1",
        "type": "function_call",
        "status": "in_progress",
        "call_id": "call_9",
        "name": "get_weather",
        "arguments": "",
    }
    ids = {"response_id": "R3", "item_id": "F1", "output_index": 0, "call_id": "call_9"}
    feed(
        conv,
        {"type": "response.created", "response": {"id": "R3", "status": "in_progress"}},
        {
            "type": "response.output_item.added",
            "response_id": "R3",
            "output_index": 0,
            "item": call,
        },
        {"type": "conversation.item.added", "previous_item_id": "T1", "item": call},
        {"type": "response.function_call_arguments.delta", **ids, "delta": '{"city":'},
        {"type": "response.function_call_arguments.delta", **ids, "delta": '"Rome"}'},
        {
            "type": "response.function_call_arguments.done",
            **ids,
            "name": "get_weather",
            "arguments": '{"city":"Rome"}',
        },
        {
            "type": "response.done",
            "response": {
                "id": "R3",
                "status": "completed",
                "output": [dict(call, status="completed", arguments='{"city":"Rome"}')],
                "usage": usage(80, 70, 10),
            },
        },
    )
    clock.now += 1
    output = {"id": "O1", "type": "function_call_output", "call_id": "call_9", "output": '{"c":20}'}
    feed(
        conv,
        {"type": "conversation.item.added", "previous_item_id": "F1", "item": output},
        {"type": "response.created", "response": {"id": "R4", "status": "in_progress"}},
        {
            "type": "response.output_item.added",
            "response_id": "R4",
            "item": message("A4", "assistant", "in_progress"),
        },
        audio_transcript("A4", "R4", "delta", delta="It's 20 degrees in Rome."),
        audio_transcript("A4", "R4", "done", transcript="It's 20 degrees in Rome."),
        {"type": "response.done", "response": {"id": "R4", "status": "completed"}},
    )


@pytest.fixture
def call() -> tuple[Conversation, Clock, Mirror, Turn]:
    clock = Clock()
    conv = Conversation(clock=clock)
    mirror = Mirror(conv)
    user_voice_turn_transcribed_late(conv, clock)
    interrupted_answer_arriving_out_of_order(conv, clock)
    local = typed_message(conv, clock)
    function_call_and_answer(conv, clock)
    return conv, clock, mirror, local


def test_scripted_call_gives_the_transcript_in_server_order(
    call: tuple[Conversation, Clock, Mirror, Turn],
) -> None:
    conv, _, _, _ = call
    assert rows(conv) == [
        ("U1", "user", "completed", "What's the weather in Paris?"),
        ("A1", "assistant", "completed", "The weather in Paris is sunny."),
        ("U2", "user", "completed", "And tomorrow?"),
        ("A2", "assistant", "interrupted", "Tomorrow it will rain, so"),
        ("T1", "user", "completed", "Actually, what about Rome?"),
        ("F1", "assistant", "completed", ""),
        ("O1", "tool", "completed", ""),
        ("A4", "assistant", "completed", "It's 20 degrees in Rome."),
    ]
    by_id = {t.item_id: t for t in conv.items}
    assert by_id["U1"].audio_seconds == pytest.approx(2.4)
    assert by_id["U1"].source == "voice"
    assert by_id["T1"].source == "typed"
    assert by_id["A2"].response_id == "R2"
    f1 = by_id["F1"]
    assert (f1.kind, f1.name, f1.call_id, f1.arguments) == (
        "function_call",
        "get_weather",
        "call_9",
        '{"city":"Rome"}',
    )
    assert (by_id["O1"].kind, by_id["O1"].output) == ("function_call_output", '{"c":20}')


def test_renderer_following_notifications_ends_with_the_same_order(
    call: tuple[Conversation, Clock, Mirror, Turn],
) -> None:
    conv, _, mirror, _ = call
    assert [id(t) for t in mirror.rows] == [id(t) for t in conv.items]
    assert mirror.updates > 10  # streamed text is announced as it grows


def test_typed_message_is_reconciled_not_duplicated(
    call: tuple[Conversation, Clock, Mirror, Turn],
) -> None:
    conv, _, _, local = call
    typed = [t for t in conv.items if t.text == "Actually, what about Rome?"]
    assert typed == [local]  # the same object the window already shows
    assert (local.item_id, local.status, local.pending) == ("T1", "completed", False)
    assert conv.get("T1") is local


def test_usage_is_summed_across_responses(
    call: tuple[Conversation, Clock, Mirror, Turn],
) -> None:
    conv, _, _, _ = call
    assert set(conv.usage_by_response) == {"R1", "R2", "R3"}
    total = conv.usage_total
    assert (total.total_tokens, total.input_tokens, total.output_tokens) == (500, 370, 130)
    assert total.input_token_details.audio_tokens == 150
    assert total.output_token_details.audio_tokens == 75 + 15 + 8


def test_markdown_export(call: tuple[Conversation, Clock, Mirror, Turn]) -> None:
    conv, _, _, _ = call
    assert conv.to_markdown(tz=UTC) == (
        "**You** (12:03:04): What's the weather in Paris?\n\n"
        "**Assistant** (12:03:06): The weather in Paris is sunny.\n\n"
        "**You** (12:03:16): And tomorrow?\n\n"
        "**Assistant** (12:03:16): Tomorrow it will rain, so *(interrupted)*\n\n"
        "**You** (12:03:21): Actually, what about Rome?\n\n"
        '**Tool call** (12:03:22): `get_weather({"city":"Rome"})`\n\n'
        '**Tool result** (12:03:23): `{"c":20}`\n\n'
        "**Assistant** (12:03:23): It's 20 degrees in Rome.\n\n"
        "---\n\n"
        "_Tokens: 500 total (input 370, output 130)_\n"
    )


def test_json_export_and_load_round_trip(call: tuple[Conversation, Clock, Mirror, Turn]) -> None:
    conv, _, _, _ = call
    data = json.loads(conv.to_json())
    assert data["version"] == 1
    assert [(t["item_id"], t["role"], t["kind"], t["status"]) for t in data["turns"]] == [
        ("U1", "user", "message", "completed"),
        ("A1", "assistant", "message", "completed"),
        ("U2", "user", "message", "completed"),
        ("A2", "assistant", "message", "interrupted"),
        ("T1", "user", "message", "completed"),
        ("F1", "assistant", "function_call", "completed"),
        ("O1", "tool", "function_call_output", "completed"),
        ("A4", "assistant", "message", "completed"),
    ]
    assert data["turns"][0]["created_at"] == T0
    assert data["usage"]["total_tokens"] == 500
    assert data["usage_by_response"]["R2"]["input_tokens"] == 100

    loaded = Conversation.from_json(conv.to_json())
    assert [t.to_dict() for t in loaded.items] == [t.to_dict() for t in conv.items]
    assert loaded.usage_total == conv.usage_total
    assert loaded.to_markdown(tz=UTC) == conv.to_markdown(tz=UTC)


def test_recent_turns_are_copies_of_the_latest(
    call: tuple[Conversation, Clock, Mirror, Turn],
) -> None:
    conv, _, _, _ = call
    recent = conv.recent_turns(3, messages_only=True)
    assert [t.item_id for t in recent] == ["A2", "T1", "A4"]
    recent[0].text = "changed"
    assert conv.get("A2").text == "Tomorrow it will rain, so"  # type: ignore[union-attr]
    assert [t.item_id for t in conv.recent_turns(2)] == ["O1", "A4"]
    assert conv.recent_turns(0) == []


# --- focused cases -----------------------------------------------------------------------


def test_usage_changed_reports_the_running_total() -> None:
    conv = Conversation()
    totals: list[Usage] = []
    conv.usage_changed.connect(totals.append)
    feed(
        conv,
        {"type": "response.done", "response": {"id": "R1", "usage": usage(10, 6, 4)}},
        {"type": "response.done", "response": {"id": "R2", "usage": usage(30, 20, 10, cached=5)}},
    )
    assert [u.total_tokens for u in totals] == [10, 40]
    assert totals[-1].input_token_details.cached_tokens == 5
    assert conv.usage_total == totals[-1]


def test_assistant_delta_before_its_item_creates_one_turn_placed_later() -> None:
    conv = Conversation()
    mirror = Mirror(conv)
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": message("U1", "user", "completed", {"type": "input_text", "text": "Hi"}),
        },
        audio_transcript("A1", "R1", "delta", delta="Hel"),
        {
            "type": "conversation.item.added",
            "previous_item_id": "A1",
            "item": message("U2", "user", "completed", {"type": "input_text", "text": "Next"}),
        },
        {
            "type": "conversation.item.added",
            "previous_item_id": "U1",
            "item": message("A1", "assistant", "in_progress"),
        },
        audio_transcript("A1", "R1", "delta", delta="lo"),
    )
    assert rows(conv) == [
        ("U1", "user", "completed", "Hi"),
        ("A1", "assistant", "in_progress", "Hello"),
        ("U2", "user", "completed", "Next"),
    ]
    assert mirror.rows == conv.items


def test_item_whose_predecessor_arrives_later_is_placed_after_it() -> None:
    conv = Conversation()
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": "B",
            "item": message("C", "assistant", "completed"),
        },
        {
            "type": "conversation.item.added",
            "previous_item_id": "A",
            "item": message("B", "user", "completed", {"type": "input_text", "text": "b"}),
        },
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": message("A", "user", "completed", {"type": "input_text", "text": "a"}),
        },
    )
    assert [t.item_id for t in conv.items] == ["A", "B", "C"]


def test_unknown_previous_item_appends() -> None:
    conv = Conversation()
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": message("A", "user", "completed", {"type": "input_text", "text": "a"}),
        },
        {
            "type": "conversation.item.added",
            "previous_item_id": "gone",
            "item": message("B", "user", "completed", {"type": "input_text", "text": "b"}),
        },
    )
    assert [t.item_id for t in conv.items] == ["A", "B"]


def test_text_and_audio_streams_of_one_item_are_not_shown_twice() -> None:
    conv = Conversation()
    ids = {"response_id": "R1", "item_id": "A1", "output_index": 0}
    feed(
        conv,
        {"type": "response.output_text.delta", **ids, "content_index": 0, "delta": "Hi!"},
        audio_transcript("A1", "R1", "delta", delta="Hi!"),
        {"type": "response.output_text.done", **ids, "content_index": 0, "text": "Hi!"},
        audio_transcript("A1", "R1", "done", transcript="Hi!"),
    )
    assert rows(conv) == [("A1", "assistant", "in_progress", "Hi!")]
    assert conv.items[0].source == "typed"


def test_preview_event_names_stream_text_too() -> None:
    conv = Conversation()
    feed(
        conv,
        {
            "type": "conversation.item.created",
            "previous_item_id": None,
            "item": message("A1", "assistant", "in_progress"),
        },
        {
            "type": "response.audio_transcript.delta",
            "response_id": "R1",
            "item_id": "A1",
            "delta": "Hello",
        },
        {
            "type": "response.audio_transcript.done",
            "response_id": "R1",
            "item_id": "A1",
            "transcript": "Hello there",
        },
        {"type": "response.done", "response": {"id": "R1", "status": "completed"}},
    )
    assert rows(conv) == [("A1", "assistant", "completed", "Hello there")]


def test_clear_after_playback_finished_does_not_interrupt() -> None:
    conv = Conversation()
    feed(
        conv,
        {"type": "response.created", "response": {"id": "R1"}},
        {
            "type": "response.output_item.added",
            "response_id": "R1",
            "item": message("A1", "assistant", "in_progress"),
        },
        {"type": "output_audio_buffer.started", "response_id": "R1"},
        audio_transcript("A1", "R1", "done", transcript="Done talking."),
        {"type": "response.done", "response": {"id": "R1", "status": "completed"}},
        {"type": "output_audio_buffer.stopped", "response_id": "R1"},
        {"type": "output_audio_buffer.cleared", "response_id": "R1"},
    )
    assert conv.items[0].status == "completed"


def test_clear_while_audio_still_plays_after_response_done_interrupts() -> None:
    conv = Conversation()
    feed(
        conv,
        {"type": "response.created", "response": {"id": "R1"}},
        {
            "type": "response.output_item.added",
            "response_id": "R1",
            "item": message("A1", "assistant", "in_progress"),
        },
        {"type": "output_audio_buffer.started", "response_id": "R1"},
        audio_transcript("A1", "R1", "done", transcript="A long story about"),
        {"type": "response.done", "response": {"id": "R1", "status": "completed"}},
        {"type": "output_audio_buffer.cleared"},  # no response id: the one playing
    )
    assert (conv.items[0].status, conv.items[0].text) == ("interrupted", "A long story about")


def test_client_side_interrupt_sticks_through_later_events() -> None:
    conv = Conversation()
    feed(
        conv,
        {"type": "response.created", "response": {"id": "R1"}},
        {
            "type": "response.output_item.added",
            "response_id": "R1",
            "item": message("A1", "assistant", "in_progress"),
        },
        audio_transcript("A1", "R1", "delta", delta="Once upon"),
    )
    conv.mark_interrupted()
    feed(
        conv,
        audio_transcript("A1", "R1", "delta", delta=" a time"),
        {
            "type": "response.output_item.done",
            "response_id": "R1",
            "item": message("A1", "assistant", "completed"),
        },
        {"type": "response.done", "response": {"id": "R1", "status": "completed"}},
    )
    assert conv.items[0].status == "interrupted"
    assert "(interrupted)" in conv.to_markdown()


def test_failed_transcription_is_marked() -> None:
    conv = Conversation()
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": message("U1", "user", "completed", {"type": "input_audio"}),
        },
        {
            "type": "conversation.item.input_audio_transcription.failed",
            "item_id": "U1",
            "content_index": 0,
            "error": {"type": "transcription_error", "message": "bad audio"},
        },
    )
    assert conv.items[0].status == "failed"
    assert conv.to_markdown(tz=UTC).endswith("*(no transcript)* *(transcription failed)*\n")


def test_transcription_before_the_item_makes_one_user_turn() -> None:
    conv = Conversation()
    feed(
        conv,
        {
            "type": "conversation.item.input_audio_transcription.delta",
            "item_id": "U1",
            "delta": "Hi",
        },
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": message("U1", "user", "completed", {"type": "input_audio", "transcript": None}),
        },
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "U1",
            "transcript": "Hi there",
        },
    )
    assert rows(conv) == [("U1", "user", "completed", "Hi there")]


def test_identical_typed_messages_are_claimed_in_order() -> None:
    conv = Conversation()
    first = conv.add_local_user_text("ok")
    second = conv.add_local_user_text("ok")
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": message("T1", "user", "completed", {"type": "input_text", "text": "ok"}),
        },
    )
    assert (first.item_id, first.pending, second.pending) == ("T1", False, True)
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": "T1",
            "item": message("T2", "user", "completed", {"type": "input_text", "text": "ok"}),
        },
    )
    assert [t.item_id for t in conv.items] == ["T1", "T2"]
    assert conv.items[1] is second


def test_typed_message_with_client_chosen_id_is_matched_by_id() -> None:
    conv = Conversation()
    local = conv.add_local_user_text("hello", item_id="msg_local_1")
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": message(
                "msg_local_1", "user", "completed", {"type": "input_text", "text": "hello"}
            ),
        },
    )
    assert conv.items == [local]
    assert local.status == "completed"


def test_deleted_item_is_removed() -> None:
    conv = Conversation()
    mirror = Mirror(conv)
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": message("U1", "user", "completed", {"type": "input_text", "text": "a"}),
        },
        {"type": "conversation.item.deleted", "item_id": "U1"},
        {"type": "conversation.item.deleted", "item_id": "never-existed"},
    )
    assert conv.items == [] and mirror.rows == []
    assert conv.get("U1") is None


def test_loose_server_without_item_ids_still_streams_into_one_turn() -> None:
    conv = Conversation()
    feed(
        conv,
        {"type": "response.created", "response": {"id": "R1"}},
        {"type": "response.text.delta", "response_id": "R1", "delta": "Hel"},
        {"type": "response.text.delta", "response_id": "R1", "delta": "lo"},
        {"type": "response.done", "response": {"id": "R1", "status": "completed"}},
    )
    assert [(t.role, t.status, t.text) for t in conv.items] == [("assistant", "completed", "Hello")]


def test_failed_response_marks_its_unfinished_turns() -> None:
    conv = Conversation()
    feed(
        conv,
        {
            "type": "response.output_item.added",
            "response_id": "R1",
            "item": message("A1", "assistant", "in_progress"),
        },
        {
            "type": "response.done",
            "response": {"id": "R1", "status": "failed", "status_details": {"type": "failed"}},
        },
    )
    assert conv.items[0].status == "failed"


def test_events_the_transcript_ignores_change_nothing() -> None:
    conv = Conversation()
    changes: list[TurnChange] = []
    conv.changed.connect(changes.append)
    for raw in (
        '{"type": "rate_limits.updated", "rate_limits": []}',
        "not json",
        '{"type": "brand.new.event"}',
        '{"type": "error", "error": {"message": "x"}}',
    ):
        conv.apply(parse_server_event(raw))
    assert conv.items == [] and changes == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "not a Talkline conversation"),
        ("[]", "no list of turns"),
        ('{"version": 2, "turns": []}', "version 2"),
        ('{"turns": [{"role": "user"}]}', "turns[0].item_id"),
        ('{"turns": [{"item_id": "a", "role": "robot"}]}', "turns[0].role"),
        ('{"turns": [], "usage": {"total_tokens": "many"}}', "usage.total_tokens"),
    ],
)
def test_loading_a_bad_file_gives_a_readable_error(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        Conversation.from_json(text)


def test_markdown_of_tool_calls_is_compact_and_safe() -> None:
    conv = Conversation(clock=Clock())
    arguments = json.dumps({"text": "`tick` " + "x" * 500})
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": {
                "id": "F1",
                "type": "function_call",
                "call_id": "c",
                "name": "echo",
                "arguments": arguments,
            },
        },
    )
    # Cut to 200 characters, fenced with two backticks because the text holds one.
    call = f"echo({arguments})"
    assert conv.to_markdown(tz=UTC) == f"**Tool call** (12:03:04): ``{call[:199]}…``\n"


def test_rtav_open_loop_echo_is_a_finished_assistant_turn() -> None:
    conv = Conversation()
    feed(
        conv,
        {
            "type": "conversation.item.created",
            "previous_item_id": None,
            "item": message("A1", "assistant", "completed", {"type": "text", "text": "Welcome!"}),
        },
    )
    assert rows(conv) == [("A1", "assistant", "completed", "Welcome!")]
    assert conv.items[0].source == "typed"


def test_late_item_without_a_known_predecessor_keeps_its_place() -> None:
    conv = Conversation()
    feed(
        conv,
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": message("U0", "user", "completed", {"type": "input_text", "text": "a"}),
        },
        {
            "type": "conversation.item.input_audio_transcription.delta",
            "item_id": "U1",
            "delta": "b",
        },
        audio_transcript("A1", "R1", "delta", delta="c"),
        {
            "type": "conversation.item.added",
            "previous_item_id": "trimmed-away",
            "item": message("U1", "user", "completed", {"type": "input_audio"}),
        },
    )
    assert [t.item_id for t in conv.items] == ["U0", "U1", "A1"]
