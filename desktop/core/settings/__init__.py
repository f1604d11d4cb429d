"""User settings as typed data; the window persists them, keys stay in the keyring."""

from desktop.core.settings.schema import (
    SYSTEM_DEFAULT,
    AppSettings,
    AudioSettings,
    ProviderSettings,
)

__all__ = ["SYSTEM_DEFAULT", "AppSettings", "AudioSettings", "ProviderSettings"]
