""""Test key": one cheap authenticated request, answered with a sentence."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp

from desktop.core.call.errors import CallError
from desktop.core.catalog.provider_http import ProviderHttp
from desktop.core.catalog.sources import catalog_for
from desktop.core.profiles.profile import ProviderProfile

log = logging.getLogger("talkline.catalog")


@dataclass(frozen=True)
class KeyCheck:
    ok: bool
    message: str  # for the person: what happened and what to do
    details: str = ""  # the server's own words, or what was asked


# timeout: aiohttp's per-request limit (as for a call), not a deadline for this coroutine.
async def check_key(
    profile: ProviderProfile, key: str | None, *, timeout: float = 10  # noqa: ASYNC109
) -> KeyCheck:
    """Ask the provider whether it accepts `key`. Never raises (cancellation aside)."""
    key = (key or "").strip()
    if not key:
        return KeyCheck(False, "There is no key to test: type one or save one first.")
    request = catalog_for(profile.id).key_check
    asked = f"{request.method} {request.path}"
    try:
        async with aiohttp.ClientSession() as http:
            client = ProviderHttp(profile, key, http, timeout)
            await client.send(request.method, request.path, request.body)
    except CallError as exc:
        # The key itself is never logged; the request and the answer's sentence are.
        log.info("key check for %s failed: %s", profile.id, exc.message)
        return KeyCheck(False, exc.message, exc.details or asked)
    except Exception as exc:  # a bug here must read as a failed check, not a crash
        log.warning("key check for %s broke: %s", profile.id, exc.__class__.__name__)
        return KeyCheck(False, f"The key could not be tested: {exc.__class__.__name__}.", asked)
    log.info("key check for %s passed", profile.id)
    return KeyCheck(True, f"The key works: {profile.name} accepted it.", asked)
