"""API keys through the OS keyring library's default backend and a real Secret Service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import pytest
import secretstorage

from desktop.core.profiles import get_profile
from desktop.core.secrets import KeySource, KeyStore, mask
from tests.keyring_env import SecretService

KEY = "sk-proj-REALKEYRING-0123456789"


@pytest.fixture(scope="module")
def secret_service() -> Iterator[SecretService]:
    with SecretService() as service:
        yield service


def stored_in_secret_service(provider: str) -> list[str]:
    """What the Secret Service itself holds for talkline/<provider>, asked over D-Bus."""
    with closing(secretstorage.dbus_init()) as conn:
        collection = secretstorage.get_default_collection(conn)
        items = collection.search_items({"service": "talkline", "username": provider})
        return [item.get_secret().decode() for item in items]


def test_default_backend_is_the_secret_service(secret_service: SecretService) -> None:
    assert secret_service.backend_name == "keyring.backends.SecretService.Keyring"
    status = KeyStore().status()
    assert status.available and status.message == ""


def test_key_round_trip_through_the_secret_service(secret_service: SecretService) -> None:
    store = KeyStore()
    assert store.set("openai", f"  {KEY}\n") is KeySource.KEYRING
    assert stored_in_secret_service("openai") == [KEY]

    # Another KeyStore (a later run) has no memory of it: it reads the keyring.
    later = KeyStore()
    assert later.get("openai") == KEY
    assert later.resolve(get_profile("openai")) == (KEY, KeySource.KEYRING)
    assert mask(later.get("openai") or "") == "sk-p…6789"

    assert later.delete("openai")
    assert stored_in_secret_service("openai") == []
    assert KeyStore().get("openai") is None


def test_replacing_a_key_keeps_one_entry(secret_service: SecretService) -> None:
    store = KeyStore()
    store.set("inworld", "first-key-aaaaaaaa")
    store.set("inworld", "second-key-bbbbbbbb")
    assert stored_in_secret_service("inworld") == ["second-key-bbbbbbbb"]
    store.delete("inworld")
