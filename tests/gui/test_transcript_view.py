"""The transcript widget follows the real Conversation model fed through the real parser.

It must show turns in the server's order even when events arrive out of order, fill a
user's transcription in above a reply that started first, and touch only the streaming
turn's text for each delta.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.core.conversation.model import Conversation
from desktop.core.events.server import parse_server_event
from desktop.ui.widgets.event_log_model import EventLogModel, make_entry
from desktop.ui.widgets.transcript_view import TranscriptView


def item(item_id: str, role: str, status: str, *content: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": role,
        "status": status,
        "content": list(content),
    }


def added(previous: str | None, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": "conversation.item.added", "previous_item_id": previous, "item": body}


def delta(item_id: str, text: str, response: str = "R1") -> dict[str, Any]:
    return {
        "type": "response.output_audio_transcript.delta",
        "response_id": response,
        "item_id": item_id,
        "output_index": 0,
        "content_index": 0,
        "delta": text,
    }


class Feed:
    def __init__(self, view: TranscriptView) -> None:
        self.conversation = Conversation()
        self.conversation.changed.connect(view.apply_change)
        self.view = view

    def __call__(self, *events: dict[str, Any]) -> None:
        for raw in events:
            self.conversation.apply(parse_server_event(json.dumps(raw)))
        self.view.flush()

    def text(self) -> str:
        return self.view.toPlainText()


@pytest.fixture
def feed(qapp: QApplication) -> Feed:
    view = TranscriptView()
    view.resize(500, 400)
    return Feed(view)


def test_turns_follow_the_server_order_not_the_arrival_order(feed: Feed) -> None:
    feed(
        added(None, item("U1", "user", "completed", {"type": "input_text", "text": "Hi"})),
        delta("A1", "Hel"),  # a reply's words before its item
        added("A1", item("U2", "user", "completed", {"type": "input_text", "text": "Next"})),
        added("U1", item("A1", "assistant", "in_progress")),
        delta("A1", "lo"),
    )
    text = feed.text()
    assert text.index("Hi") < text.index("Hello") < text.index("Next")
    assert feed.view.turn_count == 3
    assert text.count("Hello") == 1


def test_a_late_transcription_fills_in_above_the_reply(feed: Feed) -> None:
    feed(added(None, item("U1", "user", "completed", {"type": "input_audio"})))
    assert "…" in feed.text()  # being transcribed
    feed(
        added("U1", item("A1", "assistant", "in_progress")),
        delta("A1", "Sure, here you go."),
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "U1",
            "content_index": 0,
            "transcript": "Can you help me",
        },
    )
    text = feed.text()
    assert "…" not in text
    assert text.index("Can you help me") < text.index("Sure, here you go.")


def test_a_delta_touches_only_its_own_turn(feed: Feed) -> None:
    feed(
        added(None, item("U1", "user", "completed", {"type": "input_text", "text": "First"})),
        added("U1", item("A1", "assistant", "in_progress")),
        delta("A1", "Start"),
    )
    doc = feed.view.document()
    blocks = doc.blockCount()
    first_turn_end = doc.find("First").position()
    changes: list[tuple[int, int, int]] = []
    doc.contentsChange.connect(lambda pos, removed, added_: changes.append((pos, removed, added_)))

    for n in range(200):  # a fast stream: coalesced into one redraw
        feed.conversation.apply(parse_server_event(json.dumps(delta("A1", f" w{n}"))))
    feed.view.flush()

    assert doc.blockCount() == blocks  # nothing re-rendered or duplicated
    assert changes, "the streamed words were not drawn"
    assert len(changes) <= 3
    assert all(pos > first_turn_end and removed == 0 for pos, removed, _ in changes)
    assert feed.text().count("First") == 1 and "Start w0 w1" in feed.text()


def test_interrupted_turns_are_marked_and_announced_once(feed: Feed) -> None:
    announced: list[str] = []
    feed.view.announce.connect(announced.append)
    feed(
        added(None, item("A1", "assistant", "in_progress")),
        {"type": "response.created", "response": {"id": "R1", "status": "in_progress"}},
        delta("A1", "Let me tell you about"),
    )
    feed.conversation.mark_interrupted("R1")
    feed.view.flush()
    feed({"type": "response.done", "response": {"id": "R1", "status": "cancelled"}})
    assert "Assistant ·" in feed.text() and "interrupted" in feed.text()
    assert announced == ["Assistant (interrupted): Let me tell you about"]


def test_function_calls_are_compact(feed: Feed) -> None:
    args = json.dumps({"city": "Paris", "details": "x" * 500})
    feed(
        added(
            None,
            {
                "id": "F1",
                "type": "function_call",
                "status": "completed",
                "name": "get_weather",
                "call_id": "c1",
                "arguments": args,
            },
        ),
        added(
            "F1",
            {"id": "O1", "type": "function_call_output", "call_id": "c1", "output": '{"t": 21}'},
        ),
    )
    text = feed.text()
    assert 'get_weather({"city": "Paris"' in text and "…" in text
    assert "x" * 300 not in text
    assert '→ {"t": 21}' in text
    assert "Tool call ·" in text and "Tool result ·" in text


def test_a_deleted_item_disappears(feed: Feed) -> None:
    feed(
        added(None, item("U1", "user", "completed", {"type": "input_text", "text": "keep"})),
        added("U1", item("U2", "user", "completed", {"type": "input_text", "text": "drop"})),
        {"type": "conversation.item.deleted", "item_id": "U2"},
    )
    assert "keep" in feed.text() and "drop" not in feed.text()
    assert feed.view.turn_count == 1


def test_text_is_selectable_and_copies(feed: Feed) -> None:
    feed(
        added(None, item("U1", "user", "completed", {"type": "input_text", "text": "one"})),
        added("U1", item("U2", "user", "completed", {"type": "input_text", "text": "two"})),
    )
    flags = feed.view.textInteractionFlags()
    assert flags & Qt.TextInteractionFlag.TextSelectableByKeyboard
    feed.view.selectAll()
    feed.view.copy()
    copied = QApplication.clipboard().text()
    assert "one" in copied and "two" in copied


def test_the_event_log_keeps_the_last_few_thousand_redacted() -> None:
    model = EventLogModel(capacity=3000)
    for n in range(3100):
        model.append(make_entry(float(n), "in", "response.done", {"n": n}))
    assert model.rowCount() == 3000
    assert model.entry(0).payload == {"n": 100}
    model.append(make_entry(0.0, "out", "x", {"api_key": "sk-123456789012", "auth": "Bearer x"}))
    kept = model.entry(model.rowCount() - 1)
    assert "sk-123456789012" not in kept.pretty() and "[redacted]" in kept.pretty()
