"""Provider profiles are data: the wire facts of shared/PROVIDERS.md, and safe base URLs."""

import pytest

from desktop.core.profiles import (
    BUILTIN_PROFILES,
    BodyFormat,
    CallIdSource,
    InvalidBaseUrl,
    SessionDialect,
    get_profile,
    validate_base_url,
)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://example.com/"],
)
def test_accepted_base_urls(url: str) -> None:
    assert validate_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://api.openai.com", "only allowed to this computer"),
        ("http://10.0.0.5:8000", "only allowed to this computer"),
        ("ftp://localhost", "must start with https://"),
        ("https://", "no host name"),
        ("https://x.example/?key=1", "must not contain"),
    ],
)
def test_refused_base_urls_say_why(url: str, words: str) -> None:
    with pytest.raises(InvalidBaseUrl, match=words):
        validate_base_url(url)


def test_override_keeps_everything_but_the_address() -> None:
    openai = get_profile("openai")
    moved = openai.with_base_url("https://proxy.example.org/openai/")
    assert moved.base_url == "https://proxy.example.org/openai"
    assert moved.url("/v1/realtime/calls") == "https://proxy.example.org/openai/v1/realtime/calls"
    assert moved.channel_label == openai.channel_label and moved.ephemeral == openai.ephemeral


def test_wire_facts_per_provider() -> None:
    openai, inworld, rtav = get_profile("openai"), get_profile("inworld"), get_profile("rtav")
    assert openai.channel_label == "oai-events" and openai.sends_session_created
    assert openai.ephemeral and openai.ephemeral.body_format is BodyFormat.RAW_SDP
    assert openai.body_format is BodyFormat.MULTIPART  # the standard-key fallback
    assert openai.max_session_seconds == 3600

    assert inworld.auth.scheme == "Basic" and not inworld.sends_session_created
    assert inworld.ice_servers_path == "/v1/realtime/ice-servers"

    assert rtav.channel_label == "realtime" and rtav.dialect is SessionDialect.FLAT
    assert rtav.ephemeral and rtav.ephemeral.response_field == "client_secret"
    assert rtav.call_id_source is CallIdSource.SESSION_HEADER
    assert rtav.hangup and rtav.hangup.method == "DELETE"
    assert rtav.receives_video


def test_every_profile_is_complete() -> None:
    for profile in BUILTIN_PROFILES.values():
        assert profile.name and profile.description
        assert profile.default_model in profile.models
        assert profile.default_voice in profile.voices
        assert profile.requires_key == (profile.id != "local")


def test_unknown_provider_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="openai"):
        get_profile("nope")
