"""OpenAI Realtime (GA) as a test server, per shared/PROVIDERS.md.

- ``POST /v1/realtime/client_secrets`` (Bearer standard key, JSON ``{session,
  expires_after}``) → 200 ``{"value": "ek_...", "expires_at": ..., "session": {...}}``.
- ``POST /v1/realtime/calls``: raw SDP only with an ``ek_`` bearer; ``multipart/form-data``
  (``sdp`` + ``session``) only with the standard key → **201**, ``application/sdp``,
  ``Location: /v1/realtime/calls/rtc_...``.
- ``POST /v1/realtime/calls/{id}/hangup`` → 200.
- Data channel ``oai-events``; ``session.created`` on open; ``session.update`` answered
  with ``session.updated``, or an ``error`` event when the GA shape is broken (e.g.
  ``temperature``, both output modalities, ``audio.output.model``).
- Errors are ``{"error": {"message", "type", "code", "param"}}``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from tests.fakes.answerer import Dialect, Json, SessionProblem, merge, new_id
from tests.fakes.server import FakeProvider, Handler

OPENAI_VOICES = frozenset(
    {"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"}
)
GA_FIELDS = frozenset(
    {
        "type",
        "model",
        "instructions",
        "output_modalities",
        "audio",
        "tools",
        "tool_choice",
        "max_output_tokens",
        "tracing",
        "truncation",
        "prompt",
        "include",
    }
)
SERVER_VAD_FIELDS = frozenset(
    {
        "type",
        "threshold",
        "prefix_padding_ms",
        "silence_duration_ms",
        "idle_timeout_ms",
        "create_response",
        "interrupt_response",
    }
)
SEMANTIC_VAD_FIELDS = frozenset({"type", "eagerness", "create_response", "interrupt_response"})


def _unknown(param: str) -> SessionProblem:
    return SessionProblem(f"Unknown parameter: '{param}'.", "unknown_parameter", param)


def _extra(obj: Json, allowed: frozenset[str], prefix: str) -> SessionProblem | None:
    for key in obj:
        if key not in allowed:
            return _unknown(f"{prefix}.{key}")
    return None


def _check_turn_detection(td: Any) -> SessionProblem | None:  # noqa: ANN401
    param = "session.audio.input.turn_detection"
    if td is None:
        return None
    if not isinstance(td, dict):
        return SessionProblem(f"Invalid type for '{param}'.", "invalid_type", param)
    if td.get("type") == "server_vad":
        return _extra(td, SERVER_VAD_FIELDS, param)
    if td.get("type") == "semantic_vad":
        if td.get("eagerness", "auto") not in ("low", "medium", "high", "auto"):
            return SessionProblem("Invalid eagerness.", "invalid_value", f"{param}.eagerness")
        return _extra(td, SEMANTIC_VAD_FIELDS, param)
    return SessionProblem(f"Invalid value for '{param}.type'.", "invalid_value", f"{param}.type")


def validate_ga(
    session: Json,
    *,
    voices: frozenset[str] | None = OPENAI_VOICES,
    extra_fields: frozenset[str] = frozenset(),
    allow_both_modalities: bool = False,
    allow_output_model: bool = False,
) -> SessionProblem | None:
    """OpenAI's GA session rules (Inworld relaxes some through the keyword arguments)."""
    if session.get("type") != "realtime":
        return SessionProblem(
            "Missing required parameter: 'session.type'.",
            "missing_required_parameter",
            "session.type",
        )
    problem = _extra(session, GA_FIELDS | extra_fields, "session")
    if problem:
        return problem
    modalities = session.get("output_modalities")
    if modalities is not None:
        if not isinstance(modalities, list) or not set(modalities) <= {"audio", "text"}:
            return SessionProblem(
                "Invalid value for 'session.output_modalities'.",
                "invalid_value",
                "session.output_modalities",
            )
        if len(modalities) != 1 and not allow_both_modalities:
            return SessionProblem(
                f"Invalid modalities: {modalities}. Supported combinations are: "
                "['text'] and ['audio'].",
                "invalid_value",
                "session.output_modalities",
            )
    audio = session.get("audio", {})
    if not isinstance(audio, dict):
        return SessionProblem("Invalid type for 'session.audio'.", "invalid_type", "session.audio")
    problem = _extra(audio, frozenset({"input", "output"}), "session.audio")
    if problem:
        return problem
    audio_in = audio.get("input", {})
    audio_out = audio.get("output", {})
    problem = _extra(
        audio_in,
        frozenset({"format", "noise_reduction", "transcription", "turn_detection"}),
        "session.audio.input",
    ) or _extra(
        audio_out,
        frozenset({"format", "voice", "speed"} | ({"model"} if allow_output_model else set())),
        "session.audio.output",
    )
    if problem:
        return problem
    problem = _check_turn_detection(audio_in.get("turn_detection"))
    if problem:
        return problem
    voice = audio_out.get("voice")
    if voice is not None and voices is not None and voice not in voices:
        return SessionProblem(
            f"Invalid value: '{voice}'. Supported values are: {sorted(voices)}.",
            "invalid_value",
            "session.audio.output.voice",
        )
    speed = audio_out.get("speed")
    if speed is not None and not (isinstance(speed, int | float) and 0.25 <= speed <= 1.5):
        return SessionProblem(
            "Invalid 'session.audio.output.speed'.",
            "decimal_above_max_value",
            "session.audio.output.speed",
        )
    return None


def default_session(model: str) -> Json:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "You are a helpful assistant.",
        "audio": {
            "input": {"format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": None},
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"},
        },
    }


class OpenAIFake(FakeProvider):
    name = "OpenAI"
    dialect = Dialect(
        channel_label="oai-events",
        sends_session_created=True,
        validate_session=validate_ga,
        voice_fixed_after_audio=True,
    )

    def __init__(
        self, *, api_key: str = "sk-test-123", auth_header: str = "Authorization"
    ) -> None:
        super().__init__(api_key=api_key, auth_header=auth_header)
        # `Authorization: Bearer <key>`, or an Azure-style header with the key alone.
        self.scheme = "Bearer" if auth_header == "Authorization" else None

    def routes(self) -> list[tuple[str, str, Handler, str]]:
        return [
            ("POST", "/v1/realtime/client_secrets", self._client_secrets, "client_secrets"),
            ("POST", "/v1/realtime/calls", self._calls, "calls"),
            ("POST", "/v1/realtime/calls/{call_id}/hangup", self._hangup, "hangup"),
        ]

    def error_body(self, status: int, code: str | None, message: str | None) -> Json:
        kind = "invalid_request_error"
        default_code, default_message = {
            400: (None, "Invalid request."),
            401: (
                "invalid_api_key",
                "Incorrect API key provided. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
            ),
            403: (
                "unsupported_country_region_territory",
                "Country, region, or territory not supported",
            ),
            404: (
                "model_not_found",
                "The model `gpt-realtime` does not exist or you do not have access to it.",
            ),
            429: (
                "rate_limit_exceeded",
                "Rate limit reached for gpt-realtime in organization "
                "org-test on requests per min (RPM): Limit 100, Used 100, Requested 1. "
                "Please try again in 7s.",
            ),
            500: (None, "The server had an error while processing your request. Sorry about that!"),
            503: (None, "The engine is currently overloaded, please try again later."),
        }.get(status, (None, f"HTTP {status}"))
        code = code or default_code
        if status == 429 and code == "insufficient_quota":
            kind = "insufficient_quota"
            default_message = (
                "You exceeded your current quota, please check your plan and billing details."
            )
        elif status == 429:
            kind = "requests"
        elif status >= 500:
            kind = "server_error"
        return {
            "error": {
                "message": message or default_message,
                "type": kind,
                "code": code,
                "param": None,
            }
        }

    def _unauthorized(self) -> web.Response:
        return self.error(401)

    async def _client_secrets(self, request: web.Request) -> web.Response:
        record = self.record_of(request)
        if record.auth_scheme != self.scheme or record.credential != "api_key":
            return self._unauthorized()
        try:
            body = record.json()
        except ValueError:
            return self.error(400, message="We could not parse the JSON body of your request.")
        session = body.get("session") if isinstance(body, dict) else None
        if not isinstance(session, dict):
            return self.error(
                400,
                code="missing_required_parameter",
                message="Missing required parameter: 'session'.",
            )
        problem = validate_ga(session)
        if problem:
            return self.error(400, code=problem.code, message=problem.message)
        expires = body.get("expires_after", {}).get("seconds", 600)
        if not isinstance(expires, int) or not 10 <= expires <= 7200:
            return self.error(400, code="invalid_value", message="Invalid 'expires_after.seconds'.")
        full = merge(default_session(str(session.get("model") or "gpt-realtime")), session)
        full["id"] = new_id("sess")
        secret = new_id("ek")
        self.issued_secrets[secret] = full
        return web.json_response(
            {"value": secret, "expires_at": int(time.time()) + expires, "session": full}
        )

    async def _calls(self, request: web.Request) -> web.Response:
        record = self.record_of(request)
        if record.auth_scheme != self.scheme or record.credential in ("none", "unknown"):
            return self._unauthorized()
        if record.content_type == "application/sdp":
            if record.credential != "client_secret":
                return self.error(
                    400,
                    message="Raw SDP bodies need an ephemeral key (ek_...). With an API key, "
                    "send multipart/form-data with 'sdp' and 'session'.",
                )
            offer = record.text
            session = self.issued_secrets[self.split_auth(request)[1] or ""]
        elif record.content_type == "multipart/form-data":
            if record.credential != "api_key":
                return self.error(400, message="multipart calls take your API key.")
            if "sdp" not in record.form or "session" not in record.form:
                return self.error(
                    400,
                    code="missing_required_parameter",
                    message="Missing required parameter: 'sdp' or 'session'.",
                )
            offer = record.form["sdp"]
            try:
                session = json.loads(record.form["session"])
            except ValueError:
                return self.error(400, message="'session' is not valid JSON.")
            problem = (
                validate_ga(session)
                if isinstance(session, dict)
                else SessionProblem("Invalid type for 'session'.", "invalid_type", "session")
            )
            if problem:
                return self.error(400, code=problem.code, message=problem.message)
            session = merge(default_session(str(session.get("model") or "gpt-realtime")), session)
        else:
            return self.error(400, message=f"Unsupported content type {record.content_type!r}.")
        if not offer.startswith("v=0"):
            return self.error(400, message="The SDP offer could not be parsed.")
        call = self.new_call(session, new_id("rtc"))
        answer = await call.answer(offer)
        return web.Response(
            status=201,
            text=answer,
            content_type="application/sdp",
            headers={"Location": f"/v1/realtime/calls/{call.id}"},
        )

    async def _hangup(self, request: web.Request) -> web.Response:
        record = self.record_of(request)
        if record.auth_scheme != self.scheme or record.credential in ("none", "unknown"):
            return self._unauthorized()
        call = self.calls.get(request.match_info["call_id"])
        if call is None:
            return self.error(404, code="call_not_found", message="No such call.")
        call.mark_hung_up()
        return web.Response(status=200)
