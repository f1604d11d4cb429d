"""SessionConfig → the `session` object each provider dialect expects."""

from __future__ import annotations

from typing import Any

from desktop.core.profiles.profile import ProviderProfile, SessionDialect
from desktop.core.session.config import SessionConfig


def _ga_session(cfg: SessionConfig, profile: ProviderProfile) -> dict[str, Any]:
    modalities = list(cfg.output_modalities) or ["audio"]
    if len(modalities) > 1 and not profile.allows_audio_and_text:
        # OpenAI accepts ["audio"] or ["text"], never both; audio carries a transcript.
        modalities = ["audio"] if "audio" in modalities else modalities[:1]
    audio_input: dict[str, Any] = {"turn_detection": cfg.turn_detection.to_wire()}
    if cfg.transcription_model:
        transcription: dict[str, Any] = {"model": cfg.transcription_model}
        if cfg.transcription_language:
            transcription["language"] = cfg.transcription_language
        audio_input["transcription"] = transcription
    if cfg.noise_reduction:
        audio_input["noise_reduction"] = {"type": cfg.noise_reduction}
    audio_output: dict[str, Any] = {}
    if cfg.voice:
        audio_output["voice"] = cfg.voice
    if cfg.speed is not None:
        audio_output["speed"] = max(0.25, min(1.5, cfg.speed))
    if cfg.tts_model and profile.tts_models:
        audio_output["model"] = cfg.tts_model
    session: dict[str, Any] = {
        "type": "realtime",
        "output_modalities": modalities,
        "audio": {"input": audio_input, "output": audio_output},
    }
    if cfg.model:
        session["model"] = cfg.model
    if cfg.instructions:
        session["instructions"] = cfg.instructions
    if cfg.temperature is not None and profile.tts_models:
        # Only Inworld's dialect has temperature; OpenAI GA rejects it.
        session["temperature"] = cfg.temperature
    if cfg.max_output_tokens is not None:
        session["max_output_tokens"] = cfg.max_output_tokens
    session.update(_tools(cfg, profile))
    return session


def _tools(cfg: SessionConfig, profile: ProviderProfile) -> dict[str, Any]:
    """tools + tool_choice, only for providers whose profile says they take them."""
    if not profile.supports_tools:
        return {}
    tools = [
        t for t in cfg.tools if t.get("type") != "mcp" or profile.supports_remote_mcp
    ]
    if not tools:
        return {}
    return {"tools": tools, "tool_choice": cfg.tool_choice or "auto"}


def _flat_session(cfg: SessionConfig, profile: ProviderProfile) -> dict[str, Any]:
    session: dict[str, Any] = {
        "type": "realtime",
        "modalities": sorted(set(cfg.output_modalities) | {"text"}),
    }
    if cfg.model:
        session["model"] = cfg.model
    if cfg.instructions:
        session["instructions"] = cfg.instructions
    if cfg.voice:
        session["voice"] = cfg.voice
    if cfg.face:
        session["face"] = cfg.face
    if cfg.driving:
        session["driving"] = cfg.driving if isinstance(cfg.driving, str) else list(cfg.driving)
    session["turn_detection"] = cfg.turn_detection.to_wire()
    session.update(_tools(cfg, profile))
    return session


def session_payload(cfg: SessionConfig, profile: ProviderProfile) -> dict[str, Any]:
    """The session object for session.update and for call bodies that carry one."""
    if profile.dialect is SessionDialect.FLAT:
        return _flat_session(cfg, profile)
    return _ga_session(cfg, profile)


def default_config(profile: ProviderProfile) -> SessionConfig:
    return SessionConfig(
        model=profile.default_model,
        voice=profile.default_voice,
        transcription_model=profile.transcription_models[0]
        if profile.transcription_models
        else None,
    )
