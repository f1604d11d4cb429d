"""Real WebRTC calls to the local echo server over loopback, from a raw aiortc client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

from desktop.localserver.server import LocalRealtimeServer
from tests.integration.peer import RATE, Peer, burst, echo_match, loud_seconds

RESPONSE_LIFECYCLE = [
    "response.created",
    "conversation.item.added",
    "response.output_item.added",
    "response.content_part.added",
    "output_audio_buffer.started",
    "response.output_audio_transcript.delta",
    "response.output_audio_transcript.done",
    "response.output_audio.done",
    "response.content_part.done",
    "response.output_item.done",
    "conversation.item.done",
    "response.done",
    "output_audio_buffer.stopped",
]


@pytest.fixture
async def peer(server: LocalRealtimeServer) -> AsyncIterator[Peer]:
    client = Peer(server.base_url or "")
    await client.connect()
    await client.wait_for("session.created")
    yield client
    await client.close()


def dedupe(types: list[str]) -> list[str]:
    """Collapse runs of the same event type (the deltas)."""
    return [t for i, t in enumerate(types) if i == 0 or types[i - 1] != t]


def echo_since(peer: Peer, index: int) -> np.ndarray:
    """The voice track's audio from half a second before event ``index`` arrived."""
    return peer.audio(max(0, peer.event_audio_pos[index] - RATE // 2))


async def set_session(peer: Peer, session: dict[str, Any]) -> dict[str, Any]:
    mark = len(peer.events)
    peer.send({"type": "session.update", "session": {"type": "realtime", **session}})
    return await peer.wait_for("session.updated", after=mark)


async def test_session_created_first_then_updates_merge(
    server: LocalRealtimeServer, peer: Peer,
) -> None:
    created = peer.events[0]
    assert created["type"] == "session.created"
    session = created["session"]
    assert session["object"] == "realtime.session" and session["id"].startswith("sess_")
    assert session["output_modalities"] == ["audio"]
    assert session["audio"]["input"]["turn_detection"] == {
        "type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
        "silence_duration_ms": 500, "create_response": True, "interrupt_response": True,
        "idle_timeout_ms": None,
    }
    assert session["audio"]["output"]["voice"] == "alloy"

    client_id = peer.send({"type": "session.update", "session": {
        "type": "realtime", "instructions": "Only echo.",
        "audio": {"output": {"voice": "marin"},
                  "input": {"turn_detection": {"type": "server_vad", "threshold": 0.7}}},
    }})
    updated = (await peer.wait_for("session.updated"))["session"]
    assert updated["instructions"] == "Only echo."
    assert updated["audio"]["output"] == {**session["audio"]["output"], "voice": "marin"}
    td = updated["audio"]["input"]["turn_detection"]
    assert td["threshold"] == 0.7 and td["silence_duration_ms"] == 500  # defaults filled in
    assert updated["id"] == session["id"]

    # The server recorded exactly what the client sent.
    call = server.calls[0]
    assert [e["event_id"] for e in call.received] == [client_id]
    assert call.received[0]["session"]["instructions"] == "Only echo."


async def test_invalid_updates_answer_with_the_client_event_id(peer: Peer) -> None:
    bad_type = peer.send({"type": "session.update",
                          "session": {"type": "realtime", "instructions": 42}})
    error = await peer.wait_for("error")
    assert error["error"]["event_id"] == bad_type
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["param"] == "session.instructions"

    mark = len(peer.events)
    unknown = peer.send({"type": "session.update",
                         "session": {"type": "realtime", "temperature": 0.8}})
    error = await peer.wait_for("error", after=mark)
    assert error["error"]["event_id"] == unknown
    assert error["error"]["code"] == "unknown_parameter"

    mark = len(peer.events)
    both = peer.send({"type": "session.update",
                      "session": {"type": "realtime", "output_modalities": ["audio", "text"]}})
    error = await peer.wait_for("error", after=mark)
    assert error["error"]["event_id"] == both
    assert "session.updated" not in peer.types()  # nothing was applied


async def test_a_spoken_turn_is_detected_transcribed_and_played_back(
    server: LocalRealtimeServer, peer: Peer,
) -> None:
    sent = burst(1.0)
    await peer.mic.play(sent)
    stopped = await peer.wait_index("output_audio_buffer.stopped", within=15)
    await peer.wait_audio(RATE // 5)  # the last frames still in flight

    types = peer.types()
    turn = types.index("input_audio_buffer.speech_started")
    assert dedupe(types[turn:stopped + 1]) == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.completed",
        *RESPONSE_LIFECYCLE,
    ]
    started = peer.events[turn]
    speech_stopped = peer.events[turn + 1]
    assert started["item_id"] == speech_stopped["item_id"]
    heard_ms = speech_stopped["audio_end_ms"] - started["audio_start_ms"]
    assert 1000 + 300 <= heard_ms <= 1000 + 300 + 500 + 200  # speech + prefix + silence
    committed = await peer.wait_for("input_audio_buffer.committed")
    assert committed["item_id"] == started["item_id"]
    transcript = (await peer.wait_for(
        "conversation.item.input_audio_transcription.completed"))["transcript"]
    assert transcript in ("(0.9 seconds of speech)", "(1.0 seconds of speech)",
                          "(1.1 seconds of speech)")

    deltas = "".join(e["delta"] for e in peer.events
                     if e["type"] == "response.output_audio_transcript.delta")
    done = await peer.wait_for("response.done")
    assert deltas.startswith("Playing back ") and deltas.endswith(" seconds of what I heard.")
    response = done["response"]
    assert response["status"] == "completed"
    assert response["output"][0]["content"][0] == {"type": "output_audio", "transcript": deltas}
    usage = response["usage"]
    assert usage["output_token_details"]["audio_tokens"] >= 20  # ~20 tokens per second played
    assert usage["input_token_details"]["audio_tokens"] >= 10
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]

    # What came back is what was sent.
    played = types.index("output_audio_buffer.started")
    returned = echo_since(peer, played)
    envelope_score, waveform_score = echo_match(returned, sent)
    assert envelope_score >= 0.8 and waveform_score >= 0.8, (envelope_score, waveform_score)
    assert 0.9 <= loud_seconds(returned) <= 1.1

    ids = [e["event_id"] for e in peer.events]
    assert len(set(ids)) == len(ids)
    assert [e["event_id"] for e in server.calls[0].sent] == ids


async def test_typed_text_with_text_output(peer: Peer) -> None:
    await set_session(peer, {"output_modalities": ["text"]})
    mark = len(peer.events)
    peer.send({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user",
        "content": [{"type": "input_text", "text": "hello there"}]}})
    added = await peer.wait_for("conversation.item.added", after=mark)
    assert added["item"]["content"] == [{"type": "input_text", "text": "hello there"}]
    await peer.wait_for("conversation.item.done", after=mark)
    peer.send({"type": "response.create"})
    done = await peer.wait_for("response.done", after=mark)

    text = "".join(e["delta"] for e in peer.events[mark:]
                   if e["type"] == "response.output_text.delta")
    assert text == 'You said: "hello there"'
    assert (await peer.wait_for("response.output_text.done", after=mark))["text"] == text
    assert done["response"]["status"] == "completed"
    assert done["response"]["output_modalities"] == ["text"]
    assert not any(t.startswith("output_audio_buffer") for t in peer.types(mark))

    # A tool result is acknowledged in the same way.
    mark = len(peer.events)
    peer.send({"type": "conversation.item.create", "item": {
        "type": "function_call_output", "call_id": "call_1", "output": '{"ok": true}'}})
    peer.send({"type": "response.create"})
    done = await peer.wait_for("response.done", after=mark)
    assert done["response"]["output"][0]["content"][0]["text"] == 'The tool returned: {"ok": true}'


async def test_typed_text_with_audio_output_and_one_response_at_a_time(peer: Peer) -> None:
    peer.send({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}})
    await peer.wait_for("conversation.item.done")
    peer.send({"type": "response.create"})
    second = peer.send({"type": "response.create"})
    error = await peer.wait_for("error")
    assert error["error"]["event_id"] == second
    assert error["error"]["code"] == "conversation_already_has_active_response"

    stopped = await peer.wait_index("output_audio_buffer.stopped")
    transcript = await peer.wait_for("response.output_audio_transcript.done")
    assert transcript["transcript"] == 'You said: "hi"'
    await peer.wait_audio(RATE // 5)
    played = peer.types().index("output_audio_buffer.started")
    chime = peer.audio(peer.event_audio_pos[played])
    assert 0.3 <= loud_seconds(chime) <= 0.7  # a short soft sound, no fake voice
    assert stopped > played


async def test_push_to_talk_commits_and_replays_on_request(peer: Peer) -> None:
    await set_session(peer, {"audio": {"input": {"turn_detection": None}}})
    mark = len(peer.events)
    peer.send({"type": "input_audio_buffer.clear"})
    empty = peer.send({"type": "input_audio_buffer.commit"})
    error = await peer.wait_for("error", after=mark)
    assert error["error"]["code"] == "input_audio_buffer_commit_empty"
    assert error["error"]["event_id"] == empty

    mark = len(peer.events)
    peer.send({"type": "input_audio_buffer.clear"})
    await peer.wait_for("input_audio_buffer.cleared", after=mark)
    sent = burst(1.0)
    await peer.mic.play(sent)
    await asyncio.sleep(0.2)  # the key is released a moment after the last word
    peer.send({"type": "input_audio_buffer.commit"})
    committed = await peer.wait_for("input_audio_buffer.committed", after=mark)
    transcript = await peer.wait_for("conversation.item.input_audio_transcription.completed",
                                     after=mark)
    assert transcript["item_id"] == committed["item_id"]
    assert transcript["transcript"] in ("(1.0 seconds of speech)", "(0.9 seconds of speech)")
    assert "input_audio_buffer.speech_started" not in peer.types(mark)  # no VAD in this mode
    assert "response.created" not in peer.types(mark)  # nothing until asked

    peer.send({"type": "response.create"})
    await peer.wait_for("output_audio_buffer.stopped", after=mark)
    await peer.wait_audio(RATE // 5)
    played = peer.types().index("output_audio_buffer.started")
    returned = echo_since(peer, played)
    envelope_score, waveform_score = echo_match(returned, sent)
    assert envelope_score >= 0.8 and waveform_score >= 0.8, (envelope_score, waveform_score)


async def test_cancel_stops_the_voice_mid_sentence(peer: Peer) -> None:
    sent = burst(1.0)
    await peer.mic.play(sent)
    played = await peer.wait_index("output_audio_buffer.started", within=15)
    await peer.wait_audio(RATE * 3 // 5)  # some of the echo has been heard
    cancel = peer.send({"type": "response.cancel"})
    done = await peer.wait_for("response.done", after=played)
    assert done["response"]["status"] == "cancelled"
    assert done["response"]["status_details"]["reason"] == "client_cancelled"
    cancelled_at = peer.event_audio_pos[peer.events.index(done)]
    await peer.wait_audio(RATE // 2)

    returned = echo_since(peer, played)
    assert 0.05 < loud_seconds(returned) < 0.8  # part of the 1 s echo, then nothing
    assert loud_seconds(peer.audio(cancelled_at + RATE * 3 // 10)) == 0.0  # after in-flight frames
    assert "output_audio_buffer.stopped" in peer.types(played)

    mark = len(peer.events)
    peer.send({"type": "output_audio_buffer.clear"})
    await peer.wait_for("output_audio_buffer.cleared", after=mark)
    again = peer.send({"type": "response.cancel"})
    error = await peer.wait_for("error", after=mark)
    assert error["error"]["code"] == "response_cancel_not_active"
    assert error["error"]["event_id"] == again != cancel


async def test_speaking_over_the_assistant_interrupts_it(peer: Peer) -> None:
    await peer.mic.play(burst(1.0))
    played = await peer.wait_index("output_audio_buffer.started", within=15)
    await peer.wait_audio(RATE // 2)
    await peer.mic.play(burst(0.6))  # barge in
    cleared = await peer.wait_index("output_audio_buffer.cleared", after=played)
    done_at = await peer.wait_index("response.done", after=played)
    done = peer.events[done_at]
    assert done["response"]["status"] == "cancelled"
    assert done["response"]["status_details"]["reason"] == "turn_detected"
    assert peer.types(played).index("input_audio_buffer.speech_started") < cleared - played
    # The interruption is a new turn of its own, answered in full.
    answer = await peer.wait_for("response.done", after=done_at + 1, within=15)
    assert answer["response"]["status"] == "completed"


async def test_malformed_messages_get_errors_and_the_call_goes_on(
    server: LocalRealtimeServer, peer: Peer,
) -> None:
    peer.send_raw("{not json")
    error = await peer.wait_for("error")
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["event_id"] is None

    mark = len(peer.events)
    peer.send_raw("[1, 2, 3]")
    await peer.wait_for("error", after=mark)
    mark = len(peer.events)
    unknown = peer.send({"type": "session.upgrade"})
    error = await peer.wait_for("error", after=mark)
    assert error["error"]["event_id"] == unknown and error["error"]["param"] == "type"

    updated = await set_session(peer, {"instructions": "still here"})
    assert updated["session"]["instructions"] == "still here"
    assert server.calls[0].malformed == ["{not json", "[1, 2, 3]"]
    assert not server.calls[0].closed


async def test_conversation_items_can_be_retrieved_truncated_and_deleted(peer: Peer) -> None:
    peer.send({"type": "conversation.item.create", "item": {
        "id": "item_mine", "type": "message", "role": "user",
        "content": [{"type": "input_text", "text": "keep me"}]}})
    await peer.wait_for("conversation.item.done")
    peer.send({"type": "conversation.item.retrieve", "item_id": "item_mine"})
    retrieved = await peer.wait_for("conversation.item.retrieved")
    assert retrieved["item"]["content"][0]["text"] == "keep me"

    mark = len(peer.events)
    peer.send({"type": "conversation.item.truncate", "item_id": "item_mine",
               "content_index": 0, "audio_end_ms": 100})
    assert (await peer.wait_for("error", after=mark))["error"]["param"] == "item_id"

    peer.send({"type": "conversation.item.delete", "item_id": "item_mine"})
    deleted = await peer.wait_for("conversation.item.deleted")
    assert deleted["item_id"] == "item_mine"
    mark = len(peer.events)
    peer.send({"type": "conversation.item.retrieve", "item_id": "item_mine"})
    assert (await peer.wait_for("error", after=mark))["error"]["code"] == "item_not_found"


async def test_hangup_ends_the_call_on_the_server(server: LocalRealtimeServer, peer: Peer) -> None:
    call = server.calls[0]
    assert await peer.hangup() == 200
    assert call.closed
    await asyncio.wait_for(call.wait_closed(), 5)


async def test_immediate_echo_returns_audio_while_it_arrives() -> None:
    server = LocalRealtimeServer(echo_mode="immediate")
    base = await server.start()
    client = Peer(base)
    try:
        await client.connect(mode="multipart")
        await client.wait_for("session.created")
        await client.wait_audio(RATE // 2)  # some silence to align against
        start = client.audio_position - RATE // 2
        sent = burst(1.0)
        await client.mic.play(sent)
        still_talking = client.audio_position  # the mic just finished the burst
        await client.wait_audio(RATE // 2)
        returned = client.audio(start)
        envelope_score, waveform_score = echo_match(returned, sent)
        assert envelope_score >= 0.8 and waveform_score >= 0.8, (envelope_score, waveform_score)
        # Most of the burst was already back before the burst was over: no turns, no waiting.
        assert loud_seconds(client.audio(start)[: still_talking - start]) >= 0.5
        assert "input_audio_buffer.speech_started" not in client.types()
        assert "response.created" not in client.types()
    finally:
        await client.close()
        await server.stop()


async def test_stopping_the_server_leaves_no_tasks_behind() -> None:
    before = asyncio.all_tasks()
    server = LocalRealtimeServer()
    client = Peer(await server.start())
    await client.connect()
    await client.wait_for("session.created")
    await client.mic.play(burst(0.3))
    await server.stop()
    await client.close()
    for _ in range(100):  # aiortc's own transports wind down over a few loop turns
        leftover = [t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()]
        if not leftover:
            break
        await asyncio.sleep(0.02)
    assert leftover == []
    assert all(call.closed for call in server.calls)


async def test_idle_timeout_nudges_a_silent_user(peer: Peer) -> None:
    mark = len(peer.events)
    await set_session(peer, {"audio": {"input": {"turn_detection": {
        "type": "server_vad", "idle_timeout_ms": 1000}}}})
    timeout = await peer.wait_for("input_audio_buffer.timeout_triggered", after=mark)
    assert timeout["audio_end_ms"] - timeout["audio_start_ms"] >= 1000
    done = await peer.wait_for("response.done", after=mark)
    assert done["response"]["status"] == "completed"
    transcript = done["response"]["output"][0]["content"][0]["transcript"]
    assert transcript == "I haven't heard anything for 1 second. Are you still there?"
