"""Keys go to a keyring or stay in memory; never to a file."""

import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from desktop.core.profiles import get_profile
from desktop.core.secrets import KeySource, KeyStore, mask


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}
        self.locked = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.locked:
            raise keyring.errors.KeyringLocked("locked")
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.locked:
            raise keyring.errors.KeyringLocked("locked")
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.data:
            raise keyring.errors.PasswordDeleteError(username)
        del self.data[(service, username)]


def test_keyring_round_trip() -> None:
    backend = MemoryKeyring()
    store = KeyStore(backend)
    assert store.status().available
    assert store.set("openai", "  sk-abc123  ") is KeySource.KEYRING
    assert backend.data[("talkline", "openai")] == "sk-abc123"
    assert store.resolve(get_profile("openai")) == ("sk-abc123", KeySource.KEYRING)
    assert store.delete("openai") and store.get("openai") is None


def test_no_keyring_keeps_the_key_in_memory_only() -> None:
    store = KeyStore(fail.Keyring())
    status = store.status()
    assert not status.available and "memory for this session" in status.message
    assert store.set("inworld", "abc") is KeySource.MEMORY
    assert store.resolve(get_profile("inworld")) == ("abc", KeySource.MEMORY)
    assert KeyStore(fail.Keyring()).get("inworld") is None  # gone with the process


def test_locked_keyring_falls_back_without_raising() -> None:
    backend = MemoryKeyring()
    backend.locked = True
    store = KeyStore(backend)
    assert store.get("openai") is None
    assert store.set("openai", "sk-x") is KeySource.MEMORY


def test_environment_variable_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTAV_API_KEY", "rtav_ak_env")
    store = KeyStore(MemoryKeyring())
    assert store.resolve(get_profile("rtav")) == ("rtav_ak_env", KeySource.ENVIRONMENT)
    store.set("rtav", "rtav_ak_stored")
    assert store.resolve(get_profile("rtav"))[0] == "rtav_ak_stored"


def test_plaintext_backends_are_not_trusted() -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    assert not KeyStore(PlaintextKeyring()).status().available


def test_mask_shows_only_the_ends() -> None:
    assert mask("sk-proj-abcdefghijklmnop") == "sk-p…mnop"
    assert "abc" not in mask("abcdefgh")
