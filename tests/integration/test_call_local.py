"""The engine against the built-in local server, over real WebRTC on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from desktop.core.audio.files import WavFileTrack, WavRecorder
from desktop.core.call.engine import RealtimeCall
from desktop.core.call.errors import CallError
from desktop.core.call.state import CallState
from desktop.core.profiles import get_profile
from desktop.core.session import TurnDetection, TurnMode, default_config
from desktop.localserver.server import LocalRealtimeServer
from tests.integration.peer import SignalTrack, best_match, burst, loud_seconds

LOCAL = get_profile("local")


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def received_types(server: LocalRealtimeServer) -> list[str]:
    return [e.get("type") for e in server.calls[-1].received]


def make_call(server: LocalRealtimeServer, **kw) -> RealtimeCall:
    cfg = kw.pop("config", default_config(LOCAL))
    return RealtimeCall(LOCAL.with_base_url(server.base_url), cfg, **kw)


async def test_connect_reports_every_stage_and_applies_the_session(server) -> None:
    cfg = replace(default_config(LOCAL), instructions="Answer in one sentence.")
    call = make_call(server, config=cfg)
    states: list[CallState] = []
    call.status_changed.connect(lambda s: states.append(s.state))
    await call.connect()
    assert states == [
        CallState.AUTHORIZING,
        CallState.GATHERING,
        CallState.SIGNALING,
        CallState.CONNECTING,
        CallState.CONNECTED,
    ]
    stages = call.timings.durations_ms()
    assert {"authorizing", "gathering", "signaling", "connecting", "session_ready"} <= set(stages)
    assert call.session["instructions"] == "Answer in one sentence."  # session.updated echoes it
    assert call.call_id and call.call_id == server.calls[-1].call_id
    await call.close()
    assert call.state is CallState.CLOSED
    await until(lambda: server.calls[-1].closed)  # the hang-up reached the server


async def test_text_turn_reply_lands_in_the_conversation(server) -> None:
    call = make_call(server)
    await call.connect()
    call.send_text("what is the time")
    await until(
        lambda: any(
            t.role == "assistant" and t.status == "completed" for t in call.conversation.items
        )
    )
    roles = [(t.role, t.text) for t in call.conversation.items]
    assert roles[0] == ("user", "what is the time")  # not duplicated by the server's echo
    assert "what is the time" in roles[-1][1]
    assert len(roles) == 2
    assert call.conversation.usage_total.total_tokens > 0
    await call.close()


async def test_voice_turn_comes_back_as_the_same_audio(server) -> None:
    sent = burst(1.0)
    mic = WavFileTrack(
        np.concatenate([sent, np.zeros(48_000, dtype=np.int16)]), lead_in_seconds=0.3
    )
    speaker = WavRecorder()
    call = make_call(server, audio_source=mic, audio_sink=speaker)
    await call.connect()
    await until(
        lambda: any(
            t.role == "assistant" and t.status == "completed" for t in call.conversation.items
        ),
        seconds=15,
    )
    await asyncio.sleep(0.3)
    user = next(t for t in call.conversation.items if t.role == "user")
    assert "second" in user.text  # "(1.0 seconds of speech)": the echo server's honest transcript
    score, _offset = best_match(speaker.samples, sent)
    assert score >= 0.8, f"echo does not match what was said (correlation {score:.2f})"
    await call.close()


async def test_push_to_talk_sends_a_turn_only_while_held(server) -> None:
    mic = SignalTrack()
    speaker = WavRecorder()
    cfg = default_config(LOCAL).with_turns(TurnDetection(mode=TurnMode.PUSH_TO_TALK))
    call = make_call(server, config=cfg, audio_source=mic, audio_sink=speaker)
    await call.connect()
    await until(lambda: server.calls[-1].session["audio"]["input"]["turn_detection"] is None)
    await mic.play(burst(0.4))  # spoken while the key is up: must not be heard
    call.ptt_press()
    call.ptt_press()  # auto-repeat
    sent = burst(0.8)
    await mic.play(sent)
    call.ptt_release()
    await until(lambda: "response.create" in received_types(server))
    types = [t for t in received_types(server) if t.startswith(("input_audio", "response"))]
    assert types == ["input_audio_buffer.clear", "input_audio_buffer.commit", "response.create"]
    await until(
        lambda: any(
            t.role == "assistant" and t.status == "completed" for t in call.conversation.items
        )
    )
    await asyncio.sleep(0.3)
    score, _ = best_match(speaker.samples, sent)
    assert score >= 0.8
    # Only the held part came back: 0.8 s, not 1.2 s.
    assert loud_seconds(speaker.samples) < 1.05
    await call.close()


async def test_interrupt_stops_the_assistant_mid_reply(server) -> None:
    mic = SignalTrack()
    speaker = WavRecorder()
    call = make_call(server, audio_source=mic, audio_sink=speaker)
    await call.connect()
    await mic.play(burst(3.0))
    await until(lambda: call.turns.state.assistant_speaking, seconds=15)
    await asyncio.sleep(0.5)
    heard_before = loud_seconds(speaker.samples)
    assert call.interrupt() is True
    await until(lambda: not call.turns.state.response_in_flight)
    types = received_types(server)
    assert types.index("response.cancel") < types.index("output_audio_buffer.clear")
    assistant = [t for t in call.conversation.items if t.role == "assistant"][-1]
    assert assistant.status == "interrupted"
    await asyncio.sleep(1.0)
    # Playback stopped: far less than the 3 s it would have played.
    assert loud_seconds(speaker.samples) - heard_before < 0.5
    assert call.interrupt() is False  # nothing in flight: no stray response.cancel
    assert types.count("response.cancel") == received_types(server).count("response.cancel")
    await call.close()


async def test_close_is_idempotent_and_safe_before_connect(server) -> None:
    call = make_call(server)
    await call.close()
    await call.close()
    call = make_call(server)
    await call.connect()
    await asyncio.gather(call.close(), call.close())
    assert call.state is CallState.CLOSED


async def test_wrong_key_fails_while_authorizing_with_a_sentence() -> None:
    srv = LocalRealtimeServer(require_key="right-key")
    await srv.start()
    try:
        call = RealtimeCall(
            LOCAL.with_base_url(srv.base_url), default_config(LOCAL), api_key="wrong-key"
        )
        with pytest.raises(CallError):
            await call.connect()
        assert call.state is CallState.FAILED
        assert call.status.stage is CallState.AUTHORIZING
        assert "rejected the API key" in call.status.reason
        assert call.status.details  # the server's own message is kept
    finally:
        await srv.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _serve(port: int) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "desktop",
        "serve",
        "--port",
        str(port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return proc
        except OSError:
            await asyncio.sleep(0.1)
    proc.kill()
    await proc.wait()
    raise AssertionError("talkline serve did not start")


async def test_a_killed_server_fails_the_call_quickly_and_reconnect_works() -> None:
    port = _free_port()
    proc = await _serve(port)
    base = f"http://127.0.0.1:{port}"
    try:
        call = RealtimeCall(LOCAL.with_base_url(base), default_config(LOCAL))
        await call.connect()
        os.kill(proc.pid, signal.SIGKILL)  # no goodbye: no BYE, no SCTP abort
        await proc.wait()
        killed = time.monotonic()
        await until(lambda: call.state is CallState.FAILED, seconds=10)
        assert time.monotonic() - killed < 5.0
        assert "stopped responding" in call.status.reason or "lost" in call.status.reason
        proc = await _serve(port)
        again = RealtimeCall(LOCAL.with_base_url(base), default_config(LOCAL))
        await again.connect()
        assert again.state is CallState.CONNECTED
        await again.close()
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
