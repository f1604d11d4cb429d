"""Failures of a call, each with a sentence a person can act on."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from desktop.core.call.state import CallState
from desktop.core.secrets.redact import scrub
from desktop.core.text import one_line

SERVER_WORDS = 300  # at most this much of a server's own message is kept and shown
LONG_WAIT = 60.0  # a Retry-After beyond this is not waited for: the user is told when


class CallError(Exception):
    """A call could not start or went down.

    `message` is for the window (what happened, what to do); `details` keeps the
    server's own words; `retryable` says whether trying again can help.
    """

    def __init__(
        self,
        message: str,
        *,
        stage: CallState | None = None,
        details: str = "",
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        connection_lost: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.stage = stage
        self.details = details
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        # The network went away under a connected call (not the server ending it): worth
        # reconnecting on its own, the conversation carried over.
        self.connection_lost = connection_lost

    def __str__(self) -> str:
        where = f" [{self.stage.value}]" if self.stage else ""
        extra = f" ({self.details})" if self.details and self.details not in self.message else ""
        return f"{self.message}{where}{extra}"


@dataclass(frozen=True)
class ServerError:
    """The pieces of an OpenAI-style error body: {"error": {message, type, code, param}}."""

    message: str = ""
    type: str = ""
    code: str = ""

    @classmethod
    def from_body(cls, body: str) -> ServerError:
        """The server's words, each one line, capped, without controls or secrets: they
        are shown in the window and the terminal, and a server may send anything."""
        server = cls._parse(body)
        return cls(
            message=_words(server.message, SERVER_WORDS),
            type=_words(server.type, 80),
            code=_words(server.code, 80),
        )

    @classmethod
    def _parse(cls, body: str) -> ServerError:
        try:
            data = json.loads(body)
        except (ValueError, TypeError, RecursionError):
            return cls(message=body.strip())
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict):
            return cls(
                message=_text(err.get("message")),
                type=_text(err.get("type")),
                code=_text(err.get("code")),
            )
        if isinstance(err, str):
            return cls(message=err)
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return cls(message=data["message"])
        return cls(message=body.strip())


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)[:200]


def _words(text: str, limit: int) -> str:
    return scrub(one_line(text, limit))


def wait_words(seconds: float, now: float | None = None) -> str:
    """When to try again, for a server asking for a pause: "in 40 s", "after 14:05"."""
    if seconds < 90:
        return f"in {max(1, round(seconds))} s"
    at = time.localtime((time.time() if now is None else now) + seconds)
    minutes = round(seconds / 60)
    span = f"{minutes} minutes" if minutes < 120 else f"{minutes / 60:.0f} hours"
    return f"after {time.strftime('%H:%M', at)} (in about {span})"


def http_error(
    status: int,
    body: str,
    *,
    provider: str,
    stage: CallState,
    retry_after: float | None = None,
    auth_note: str = "",
) -> CallError:
    """Map an HTTP error answer to a CallError with a plain sentence."""
    server = ServerError.from_body(body)
    details = server.message or f"HTTP {status}"
    if server.code:
        details = f"{details} (code {server.code})"
    if status == 401:
        message = f"{provider} rejected the API key. Open Settings to replace it."
        if auth_note:
            message += f" {auth_note}"
        return CallError(message, stage=stage, details=details, status=status)
    if status == 403:
        return CallError(
            f"{provider} refused access for this key (permission or region). "
            "Check the key's permissions in your provider account.",
            stage=stage,
            details=details,
            status=status,
        )
    if status == 404:
        return CallError(
            f"{provider} does not know this address or model. "
            "Check the base URL and the model in Settings.",
            stage=stage,
            details=details,
            status=status,
        )
    if status == 429:
        quota = "quota" in (server.code + server.message).lower()
        if quota:
            message = (
                f"{provider} says this account is out of quota. Check billing, then try again."
            )
        elif retry_after is not None and retry_after > LONG_WAIT:
            message = f"{provider} is rate-limiting this key. Try again {wait_words(retry_after)}."
        else:
            message = f"{provider} is rate-limiting this key. Wait a moment and try again."
        return CallError(
            message,
            stage=stage,
            details=details,
            status=status,
            retryable=not quota,
            retry_after=retry_after,
        )
    if status >= 500:
        when = (
            wait_words(retry_after)
            if retry_after is not None and retry_after > LONG_WAIT
            else "in a moment"
        )
        return CallError(
            f"{provider} had a server error (HTTP {status}). Try again {when}.",
            stage=stage,
            details=details,
            status=status,
            retryable=True,
            retry_after=retry_after,
        )
    return CallError(
        f"{provider} refused the request (HTTP {status}): {server.message or 'no reason given'}",
        stage=stage,
        details=details,
        status=status,
    )
