"""``LocalRealtimeServer``: OpenAI's realtime HTTP endpoints on aiohttp, echo calls behind them."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from . import session as sessions
from .auth import EPHEMERAL_PREFIX, KeyStore, bearer
from .call import LocalCall
from .errors import RealtimeError, error_body
from .ids import new_id
from .impairment import Impairment, impair

log = logging.getLogger("talkline.localserver")

Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ECHO_MODES = ("turn", "immediate")
KEPT_CLOSED_CALLS = 20  # a long-running server forgets old calls
MAX_PART_BYTES = 1 << 20


@web.middleware
async def _openai_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves in OpenAI's ``{"error": {...}}`` shape."""
    try:
        return await handler(request)
    except RealtimeError as exc:
        return exc.response()
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        message = f"Invalid URL ({request.method} {request.path})"
        return web.json_response(error_body(message), status=404)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return web.json_response(error_body(exc.reason), status=exc.status)
    except Exception:
        log.exception("local server failed on %s %s", request.method, request.path)
        return web.json_response(
            error_body("The local server had an error while processing your request.",
                       type="server_error"),
            status=500,
        )


def _invalid_sdp(detail: str) -> RealtimeError:
    return RealtimeError(f"Invalid SDP offer: {detail}", code="invalid_offer", param="sdp")


def _check_offer(text: str) -> str:
    if not text.lstrip().startswith("v=0") or "\nm=" not in text:
        raise _invalid_sdp("expected a session description starting with 'v=0' "
                           "with at least one media section.")
    return text


async def _json_object(request: web.Request) -> Json:
    try:
        body = await request.json()
    except ValueError as exc:
        raise RealtimeError(
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)",
        ) from exc
    if not isinstance(body, dict):
        raise RealtimeError("The request body must be a JSON object.")
    return body


async def _multipart(request: web.Request) -> dict[str, str]:
    parts: dict[str, str] = {}
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            data = await part.read(decode=True)
            if len(data) > MAX_PART_BYTES:
                raise RealtimeError(f"The '{part.name}' part is too large.", param=part.name)
            parts[part.name] = data.decode("utf-8", "replace")
    except (ValueError, AssertionError) as exc:
        raise RealtimeError(f"Could not read the multipart body: {exc}") from exc
    return parts


class LocalRealtimeServer:
    """The built-in realtime provider: an honest echo assistant in OpenAI's GA dialect."""

    def __init__(
        self,
        *,
        echo_mode: str = "turn",
        require_key: str | None = None,
        impairment: Impairment | None = None,  # tests only: a lossy, slow network
    ) -> None:
        self.impairment = impairment
        if echo_mode not in ECHO_MODES:
            raise ValueError(f"echo_mode must be one of {ECHO_MODES}, not {echo_mode!r}")
        self.echo_mode = echo_mode
        self.keys = KeyStore(require_key)
        self.calls: list[LocalCall] = []
        self.base_url: str | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._runner is not None and self.base_url is not None:
            return self.base_url
        app = web.Application(middlewares=[_openai_errors], client_max_size=MAX_PART_BYTES)
        app.router.add_post("/v1/realtime/client_secrets", self._client_secrets)
        app.router.add_post("/v1/realtime/calls", self._create_call)
        app.router.add_post("/v1/realtime/calls/{call_id}/hangup", self._hangup)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.base_url = f"http://{shown}:{bound_port}"
        log.info("local realtime server at %s (echo mode %s)", self.base_url, self.echo_mode)
        return self.base_url

    async def stop(self) -> None:
        """Close every call and the HTTP server; safe to call twice."""
        await asyncio.gather(*(call.close() for call in self.calls), return_exceptions=True)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def call(self, call_id: str) -> LocalCall | None:
        return next((c for c in self.calls if c.call_id == call_id), None)

    # --- handlers -------------------------------------------------------------------------

    async def _client_secrets(self, request: web.Request) -> web.Response:
        self.keys.check_api_key(bearer(request))
        body = await _json_object(request)
        for key in body:
            if key not in ("session", "expires_after"):
                raise RealtimeError(f"Unknown parameter: '{key}'.", code="unknown_parameter",
                                    param=key)
        session = sessions.default_session()
        if "session" in body:
            session = sessions.merge_session(session, sessions.validate_session(body["session"]))
        secret = self.keys.mint(session, _expiry_seconds(body.get("expires_after")))
        return web.json_response(
            {"value": secret.value, "expires_at": secret.expires_at, "session": secret.session}
        )

    async def _create_call(self, request: web.Request) -> web.Response:
        token = bearer(request)
        if request.content_type == "application/sdp":
            if not token.startswith(EPHEMERAL_PREFIX):
                self.keys.check_api_key(token)  # a wrong key is still a 401 first
                raise RealtimeError(
                    "A raw SDP body needs an ephemeral key (ek_...) from "
                    "/v1/realtime/client_secrets. With a standard API key, send "
                    "multipart/form-data with 'sdp' and 'session' parts.",
                    param="sdp",
                )
            session = copy.deepcopy(self.keys.ephemeral(token).session)
            offer = _check_offer(await request.text())
            patched_model = False
        elif request.content_type == "multipart/form-data":
            secret = self.keys.check_any(token)
            parts = await _multipart(request)
            if "sdp" not in parts:
                raise RealtimeError("Missing required parameter: 'sdp'.",
                                    code="missing_required_parameter", param="sdp")
            offer = _check_offer(parts["sdp"])
            session = copy.deepcopy(secret.session) if secret else sessions.default_session()
            patch = _session_part(parts.get("session"))
            session = sessions.merge_session(session, patch)
            patched_model = "model" in patch
        else:
            raise RealtimeError(
                f"Unsupported Content-Type '{request.content_type}': send application/sdp "
                "or multipart/form-data."
            )
        model = request.query.get("model")
        if model and not patched_model:
            session["model"] = model
        session["id"] = new_id("sess")
        return await self._answer(session, offer)

    async def _answer(self, session: Json, offer: str) -> web.Response:
        call = LocalCall(session, echo_mode=self.echo_mode)
        try:
            answer = await call.answer(offer)
        except Exception as exc:
            await call.close()
            raise _invalid_sdp(str(exc) or type(exc).__name__) from exc
        if self.impairment is not None:
            call.impairment = impair(call._pc, self.impairment)
        self._forget_old_calls()
        self.calls.append(call)
        log.info("call %s created (model %s)", call.call_id, session.get("model"))
        return web.Response(
            status=201, text=answer, content_type="application/sdp",
            headers={"Location": f"/v1/realtime/calls/{call.call_id}"},
        )

    async def _hangup(self, request: web.Request) -> web.Response:
        self.keys.check_any(bearer(request))
        call_id = request.match_info["call_id"]
        call = self.call(call_id)
        if call is None:
            raise RealtimeError(f"Call '{call_id}' not found.", code="call_not_found",
                                param="call_id", status=404)
        await call.close()
        return web.Response(status=200)

    def _forget_old_calls(self) -> None:
        closed = [c for c in self.calls if c.closed]
        for old in closed[: max(0, len(closed) - KEPT_CLOSED_CALLS)]:
            self.calls.remove(old)


def _session_part(text: str | None) -> Json:
    if text is None or not text.strip():
        return {}
    try:
        patch = json.loads(text)
    except ValueError as exc:
        raise RealtimeError(f"The 'session' part is not valid JSON: {exc}",
                            param="session") from exc
    return sessions.validate_session(patch)


def _expiry_seconds(value: object) -> int:
    if value is None:
        return 600
    if not isinstance(value, dict):
        raise RealtimeError("Invalid type for 'expires_after': expected an object.",
                            code="invalid_type", param="expires_after")
    anchor = value.get("anchor", "created_at")
    seconds = value.get("seconds", 600)
    if anchor != "created_at":
        raise RealtimeError(f"Invalid value: '{anchor}'. Supported values are: 'created_at'.",
                            code="invalid_value", param="expires_after.anchor")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 10 <= seconds <= 7200:
        raise RealtimeError("Invalid 'expires_after.seconds': expected an integer from 10 to 7200.",
                            code="invalid_value", param="expires_after.seconds")
    return seconds


async def serve_forever(
    host: str = "127.0.0.1", port: int = 8765, *, echo_mode: str = "turn",
    require_key: str | None = None,
) -> None:
    """Run the local server until cancelled (``talkline serve``); prints its base URL."""
    server = LocalRealtimeServer(echo_mode=echo_mode, require_key=require_key)
    base_url = await server.start(host, port)
    print(f"Talkline local realtime server listening on {base_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
