"""API keys live in the OS keyring, or (when there is none) in memory for this run only.

Never in settings files, logs or the event log. keyring calls can block on D-Bus: the
window calls these through `asyncio.to_thread`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from enum import Enum

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from desktop.core.profiles.profile import ProviderProfile
from desktop.core.secrets.redact import remember_secret

log = logging.getLogger("talkline.secrets")

SERVICE = "talkline"


class KeySource(Enum):
    KEYRING = "keyring"
    MEMORY = "memory"  # this run only: no OS keyring was available
    ENVIRONMENT = "environment"
    NONE = "none"


@dataclass(frozen=True)
class KeyringStatus:
    available: bool
    backend: str
    message: str  # what to tell the user when not available


def _is_insecure(backend: KeyringBackend) -> bool:
    """keyrings.alt stores secrets in plain files; the fail backend stores nothing."""
    module = type(backend).__module__
    if module.startswith("keyrings.alt") or module.startswith("keyring.backends.fail"):
        return True
    if module.startswith("keyring.backends.chainer"):
        backends = getattr(backend, "backends", [])
        return not backends or all(_is_insecure(b) for b in backends)
    return False


class KeyStore:
    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._backend = backend
        self._memory: dict[str, str] = {}
        # Why the last keyring write did not keep the key (for the person who asked).
        self.last_error: str | None = None

    @property
    def backend(self) -> KeyringBackend:
        return self._backend or keyring.get_keyring()

    def status(self) -> KeyringStatus:
        backend = self.backend
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        if _is_insecure(backend):
            return KeyringStatus(
                False,
                name,
                "No secure keyring is available (on Linux: a Secret Service such as GNOME "
                "Keyring or KWallet). Keys are kept in memory for this session only.",
            )
        return KeyringStatus(True, name, "")

    def get(self, provider_id: str) -> str | None:
        if provider_id in self._memory:
            return self._memory[provider_id]
        if not self.status().available:
            return None
        try:
            key = self.backend.get_password(SERVICE, provider_id)
            remember_secret(key)  # scrubbed from every output from now on
            return key
        except keyring.errors.KeyringLocked:
            log.warning("the keyring is locked; key for %s not read", provider_id)
            return None
        except keyring.errors.KeyringError as exc:
            log.warning("keyring read failed for %s: %s", provider_id, exc.__class__.__name__)
            return None

    def set(self, provider_id: str, key: str) -> KeySource:
        """Store a key; returns where it went (KEYRING, or MEMORY when there is no keyring)."""
        key = key.strip()
        if not key:
            raise ValueError("an empty key")
        remember_secret(key)
        self.last_error = None
        status = self.status()
        if status.available:
            try:
                self.backend.set_password(SERVICE, provider_id, key)
                # Read it back: a Secret Service that cannot prompt may accept and drop it.
                if self.backend.get_password(SERVICE, provider_id) == key:
                    self._memory.pop(provider_id, None)
                    return KeySource.KEYRING
                self.last_error = "the keyring accepted the key but did not keep it"
            except keyring.errors.KeyringError as exc:
                self.last_error = f"the keyring refused it ({exc.__class__.__name__})"
            log.warning("keyring write failed: %s; keeping the key in memory", self.last_error)
        else:
            self.last_error = status.message
        self._memory[provider_id] = key
        return KeySource.MEMORY

    def delete(self, provider_id: str) -> bool:
        removed = self._memory.pop(provider_id, None) is not None
        if self.status().available:
            try:
                self.backend.delete_password(SERVICE, provider_id)
                removed = True
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                log.warning("keyring delete failed: %s", exc.__class__.__name__)
        return removed

    def resolve(self, profile: ProviderProfile) -> tuple[str | None, KeySource]:
        """The key a call should use: stored first, then the conventional variable."""
        stored = self.get(profile.id)
        if stored:
            source = KeySource.MEMORY if profile.id in self._memory else KeySource.KEYRING
            return stored, source
        if profile.env_var and os.environ.get(profile.env_var):
            remember_secret(os.environ[profile.env_var])
            return os.environ[profile.env_var], KeySource.ENVIRONMENT
        return None, KeySource.NONE


def mask(key: str) -> str:
    """How a key may be shown: its start and end only."""
    if len(key) <= 10:
        return "•" * len(key)
    return f"{key[:4]}…{key[-4:]}"
