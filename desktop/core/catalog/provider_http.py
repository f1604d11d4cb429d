"""Authenticated GET/POST to a provider, with the call's own error sentences.

A thin subclass of Signaling so a failed list or key request reads exactly like a failed
call (same timeout, TLS, DNS and HTTP status sentences) without a second mapping.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from desktop.core.call.signaling import Signaling
from desktop.core.call.state import CallState
from desktop.core.profiles.profile import ProviderProfile

_STAGE = CallState.AUTHORIZING


class ProviderHttp(Signaling):
    def __init__(
        self, profile: ProviderProfile, api_key: str, http: aiohttp.ClientSession, timeout: float
    ) -> None:
        super().__init__(profile, api_key, {}, http, timeout=timeout)

    @property
    def auth_note(self) -> str:
        """Which header and scheme carried the key, for a 401."""
        return self._auth_note()

    async def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> str:
        """The answer's body text; raises CallError with a sentence for anything but 2xx."""
        kwargs: dict[str, Any] = {"headers": self.profile.auth.headers(self._key)}
        if body is not None:
            kwargs["json"] = body
        status, headers, text = await self._request(method, path, _STAGE, **kwargs)
        self._raise_for_status(status, headers, text, _STAGE, self.auth_note)
        return text
