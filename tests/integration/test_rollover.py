"""Rolling a long conversation over into a new call, against the local server (real WebRTC):
the microphone and speaker move, the model gets the conversation so far, the transcript
shows each turn once, and the old call is hung up."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from desktop.core.audio.files import WavRecorder
from desktop.core.call.engine import RealtimeCall
from desktop.core.call.errors import CallError
from desktop.core.call.rollover import RolloverPolicy, carry_over, roll_over
from desktop.core.call.state import CallState
from desktop.core.conversation.model import Conversation
from desktop.core.profiles import get_profile
from desktop.core.session import default_config
from desktop.localserver.server import LocalRealtimeServer
from tests.integration.peer import SignalTrack, best_match, burst
from tests.integration.test_call_local import until

LOCAL = get_profile("local")


def call_to(server: LocalRealtimeServer, **kw: object) -> RealtimeCall:
    profile = LOCAL.with_base_url(server.base_url)
    return RealtimeCall(profile, default_config(profile), **kw)  # type: ignore[arg-type]


def said(conversation: Conversation) -> list[tuple[str, str]]:
    return [(t.role, t.text) for t in conversation.items if t.kind == "message"]


async def test_a_rollover_carries_the_conversation_and_moves_the_audio(server) -> None:
    mic, speaker = SignalTrack(), WavRecorder()
    old = call_to(server, audio_source=mic, audio_sink=speaker)
    await old.connect()
    for text in ("My name is Ada.", "I live in Lyon."):
        old.send_text(text)
        await until(lambda t=text: ("assistant", f'You said: "{t}"') in said(old.conversation))
    before = said(old.conversation)
    assert len(before) == 4
    old_server_call = server.calls[-1]

    new = call_to(server, audio_sink=speaker)  # no microphone until the switch
    carried = await roll_over(old, new, RolloverPolicy())
    assert old.state is CallState.CONNECTED  # until the caller hangs it up
    await old.close()

    assert carried == 4
    assert old.state is CallState.CLOSED and new.state is CallState.CONNECTED
    await until(lambda: old_server_call.closed, seconds=5)
    new_server_call = server.calls[-1]
    assert new_server_call is not old_server_call
    # The new session holds the conversation so far, in order, with the right roles.
    await until(lambda: len(new_server_call.assistant.conversation.items) == 4)
    replayed = [
        (item["role"], item["content"][0]["type"], item["content"][0]["text"])
        for item in new_server_call.assistant.conversation.items
    ]
    assert replayed == [
        (role, "input_text" if role == "user" else "output_text", text) for role, text in before
    ]
    # ... and the transcript shows none of it twice.
    assert said(new.conversation) == []

    # The microphone now speaks to the new call, whose reply comes out of the same speaker.
    start = len(speaker.samples)
    sent = burst(0.8)
    await mic.play(sent)
    await until(lambda: any(t.role == "assistant" and t.status == "completed"
                            for t in new.conversation.items), seconds=15)
    await asyncio.sleep(0.3)
    score, _ = best_match(speaker.samples[start:], sent)
    assert score >= 0.8
    assert mic.readyState == "live"  # closing the old call did not stop the microphone
    await new.close()


async def test_a_failed_new_call_leaves_the_old_one_talking(server) -> None:
    old = call_to(server)
    await old.connect()
    broken = RealtimeCall(
        LOCAL.with_base_url("http://127.0.0.1:9"), default_config(LOCAL)
    )
    with pytest.raises(CallError):
        await roll_over(old, broken, RolloverPolicy())
    assert old.state is CallState.CONNECTED
    old.send_text("still here?")
    await until(lambda: any(t.role == "assistant" for t in old.conversation.items))
    await old.close()


async def test_the_call_knows_when_the_user_is_speaking(server) -> None:
    """A rollover waits for a pause: the server's VAD saying the user talks is one."""
    mic = SignalTrack()
    call = call_to(server, audio_source=mic)
    await call.connect()
    assert not call.user_speaking
    playing = mic.play(burst(1.5))
    await until(lambda: call.user_speaking, seconds=10)
    await playing
    await until(lambda: not call.user_speaking, seconds=10)
    await call.close()


def test_carry_over_keeps_the_most_recent_text_within_the_budget() -> None:
    conversation = Conversation()
    for i in range(6):
        conversation.add_local_user_text(f"message {i} " + "x" * 90)
    policy = replace(RolloverPolicy(), carry_turns=4, carry_chars=250)
    events = carry_over(conversation.items, policy)
    texts = [e.payload["item"]["content"][0]["text"] for e in events]
    assert [t.split()[1] for t in texts] == ["4", "5"]  # newest two fit, oldest first
    ids = [e.payload["item"]["id"] for e in events]
    assert len(set(ids)) == 2 and all(len(i) <= 32 for i in ids)


def test_the_rollover_window_sits_before_the_limit() -> None:
    assert RolloverPolicy(lead_s=120, last_moment_s=20).window(3600) == (3480, 3580)
    assert RolloverPolicy(lead_s=120, last_moment_s=20).window(60) == (0, 40)
