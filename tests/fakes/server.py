"""What every fake provider shares: an aiohttp server on 127.0.0.1, request recording,
credential checks that never keep the key, and the failure knobs tests turn.

Knobs (set before the client connects):

- ``fail(route, status, code=..., message=..., retry_after=..., times=...)``: that route
  answers with the status and the provider's own error body (``Retry-After`` when given),
  every time or the first ``times`` times.
- ``hang.add(route)`` (or ``"*"``): accept the request and never answer.
- ``answer_html = True``: the call route answers 200 with a web page instead of SDP.
- ``channel_mode``: ``ChannelMode.NEVER_OPEN`` / ``DROP_ON_OPEN`` (see answerer.py);
  ``FakeCall.drop_channel()`` drops a live call's channel.

Routes are named (``client_secrets``, ``calls``, ``hangup``, ``ice_servers``, ``sessions``)
and every request is kept in ``requests`` as a ``RecordedRequest``: the auth scheme and
which credential it was (``api_key``, ``client_secret``, ``unknown``, ``none``), never the
credential itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.answerer import ChannelMode, Dialect, FakeCall, Json, new_id

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head>"
    "<body><h1>Welcome</h1><p>Accept the terms to continue browsing.</p></body></html>\n"
)


@dataclass
class RecordedRequest:
    route: str
    method: str
    path: str
    query: str
    content_type: str
    auth_scheme: str | None  # "Bearer", "Basic", ... or None without the header
    credential: str  # "api_key" | "client_secret" | "unknown" | "none"
    headers: dict[str, str]  # the Authorization value is reduced to "<scheme> [redacted]"
    form: dict[str, str] = field(default_factory=dict)  # multipart parts by name
    body: bytes = field(default=b"", repr=False)
    status: int | None = None  # what the fake answered (None: it never answered)

    @property
    def auth_present(self) -> bool:
        return self.credential != "none"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:  # noqa: ANN401 - whatever the client sent
        return json.loads(self.body)


RECORDED = web.RequestKey("recorded", RecordedRequest)


@dataclass(frozen=True)
class Fault:
    status: int
    code: str | None = None
    message: str | None = None
    retry_after: int | None = None
    times: int | None = None  # answer with the fault this often, then normally (None: always)


def parse_multipart(content_type_header: str, body: bytes) -> dict[str, str] | None:
    """multipart/form-data → {part name: text}; None when it is not well formed."""
    head = f"Content-Type: {content_type_header}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return None
    parts: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or payload is None:
            return None
        parts[name] = payload.decode("utf-8", "replace")
    return parts


class FakeProvider:
    """Base of the three fakes: lifecycle, recording, auth and faults."""

    name: ClassVar[str] = "provider"
    dialect: ClassVar[Dialect]

    def __init__(self, *, api_key: str, auth_header: str = "Authorization") -> None:
        self.api_key = api_key
        # Azure-style deployments take the key in their own header (`api-key: <key>`).
        self.auth_header = auth_header
        self.requests: list[RecordedRequest] = []
        self.calls: dict[str, FakeCall] = {}
        self.faults: dict[str, Fault] = {}
        self.hang: set[str] = set()
        self.answer_html = False
        self.channel_mode = ChannelMode.NORMAL
        self.tone = True
        # Knob: responses that call tools, handed to each new call (see FakeCall).
        self.scripted_calls: list[list[tuple[str, str]]] = []
        self.issued_secrets: dict[str, Json] = {}  # client secret → the session it was minted for
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware], client_max_size=1 << 20)
        for method, path, handler, name in self.routes():
            app.router.add_route(method, path, handler, name=name)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        assert server is not None and server.sockets
        self._port = server.sockets[0].getsockname()[1]
        return self.base_url

    async def stop(self) -> None:
        self._release.set()  # let hanging handlers finish so shutdown is quick
        for call in list(self.calls.values()):
            await call.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeProvider:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the fake is not started")
        return f"http://127.0.0.1:{self._port}"

    # -- knobs and records ----------------------------------------------------------------

    def fail(
        self,
        route: str,
        status: int,
        *,
        code: str | None = None,
        message: str | None = None,
        retry_after: int | None = None,
        times: int | None = None,
    ) -> None:
        self.faults[route] = Fault(status, code, message, retry_after, times)

    def requests_to(self, route: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.route == route]

    @property
    def last_call(self) -> FakeCall:
        if not self.calls:
            raise LookupError(f"no call reached the {self.name} fake")
        return list(self.calls.values())[-1]

    def new_call(self, session: Json, call_id: str | None = None) -> FakeCall:
        call = FakeCall(
            call_id or new_id("rtc"),
            self.dialect,
            session,
            mode=self.channel_mode,
            tone=self.tone,
        )
        call.scripted_calls = [list(batch) for batch in self.scripted_calls]
        self.calls[call.id] = call
        return call

    # -- what each provider defines -------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Handler, str]]:
        raise NotImplementedError

    def error_body(self, status: int, code: str | None, message: str | None) -> Json:
        """The provider's error JSON for ``status`` (defaults per status when not given)."""
        raise NotImplementedError

    # -- helpers for handlers -------------------------------------------------------------

    def error(
        self,
        status: int,
        *,
        code: str | None = None,
        message: str | None = None,
        retry_after: int | None = None,
    ) -> web.Response:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return web.json_response(
            self.error_body(status, code, message), status=status, headers=headers
        )

    def classify(self, token: str | None) -> str:
        if token is None:
            return "none"
        if token == self.api_key:
            return "api_key"
        if token in self.issued_secrets:
            return "client_secret"
        return "unknown"

    def split_auth(self, request: web.Request) -> tuple[str | None, str | None]:
        """(scheme, token) of the auth header, (None, token) without a scheme, or (None,
        None) when it is missing."""
        raw = request.headers.get(self.auth_header)
        if raw is None:
            return None, None
        scheme, _, token = raw.strip().partition(" ")
        return (scheme, token.strip()) if token else (None, scheme)

    @staticmethod
    def record_of(request: web.Request) -> RecordedRequest:
        return request[RECORDED]

    # -- the middleware: record, hang, fail, then the route --------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        route = request.match_info.route.name or "unknown"
        scheme, token = self.split_auth(request)
        headers = dict(request.headers)
        for name in {"Authorization", self.auth_header}:
            if name in headers:
                headers[name] = f"{scheme or '?'} [redacted]"
        form: dict[str, str] = {}
        if request.content_type == "multipart/form-data":
            form = parse_multipart(request.headers["Content-Type"], body) or {}
        record = RecordedRequest(
            route=route,
            method=request.method,
            path=request.path,
            query=request.query_string,
            content_type=request.content_type,
            auth_scheme=scheme,
            credential=self.classify(token),
            headers=headers,
            form=form,
            body=body,
        )
        self.requests.append(record)
        request[RECORDED] = record
        if route in self.hang or "*" in self.hang:
            await self._release.wait()
            return web.Response(status=503, text="released at shutdown")
        response = await self._answer(request, route, handler)
        record.status = response.status
        return response

    async def _answer(
        self, request: web.Request, route: str, handler: Handler
    ) -> web.StreamResponse:
        if self.answer_html and route == "calls":
            # A captive portal or a wrong base URL answers with a page, whatever was sent.
            return web.Response(text=HTML_PAGE, content_type="text/html")
        fault = self.faults.get(route)
        if fault is not None:
            if fault.times is not None:
                if fault.times <= 1:
                    del self.faults[route]
                else:
                    self.faults[route] = replace(fault, times=fault.times - 1)
            return self.error(
                fault.status, code=fault.code, message=fault.message, retry_after=fault.retry_after
            )
        return await handler(request)
