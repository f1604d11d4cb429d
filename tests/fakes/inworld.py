"""Inworld Realtime (WebRTC proxy) as a test server, per shared/PROVIDERS.md.

- ``GET /v1/realtime/ice-servers`` → ``{"ice_servers": [...]}`` (empty by default: a STUN
  or TURN entry here would have to be on loopback, and an unanswered one stalls gathering).
- ``POST /v1/realtime/calls``: raw SDP → ``answer_status`` (201 as in the guide, or 200 as
  the examples accept) with the answer SDP and ``Location``; JSON ``{"sdp", "session"}`` →
  ``{"id": "call_...", "sdp": ..., "ice_servers": [...]}``.
- ``POST /v1/realtime/calls/{id}/hangup`` (beta) → 200.
- Auth: ``Authorization: Basic <base64 key>`` by default; set ``required_scheme =
  "Bearer"`` for the other reading of the docs.
- Data channel ``oai-events``; **no** ``session.created``: the client speaks first with
  ``session.update``. The GA shape plus ``temperature``, ``audio.output.model`` (TTS) and
  ``["audio", "text"]``; responses carry both streams then, and a
  ``response.backchannel.skipped`` the client must ignore.
- Errors: Inworld's REST front is gRPC-gateway, so ``{"code": <grpc>, "message",
  "details"}`` [inferred: PROVIDERS.md does not show one].
"""

from __future__ import annotations

import base64
import json

from aiohttp import web

from tests.fakes.answerer import Dialect, Json, SessionProblem, merge, new_id
from tests.fakes.openai import validate_ga
from tests.fakes.server import FakeProvider, Handler

DEFAULT_KEY = base64.b64encode(b"test-key-id:test-key-secret").decode()

# HTTP status → gRPC code and message, as grpc-gateway maps them.
_GRPC = {
    400: (3, "invalid argument"),
    401: (16, "Unauthenticated: the API key is not valid."),
    403: (7, "Permission denied: this key may not use the Realtime API."),
    404: (5, "Not found: unknown model or route."),
    429: (8, "Rate limit exceeded; retry later."),
    500: (13, "Internal error."),
    503: (14, "Service unavailable; the realtime proxy is overloaded."),
}


def validate_inworld(session: Json) -> SessionProblem | None:
    return validate_ga(
        session,
        voices=None,  # Inworld voices are a large, growing list
        extra_fields=frozenset({"temperature"}),
        allow_both_modalities=True,
        allow_output_model=True,
    )


def default_session() -> Json:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "model": "openai/gpt-4o-mini",
        "output_modalities": ["audio"],
        "audio": {"input": {"turn_detection": None}, "output": {"voice": "Dennis"}},
    }


class InworldFake(FakeProvider):
    name = "Inworld"
    dialect = Dialect(
        channel_label="oai-events",
        sends_session_created=False,
        validate_session=validate_inworld,
        text_and_audio=True,
        backchannel=True,
    )

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_KEY,
        required_scheme: str = "Basic",
        answer_status: int = 201,
        ice_servers: list[Json] | None = None,
    ) -> None:
        super().__init__(api_key=api_key)
        self.required_scheme = required_scheme
        self.answer_status = answer_status
        self.ice_servers: list[Json] = list(ice_servers or [])
        for entry in self.ice_servers:
            urls = entry.get("urls", [])
            for url in [urls] if isinstance(urls, str) else urls:
                host = url.split(":", 1)[-1].split("?")[0].rsplit(":", 1)[0].strip("[]")
                if host not in ("127.0.0.1", "::1", "localhost"):
                    # The client would send STUN/TURN traffic there: loopback only, always.
                    raise ValueError(f"ICE server {url!r} is not on loopback")

    def routes(self) -> list[tuple[str, str, Handler, str]]:
        return [
            ("GET", "/v1/realtime/ice-servers", self._ice_servers, "ice_servers"),
            ("POST", "/v1/realtime/calls", self._calls, "calls"),
            ("POST", "/v1/realtime/calls/{call_id}/hangup", self._hangup, "hangup"),
        ]

    def error_body(self, status: int, code: str | None, message: str | None) -> Json:
        grpc, default_message = _GRPC.get(status, (2, f"HTTP {status}"))
        if status == 429 and code == "insufficient_quota":
            default_message = "Quota exceeded for this workspace; check your plan and billing."
        details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": code}]
        return {
            "code": grpc,
            "message": message or default_message,
            "details": details if code else [],
        }

    def _authorized(self, request: web.Request) -> bool:
        record = self.record_of(request)
        return record.auth_scheme == self.required_scheme and record.credential == "api_key"

    async def _ice_servers(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self.error(401)
        return web.json_response({"ice_servers": self.ice_servers})

    async def _calls(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self.error(401)
        record = self.record_of(request)
        as_json = record.content_type == "application/json"
        if as_json:
            try:
                body = record.json()
            except ValueError:
                return self.error(400, message="invalid JSON body")
            offer = body.get("sdp") if isinstance(body, dict) else None
            session = body.get("session", {}) if isinstance(body, dict) else None
            if not isinstance(offer, str) or not isinstance(session, dict):
                return self.error(400, message="body needs 'sdp' (string) and 'session' (object)")
            problem = validate_inworld(session) if session else None
            if problem:
                return self.error(400, code=problem.code, message=problem.message)
        elif record.content_type == "application/sdp":
            offer, session = record.text, {}
        else:
            return self.error(400, message=f"unsupported content type {record.content_type!r}")
        if not offer.startswith("v=0"):
            return self.error(400, message="the offer is not SDP")
        # Session fields in the call body may be ignored [ex]: the channel's session.update rules.
        call = self.new_call(merge(default_session(), session), new_id("call"))
        answer = await call.answer(offer)
        location = {"Location": f"/v1/realtime/calls/{call.id}"}
        if as_json:
            return web.Response(
                status=200,
                text=json.dumps({"id": call.id, "sdp": answer, "ice_servers": self.ice_servers}),
                content_type="application/json",
                headers=location,
            )
        return web.Response(
            status=self.answer_status,
            text=answer,
            content_type="application/sdp",
            headers=location,
        )

    async def _hangup(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self.error(401)
        call = self.calls.get(request.match_info["call_id"])
        if call is None:
            return self.error(404, message="no such call")
        call.mark_hung_up()
        return web.json_response({})
