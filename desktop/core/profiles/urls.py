"""Base URL checks: HTTPS anywhere, plain HTTP only to this machine."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


class InvalidBaseUrl(ValueError):
    """A base URL a person typed that we will not send a key to."""


def is_loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str) -> str:
    """Return the URL without a trailing slash, or raise InvalidBaseUrl with a reason."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidBaseUrl(f"The base URL must start with https:// (got {url!r}).")
    if not parts.hostname:
        raise InvalidBaseUrl(f"The base URL has no host name: {url!r}.")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise InvalidBaseUrl(
            "Plain http:// is only allowed to this computer (localhost, 127.0.0.1, ::1): "
            "use https:// so the API key is not sent in the clear."
        )
    if parts.query or parts.fragment:
        raise InvalidBaseUrl("The base URL must not contain ? or #.")
    return url.rstrip("/")
