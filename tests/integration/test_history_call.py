"""A real call to the local server, recorded into a real history file: what was said is
saved as it becomes final, the key never reaches the file, and a resumed call receives
the earlier turns in order with their roles; resuming reads the saved record once."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.call.engine import RealtimeCall
from desktop.core.call.rollover import RolloverPolicy, carry_over, replay
from desktop.core.history import HistoryStore, SavedTurn
from desktop.core.history.recorder import HistoryRecorder, resume_turns
from desktop.core.profiles import get_profile
from desktop.core.secrets import KeySource, KeyStore
from desktop.core.session import default_config
from desktop.core.settings.schema import AppSettings
from desktop.core.talk.audio import no_audio
from desktop.core.talk.session import TalkSession
from desktop.localserver.launcher import LocalServerLauncher
from desktop.localserver.server import LocalRealtimeServer
from tests.integration.test_call_local import until

LOCAL = get_profile("local")
KEY = "sk-proj-HISTORYtestKEY0123456789abcdefDO-NOT-STORE"
SAID = ("My name is Ada.", "The secret word is kumquat.", "Goodbye for now.")


def call_to(server: LocalRealtimeServer, api_key: str | None = None) -> RealtimeCall:
    profile = LOCAL.with_base_url(server.base_url)
    return RealtimeCall(profile, default_config(profile), api_key=api_key)


async def talk(call: RealtimeCall, texts: tuple[str, ...]) -> None:
    for text in texts:
        call.send_text(text)
        await until(lambda t=text: any(
            turn.role == "assistant" and turn.status == "completed" and t in turn.text
            for turn in call.conversation.items))


def db_bytes(path: Path) -> bytes:
    return b"".join(Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm"))


@pytest.fixture
def store(tmp_path: Path):
    s = HistoryStore.open(tmp_path / "history.sqlite3")
    yield s
    s.close()


async def test_a_call_is_saved_turn_by_turn_without_its_key(
    server, store, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    key, source = KeyStore().resolve(get_profile("openai"))  # as the app finds a key
    assert (key, source) == (KEY, KeySource.ENVIRONMENT)
    call = call_to(server, api_key=key)
    await call.connect()
    cid = store.start_conversation("local", "echo", "none")
    recorder = HistoryRecorder(store, call.conversation, cid)
    await talk(call, SAID)
    recorder.close()
    await call.close()
    store.flush()

    record = store.get(cid)
    assert [(t.role, t.text) for t in record.turns] == [
        pair for text in SAID for pair in (("user", text), ("assistant", f'You said: "{text}"'))
    ]
    assert record.summary.title == "My name is Ada."
    assert store.search("kumquat")[0].conversation_id == cid
    data = db_bytes(store.path)
    assert KEY.encode() not in data and KEY[8:24].encode() not in data
    assert b"kumquat" in data  # the search does look at what was written


async def test_a_resumed_call_receives_the_earlier_turns_in_order(server, store) -> None:
    first = call_to(server)
    await first.connect()
    cid = store.start_conversation("local", "echo", "none")
    recorder = HistoryRecorder(store, first.conversation, cid)
    await talk(first, SAID[:2])
    recorder.close()
    await first.close()
    store.flush()

    turns = resume_turns(store, cid)
    resumed = call_to(server)
    await resumed.connect()
    new_id = store.start_conversation("local", "echo", "none", resumed_from=cid)
    recorder = HistoryRecorder(store, resumed.conversation, new_id)
    replay(resumed, carry_over(turns, RolloverPolicy()))
    server_call = server.calls[-1]
    await until(lambda: len(server_call.assistant.conversation.items) == 4)
    received = [(item["role"], item["content"][0]["text"])
                for item in server_call.assistant.conversation.items]
    assert received == [(t.role, t.text) for t in store.get(cid).turns]
    assert received[0] == ("user", "My name is Ada.")

    await talk(resumed, SAID[2:])
    recorder.close()
    await resumed.close()
    store.flush()
    # The new conversation keeps only what was said in it (the replayed items are not
    # saved again), under the earlier title; resuming it again reaches back to the start.
    record = store.get(new_id)
    assert [t.text for t in record.turns] == [SAID[2], f'You said: "{SAID[2]}"']
    assert record.summary.title == "My name is Ada." and record.summary.resumed_from == cid
    assert [t.text for t in resume_turns(store, new_id)][::2] == list(SAID)


async def test_resume_reads_the_record_once_and_the_call_goes_on_in_it(store) -> None:
    """What `talkline call --resume` and the window's Resume do: the saved conversation is
    read from the file once, the model is told its turns, and new turns go on in it."""
    first = store.start_conversation("local", "echo", "none")
    for i, (role, text) in enumerate([("user", SAID[0]), ("assistant", "Hello Ada.")]):
        store.save_turn(first, SavedTurn(f"i{i}", role, "message", text, "completed", i, i))
    later = store.start_conversation("local", "echo", "none", resumed_from=first)
    store.save_turn(later, SavedTurn("i2", "user", "message", SAID[1], "completed", 2, 2))
    store.flush()

    launcher = LocalServerLauncher()
    session = TalkSession(AppSettings(), audio_factory=no_audio, local_server=launcher,
                          history=lambda: store)
    try:
        before = store.records_read
        assert session.resume(later[:8])
        # the record resumed, and the one it went on from: each read once
        assert store.records_read - before == 2
        assert [t.text for t in session.conversation.items] == [SAID[0], "Hello Ada.", SAID[1]]
        task = session.connect()
        assert task is not None
        await task
        server = launcher.server
        assert server is not None
        told = server.calls[-1].assistant.conversation.items
        await until(lambda: len(told) >= 3)
        assert [i["content"][0]["text"] for i in told[:3]] == [SAID[0], "Hello Ada.", SAID[1]]
        session.send_text(SAID[2])
        await until(lambda: any(t.role == "assistant" and SAID[2] in t.text
                                and t.status == "completed"
                                for t in session.conversation.items))
        await session.hang_up()
    finally:
        await session.shutdown()
    store.flush()
    assert session.conversation_id == later
    assert [t.text for t in store.get(later).turns] == [
        SAID[1], SAID[2], f'You said: "{SAID[2]}"']
