"""Which fields a provider's page shows, and the ranges of the numeric ones: data only.

Derived from the profile where it says enough (a key, TTS models, video); the rest are
provider facts from ../shared/PROVIDERS.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop.core.profiles import ProviderProfile


@dataclass(frozen=True)
class PageFeatures:
    key: bool
    base_url: bool
    auth_schemes: tuple[str, ...] = ()  # a fixed choice (Inworld: Basic or Bearer)
    auth_header: bool = False  # free header name and scheme (OpenAI-compatible endpoints)
    tts_model: bool = False
    temperature: bool = False
    avatar: bool = False  # face and motions


_EXTRA: dict[str, dict[str, object]] = {
    "inworld": {"auth_schemes": ("Basic", "Bearer"), "temperature": True},
    "compatible": {"auth_header": True},
    "local": {"base_url": False},  # the in-process server picks its own address
}


def features_for(profile: ProviderProfile) -> PageFeatures:
    extra = _EXTRA.get(profile.id, {})
    return PageFeatures(
        key=profile.requires_key,
        base_url=bool(extra.get("base_url", True)),
        auth_schemes=tuple(extra.get("auth_schemes", ())),  # type: ignore[arg-type]
        auth_header=bool(extra.get("auth_header", False)),
        tts_model=bool(profile.tts_models),
        temperature=bool(extra.get("temperature", False)),
        avatar=profile.receives_video,
    )


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    step: float


VAD_THRESHOLD = Range(0.0, 1.0, 0.05)
PREFIX_PADDING_MS = Range(0, 2000, 50)
SILENCE_MS = Range(100, 5000, 50)
SPEED = Range(0.25, 1.5, 0.05)  # OpenAI's documented range
TEMPERATURE = Range(0.0, 2.0, 0.1)
FONT_SCALE_PERCENT = Range(80, 250, 10)
EAGERNESS = ("auto", "low", "medium", "high")
DEVICE_REFRESH_MS = 5000  # hot-plug: look again this often while the Audio page shows
