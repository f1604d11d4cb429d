"""The HTTP half of a call: ICE servers, ephemeral keys, offer/answer and hang-up.

Everything provider-specific comes from the ProviderProfile; this module only knows
the three body formats and the ways a call id comes back.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
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
from desktop.core.secrets.redact import remember_secret, scrub
from desktop.core.text import one_line

log = logging.getLogger("talkline.signaling")

BEARER = AuthConfig(header="Authorization", scheme="Bearer")
# Statuses for which a refused ephemeral-key request should fall back to the standard key.
_MINT_FALLBACK_STATUSES = {400, 404, 405, 501}

# What a hostile or broken server may make us read, counted in decoded bytes (a gzip bomb
# is small on the wire). An SDP answer is a few KB; JSON answers are small too.
SDP_LIMIT = 256 * 1024
JSON_LIMIT = 1024 * 1024
SHOWN_CHARS = 300  # of a server's own words, in a sentence or a detail
_READ_CHUNK = 64 * 1024
# A call id goes into the hang-up URL: a plain token only, never a path.
_CALL_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
# A minted client secret goes into the next request's Authorization header.
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]{8,4096}")


class BodyTooLarge(Exception):
    """A response body went past what this request may read."""


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
        session: dict[str, Any],
        http: aiohttp.ClientSession,
        *,
        timeout: float = 15.0,
    ) -> None:
        self.profile = profile
        self._key = api_key or ""
        self._session = session
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10.0))
        remember_secret(self._key)
        # A call the provider created whose answer we could not read (see post_offer).
        self._orphan_call_id: str | None = None

    # -- requests -------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        stage: CallState,
        *,
        limit: int = JSON_LIMIT,
        **kwargs: Any,  # noqa: ANN401 - aiohttp request options
    ) -> tuple[int, Mapping[str, str], str]:
        url = self.profile.url(path)
        headers_seen: Mapping[str, str] | None = None
        status = 0
        try:
            async with self._http.request(
                method, url, timeout=self._timeout, allow_redirects=False, **kwargs
            ) as resp:
                # Keep the case-insensitive mapping: HTTP/2 fronts send lowercase names.
                status, headers_seen = resp.status, resp.headers.copy()
                body = await _read_capped(resp, limit)
                return status, headers_seen, body
        except BodyTooLarge as exc:
            self._note_orphan(path, status, headers_seen)
            raise CallError(
                f"{self.profile.name} sent a far larger answer than a realtime API does "
                f"(over {_size(limit)}); it was not read. Check the base URL.",
                stage=stage,
                details=f"HTTP {status}: body over {limit} bytes: {method} {url}",
                status=status or None,
            ) from exc
        except TimeoutError as exc:
            self._note_orphan(path, status, headers_seen)
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
            self._note_orphan(path, status, headers_seen)
            raise CallError(
                f"The connection to {self._host()} broke off: {exc.__class__.__name__}.",
                stage=stage,
                details=str(exc),
                retryable=True,
            ) from exc

    def _note_orphan(self, path: str, status: int, headers: Mapping[str, str] | None) -> None:
        """The call request was answered with a success and an id, then the body failed:
        the provider holds a session we cannot use, and it must be hung up."""
        if path == self.profile.calls_path and headers is not None and 200 <= status < 300:
            self._orphan_call_id = self._call_id_from(headers)

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
                details=f"HTTP {status} → {one_line(headers.get('Location', '?'), 200)}",
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
        payload: dict[str, Any] = {
            "session": self._session if eph.include_session else {"type": "realtime"}
        }
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
                details=_shown(body),
            )
        if not _SECRET_SHAPE.fullmatch(secret):
            raise CallError(
                f"{self.profile.name} answered the key request with a client secret Talkline "
                "cannot use (wrong length or characters). Check the base URL.",
                stage=CallState.AUTHORIZING,
                details=f"client secret of {len(secret)} characters",
            )
        remember_secret(secret)
        return Authorization(
            headers=BEARER.headers(secret), body_format=eph.body_format, ephemeral=True
        )

    async def post_offer(self, offer_sdp: str, auth: Authorization) -> CallAnswer:
        stage = CallState.SIGNALING
        headers = dict(auth.headers)
        kwargs: dict[str, Any] = {}
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
        self._orphan_call_id = None
        try:
            status, resp_headers, body = await self._request(
                "POST", self.profile.calls_path, stage, limit=SDP_LIMIT, headers=headers, **kwargs
            )
        except CallError:
            # The provider answered "created" with an id, then the answer broke off: hang
            # that session up before anyone posts another offer. Without an id (a timeout
            # before any header) a retry is still safe: that offer's peer connection is
            # closed with this attempt, so a session it may have created never receives
            # media and the provider drops it after its own connect timeout.
            orphan, self._orphan_call_id = self._orphan_call_id, None
            if orphan is not None:
                log.info("hanging up call %s whose answer could not be read", orphan)
                await self.hangup(orphan)
            raise
        note = "" if auth.ephemeral else self._auth_note()
        self._raise_for_status(status, resp_headers, body, stage, note)
        return self._parse_answer(resp_headers, body)

    def _parse_answer(self, headers: Mapping[str, str], body: str) -> CallAnswer:
        content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
        body = body.replace("\x00", "")  # aiortc's SDP parser does not expect NULs
        answer = CallAnswer(sdp=body)
        if content_type == "application/json" or body.lstrip().startswith("{"):
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if not isinstance(data, dict) or not isinstance(data.get("sdp"), str):
                raise _not_sdp(self.profile.name, body)
            raw_id = data.get("id")
            answer = CallAnswer(
                sdp=data["sdp"],
                call_id=_plain_id(raw_id) if isinstance(raw_id, str | int) else None,
                ice_servers=parse_ice_servers(json.dumps({"ice_servers": data.get("ice_servers")})),
            )
        if not answer.sdp.lstrip().startswith("v=0"):
            raise _not_sdp(self.profile.name, body)
        if answer.call_id is None:
            answer.call_id = self._call_id_from(headers)
        return answer

    def _call_id_from(self, headers: Mapping[str, str]) -> str | None:
        """The call id from the answer's headers; only a plain token is accepted, since it
        goes into the hang-up URL (``../../admin?x=1`` must not steer the standard key)."""
        source = self.profile.call_id_source
        if source is CallIdSource.SESSION_HEADER and headers.get("X-Session-Id"):
            return _plain_id(headers["X-Session-Id"])
        location = headers.get("Location")
        if location:
            # The raw last segment: a query or fragment makes it no plain id at all.
            return _plain_id(location.rstrip("/").rsplit("/", 1)[-1])
        session_id = headers.get("X-Session-Id")
        return _plain_id(session_id) if session_id else None

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
                limit=64 * 1024,
                headers=self.profile.auth.headers(self._key),
            )
            if status >= 300:
                log.info("hang-up answered HTTP %s: %s", status, _shown(body, 200))
        except CallError as exc:
            log.info("hang-up failed: %s", exc)


def _not_sdp(provider: str, body: str) -> CallError:
    return CallError(
        f"{provider} answered, but not with a WebRTC session description. "
        "Check the base URL points at a realtime API.",
        stage=CallState.SIGNALING,
        details=_shown(body) or "(empty body)",
    )


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def _shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """A server's words as they may be shown: one line, capped, no controls, no secrets."""
    return scrub(one_line(text, limit))


def _plain_id(raw: object) -> str | None:
    text = str(raw)
    if _CALL_ID.fullmatch(text):
        return text
    log.warning("ignoring a call id that is not a plain token (%d characters)", len(text))
    return None


async def _read_capped(resp: aiohttp.ClientResponse, limit: int) -> str:
    """The body as text, or BodyTooLarge once more than ``limit`` decoded bytes arrived:
    nothing past the limit is kept, and the connection is dropped rather than drained."""
    declared = resp.content_length
    if declared is not None and declared > limit and not resp.headers.get("Content-Encoding"):
        resp.close()
        raise BodyTooLarge(declared)
    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.content.iter_chunked(_READ_CHUNK):
        total += len(chunk)
        if total > limit:
            resp.close()
            raise BodyTooLarge(total)
        chunks.append(chunk)
    data = b"".join(chunks)
    try:
        return data.decode(resp.charset or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        return data.decode("utf-8", "replace")


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


def _retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait: ``Retry-After`` as seconds or as an HTTP date (RFC 9110)."""
    raw = (headers.get("Retry-After") or headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC dates are GMT; a naive one is taken as such
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


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
