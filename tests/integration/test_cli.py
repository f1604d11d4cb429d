"""`talkline call` as a script would run it: a real process, the in-process local server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from desktop.core.audio.files import read_wav_mono48k, write_wav
from tests.integration.peer import best_match, burst


def talkline(
    *args: str, timeout: float = 60, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_text_turn_prints_the_transcript_and_exits_0() -> None:
    out = talkline("call", "--provider", "local", "--say", "good morning")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["You: good morning", 'Assistant: You said: "good morning"']
    assert "Traceback" not in out.stderr


def test_json_lines_carry_states_timings_and_events() -> None:
    out = talkline("call", "--provider", "local", "--say", "hi", "--json")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    kinds = {line["kind"] for line in lines}
    assert {"state", "event", "timings", "transcript"} <= kinds
    states = [line["state"] for line in lines if line["kind"] == "state"]
    assert states[:5] == ["authorizing", "gathering", "signaling", "connecting", "connected"]
    assert states[-1] == "closed"
    timings = next(line for line in lines if line["kind"] == "timings")
    assert timings["setup_ms"] > 0 and "session_ready" in timings["stages_ms"]
    outgoing = [line["type"] for line in lines if line.get("direction") == "out"]
    assert outgoing[:3] == ["session.update", "conversation.item.create", "response.create"]


def test_wav_in_wav_out_echoes_the_speech(tmp_path: Path) -> None:
    said = burst(1.0)
    mic, heard = tmp_path / "in.wav", tmp_path / "out.wav"
    write_wav(mic, np.concatenate([np.zeros(4800, np.int16), said, np.zeros(24000, np.int16)]))
    out = talkline("call", "--provider", "local", "--mic-wav", str(mic), "--record-wav", str(heard))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("You: (1.0 seconds of speech)") or "seconds" in out.stdout
    with wave.open(str(heard)) as w:
        assert w.getframerate() == 48000 and w.getnchannels() == 1
    score, _ = best_match(read_wav_mono48k(heard), said)
    assert score >= 0.8


def test_failure_is_one_clear_line_and_non_zero() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    out = talkline(
        "call",
        "--provider",
        "openai",
        "--base-url",
        f"http://127.0.0.1:{port}",
        "--say",
        "x",
        env={"OPENAI_API_KEY": "sk-test-not-real", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.startswith("talkline:")]
    assert len(lines) == 1
    assert "failed while authorizing: Cannot reach 127.0.0.1" in lines[0]
    assert "Traceback" not in out.stderr
    assert "sk-test-not-real" not in out.stderr + out.stdout


def test_plain_http_to_another_host_is_refused_before_any_request() -> None:
    out = talkline("call", "--provider", "openai", "--base-url", "http://api.example.com")
    assert out.returncode == 1
    assert "only allowed to this computer" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_key_says_where_to_put_one() -> None:
    out = talkline("call", "--provider", "rtav", env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 1
    assert "No API key for rtAV" in out.stderr and "RTAV_API_KEY" in out.stderr


def test_a_server_error_on_the_first_request_is_retried(tmp_path: Path) -> None:
    """The CLI retries like the window and says so: a 503, then the call goes through."""
    import asyncio
    import threading

    from tests.fakes.openai import OpenAIFake

    key = "sk-test-cli-retry-abcdefgh"
    fake = OpenAIFake(api_key=key)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    fake.fail("calls", 503, times=1)
    try:
        out = talkline(
            "call", "--provider", "openai", "--base-url", fake.base_url, "--say", "hello",
            env={"OPENAI_API_KEY": key, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        calls = len(fake.requests_to("calls"))
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    assert out.returncode == 0, out.stderr
    assert "Trying again in" in out.stderr and "(attempt 2 of 4)" in out.stderr
    assert calls == 2
    assert out.stdout.splitlines()[0] == "You: hello"
    assert "Traceback" not in out.stderr and key not in out.stderr + out.stdout
