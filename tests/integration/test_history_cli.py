"""`talkline history` as a person or a script runs it: a real process, a real history file
(chosen with $TALKLINE_HISTORY)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.core.history import HistoryStore, SavedTurn

SAID = [
    ("user", "Plan a picnic for Saturday"),
    ("assistant", "Bring bread, cheese and a kumquat \x1b[31mtart\x1b[0m \u202eevil."),
    ("user", "Perfect, thanks"),
]


def history(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TALKLINE_HISTORY": str(path)}
    return subprocess.run([sys.executable, "-m", "desktop", "history", *args],
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "h.sqlite3"
    store = HistoryStore.open(path)
    cid = store.start_conversation("openai", "gpt-realtime", "marin")
    for i, (role, text) in enumerate(SAID):
        store.save_turn(cid, SavedTurn(f"i{i}", role, "message", text, "completed",
                                       time.time(), time.time()))
    store.close()
    return path, cid


def test_list_shows_the_conversation_in_words_and_json(saved) -> None:
    path, cid = saved
    out = history(path, "list")
    assert out.returncode == 0, out.stderr
    assert cid[:8] in out.stdout and "Plan a picnic for Saturday" in out.stdout
    assert "openai" in out.stdout and "3 turns" in out.stdout
    [entry] = json.loads(history(path, "list", "--json").stdout)
    assert (entry["id"], entry["turn_count"], entry["provider"]) == (cid, 3, "openai")


def test_show_prints_the_turns_without_terminal_controls(saved) -> None:
    path, cid = saved
    out = history(path, "show", cid[:8])
    assert out.returncode == 0, out.stderr
    assert "You: Plan a picnic for Saturday" in out.stdout
    assert "Assistant: Bring bread, cheese and a kumquat tart evil." in out.stdout  # codes gone
    assert "\x1b" not in out.stdout and "\u202e" not in out.stdout
    md = history(path, "show", cid, "--markdown").stdout
    assert md.startswith("# Plan a picnic for Saturday\n") and "**You**: Perfect, thanks" in md
    data = json.loads(history(path, "show", cid, "--json").stdout)
    assert [t["text"] for t in data["turns"]] == [text for _, text in SAID]  # exact, in JSON


def test_search_finds_a_word_of_the_second_turn(saved) -> None:
    path, cid = saved
    out = history(path, "search", "kumquat")
    assert out.returncode == 0, out.stderr
    assert cid[:8] in out.stdout and "Assistant:" in out.stdout and "\x1b" not in out.stdout
    [hit] = json.loads(history(path, "search", "kumquat", "--json").stdout)
    assert hit["conversation_id"] == cid
    assert history(path, "search", '"NEAR( OR').stdout.startswith("Nothing found")


def test_rename_then_delete(saved) -> None:
    path, cid = saved
    assert history(path, "rename", cid[:8], "Picnic").returncode == 0
    assert "Picnic" in history(path, "list").stdout
    out = history(path, "delete", cid[:8])
    assert out.returncode == 0 and "deleted" in out.stdout
    assert history(path, "list").stdout.strip() == "No conversations saved yet."
    gone = history(path, "show", cid)
    assert gone.returncode == 1 and "no conversation" in gone.stderr
    assert "Traceback" not in gone.stderr


def test_a_damaged_file_is_reported_in_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    out = history(path, "list")
    assert out.returncode == 0
    assert "could not be read" in out.stderr and "moved to" in out.stderr
    assert "Traceback" not in out.stderr
