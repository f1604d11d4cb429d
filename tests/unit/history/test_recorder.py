"""The recorder saves what the transcript shows as final, once, and nothing replayed."""

from __future__ import annotations

from pathlib import Path

from desktop.core.conversation.model import Conversation
from desktop.core.events import parse_server_event
from desktop.core.history import HistoryStore, Retention
from desktop.core.history.recorder import HistoryRecorder
from desktop.core.settings import AppSettings
from desktop.core.settings.schema import HISTORY_RETENTIONS


def item(item_id: str, role: str, text: str, status: str = "completed") -> dict:
    kind = "input_text" if role == "user" else "output_text"
    return {"type": "conversation.item.added", "event_id": f"e_{item_id}", "item": {
        "id": item_id, "type": "message", "role": role, "status": status,
        "content": [{"type": kind, "text": text}]}}


def test_final_turns_are_saved_replayed_ones_are_not(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.sqlite3")
    conversation = Conversation()
    conversation.carried.add("item_carry_1")
    cid = store.start_conversation("local", "m", "v")
    recorder = HistoryRecorder(store, conversation, cid)
    conversation.apply(parse_server_event(item("item_carry_1", "user", "from before")))
    conversation.apply(parse_server_event(item("u1", "user", "hello")))
    conversation.apply(parse_server_event(item("a1", "assistant", "Hi the", "in_progress")))
    store.flush()
    assert [t.item_id for t in store.get(cid).turns] == ["u1"]  # a1 is still being said
    recorder.close()  # the call ends mid-sentence: what was said is kept
    store.flush()
    assert [(t.item_id, t.text, t.status) for t in store.get(cid).turns] == [
        ("u1", "hello", "completed"), ("a1", "Hi the", "in_progress")]
    store.close()


def test_the_retention_setting_loads_and_falls_back(tmp_path: Path) -> None:
    assert AppSettings().history_retention == "keep"
    assert tuple(r.value for r in Retention) == HISTORY_RETENTIONS
    loaded, problems = AppSettings.from_dict({"history_retention": "days_30"})
    assert Retention.parse(loaded.history_retention) is Retention.DAYS_30 and not problems
    loaded, problems = AppSettings.from_dict({"history_retention": "forever"})
    assert loaded.history_retention == "keep" and problems
