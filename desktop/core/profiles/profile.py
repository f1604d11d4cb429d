"""A provider is data: how to authorize, signal, label the channel and shape the session.

Every difference between providers that the call code needs is a field here, so the
engine has no `if provider == ...` branches.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from desktop.core.profiles.urls import validate_base_url


class BodyFormat(Enum):
    RAW_SDP = "raw_sdp"  # Content-Type: application/sdp, body = offer
    MULTIPART = "multipart"  # multipart/form-data: sdp + session (JSON string)
    JSON = "json"  # {"sdp": ..., "session": {...}} -> {"sdp": ..., "id": ...}


class SessionDialect(Enum):
    GA = "ga"  # OpenAI GA: nested audio.input / audio.output, output_modalities
    FLAT = "flat"  # rtAV / older realtime: top-level voice, modalities, face, driving


class CallIdSource(Enum):
    LOCATION = "location"  # last path segment of the Location header
    SESSION_HEADER = "x-session-id"  # the X-Session-Id header
    JSON_ID = "json-id"  # the "id" field of a JSON answer


@dataclass(frozen=True)
class AuthConfig:
    """How the key travels: `{header}: {scheme} {key}` (scheme may be empty)."""

    header: str = "Authorization"
    scheme: str = "Bearer"

    def headers(self, secret: str) -> dict[str, str]:
        value = f"{self.scheme} {secret}" if self.scheme else secret
        return {self.header: value}


@dataclass(frozen=True)
class EphemeralKeyConfig:
    """Mint a short-lived client secret with the standard key before the call."""

    path: str = "/v1/realtime/client_secrets"
    # Where the secret is in the answer: OpenAI {"value": ...}, rtAV {"client_secret": ...}
    response_field: str = "value"
    expires_seconds: int | None = 600
    include_session: bool = True
    # With a minted secret the call body may differ from the fallback with the standard key.
    body_format: BodyFormat = BodyFormat.RAW_SDP


@dataclass(frozen=True)
class HangupConfig:
    method: str = "POST"
    path: str = "/v1/realtime/calls/{call_id}/hangup"


@dataclass(frozen=True)
class ProviderProfile:
    id: str
    name: str
    base_url: str
    calls_path: str = "/v1/realtime/calls"
    auth: AuthConfig = field(default_factory=AuthConfig)
    ephemeral: EphemeralKeyConfig | None = None
    body_format: BodyFormat = BodyFormat.MULTIPART
    ice_servers_path: str | None = None
    channel_label: str = "oai-events"
    sends_session_created: bool = True
    dialect: SessionDialect = SessionDialect.GA
    call_id_source: CallIdSource = CallIdSource.LOCATION
    hangup: HangupConfig | None = field(default_factory=HangupConfig)
    receives_video: bool = False
    models: tuple[str, ...] = ()
    voices: tuple[str, ...] = ()
    default_model: str = ""
    default_voice: str = ""
    transcription_models: tuple[str, ...] = ()
    tts_models: tuple[str, ...] = ()
    requires_key: bool = True
    env_var: str | None = None
    key_help: str = ""
    max_session_seconds: int | None = None
    # OpenAI: the voice cannot change once the assistant has spoken in a session.
    voice_fixed_after_audio: bool = False
    # True where output_modalities may hold audio and text together (Inworld).
    allows_audio_and_text: bool = False
    # Function tools in session.tools / tool_choice; when False, Settings shows the reason.
    supports_tools: bool = False
    tools_unsupported_reason: str = ""
    # Tools of type "mcp" that the provider itself runs (OpenAI's remote MCP servers).
    supports_remote_mcp: bool = False
    # The app runs this provider's server itself (the local check): its address is the
    # running server's, unless the user set a base URL. It plays back the user's own voice.
    builtin_server: bool = False
    description: str = ""

    def with_base_url(self, base_url: str | None) -> ProviderProfile:
        """The same provider at another address (proxy, Azure-style deployment, test server)."""
        if not base_url:
            return self
        return replace(self, base_url=validate_base_url(base_url))

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path
