"""The history store on real SQLite files: saved, listed, searched, renamed, deleted, kept
through a crash, recovered from a damaged file, private to its owner."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from desktop.core.history import HistoryStore, Retention, SavedCall, SavedTurn

THREE = [
    ("user", "Tell me about the weather in Lyon today"),
    ("assistant", "It is sunny, and the kumquat trees are flowering."),
    ("user", "Thanks, that is all"),
]


def turn(i: int, role: str, text: str, status: str = "completed") -> SavedTurn:
    now = time.time()
    return SavedTurn(f"item_{i}", role, "message", text, status, now, now + 1)


def three_turns(store: HistoryStore, **kw: object) -> str:
    cid = store.start_conversation("openai", "gpt-realtime", "marin", **kw)  # type: ignore[arg-type]
    for i, (role, text) in enumerate(THREE):
        store.save_turn(cid, turn(i, role, text))
    store.flush()
    return cid


@pytest.fixture
def store(tmp_path: Path):
    s = HistoryStore.open(tmp_path / "history.sqlite3")
    yield s
    s.close()


def test_a_three_turn_conversation_is_listed_found_renamed_and_deleted(store) -> None:
    cid = three_turns(store)
    store.save_call(cid, SavedCall("c1", "openai", "gpt-realtime", time.time(), time.time() + 5,
                                   120, 340, 0.0123, 35.0, 420.0))
    store.flush()

    [summary] = store.list_conversations()
    assert summary.id == cid
    assert summary.title == "Tell me about the weather in Lyon today"  # the first words
    assert (summary.provider, summary.turn_count, summary.cost) == ("openai", 3, 0.0123)

    [hit] = store.search("kumquat")  # said in turn two
    assert hit.conversation_id == cid and hit.role == "assistant"
    start, end = hit.spans[0]
    assert hit.snippet[start:end].lower() == "kumquat"

    record = store.get(cid)
    assert [(t.role, t.text) for t in record.turns] == THREE
    assert record.calls[0].connect_ms == 35.0 and record.calls[0].output_tokens == 340

    assert store.rename(cid, "  Weather   in Lyon ")
    assert store.list_conversations()[0].title == "Weather in Lyon"
    assert store.delete(cid)
    assert store.list_conversations() == [] and store.search("kumquat") == []
    assert store.get(cid) is None


def test_a_turn_saved_again_replaces_itself(store) -> None:
    cid = store.start_conversation("local", "m", "v")
    store.save_turn(cid, turn(0, "assistant", "Hello th", "in_progress"))
    store.save_turn(cid, turn(0, "assistant", "Hello there", "interrupted"))
    store.flush()
    [saved] = store.get(cid).turns
    assert (saved.text, saved.status) == ("Hello there", "interrupted")
    assert store.search("ther")[0].snippet == "Hello there"
    assert store.search("th") == []  # two letters: a whole word, not a prefix


@pytest.mark.parametrize("text", [
    '"', '""', '"unbalanced', "kumquat AND", "OR", "NOT kumquat", "NEAR(a b)", "*", "k*",
    "col:umn", "(", ")", "a - b", "^start", "😀", "kumquat 😀", "ümlaut café", "'; DROP TABLE",
    "\x00\x1b[31m", "  ", "",
])
def test_search_takes_any_text(store, text: str) -> None:
    three_turns(store)
    assert isinstance(store.search(text), list)


def test_search_ignores_case_accents_and_finds_word_starts(store) -> None:
    cid = store.start_conversation("local", "m", "v")
    store.save_turn(cid, turn(0, "user", "Un café à Genève, s'il vous plaît"))
    store.flush()
    assert [h.conversation_id for h in store.search("CAFE geneve")] == [cid]
    hit = store.search("gen")[0]
    assert [hit.snippet[a:b] for a, b in hit.spans] == ["Gen"]


def test_search_lists_each_conversation_once_newest_first(store) -> None:
    older = three_turns(store)
    newer = three_turns(store)
    assert [h.conversation_id for h in store.search("kumquat")] == [newer, older]
    assert len(store.search("kumquat", limit=1)) == 1


def test_a_killed_process_keeps_every_finished_turn(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    child = textwrap.dedent(f"""
        import itertools, sys, time
        from pathlib import Path
        from desktop.core.history import HistoryStore, SavedTurn
        store = HistoryStore.open(Path({str(path)!r}))
        cid = store.start_conversation("local", "m", "v")
        for i in range(3):
            store.save_turn(cid, SavedTurn(f"done_{{i}}", "user", "message", f"finished {{i}}",
                                           "completed", time.time(), time.time()))
        store.flush()
        print(cid, flush=True)
        for i in itertools.count():  # the conversation goes on until the kill
            store.save_turn(cid, SavedTurn(f"more_{{i}}", "assistant", "message", "x" * 500,
                                           "completed", time.time(), time.time()))
            time.sleep(0.001)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    cid = proc.stdout.readline().strip()
    time.sleep(0.3)  # mid-conversation: turns are being written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()

    store = HistoryStore.open(path)
    try:
        assert store.notice is None  # not damaged
        texts = [t.text for t in store.get(cid).turns]
        assert texts[:3] == ["finished 0", "finished 1", "finished 2"]
        assert len(texts) > 3 and all(t == "x" * 500 for t in texts[3:])
    finally:
        store.close()


def test_a_corrupt_file_is_moved_aside_and_a_new_history_works(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    store = HistoryStore.open(path)
    try:
        assert store.notice and "moved to history.sqlite3." in store.notice
        [aside] = tmp_path.glob("history.sqlite3.*.unreadable")
        assert aside.read_bytes() == garbage
        cid = three_turns(store)
        assert [s.id for s in store.list_conversations()] == [cid]
    finally:
        store.close()


def test_a_new_file_opened_twice_at_once_is_one_history(tmp_path: Path) -> None:
    """The window (off its loop) and `talkline` may create the file together: neither may
    take the other's fresh tables for a damaged file and move them aside."""
    import threading

    path = tmp_path / "history.sqlite3"
    for _ in range(5):
        stores: list[HistoryStore] = []
        openers = [threading.Thread(target=lambda kept=stores: kept.append(HistoryStore.open(path)))
                   for _ in range(4)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join()
        assert [s.notice for s in stores] == [None] * 4
        cid = three_turns(stores[0])
        assert all(s.get(cid) is not None for s in stores)
        for s in stores:
            s.close()
        assert list(tmp_path.glob("*.unreadable*")) == []
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def test_a_history_from_a_newer_talkline_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    store = HistoryStore.open(path)
    try:
        assert store.notice and "newer Talkline" in store.notice
        assert store.list_conversations() == []
    finally:
        store.close()


def test_an_unusable_folder_still_gives_a_working_history(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = HistoryStore.open(blocker / "history.sqlite3")
    try:
        assert store.notice and "until Talkline closes" in store.notice
        cid = three_turns(store)
        assert store.get(cid) is not None
    finally:
        store.close()


def test_the_files_are_private_to_their_owner(store) -> None:
    three_turns(store)
    files = [store.path, Path(f"{store.path}-wal"), Path(f"{store.path}-shm")]
    assert all(f.exists() for f in files)
    assert {oct(f.stat().st_mode & 0o777) for f in files} == {"0o600"}


def test_thirty_day_retention_deletes_old_conversations(store) -> None:
    old = three_turns(store, started=time.time() - 40 * 86400)
    # its turns were said today in this test: age them too
    recent = three_turns(store)
    db = sqlite3.connect(store.path)
    with db:
        db.execute("UPDATE conversations SET ended = started WHERE id = ?", (old,))
    db.close()
    assert store.apply_retention(Retention.DAYS_30) == 1
    assert [s.id for s in store.list_conversations()] == [recent]
    assert store.search("kumquat")[0].conversation_id == recent


def test_dont_keep_deletes_everything_and_saves_nothing(store) -> None:
    three_turns(store)
    assert store.apply_retention(Retention.OFF) == 1
    three_turns(store)
    assert store.list_conversations() == [] and store.search("kumquat") == []
    # and the words are gone from the files, not only from the tables
    store.flush()
    for suffix in ("", "-wal"):
        assert b"kumquat" not in Path(f"{store.path}{suffix}").read_bytes()


def test_delete_all_leaves_no_words_on_disk(store) -> None:
    for _ in range(3):
        three_turns(store)
    assert store.delete_all() == 3
    assert store.search("kumquat") == []
    for suffix in ("", "-wal"):
        assert b"kumquat" not in Path(f"{store.path}{suffix}").read_bytes()
    three_turns(store)
    assert len(store.search("kumquat")) == 1  # the index still works afterwards


def test_a_short_id_finds_its_conversation(store) -> None:
    cid = three_turns(store)
    assert store.resolve_id(cid[:6]) == cid
    assert store.resolve_id("zz") is None and store.resolve_id("") is None
