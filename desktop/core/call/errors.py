"""Failures of a call, each with a sentence a person can act on."""

from __future__ import annotations

import json
from dataclasses import dataclass

from desktop.core.call.state import CallState


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
        try:
            data = json.loads(body)
        except (ValueError, TypeError):
            return cls(message=body.strip()[:300])
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict):
            return cls(
                message=str(err.get("message") or ""),
                type=str(err.get("type") or ""),
                code=str(err.get("code") or ""),
            )
        if isinstance(err, str):
            return cls(message=err)
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return cls(message=data["message"])
        return cls(message=body.strip()[:300])


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
        message = (
            f"{provider} says this account is out of quota. Check billing, then try again."
            if quota
            else f"{provider} is rate-limiting this key. Wait a moment and try again."
        )
        return CallError(
            message,
            stage=stage,
            details=details,
            status=status,
            retryable=not quota,
            retry_after=retry_after,
        )
    if status >= 500:
        return CallError(
            f"{provider} had a server error (HTTP {status}). Try again in a moment.",
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
