"""The local server's pure parts: voice activity detection and session merging."""

from __future__ import annotations

import numpy as np
import pytest

from desktop.localserver.errors import RealtimeError
from desktop.localserver.session import default_session, merge_session, validate_session
from desktop.localserver.vad import (
    RATE,
    SpeechDetector,
    SpeechStarted,
    SpeechStopped,
    VadSettings,
    find_speech,
)
from desktop.localserver.voice_track import VoiceTrack


def tone(seconds: float, dbfs: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    wave: np.ndarray = np.sin(2 * np.pi * freq * t) * 32767 * np.sqrt(2) * 10 ** (dbfs / 20)
    return wave.astype(np.int16)


def noise(seconds: float, dbfs: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(RATE * seconds)) * 32767 * 10 ** (dbfs / 20)).astype(np.int16)


def feed(detector: SpeechDetector, audio: np.ndarray) -> list[SpeechStarted | SpeechStopped]:
    events: list[SpeechStarted | SpeechStopped] = []
    for i in range(0, audio.size, 960):  # 20 ms frames, as they come off the wire
        events += detector.push(audio[i : i + 960])
    return events


def test_a_word_between_silences_is_one_turn_with_its_audio() -> None:
    detector = SpeechDetector(VadSettings())
    events = feed(detector, np.concatenate([
        np.zeros(RATE // 2, np.int16), tone(0.8, -20), np.zeros(RATE, np.int16)]))
    assert [type(e) for e in events] == [SpeechStarted, SpeechStopped]
    started, stopped = events
    assert isinstance(started, SpeechStarted) and isinstance(stopped, SpeechStopped)
    assert started.audio_start_ms == 500 - 300  # onset minus the prefix padding
    assert stopped.audio_end_ms == 500 + 800 + 500  # speech end plus the silence duration
    assert abs(stopped.speech_seconds - 0.8) <= 0.02
    assert stopped.audio.size == (300 + 800 + 500) * RATE // 1000


def test_the_noise_floor_adapts_so_a_steady_hum_is_not_speech() -> None:
    detector = SpeechDetector(VadSettings())
    assert feed(detector, noise(4.0, -38)) == []  # a fan, loud enough to beat -40 dBFS
    hum_and_voice = noise(1.0, -38, seed=2) + tone(1.0, -18)
    events = feed(detector, np.concatenate([hum_and_voice, noise(1.0, -38, seed=3)]))
    assert [type(e) for e in events] == [SpeechStarted, SpeechStopped]


def test_a_higher_threshold_ignores_quieter_sound() -> None:
    silence = np.zeros(RATE // 2, np.int16)
    quiet = np.concatenate([silence, tone(0.5, -35), silence, silence])
    assert feed(SpeechDetector(VadSettings(threshold=0.5)), quiet) != []
    assert feed(SpeechDetector(VadSettings(threshold=0.9)), quiet) == []


def test_a_click_does_not_start_a_turn() -> None:
    click = np.concatenate([tone(0.02, -6), np.zeros(RATE, np.int16)])
    assert feed(SpeechDetector(VadSettings()), click) == []


def test_find_speech_bounds_the_voiced_part() -> None:
    audio = np.concatenate([np.zeros(RATE // 4, np.int16), tone(0.5, -20),
                            np.zeros(RATE // 4, np.int16)])
    assert find_speech(audio) == (RATE // 4, RATE // 4 + RATE // 2)
    assert find_speech(np.zeros(RATE, np.int16)) is None


def test_a_new_turn_detection_type_replaces_the_old_one() -> None:
    patch = validate_session({"type": "realtime", "audio": {"input": {
        "turn_detection": {"type": "semantic_vad", "eagerness": "high"}}}})
    merged = merge_session(default_session(), patch)
    assert merged["audio"]["input"]["turn_detection"] == {
        "type": "semantic_vad", "eagerness": "high", "create_response": True,
        "interrupt_response": True,
    }
    assert merged["audio"]["output"]["voice"] == "alloy"  # siblings survive the merge


@pytest.mark.parametrize(("session", "param", "code"), [
    ({"instructions": "no type"}, "session.type", "missing_required_parameter"),
    ({"type": "realtime", "audio": {"output": {"speed": 3}}}, "session.audio.output.speed",
     "invalid_value"),
    ({"type": "realtime", "audio": {"input": {"turn_detection": {
        "type": "server_vad", "threshold": True}}}},
     "session.audio.input.turn_detection.threshold", "invalid_type"),
    ({"type": "realtime", "audio": {"input": {"turn_detection": {
        "type": "semantic_vad", "threshold": 0.5}}}},
     "session.audio.input.turn_detection.threshold", "unknown_parameter"),
    ({"type": "realtime", "max_output_tokens": 0}, "session.max_output_tokens", "invalid_value"),
])
def test_invalid_sessions_name_the_offending_field(
    session: dict[str, object], param: str, code: str,
) -> None:
    with pytest.raises(RealtimeError) as caught:
        validate_session(session)
    assert (caught.value.param, caught.value.code) == (param, code)


async def test_the_voice_track_plays_queued_sound_then_silence_on_a_continuous_clock() -> None:
    track = VoiceTrack()
    sound = tone(0.03, -10)  # 30 ms: a frame and a half
    playback = track.play(sound)
    frames = [await track.recv() for _ in range(3)]
    assert [f.pts for f in frames] == [0, 960, 1920]
    assert all(f.sample_rate == RATE and f.samples == 960 for f in frames)
    mono = [f.to_ndarray()[0][::2] for f in frames]  # both channels carry the same sound
    assert np.array_equal(np.concatenate(mono)[: sound.size], sound)
    assert not mono[2].any()
    assert await playback.done is True

    cut = track.play(tone(1.0, -10))
    await track.recv()
    track.clear()  # barge-in: the rest is dropped at once
    assert await cut.done is False
    assert cut.sent_ms == 20
    assert not (await track.recv()).to_ndarray().any()
    track.stop()
