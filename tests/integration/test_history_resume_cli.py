"""The history's promise end to end, as a person would use it from a terminal: a word said
in one call is found by `talkline history search`, and `talkline call --resume ID` against
a hosted provider's test server (OpenAI's exact wire format) gives that provider the
earlier turns, in order and with their roles, before anything else."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.openai import OpenAIFake

KEY = "sk-test-resume-abcdefghijkl"


def talkline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True, text=True, timeout=90, env=env,
    )


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    """The test server on a loop of its own (the CLI is another process)."""
    server = OpenAIFake(api_key=KEY)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_said_found_and_resumed_on_a_provider(tmp_path: Path, fake: OpenAIFake) -> None:
    history = tmp_path / "history.sqlite3"
    env = {**os.environ, "TALKLINE_HISTORY": str(history), "OPENAI_API_KEY": KEY}

    said = talkline(env, "call", "--provider", "local", "--say", "the word is kumquat")
    assert said.returncode == 0, said.stderr
    assert "saved in the history as" in said.stderr

    found = talkline(env, "history", "search", "kumquat", "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert len(hits) == 1
    conversation_id = hits[0]["conversation_id"]

    resumed = talkline(
        env, "call", "--provider", "openai", "--base-url", fake.base_url,
        "--resume", conversation_id[:8], "--say", "what was the word?",
    )
    assert resumed.returncode == 0, resumed.stderr
    received = fake.last_call.received
    created = [e["item"] for e in received if e["type"] == "conversation.item.create"]
    told = [(item["role"], item["content"][0]["text"]) for item in created]
    assert told == [
        ("user", "the word is kumquat"),
        ("assistant", 'You said: "the word is kumquat"'),
        ("user", "what was the word?"),
    ]
    # The same conversation goes on in its record: all four turns, in order.
    shown = talkline(env, "history", "show", conversation_id[:8], "--json")
    turns = [(t["role"], t["text"]) for t in json.loads(shown.stdout)["turns"]]
    assert turns[:3] == told and turns[3][0] == "assistant"
    assert KEY.encode() not in history.read_bytes()


def test_resuming_what_is_not_there_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "TALKLINE_HISTORY": str(tmp_path / "h.sqlite3")}
    out = talkline(env, "call", "--provider", "local", "--resume", "nothere", "--say", "x")
    assert out.returncode == 1
    assert "no saved conversation 'nothere'" in out.stderr
    assert "Traceback" not in out.stderr


def test_no_history_keeps_nothing(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    env = {**os.environ, "TALKLINE_HISTORY": str(history)}
    out = talkline(env, "call", "--provider", "local", "--no-history", "--say", "secret plan")
    assert out.returncode == 0, out.stderr
    listed = talkline(env, "history", "list", "--json")
    assert json.loads(listed.stdout) == []
