"""Test key and list fetching against small loopback servers in the providers' wire formats."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace

import pytest
from aiohttp import web

from desktop.core.catalog import check_key, fetch_lists
from desktop.core.profiles import AuthConfig, ProviderProfile, get_profile

GOOD = "sk-good-0123456789abcdef"
BAD = "sk-bad-9876543210fedcba"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Seen:
    method: str
    path_qs: str
    authorization: str
    body: str


@dataclass
class ProviderServer:
    """An aiohttp app on 127.0.0.1 that records what it was asked."""

    routes: dict[tuple[str, str], Handler]
    seen: list[Seen] = field(default_factory=list)
    runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> str:
        app = web.Application()
        for (method, path), handler in self.routes.items():
            app.router.add_route(method, path, self._recording(handler))
        # A short grace period: some handlers here never answer on purpose.
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    def _recording(self, handler: Handler) -> Handler:
        async def record(request: web.Request) -> web.StreamResponse:
            body = await request.text()
            auth = request.headers.get("Authorization", "")
            self.seen.append(Seen(request.method, request.path_qs, auth, body))
            return await handler(request)

        return record

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def openai_error(message: str, code: str, status: int) -> web.Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return web.json_response(body, status=status)


def requires(expected: str, ok: Handler, reject: Handler | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != expected:
            if reject is not None:
                return await reject(request)
            return openai_error("Incorrect API key provided.", "invalid_api_key", 401)
        return await ok(request)

    return handler


async def mint_openai(request: web.Request) -> web.Response:
    body = await request.json()
    assert body["session"]["type"] == "realtime"
    return web.json_response({"value": "ek_minted", "expires_at": 1, "session": body["session"]})


async def openai_models(_request: web.Request) -> web.Response:
    ids = ["whisper-1", "gpt-realtime-2025-08-28", "gpt-4o-realtime-preview", "gpt-realtime",
           "gpt-4o-transcribe", "gpt-realtime"]
    models = [{"id": i, "object": "model"} for i in ids]
    return web.json_response({"object": "list", "data": models})


async def inworld_voices(request: web.Request) -> web.Response:
    assert request.query.get("filter") == "language=en"
    voices = [
        {"voiceId": "Hades", "displayName": "Hades", "description": "deep", "languages": ["en"]},
        {"voiceId": "Dennis", "displayName": "Dennis", "description": "friendly", "tags": []},
        {"voiceId": "custom__abc", "displayName": "My voice", "languages": ["en"]},
    ]
    return web.json_response({"voices": voices})


async def inworld_unauthenticated(_request: web.Request) -> web.Response:
    # Inworld's gateway answers in its own shape, not OpenAI's.
    return web.json_response({"code": 16, "message": "Invalid authorization", "details": []},
                             status=401)


async def never_answers(_request: web.Request) -> web.Response:
    await asyncio.sleep(30)
    return web.Response()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[ProviderServer]]]:
    servers: list[ProviderServer] = []

    async def start(routes: dict[tuple[str, str], Handler]) -> ProviderServer:
        server = ProviderServer(routes)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


def at(provider: str, base_url: str, **changes: object) -> ProviderProfile:
    return replace(get_profile(provider).with_base_url(base_url), **changes)  # type: ignore[arg-type]


# -- test key ---------------------------------------------------------------------------------


async def test_openai_key_check_mints_a_client_secret(serve, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server = await serve({("POST", "/v1/realtime/client_secrets"): requires(f"Bearer {GOOD}",
                                                                            mint_openai)})
    good = await check_key(at("openai", server.base_url), GOOD)
    bad = await check_key(at("openai", server.base_url), BAD)

    assert good.ok and "OpenAI accepted it" in good.message
    assert not bad.ok
    assert "OpenAI rejected the API key" in bad.message
    assert "Incorrect API key provided." in bad.details  # the server's own words
    assert [s.authorization for s in server.seen] == [f"Bearer {GOOD}", f"Bearer {BAD}"]
    assert GOOD not in caplog.text and BAD not in caplog.text


async def test_compatible_endpoint_with_its_own_auth_header(serve) -> None:
    async def mint(request: web.Request) -> web.Response:
        if request.headers.get("api-key") != f"Key {GOOD}":
            return openai_error("Access denied due to invalid subscription key.", "401", 401)
        return web.json_response({"value": "ek_x"})

    server = await serve({("POST", "/v1/realtime/client_secrets"): mint})
    profile = at("compatible", server.base_url, auth=AuthConfig(header="api-key", scheme="Key"))
    assert (await check_key(profile, GOOD)).ok
    bad = await check_key(profile, BAD)
    assert not bad.ok and "invalid subscription key" in bad.details
    assert "'api-key: Key …'" in bad.message  # says how the key was sent


async def test_inworld_401_says_which_auth_scheme_was_used(serve) -> None:
    server = await serve({("GET", "/tts/v1/voices"): requires(f"Basic {GOOD}", inworld_voices,
                                                             inworld_unauthenticated)})
    basic = at("inworld", server.base_url)
    bearer = at("inworld", server.base_url, auth=AuthConfig(scheme="Bearer"))

    assert (await check_key(basic, GOOD)).ok
    refused = await check_key(bearer, GOOD)
    assert not refused.ok
    assert "Inworld rejected the API key" in refused.message
    assert "Authorization: Bearer" in refused.message
    assert refused.details == "Invalid authorization"
    assert server.seen[-1].path_qs == "/tts/v1/voices?filter=language=en"


async def test_rtav_key_check_uses_its_client_secret_body(serve) -> None:
    async def mint(request: web.Request) -> web.Response:
        assert await request.json() == {"session": {"type": "realtime"}}
        return web.json_response({"client_secret": "rtav_sk_1", "expires_in": 60})

    server = await serve({("POST", "/v1/realtime/client_secrets"): requires(f"Bearer {GOOD}",
                                                                            mint)})
    assert (await check_key(at("rtav", server.base_url), GOOD)).ok
    assert not (await check_key(at("rtav", server.base_url), BAD)).ok


async def test_key_check_timeout_and_refused_connection_are_sentences(serve) -> None:
    server = await serve({("POST", "/v1/realtime/client_secrets"): never_answers})
    slow = await check_key(at("openai", server.base_url), GOOD, timeout=0.3)
    assert not slow.ok and "did not answer in time" in slow.message

    await server.stop()  # the port is closed now
    gone = await check_key(at("openai", server.base_url), GOOD, timeout=2)
    assert not gone.ok and "Cannot reach" in gone.message


async def test_quota_and_empty_key(serve) -> None:
    async def quota(_request: web.Request) -> web.Response:
        return openai_error("You exceeded your current quota.", "insufficient_quota", 429)

    server = await serve({("POST", "/v1/realtime/client_secrets"): quota})
    result = await check_key(at("openai", server.base_url), GOOD)
    assert not result.ok and "out of quota" in result.message
    assert not (await check_key(at("openai", server.base_url), "  ")).ok
    assert len(server.seen) == 1  # no request without a key


# -- lists ------------------------------------------------------------------------------------


async def test_inworld_voices_come_from_its_voice_list(serve) -> None:
    server = await serve({("GET", "/tts/v1/voices"): requires(f"Basic {GOOD}", inworld_voices)})
    catalog = await fetch_lists(at("inworld", server.base_url), GOOD)

    assert catalog.source == "provider" and "voices" in catalog.fetched
    values = [c.value for c in catalog.voices]
    assert values[0] == "Dennis"  # the built-in (recommended) ones first
    assert set(values) == {"Dennis", "Hades", "custom__abc"}  # the account's own voice too
    assert "My voice (custom__abc)" in [c.label for c in catalog.voices]
    assert [c.value for c in catalog.models] == list(get_profile("inworld").models)


async def test_openai_models_are_filtered_to_realtime_ones(serve) -> None:
    server = await serve({("GET", "/v1/models"): requires(f"Bearer {GOOD}", openai_models)})
    catalog = await fetch_lists(at("openai", server.base_url), GOOD)
    assert [c.value for c in catalog.models] == [
        "gpt-realtime", "gpt-4o-realtime-preview", "gpt-realtime-2025-08-28"]
    # OpenAI has no voice list API: the voices stay the built-in ones.
    assert [c.value for c in catalog.voices] == list(get_profile("openai").voices)


async def test_rtav_lists_with_one_failing_fall_back_for_that_one(serve) -> None:
    async def faces(_r: web.Request) -> web.Response:
        return web.json_response({"faces": [{"id": "face7", "name": "Nora"}, {"id": "face1"}]})

    async def voices(_r: web.Request) -> web.Response:
        return web.json_response(["default", "alice", "zoe"])

    async def driving(_r: web.Request) -> web.Response:
        return openai_error("internal", "server_error", 500)

    server = await serve({
        ("GET", "/v1/faces"): faces, ("GET", "/v1/voices"): voices, ("GET", "/v1/driving"): driving,
    })
    catalog = await fetch_lists(at("rtav", server.base_url), GOOD)

    assert catalog.source == "provider"
    assert [c.value for c in catalog.faces] == ["face1", "face7"]
    assert "Nora (face7)" in [c.label for c in catalog.faces]
    assert [c.value for c in catalog.voices] == ["default", "alice", "zoe"]
    assert [c.value for c in catalog.motions] == ["idle", "Wink"]  # built-in
    assert "Could not load motions" in catalog.note and "server error" in catalog.note


async def test_lists_fall_back_to_static_with_a_note(serve) -> None:
    async def html(_r: web.Request) -> web.Response:
        return web.Response(text="<html>login</html>", content_type="text/html")

    server = await serve({("GET", "/tts/v1/voices"): requires(f"Basic {GOOD}", inworld_voices,
                                                             inworld_unauthenticated)})
    rejected = await fetch_lists(at("inworld", server.base_url), BAD)
    assert rejected.source == "static"
    assert [c.value for c in rejected.voices] == list(get_profile("inworld").voices)
    assert "Could not load the lists from Inworld" in rejected.note
    assert "rejected the API key" in rejected.note

    page = await serve({("GET", "/tts/v1/voices"): html})
    assert "not JSON" in (await fetch_lists(at("inworld", page.base_url), GOOD)).note

    slow = await serve({("GET", "/tts/v1/voices"): never_answers})
    timed_out = await fetch_lists(at("inworld", slow.base_url), GOOD, timeout=0.3)
    assert timed_out.source == "static" and "did not answer in time" in timed_out.note


async def test_no_key_or_no_list_api_means_no_request(serve) -> None:
    server = await serve({("GET", "/tts/v1/voices"): inworld_voices})
    no_key = await fetch_lists(at("inworld", server.base_url), None)
    assert no_key.source == "static" and "save a key" in no_key.note
    local = await fetch_lists(get_profile("local"), "anything")
    assert local.source == "static" and [c.value for c in local.voices] == ["alloy"]
    assert server.seen == []
