"""Provider profiles: each provider is data, validated once."""

from desktop.core.profiles.builtin import BUILTIN_PROFILES, get_profile
from desktop.core.profiles.profile import (
    AuthConfig,
    BodyFormat,
    CallIdSource,
    EphemeralKeyConfig,
    HangupConfig,
    ProviderProfile,
    SessionDialect,
)
from desktop.core.profiles.urls import InvalidBaseUrl, validate_base_url

__all__ = [
    "BUILTIN_PROFILES",
    "AuthConfig",
    "BodyFormat",
    "CallIdSource",
    "EphemeralKeyConfig",
    "HangupConfig",
    "InvalidBaseUrl",
    "ProviderProfile",
    "SessionDialect",
    "get_profile",
    "validate_base_url",
]
