"""User settings, declared as data (Qt-free). Keys are NOT here: they live in the keyring.

The window persists these with QSettings (desktop/ui/settings_store.py); everything else
(CLI, tests) can build them in code. `from_dict` never raises: unknown or ill-typed values
fall back to defaults and are reported, so a damaged settings file cannot stop the app.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from desktop.core.profiles import BUILTIN_PROFILES, InvalidBaseUrl, ProviderProfile, get_profile
from desktop.core.profiles.profile import AuthConfig
from desktop.core.session import SessionConfig, TurnDetection, TurnMode

SYSTEM_DEFAULT = ""  # an audio device setting of "" follows the system default
# desktop.core.history.Retention's values (not imported: settings load before the first
# paint, the history after it).
HISTORY_RETENTIONS = ("keep", "days_30", "off")
NO_AUTH_SCHEME = "none"  # auth_scheme: the header carries the key alone (Azure's api-key)


@dataclass
class ProviderSettings:
    base_url: str = ""  # "" = the profile's own
    model: str = ""  # "" = the profile's default
    voice: str = ""
    instructions: str = ""
    turn_mode: str = TurnMode.SERVER_VAD.value
    vad_threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 500
    eagerness: str = "auto"
    transcription_model: str = ""  # "" = the profile's first
    transcription_language: str = ""
    speed: float = 1.0
    output_text_only: bool = False
    # Provider-specific, used where the profile supports them:
    auth_header: str = ""  # "" = the profile's; OpenAI-compatible endpoints may differ
    auth_scheme: str = ""  # "" = the profile's; Inworld: Basic or Bearer; NO_AUTH_SCHEME
    tts_model: str = ""
    temperature: float | None = None
    face: str = ""
    driving: str = ""  # one motion, or several separated by commas (the last loops)


@dataclass
class AudioSettings:
    input_device: str = SYSTEM_DEFAULT
    output_device: str = SYSTEM_DEFAULT
    echo_cancellation: bool = True
    noise_suppression: bool = True
    high_pass: bool = True
    auto_gain: bool = False  # off: it undoes most of the echo cancellation


@dataclass
class ToolSettings:
    enabled: bool = True  # offer tools to the model at all
    disabled_builtins: list[str] = field(default_factory=list)  # built-in tools switched off
    always_allowed: list[str] = field(default_factory=list)  # "Always allow" answers
    folder: str = ""  # the one folder list_files / read_text_file may read ("" = none)
    # {"NAME": {"command", "args", "env"} | {"url", "headers"}, "disabled"?}; secret header
    # values are "@keyring" here and live in the keyring.
    mcp_servers: dict[str, Any] = field(default_factory=dict)


@dataclass
class AppSettings:
    provider: str = "local"
    providers: dict[str, ProviderSettings] = field(
        default_factory=lambda: {pid: ProviderSettings() for pid in BUILTIN_PROFILES}
    )
    audio: AudioSettings = field(default_factory=AudioSettings)
    tools: ToolSettings = field(default_factory=ToolSettings)
    ptt_key: str = "Space"
    global_ptt_key: str = "Ctrl+Alt+Space"
    ptt_sound_cue: bool = True  # a short quiet blip when push-to-talk opens/closes the mic
    minimize_to_tray: bool = False
    font_scale: float = 1.0
    show_event_log: bool = False
    show_call_quality: bool = False
    history_retention: str = "keep"  # one of HISTORY_RETENTIONS
    window_state: str = ""  # the window's size, docks and their sizes (Qt's, base64)

    def provider_settings(self, provider_id: str | None = None) -> ProviderSettings:
        pid = provider_id or self.provider
        return self.providers.setdefault(pid, ProviderSettings())

    # -- what a call needs ----------------------------------------------------------------

    def profile(self, provider_id: str | None = None) -> ProviderProfile:
        """The provider's profile with this user's base URL and auth overrides.

        Raises InvalidBaseUrl (with a sentence) for a base URL we will not use.
        """
        pid = provider_id or self.provider
        profile = get_profile(pid)
        ps = self.provider_settings(pid)
        if ps.base_url:
            profile = profile.with_base_url(ps.base_url)
        if ps.auth_header or ps.auth_scheme:
            profile = replace(
                profile,
                auth=AuthConfig(
                    header=ps.auth_header or profile.auth.header,
                    scheme=(
                        "" if ps.auth_scheme == NO_AUTH_SCHEME
                        else ps.auth_scheme or profile.auth.scheme
                    ),
                ),
            )
        return profile

    def session_config(self, provider_id: str | None = None) -> SessionConfig:
        pid = provider_id or self.provider
        profile = get_profile(pid)
        ps = self.provider_settings(pid)
        try:
            mode = TurnMode(ps.turn_mode)
        except ValueError:
            mode = TurnMode.SERVER_VAD
        driving = tuple(m.strip() for m in ps.driving.split(",") if m.strip())
        return SessionConfig(
            model=ps.model or profile.default_model,
            voice=ps.voice or profile.default_voice,
            instructions=ps.instructions,
            output_modalities=("text",) if ps.output_text_only else ("audio",),
            turn_detection=TurnDetection(
                mode=mode,
                threshold=ps.vad_threshold,
                prefix_padding_ms=ps.prefix_padding_ms,
                silence_duration_ms=ps.silence_duration_ms,
                eagerness=ps.eagerness,
            ),
            transcription_model=ps.transcription_model
            or (profile.transcription_models[0] if profile.transcription_models else None),
            transcription_language=ps.transcription_language or None,
            speed=ps.speed if ps.speed != 1.0 else None,
            temperature=ps.temperature,
            tts_model=ps.tts_model or (profile.tts_models[0] if profile.tts_models else None),
            face=ps.face or None,
            driving=(driving[0] if len(driving) == 1 else driving) or None,
        )

    # -- persistence as plain data ------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> tuple[AppSettings, list[str]]:
        """Settings from stored data, plus a list of what was wrong and reset to default."""
        problems: list[str] = []
        if not isinstance(data, dict):
            return cls(), ["settings were not a mapping; using defaults"]
        base = cls()
        top = _load_fields(base, data, "", problems, skip=("providers", "audio", "tools"))
        if top.provider not in BUILTIN_PROFILES:
            problems.append(f"unknown provider {top.provider!r}; using Local")
            top.provider = "local"
        if top.history_retention not in HISTORY_RETENTIONS:
            problems.append(f"history_retention: {top.history_retention!r} is not valid; "
                            "keeping conversations")
            top.history_retention = "keep"
        audio = data.get("audio", {})
        top.audio = _load_fields(
            AudioSettings(), audio if isinstance(audio, dict) else {}, "audio.", problems
        )
        tools = data.get("tools", {})
        top.tools = _load_fields(
            ToolSettings(), tools if isinstance(tools, dict) else {}, "tools.", problems
        )
        for name in ("disabled_builtins", "always_allowed"):
            names = getattr(top.tools, name)
            if not all(isinstance(n, str) for n in names):
                problems.append(f"tools.{name}: not a list of names; using []")
                setattr(top.tools, name, [])
        providers = data.get("providers", {})
        if isinstance(providers, dict):
            for pid, raw in providers.items():
                if pid in BUILTIN_PROFILES and isinstance(raw, dict):
                    ps = _load_fields(ProviderSettings(), raw, f"providers.{pid}.", problems)
                    if ps.base_url:
                        try:
                            get_profile(pid).with_base_url(ps.base_url)
                        except InvalidBaseUrl as exc:
                            problems.append(f"providers.{pid}.base_url: {exc}")
                            ps.base_url = ""
                    top.providers[pid] = ps
        return top, problems


def _load_fields(
    target: Any, data: dict[str, Any], prefix: str, problems: list[str], skip: tuple[str, ...] = ()
) -> Any:
    for f in fields(target):
        if f.name in skip or f.name not in data:
            continue
        value = data[f.name]
        default = getattr(target, f.name)
        if _compatible(value, default, f.type):
            if isinstance(default, float) and isinstance(value, int):
                value = float(value)
            setattr(target, f.name, value)
        else:
            problems.append(f"{prefix}{f.name}: {value!r} is not valid; using {default!r}")
    return target


def _compatible(value: object, default: object, declared: object) -> bool:
    if default is None:
        return value is None or isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, type(default))
