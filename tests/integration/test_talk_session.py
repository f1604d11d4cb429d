"""The conversation session with no Qt: retry, reconnect, rollover, Disconnect while
waiting, and one conversation across all its calls — against the built-in local server
and the OpenAI test server (its exact wire format), over real WebRTC on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from desktop.core.call.retry import RetryPolicy
from desktop.core.call.rollover import RolloverPolicy
from desktop.core.call.state import CallState
from desktop.core.conversation.model import Turn
from desktop.core.secrets import KeyStore
from desktop.core.settings.schema import AppSettings
from desktop.core.talk.audio import no_audio
from desktop.core.talk.phase import Phase, PhaseKind
from desktop.core.talk.session import TalkSession
from desktop.localserver.launcher import LocalServerLauncher
from desktop.localserver.server import LocalRealtimeServer
from tests.fakes.network import cut_network
from tests.fakes.openai import OpenAIFake
from tests.unit.test_keystore import MemoryKeyring

KEY = "sk-test-session-abcdefghijkl"


async def until(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Recorded:
    """What a session published, in order."""

    def __init__(self, session: TalkSession) -> None:
        self.phases: list[Phase] = []
        self.states: list[CallState] = []
        self.notices: list[str] = []
        session.phase_changed.connect(self.phases.append)
        session.status_changed.connect(lambda status: self.states.append(status.state))
        session.notice.connect(lambda notice: self.notices.append(notice.text))

    def kinds(self) -> list[PhaseKind]:
        return [phase.kind for phase in self.phases]


def replies(session: TalkSession) -> list[str]:
    return [
        t.text
        for t in session.conversation.items
        if t.role == "assistant" and t.status == "completed"
    ]


@pytest.fixture
async def local() -> AsyncIterator[tuple[TalkSession, LocalServerLauncher]]:
    launcher = LocalServerLauncher()
    session = TalkSession(AppSettings(), audio_factory=no_audio, local_server=launcher)
    yield session, launcher
    await session.shutdown()


@pytest.fixture
async def fake() -> AsyncIterator[OpenAIFake]:
    server = OpenAIFake(api_key=KEY)
    await server.start()
    yield server
    await server.stop()


def openai_session(fake: OpenAIFake) -> TalkSession:
    settings = AppSettings(provider="openai")
    settings.providers["openai"].base_url = fake.base_url
    backend = MemoryKeyring()
    store = KeyStore(backend)
    store.set("openai", KEY)
    session = TalkSession(settings, keystore=store, audio_factory=no_audio)
    session.retry_policy = RetryPolicy(first_delay=0.2, max_delay=1.0)
    return session


async def connected(session: TalkSession) -> None:
    task = session.connect()
    assert task is not None
    await task
    assert session.state is CallState.CONNECTED, session.status


async def test_a_typed_turn_moves_through_the_phases_in_order(
    local: tuple[TalkSession, LocalServerLauncher],
) -> None:
    session, _launcher = local
    seen = Recorded(session)
    await connected(session)
    session.send_text("hello")
    await until(lambda: replies(session) == ['You said: "hello"'], "the reply")
    await until(lambda: session.phase.kind is PhaseKind.LISTENING, "listening again")
    kinds = seen.kinds()
    assert kinds[0] is PhaseKind.CONNECTING
    # Thinking (asked, nothing audible), then the reply, then listening again.
    assert kinds.index(PhaseKind.THINKING) < len(kinds) - 1
    assert kinds[-1] is PhaseKind.LISTENING
    assert session.phase.label() == "Listening"


async def test_a_server_error_is_retried_and_the_wait_is_shown(fake: OpenAIFake) -> None:
    fake.fail("calls", 503, times=1)
    session = openai_session(fake)
    seen = Recorded(session)
    try:
        await connected(session)
        waits = [p for p in seen.phases if p.kind is PhaseKind.RETRY_WAIT]
        assert waits and "Trying again in" in waits[0].sentence
        assert waits[0].label().startswith("Trying again in")
        assert seen.states.count(CallState.WAITING) == 1
        assert len(fake.requests_to("calls")) == 2
        session.send_text("still works")
        await until(lambda: any("still works" in r for r in replies(session)), "a reply")
    finally:
        await session.shutdown()


async def test_disconnect_during_a_retry_wait_stops_the_retries(fake: OpenAIFake) -> None:
    fake.fail("calls", 503)  # every time
    session = openai_session(fake)
    session.retry_policy = RetryPolicy(first_delay=30.0)  # a long pause to be cut short
    try:
        session.connect()
        await until(lambda: session.phase.kind is PhaseKind.RETRY_WAIT, "the wait")
        tried = len(fake.requests_to("calls"))
        await session.hang_up()
        assert session.phase.kind is PhaseKind.IDLE
        assert not session.state.is_active
        await asyncio.sleep(0.5)
        assert len(fake.requests_to("calls")) == tried, "no attempt after Disconnect"
    finally:
        await session.shutdown()


async def test_a_dropped_network_reconnects_into_one_conversation(
    local: tuple[TalkSession, LocalServerLauncher],
) -> None:
    session, launcher = local
    seen = Recorded(session)
    await connected(session)
    session.send_text("my name is Ada")
    await until(lambda: len(replies(session)) == 1, "the first reply")
    lost = session.call
    server = launcher.server
    assert server is not None

    cut_network(server)
    await until(lambda: PhaseKind.RECONNECTING in seen.kinds(), "reconnecting", seconds=15)
    await until(
        lambda: session.state is CallState.CONNECTED and session.call is not lost,
        "the reconnection",
        seconds=15,
    )
    assert any("carried over" in n for n in seen.notices)
    items = server.calls[-1].assistant.conversation.items
    await until(lambda: len(items) >= 2, "the earlier turns on the new call")
    assert [item["content"][0]["text"] for item in items][:2] == [
        "my name is Ada",
        'You said: "my name is Ada"',
    ]
    session.send_text("still there")
    await until(lambda: len(replies(session)) == 2, "a reply on the new call")
    # One transcript: the earlier turns once, the new ones after them.
    texts = [t.text for t in session.conversation.items]
    assert texts == [
        "my name is Ada",
        'You said: "my name is Ada"',
        "still there",
        'You said: "still there"',
    ]


async def test_a_session_limit_rolls_over_without_a_gap(
    local: tuple[TalkSession, LocalServerLauncher],
) -> None:
    session, launcher = local
    session.session_limit = lambda _profile: 4.0
    session.rollover_policy = RolloverPolicy(lead_s=2.5, last_moment_s=1.0)
    seen = Recorded(session)
    await connected(session)
    first = session.call
    session.send_text("remember kumquat")
    await until(lambda: len(replies(session)) == 1, "the first reply")
    await until(lambda: session.call is not first, "the rollover", seconds=10)
    assert session.state is CallState.CONNECTED
    after = seen.kinds()[seen.kinds().index(PhaseKind.LISTENING) :]
    assert PhaseKind.IDLE not in after and PhaseKind.CONNECTING not in after
    server = launcher.server
    assert server is not None and len(server.calls) == 2
    carried = server.calls[-1].assistant.conversation.items
    await until(lambda: len(carried) >= 1, "the earlier turns on the new call")
    assert carried[0]["content"][0]["text"] == "remember kumquat"
    session.send_text("and now")
    await until(lambda: len(replies(session)) == 2, "a reply on the new call")


async def test_connect_after_disconnect_continues_and_new_conversation_starts_afresh(
    local: tuple[TalkSession, LocalServerLauncher],
) -> None:
    session, launcher = local
    await connected(session)
    session.send_text("first words")
    await until(lambda: len(replies(session)) == 1, "the reply")
    await session.hang_up()
    assert session.phase.kind is PhaseKind.IDLE

    await connected(session)  # the same conversation goes on
    server = launcher.server
    assert server is not None

    def told() -> list[str]:
        items = server.calls[-1].assistant.conversation.items
        return [item["content"][0]["text"] for item in items]

    await until(lambda: len(told()) >= 2, "the earlier turns")
    assert told()[:2] == ["first words", 'You said: "first words"']
    await session.hang_up()

    earlier = [Turn(item_id="old_1", role="user", text="from history", status="completed")]
    conversation = session.new_conversation(earlier)
    assert [t.text for t in conversation.items] == ["from history"]
    await connected(session)
    await until(lambda: len(told()) >= 1, "the resumed turn")
    assert told() == ["from history"]


async def test_a_server_that_cannot_start_is_a_sentence_not_a_crash() -> None:
    class Broken:
        async def base_url(self) -> str:
            raise OSError("address in use")

        async def stop(self) -> None:
            return None

    session = TalkSession(AppSettings(), audio_factory=no_audio, local_server=Broken())
    try:
        await session.connect()  # type: ignore[misc]
        assert session.phase.kind is PhaseKind.FAILED
        assert "local server could not start" in session.phase.sentence
    finally:
        await session.shutdown()


async def test_the_local_server_starts_once_for_two_connects() -> None:
    made: list[LocalRealtimeServer] = []

    def make() -> LocalRealtimeServer:
        made.append(LocalRealtimeServer())
        return made[-1]

    launcher = LocalServerLauncher(make)
    urls = await asyncio.gather(launcher.base_url(), launcher.base_url())
    try:
        assert len(made) == 1 and urls[0] == urls[1]
    finally:
        await launcher.stop()
