"""The providers Talkline ships with, as data (wire facts: ../shared/PROVIDERS.md)."""

from __future__ import annotations

from desktop.core.profiles.profile import (
    AuthConfig,
    BodyFormat,
    CallIdSource,
    EphemeralKeyConfig,
    HangupConfig,
    ProviderProfile,
    SessionDialect,
)

OPENAI_MODELS = (
    "gpt-realtime",
    "gpt-realtime-mini",
    "gpt-4o-realtime-preview",
    "gpt-4o-mini-realtime-preview",
)
OPENAI_VOICES = (
    "marin",
    "cedar",
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "sage",
    "shimmer",
    "verse",
)
OPENAI_TRANSCRIPTION = ("gpt-4o-transcribe", "gpt-4o-mini-transcribe", "whisper-1")

OPENAI = ProviderProfile(
    id="openai",
    name="OpenAI",
    base_url="https://api.openai.com",
    # A standard key mints an ephemeral secret locally; the call then goes as raw SDP.
    ephemeral=EphemeralKeyConfig(response_field="value", body_format=BodyFormat.RAW_SDP),
    body_format=BodyFormat.MULTIPART,  # the fallback with the standard key
    models=OPENAI_MODELS,
    voices=OPENAI_VOICES,
    default_model="gpt-realtime",
    default_voice="marin",
    transcription_models=OPENAI_TRANSCRIPTION,
    env_var="OPENAI_API_KEY",
    key_help="Create a key at platform.openai.com → API keys.",
    max_session_seconds=60 * 60,
    voice_fixed_after_audio=True,
    supports_tools=True,
    supports_remote_mcp=True,
    description="OpenAI Realtime (gpt-realtime) over WebRTC.",
)

INWORLD = ProviderProfile(
    id="inworld",
    name="Inworld",
    base_url="https://api.inworld.ai",
    # Disputed in the docs (Bearer vs Basic): Basic by default, selectable in Settings.
    auth=AuthConfig(scheme="Basic"),
    body_format=BodyFormat.RAW_SDP,
    ice_servers_path="/v1/realtime/ice-servers",
    sends_session_created=False,
    models=(
        "openai/gpt-4o-mini",
        "llama-3.3-70b-versatile",
        "google-ai-studio/gemini-2.5-flash",
    ),
    voices=("Dennis", "Clive", "Ashley", "Alex", "Olivia", "Sarah"),
    default_model="openai/gpt-4o-mini",
    default_voice="Dennis",
    transcription_models=(
        "assemblyai/universal-streaming-multilingual",
        "inworld/inworld-stt-1",
        "soniox/stt-rt-v4",
    ),
    tts_models=("inworld-tts-2", "inworld-tts-1.5-max", "inworld-tts-1.5-mini"),
    env_var="INWORLD_API_KEY",
    key_help="Copy the Base64 API key from the Inworld portal.",
    allows_audio_and_text=True,
    supports_tools=True,
    description="Inworld Realtime: any LLM with Inworld voices.",
)

RTAV = ProviderProfile(
    id="rtav",
    name="rtAV",
    base_url="https://api.rtav.io",
    ephemeral=EphemeralKeyConfig(
        response_field="client_secret",
        expires_seconds=None,
        include_session=False,
        body_format=BodyFormat.MULTIPART,
    ),
    body_format=BodyFormat.MULTIPART,
    channel_label="realtime",
    dialect=SessionDialect.FLAT,
    call_id_source=CallIdSource.SESSION_HEADER,
    hangup=HangupConfig(method="DELETE", path="/v1/sessions/{call_id}"),
    receives_video=True,
    models=("gpt-5.2", "gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4o", "claude-sonnet-4-5"),
    voices=("default", "alice", "anthony"),
    default_model="gpt-5-mini",
    default_voice="default",
    env_var="RTAV_API_KEY",
    key_help="Create a key (rtav_ak_…) in the rtAV dashboard.",
    tools_unsupported_reason="rtAV's documentation does not describe function tools.",
    description="rtAV: voice plus a video avatar.",
)

COMPATIBLE = ProviderProfile(
    id="compatible",
    name="OpenAI-compatible",
    base_url="https://localhost",  # the user sets the real one
    body_format=BodyFormat.MULTIPART,
    models=OPENAI_MODELS,
    voices=OPENAI_VOICES,
    default_model="gpt-realtime",
    default_voice="marin",
    transcription_models=OPENAI_TRANSCRIPTION,
    env_var=None,
    key_help="The key of your endpoint (Azure deployment, self-hosted server, proxy).",
    max_session_seconds=60 * 60,  # the OpenAI dialect's limit, unless the server says more
    voice_fixed_after_audio=True,
    supports_tools=True,
    description="Any server speaking the OpenAI Realtime API at your own base URL.",
)

LOCAL = ProviderProfile(
    id="local",
    name="Local check",
    base_url="http://127.0.0.1",  # replaced by the in-process server's address
    ephemeral=EphemeralKeyConfig(response_field="value", body_format=BodyFormat.RAW_SDP),
    body_format=BodyFormat.MULTIPART,
    models=("local-echo",),
    voices=("alloy",),
    default_model="local-echo",
    default_voice="alloy",
    transcription_models=("local",),
    requires_key=False,
    supports_tools=True,
    builtin_server=True,
    description=(
        "A microphone-and-speaker check that runs on this computer: it plays back what "
        "you say. No key, no network."
    ),
)

BUILTIN_PROFILES: dict[str, ProviderProfile] = {
    p.id: p for p in (LOCAL, OPENAI, INWORLD, RTAV, COMPATIBLE)
}


def get_profile(provider_id: str) -> ProviderProfile:
    try:
        return BUILTIN_PROFILES[provider_id]
    except KeyError:
        known = ", ".join(BUILTIN_PROFILES)
        raise KeyError(f"Unknown provider {provider_id!r}; known: {known}") from None
