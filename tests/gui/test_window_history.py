"""The window keeps its conversations and goes on with one: what is said is saved as it
happens, found in the sidebar, and Resume shows it, connects and tells the model first."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from desktop.core.call.state import CallState
from desktop.core.history import HistoryStore, SavedTurn
from desktop.core.settings import AppSettings
from tests.gui.conftest import Gui, WindowFactory
from tests.gui.test_window_call import connect, reply_in, type_message


def saved_store() -> tuple[HistoryStore, str]:
    store = HistoryStore.open(Path(os.environ["TALKLINE_HISTORY"]))
    cid = store.start_conversation("local", "local-echo", "")
    said = [("user", "the word is kumquat"), ("assistant", 'You said: "the word is kumquat"')]
    for i, (role, text) in enumerate(said):
        store.save_turn(cid, SavedTurn(f"old{i}", role, "message", text, "completed",
                                       time.time(), time.time(), order=i))
    store.flush()
    return store, cid


def test_a_conversation_is_saved_as_it_happens(gui: Gui, make_window: WindowFactory) -> None:
    window = make_window()
    connect(gui, window)
    type_message(gui, window, "remember the lighthouse")
    gui.until(lambda: reply_in(window, "remember the lighthouse"), "the reply")
    store = window.history_dock.store
    gui.until(lambda: bool(store.search("lighthouse")), "the turn in the history", seconds=5)
    hit = store.search("lighthouse")[0]
    assert hit.conversation_id == window.controller.session.conversation_id


def test_resume_shows_the_turns_and_tells_the_model(gui: Gui, make_window: WindowFactory) -> None:
    seeded, cid = saved_store()
    seeded.close()
    window = make_window()
    gui.do(lambda: window.history_dock.resume_requested.emit(cid))
    text = window.transcript.toPlainText()
    assert "the word is kumquat" in text
    gui.until(lambda: window.controller.state is CallState.CONNECTED, "the resumed call")
    server = window.controller.local_server
    assert server is not None
    items = server.calls[-1].assistant.conversation.items
    gui.until(lambda: len(items) >= 2, "the earlier turns told to the model")
    assert [i["content"][0]["text"] for i in items][:2] == [
        "the word is kumquat",
        'You said: "the word is kumquat"',
    ]
    type_message(gui, window, "what was the word")
    gui.until(lambda: reply_in(window, "what was the word"), "the reply")
    store = window.history_dock.store
    store.flush()
    record = store.get(cid)
    assert record is not None
    gui.until(lambda: len((store.get(cid) or record).turns) >= 4, "the new turns saved")
    texts = [t.text for t in (store.get(cid) or record).turns]
    assert texts[:3] == [
        "the word is kumquat",
        'You said: "the word is kumquat"',
        "what was the word",
    ]
    assert window.transcript.toPlainText().count("the word is kumquat") == 2  # turn + reply


def test_thirty_days_in_settings_deletes_older_ones_when_the_window_opens(
    gui: Gui, make_window: WindowFactory
) -> None:
    seeded, recent = saved_store()
    long_ago = time.time() - 40 * 86400
    old = seeded.start_conversation("local", "local-echo", "", started=long_ago)
    seeded.save_turn(old, SavedTurn("o", "user", "message", "an old picnic", "completed",
                                    long_ago, long_ago))
    seeded.close()
    path = Path(os.environ["TALKLINE_HISTORY"])

    def kept() -> list[str]:
        db = sqlite3.connect(path)
        try:
            return [row[0] for row in db.execute("SELECT id FROM conversations")]
        finally:
            db.close()

    window = make_window(AppSettings(history_retention="days_30"))  # nothing else asked
    gui.until(lambda: kept() == [recent], "the old conversation deleted after the paint")
    assert [s.id for s in window.history_dock.store.list_conversations()] == [recent]
