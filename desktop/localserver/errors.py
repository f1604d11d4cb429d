"""OpenAI's error shape, for HTTP bodies and for ``error`` events on the data channel."""

from __future__ import annotations

from typing import Any

from aiohttp import web

INVALID_REQUEST = "invalid_request_error"


class RealtimeError(Exception):
    """A client mistake that becomes an OpenAI-style error (HTTP body or ``error`` event)."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str = INVALID_REQUEST,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.type = type
        self.status = status

    def body(self) -> dict[str, Any]:
        return error_body(self.message, code=self.code, param=self.param, type=self.type)

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status)

    def event(self, client_event_id: str | None) -> dict[str, Any]:
        """The ``error`` server event (its own ``event_id`` is added when it is sent)."""
        return {
            "type": "error",
            "error": {
                "type": self.type,
                "code": self.code,
                "message": self.message,
                "param": self.param,
                "event_id": client_event_id,
            },
        }


def error_body(
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    type: str = INVALID_REQUEST,
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "code": code, "param": param}}


def missing_auth() -> RealtimeError:
    return RealtimeError(
        "Missing bearer or basic authentication in header", status=401
    )


def invalid_key(key: str) -> RealtimeError:
    # Like OpenAI, never echo the whole key back.
    shown = f"{key[:3]}...{key[-4:]}" if len(key) > 8 else "***"
    return RealtimeError(
        f"Incorrect API key provided: {shown}.", code="invalid_api_key", status=401
    )
