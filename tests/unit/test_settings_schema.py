"""Settings survive a round trip, and damaged values fall back instead of crashing."""

from desktop.core.session import TurnMode
from desktop.core.settings import AppSettings


def test_round_trip_through_plain_data() -> None:
    s = AppSettings(provider="inworld")
    ps = s.provider_settings("inworld")
    ps.voice, ps.auth_scheme, ps.turn_mode = "Olivia", "Bearer", "push_to_talk"
    s.audio.input_device = "USB Headset"
    loaded, problems = AppSettings.from_dict(s.to_dict())
    assert problems == []
    assert loaded == s


def test_damaged_values_fall_back_and_are_reported() -> None:
    data = AppSettings().to_dict()
    data["provider"] = "nonexistent"
    data["audio"]["echo_cancellation"] = "yes"
    data["providers"]["openai"]["silence_duration_ms"] = "soon"
    data["providers"]["openai"]["base_url"] = "http://evil.example"
    loaded, problems = AppSettings.from_dict(data)
    assert loaded.provider == "local"
    assert loaded.audio.echo_cancellation is True
    assert loaded.providers["openai"].silence_duration_ms == 500
    assert loaded.providers["openai"].base_url == ""
    assert len(problems) == 4
    assert AppSettings.from_dict(["garbage"])[0] == AppSettings()


def test_settings_become_the_call_profile_and_session() -> None:
    s = AppSettings(provider="inworld")
    ps = s.provider_settings()
    ps.auth_scheme, ps.turn_mode, ps.silence_duration_ms = "Bearer", "push_to_talk", 900
    assert s.profile().auth.headers("k") == {"Authorization": "Bearer k"}
    cfg = s.session_config()
    assert cfg.turn_detection.mode is TurnMode.PUSH_TO_TALK
    assert cfg.voice == "Dennis" and cfg.tts_model == "inworld-tts-2"
    s.provider_settings("rtav").driving = "Wink, idle"
    assert s.session_config("rtav").driving == ("Wink", "idle")
