"""The command line keeps history as the window's Settings say: the settings file is
written by the window's own code (QSettings, INI), `talkline` runs as a separate process
on a real history file, and what is left in that file is what a person would find."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from desktop.core.history import HistoryStore, SavedTurn
from desktop.core.settings import AppSettings
from desktop.ui.settings_store import save_settings

NOT_KEPT = "Conversations are not kept (Settings: Don't keep conversations)"


class Home:
    """A private config folder and history file, as one user's machine."""

    def __init__(self, root: Path) -> None:
        self.config = root / "config"
        self.history = root / "history.sqlite3"
        self.env = {**os.environ, "XDG_CONFIG_HOME": str(self.config),
                    "TALKLINE_HISTORY": str(self.history)}

    def choose(self, retention: str) -> None:
        """What Settings ▸ Conversations writes when the user picks ``retention``."""
        ini = self.config / "Talkline" / "Talkline.ini"
        problem = save_settings(AppSettings(history_retention=retention),
                                QSettings(str(ini), QSettings.Format.IniFormat))
        assert problem is None
        assert f"history_retention={retention}" in ini.read_text()

    def talkline(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "desktop", *args],
                              capture_output=True, text=True, timeout=90, env=self.env)

    def conversations(self) -> list[str]:
        """Every conversation id in the file, read straight from it."""
        if not self.history.exists():
            return []
        db = sqlite3.connect(self.history)
        try:
            return [row[0] for row in db.execute("SELECT id FROM conversations")]
        finally:
            db.close()


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path)


def save_conversation(path: Path, text: str, *, days_ago: float = 0) -> str:
    store = HistoryStore.open(path)
    when = time.time() - days_ago * 86400
    cid = store.start_conversation("local", "echo", "none", started=when)
    store.save_turn(cid, SavedTurn("u1", "user", "message", text, "completed", when, when))
    store.close()
    return cid


def test_dont_keep_in_settings_means_a_call_leaves_nothing(home: Home) -> None:
    home.choose("off")
    out = home.talkline("call", "--provider", "local", "--say", "the secret plan")
    assert out.returncode == 0, out.stderr
    assert "the secret plan" in out.stdout  # the call itself happened
    assert "saved in the history" not in out.stderr
    assert NOT_KEPT not in out.stderr  # no --resume: nothing to say
    assert home.conversations() == []
    for suffix in ("", "-wal"):
        kept = Path(f"{home.history}{suffix}")
        assert not kept.exists() or b"secret plan" not in kept.read_bytes()


def test_dont_keep_with_resume_says_so_once_and_still_talks(home: Home) -> None:
    cid = save_conversation(home.history, "from before the change")
    home.choose("off")
    out = home.talkline("call", "--provider", "local", "--resume", cid[:8], "--say", "hello")
    assert out.returncode == 0, out.stderr
    assert out.stderr.count(NOT_KEPT) == 1 and "Traceback" not in out.stderr
    assert 'You said: "hello"' in out.stdout
    assert home.conversations() == []  # as the window does: what was kept is deleted too


def test_thirty_days_in_settings_prunes_on_a_history_command(home: Home) -> None:
    old = save_conversation(home.history, "an old picnic", days_ago=40)
    recent = save_conversation(home.history, "a recent picnic", days_ago=2)
    listed = home.talkline("history", "list")
    assert old[:8] in listed.stdout  # "keep" (no settings yet): both are there
    home.choose("days_30")
    listed = home.talkline("history", "list")
    assert listed.returncode == 0, listed.stderr
    assert recent[:8] in listed.stdout and old[:8] not in listed.stdout
    assert home.conversations() == [recent]
    assert b"an old picnic" not in home.history.read_bytes()


def test_thirty_days_still_records_and_resumes_a_call(home: Home) -> None:
    home.choose("days_30")
    said = home.talkline("call", "--provider", "local", "--say", "remember kumquat")
    assert said.returncode == 0, said.stderr
    [cid] = home.conversations()
    again = home.talkline("call", "--provider", "local", "--resume", cid[:8], "--say", "and?")
    assert again.returncode == 0, again.stderr
    assert "2 earlier messages were given to the assistant" in again.stderr
    shown = home.talkline("history", "show", cid[:8])
    assert "You: remember kumquat" in shown.stdout and "You: and?" in shown.stdout
