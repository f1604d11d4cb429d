"""API keys and the ephemeral ``ek_`` client secrets the local server mints."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import RealtimeError, invalid_key, missing_auth

EPHEMERAL_PREFIX = "ek_"


@dataclass(frozen=True)
class ClientSecret:
    value: str
    expires_at: int
    session: dict[str, Any]


def bearer(request: web.Request) -> str:
    """The credential from ``Authorization: Bearer ...`` (or ``Basic ...``); 401 if none."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() not in ("bearer", "basic") or not token:
        raise missing_auth()
    return token


class KeyStore:
    """Accepts any key unless ``require_key`` is set; remembers the secrets it minted."""

    def __init__(self, require_key: str | None = None) -> None:
        self.require_key = require_key
        self._secrets: dict[str, ClientSecret] = {}

    def check_api_key(self, token: str) -> None:
        """A standard (non-ephemeral) key, as ``client_secrets`` needs."""
        if token.startswith(EPHEMERAL_PREFIX):
            raise RealtimeError(
                "Ephemeral keys cannot mint client secrets; use a standard API key.",
                code="invalid_api_key", status=401,
            )
        if self.require_key is not None and not secrets.compare_digest(
            token.encode(), self.require_key.encode()
        ):
            raise invalid_key(token)

    def check_any(self, token: str) -> ClientSecret | None:
        """A standard key or a live secret; returns the secret when it is one."""
        if token.startswith(EPHEMERAL_PREFIX):
            return self.ephemeral(token)
        self.check_api_key(token)
        return None

    def ephemeral(self, token: str) -> ClientSecret:
        secret = self._secrets.get(token)
        if secret is None:
            raise invalid_key(token)
        if secret.expires_at < time.time():
            del self._secrets[token]
            raise RealtimeError("The client secret has expired.", code="invalid_api_key",
                                status=401)
        return secret

    def mint(self, session: dict[str, Any], seconds: int) -> ClientSecret:
        value = f"{EPHEMERAL_PREFIX}local_{secrets.token_hex(16)}"
        secret = ClientSecret(value, int(time.time()) + seconds, session)
        self._secrets[value] = secret
        return secret
