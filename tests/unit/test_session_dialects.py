"""The same choices, spelled the way each provider expects."""

from dataclasses import replace

from desktop.core.profiles import get_profile
from desktop.core.session import (
    SessionConfig,
    TurnDetection,
    TurnMode,
    default_config,
    session_payload,
)


def test_openai_ga_shape() -> None:
    openai = get_profile("openai")
    cfg = replace(
        default_config(openai),
        instructions="Be brief.",
        transcription_language="de",
        speed=3.0,
        temperature=0.7,
        output_modalities=("audio", "text"),
        turn_detection=TurnDetection(mode=TurnMode.SEMANTIC_VAD, eagerness="high"),
    )
    s = session_payload(cfg, openai)
    assert s["type"] == "realtime" and s["model"] == "gpt-realtime"
    assert s["output_modalities"] == ["audio"]  # never both on OpenAI
    assert "temperature" not in s  # GA has none
    assert s["audio"]["output"] == {"voice": "marin", "speed": 1.5}  # clamped
    assert s["audio"]["input"]["transcription"] == {"model": "gpt-4o-transcribe", "language": "de"}
    assert s["audio"]["input"]["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "high",
        "create_response": True,
        "interrupt_response": True,
    }
    assert "voice" not in s  # nested, not flat


def test_push_to_talk_turns_detection_off() -> None:
    cfg = SessionConfig(turn_detection=TurnDetection(mode=TurnMode.PUSH_TO_TALK))
    s = session_payload(cfg, get_profile("openai"))
    assert s["audio"]["input"]["turn_detection"] is None
    assert cfg.push_to_talk


def test_server_vad_parameters() -> None:
    td = TurnDetection(
        threshold=0.7, prefix_padding_ms=200, silence_duration_ms=800, idle_timeout_ms=6000
    )
    assert td.to_wire() == {
        "type": "server_vad",
        "threshold": 0.7,
        "prefix_padding_ms": 200,
        "silence_duration_ms": 800,
        "idle_timeout_ms": 6000,
        "create_response": True,
        "interrupt_response": True,
    }


def test_inworld_extras() -> None:
    inworld = get_profile("inworld")
    cfg = replace(
        default_config(inworld),
        temperature=0.4,
        tts_model="inworld-tts-2",
        output_modalities=("audio", "text"),
    )
    s = session_payload(cfg, inworld)
    assert s["temperature"] == 0.4
    assert s["audio"]["output"]["model"] == "inworld-tts-2"
    assert s["output_modalities"] == ["audio", "text"]
    assert s["model"] == "openai/gpt-4o-mini"


def test_rtav_flat_dialect() -> None:
    rtav = get_profile("rtav")
    cfg = replace(default_config(rtav), voice="alice", face="face2", driving=("Wink", "idle"))
    s = session_payload(cfg, rtav)
    assert s["voice"] == "alice" and s["face"] == "face2" and s["driving"] == ["Wink", "idle"]
    assert "audio" not in s and "output_modalities" not in s
    assert "audio" in s["modalities"]
