"""The HTTP half of a call: ICE servers, ephemeral keys, offer/answer and hang-up.

Everything provider-specific comes from the ProviderProfile; this module only knows
the three body formats and the ways a call id comes back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
from aiortc import RTCIceServer

from desktop.core.call.errors import CallError, http_error
from desktop.core.call.state import CallState
from desktop.core.profiles.profile import (
    AuthConfig,
    BodyFormat,
    CallIdSource,
    ProviderProfile,
)

log = logging.getLogger("talkline.signaling")

BEARER = AuthConfig(header="Authorization", scheme="Bearer")
# Statuses for which a refused ephemeral-key request should fall back to the standard key.
_MINT_FALLBACK_STATUSES = {400, 404, 405, 501}


@dataclass
class CallAnswer:
    sdp: str
    call_id: str | None = None
    ice_servers: list[RTCIceServer] = field(default_factory=list)


@dataclass
class Authorization:
    """The credential the call request carries, and the body format that goes with it."""

    headers: Mapping[str, str]
    body_format: BodyFormat
    ephemeral: bool


class Signaling:
    def __init__(
        self,
        profile: ProviderProfile,
        api_key: str | None,
        session: dict,
        http: aiohttp.ClientSession,
        *,
        timeout: float = 15.0,
    ) -> None:
        self.profile = profile
        self._key = api_key or ""
        self._session = session
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10.0))

    # -- requests -------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, stage: CallState, **kwargs: object
    ) -> tuple[int, Mapping[str, str], str]:
        url = self.profile.url(path)
        try:
            async with self._http.request(
                method, url, timeout=self._timeout, allow_redirects=False, **kwargs
            ) as resp:
                body = await resp.text(errors="replace")
                # Keep the case-insensitive mapping: HTTP/2 fronts send lowercase names.
                return resp.status, resp.headers.copy(), body
        except TimeoutError as exc:
            raise CallError(
                f"{self.profile.name} did not answer in time. Check your network connection, "
                "or try again later.",
                stage=stage,
                details=f"timeout after {self._timeout.total:.0f} s: {method} {url}",
                retryable=True,
            ) from exc
        except aiohttp.ClientConnectorCertificateError as exc:
            raise CallError(
                f"The secure connection to {self._host()} failed: its certificate is not "
                "trusted. A proxy or captive portal may be intercepting the connection.",
                stage=stage,
                details=str(exc),
            ) from exc
        except (aiohttp.ClientSSLError, ssl.SSLError) as exc:
            raise CallError(
                f"The secure connection to {self._host()} failed (TLS). Check the base URL "
                "and any proxy in between.",
                stage=stage,
                details=str(exc),
            ) from exc
        except aiohttp.ClientConnectorDNSError as exc:
            raise CallError(
                f"Cannot find {self._host()}: the name does not resolve. Check your network "
                "connection and the base URL.",
                stage=stage,
                details=str(exc),
                retryable=True,
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            raise CallError(
                f"Cannot reach {self._host()}: the connection was refused or the network is down.",
                stage=stage,
                details=str(exc),
                retryable=True,
            ) from exc
        except aiohttp.ClientError as exc:
            raise CallError(
                f"The connection to {self._host()} broke off: {exc.__class__.__name__}.",
                stage=stage,
                details=str(exc),
                retryable=True,
            ) from exc

    def _host(self) -> str:
        return urlsplit(self.profile.base_url).netloc or self.profile.base_url

    def _raise_for_status(
        self,
        status: int,
        headers: Mapping[str, str],
        body: str,
        stage: CallState,
        auth_note: str = "",
    ) -> None:
        if 200 <= status < 300:
            return
        if 300 <= status < 400:
            raise CallError(
                f"{self.profile.name} redirected the request elsewhere. Check the base URL.",
                stage=stage,
                details=f"HTTP {status} → {headers.get('Location', '?')}",
                status=status,
            )
        retry_after = _retry_after(headers)
        raise http_error(
            status,
            body,
            provider=self.profile.name,
            stage=stage,
            retry_after=retry_after,
            auth_note=auth_note,
        )

    def _auth_note(self) -> str:
        auth = self.profile.auth
        if auth.scheme:
            return f"(Sent as '{auth.header}: {auth.scheme} …'.)"
        return f"(Sent in the '{auth.header}' header.)"

    # -- steps ----------------------------------------------------------------------------

    async def fetch_ice_servers(self) -> list[RTCIceServer]:
        """The provider's STUN/TURN servers; an empty list (host candidates) if that fails."""
        path = self.profile.ice_servers_path
        if not path:
            return []
        try:
            status, _headers, body = await self._request(
                "GET",
                path,
                CallState.AUTHORIZING,
                headers=self.profile.auth.headers(self._key),
            )
        except CallError as exc:
            log.warning("ICE servers unavailable, using host candidates only: %s", exc)
            return []
        if status != 200:
            log.warning("ICE servers request answered HTTP %s; using host candidates", status)
            return []
        return parse_ice_servers(body)

    async def authorize(self) -> Authorization:
        """Mint an ephemeral secret where the profile wants one; else use the key as is."""
        eph = self.profile.ephemeral
        standard = Authorization(
            headers=self.profile.auth.headers(self._key),
            body_format=self.profile.body_format,
            ephemeral=False,
        )
        if eph is None:
            return standard
        payload: dict = {"session": self._session if eph.include_session else {"type": "realtime"}}
        if eph.expires_seconds:
            payload["expires_after"] = {"anchor": "created_at", "seconds": eph.expires_seconds}
        status, headers, body = await self._request(
            "POST",
            eph.path,
            CallState.AUTHORIZING,
            headers=self.profile.auth.headers(self._key),
            json=payload,
        )
        if status in _MINT_FALLBACK_STATUSES:
            log.info("ephemeral key refused (HTTP %s); using the standard key", status)
            return standard
        self._raise_for_status(status, headers, body, CallState.AUTHORIZING, self._auth_note())
        secret = _secret_from(body, eph.response_field)
        if not secret:
            raise CallError(
                f"{self.profile.name} answered the key request without a client secret.",
                stage=CallState.AUTHORIZING,
                details=body[:300],
            )
        return Authorization(
            headers=BEARER.headers(secret), body_format=eph.body_format, ephemeral=True
        )

    async def post_offer(self, offer_sdp: str, auth: Authorization) -> CallAnswer:
        stage = CallState.SIGNALING
        headers = dict(auth.headers)
        kwargs: dict[str, object] = {}
        if auth.body_format is BodyFormat.RAW_SDP:
            headers["Content-Type"] = "application/sdp"
            kwargs["data"] = offer_sdp.encode()
        elif auth.body_format is BodyFormat.MULTIPART:
            # Strings alone would be sent urlencoded; the providers want multipart.
            form = aiohttp.FormData(default_to_multipart=True)
            form.add_field("sdp", offer_sdp)
            form.add_field("session", json.dumps(self._session))
            kwargs["data"] = form
        else:
            kwargs["json"] = {"sdp": offer_sdp, "session": self._session}
        status, resp_headers, body = await self._request(
            "POST", self.profile.calls_path, stage, headers=headers, **kwargs
        )
        note = "" if auth.ephemeral else self._auth_note()
        self._raise_for_status(status, resp_headers, body, stage, note)
        return self._parse_answer(resp_headers, body)

    def _parse_answer(self, headers: Mapping[str, str], body: str) -> CallAnswer:
        content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
        answer = CallAnswer(sdp=body)
        if content_type == "application/json" or body.lstrip().startswith("{"):
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if not isinstance(data, dict) or not isinstance(data.get("sdp"), str):
                raise _not_sdp(self.profile.name, body)
            answer = CallAnswer(
                sdp=data["sdp"],
                call_id=str(data["id"]) if data.get("id") else None,
                ice_servers=parse_ice_servers(json.dumps({"ice_servers": data.get("ice_servers")})),
            )
        if not answer.sdp.lstrip().startswith("v=0"):
            raise _not_sdp(self.profile.name, body)
        if answer.call_id is None:
            answer.call_id = self._call_id_from(headers)
        return answer

    def _call_id_from(self, headers: Mapping[str, str]) -> str | None:
        source = self.profile.call_id_source
        if source is CallIdSource.SESSION_HEADER and headers.get("X-Session-Id"):
            return headers["X-Session-Id"]
        location = headers.get("Location")
        if location:
            return location.rstrip("/").rsplit("/", 1)[-1] or None
        return headers.get("X-Session-Id")

    async def hangup(self, call_id: str) -> None:
        """Best effort: a failed hang-up is logged, the call is over for us either way."""
        hangup = self.profile.hangup
        if hangup is None:
            return
        try:
            status, _h, body = await self._request(
                hangup.method,
                hangup.path.format(call_id=call_id),
                CallState.CLOSING,
                headers=self.profile.auth.headers(self._key),
            )
            if status >= 300:
                log.info("hang-up answered HTTP %s: %s", status, body[:200])
        except CallError as exc:
            log.info("hang-up failed: %s", exc)


def _not_sdp(provider: str, body: str) -> CallError:
    return CallError(
        f"{provider} answered, but not with a WebRTC session description. "
        "Check the base URL points at a realtime API.",
        stage=CallState.SIGNALING,
        details=body.strip()[:300] or "(empty body)",
    )


def _secret_from(body: str, field_name: str) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    value = data.get(field_name)
    if isinstance(value, dict):  # OpenAI preview: {"client_secret": {"value": ...}}
        value = value.get("value")
    return value if isinstance(value, str) and value else None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def parse_ice_servers(body: str) -> list[RTCIceServer]:
    """`{"ice_servers": [{"urls": [...], "username"?, "credential"?}]}` → aiortc servers."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    raw = data.get("ice_servers") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return []
    servers: list[RTCIceServer] = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        urls = entry.get("urls")
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls) or not urls:
            continue
        username = entry.get("username")
        credential = entry.get("credential")
        servers.append(
            RTCIceServer(
                urls=urls,
                username=username if isinstance(username, str) else None,
                credential=credential if isinstance(credential, str) else None,
            )
        )
    return servers


async def close_quietly(http: aiohttp.ClientSession) -> None:
    try:
        await http.close()
    except Exception:  # closing must never raise into a hang-up
        log.debug("http close failed", exc_info=True)
    await asyncio.sleep(0)
