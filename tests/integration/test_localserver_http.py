"""The local server's HTTP front speaks OpenAI's realtime wire format exactly."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from desktop.localserver.server import LocalRealtimeServer, serve_forever
from tests.integration.peer import Peer, auth, make_offer, mint_secret, multipart

KEY = "sk-local-test"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def offer() -> AsyncIterator[str]:
    pc, sdp = await make_offer()
    yield sdp
    await pc.close()


def assert_openai_error(body: dict[str, object], code: str | None = None) -> dict[str, object]:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"message", "type", "code", "param"}
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


async def test_client_secret_has_openai_shape_and_merges_the_session(
    server: LocalRealtimeServer,
) -> None:
    secret = await mint_secret(server.base_url or "", KEY, {
        "type": "realtime", "instructions": "Be brief.",
        "audio": {"output": {"voice": "marin"}},
    })
    assert set(secret) == {"value", "expires_at", "session"}
    assert secret["value"].startswith("ek_local_")
    assert abs(secret["expires_at"] - (time.time() + 600)) < 60
    session = secret["session"]
    assert session["type"] == "realtime" and session["object"] == "realtime.session"
    assert session["instructions"] == "Be brief."
    assert session["audio"]["output"]["voice"] == "marin"
    assert session["audio"]["output"]["speed"] == 1.0  # untouched fields keep their defaults
    assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"


async def test_raw_sdp_with_ephemeral_key_creates_a_call_and_hangup_ends_it(
    server: LocalRealtimeServer, http: aiohttp.ClientSession, offer: str,
) -> None:
    base = server.base_url
    secret = await mint_secret(base or "", KEY)
    async with http.post(f"{base}/v1/realtime/calls?model=gpt-realtime", data=offer, headers={
        **auth(secret["value"]), "Content-Type": "application/sdp",
    }) as resp:
        assert resp.status == 201
        assert resp.content_type == "application/sdp"
        answer = await resp.text()
        location = resp.headers["Location"]
    assert answer.startswith("v=0") and "a=candidate" in answer  # no trickle: candidates inside
    assert re.fullmatch(r"/v1/realtime/calls/rtc_[0-9a-f]+", location)
    call_id = location.rsplit("/", 1)[-1]
    call = server.call(call_id)
    assert call is not None and not call.closed
    assert call.session["model"] == "gpt-realtime"

    async with http.post(f"{base}/v1/realtime/calls/{call_id}/hangup", headers=auth(KEY)) as resp:
        assert resp.status == 200
    assert call.closed
    async with http.post(f"{base}/v1/realtime/calls/rtc_nope/hangup", headers=auth(KEY)) as resp:
        assert resp.status == 404
        assert_openai_error(await resp.json())


async def test_multipart_with_a_standard_key_applies_the_session_part(
    server: LocalRealtimeServer, http: aiohttp.ClientSession, offer: str,
) -> None:
    form = multipart(offer, {"type": "realtime", "model": "gpt-realtime-mini",
                             "instructions": "Echo only."})
    async with http.post(f"{server.base_url}/v1/realtime/calls", data=form,
                         headers=auth(KEY)) as resp:
        assert resp.status == 201
        assert resp.content_type == "application/sdp"
        call_id = resp.headers["Location"].rsplit("/", 1)[-1]
    call = server.call(call_id)
    assert call is not None
    assert call.session["model"] == "gpt-realtime-mini"
    assert call.session["instructions"] == "Echo only."


async def test_raw_sdp_with_a_standard_key_is_refused_like_openai(
    server: LocalRealtimeServer, http: aiohttp.ClientSession, offer: str,
) -> None:
    async with http.post(f"{server.base_url}/v1/realtime/calls", data=offer, headers={
        **auth(KEY), "Content-Type": "application/sdp",
    }) as resp:
        assert resp.status == 400
        error = assert_openai_error(await resp.json())
    assert "multipart" in str(error["message"]) and "ephemeral" in str(error["message"])
    assert server.calls == []


async def test_missing_authorization_is_401_on_every_endpoint(
    server: LocalRealtimeServer, http: aiohttp.ClientSession, offer: str,
) -> None:
    base = server.base_url
    for url, kwargs in [
        (f"{base}/v1/realtime/client_secrets", {"json": {"session": {"type": "realtime"}}}),
        (f"{base}/v1/realtime/calls", {"data": offer,
                                       "headers": {"Content-Type": "application/sdp"}}),
        (f"{base}/v1/realtime/calls", {"data": multipart(offer, None),
                                       "headers": {"Authorization": "Bearer "}}),
    ]:
        async with http.post(url, **kwargs) as resp:  # type: ignore[arg-type]
            assert resp.status == 401
            error = assert_openai_error(await resp.json())
            assert error == {
                "message": "Missing bearer or basic authentication in header",
                "type": "invalid_request_error", "code": None, "param": None,
            }


async def test_bad_offers_and_sessions_are_400_with_a_reason(
    server: LocalRealtimeServer, http: aiohttp.ClientSession, offer: str,
) -> None:
    base = server.base_url
    secret = await mint_secret(base or "", KEY)
    sdp_headers = {**auth(secret["value"]), "Content-Type": "application/sdp"}
    cases = [
        ({"data": "hello, not sdp", "headers": sdp_headers}, "sdp"),
        ({"data": "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\ngarbage", "headers": sdp_headers},
         "sdp"),
        ({"data": multipart(offer, "{not json"), "headers": auth(KEY)}, "session"),
        ({"data": multipart(offer, {"type": "realtime", "temperature": 0.7}),
          "headers": auth(KEY)}, "session.temperature"),
        ({"data": multipart(offer, {"type": "realtime", "instructions": 7}),
          "headers": auth(KEY)}, "session.instructions"),
        ({"json": {"sdp": offer}, "headers": auth(KEY)}, None),
    ]
    form = aiohttp.FormData(default_to_multipart=True)  # a form without its 'sdp' part
    form.add_field("session", '{"type": "realtime"}')
    cases.append(({"data": form, "headers": auth(KEY)}, "sdp"))
    for kwargs, param in cases:
        async with http.post(f"{base}/v1/realtime/calls", **kwargs) as resp:  # type: ignore[arg-type]
            assert resp.status == 400, await resp.text()
            error = assert_openai_error(await resp.json())
            assert error["param"] == param, error
    assert server.calls == []


async def test_unknown_routes_are_404_in_the_error_shape(
    server: LocalRealtimeServer, http: aiohttp.ClientSession,
) -> None:
    async with http.post(f"{server.base_url}/v1/realtime/sessions", headers=auth(KEY)) as resp:
        assert resp.status == 404
        error = assert_openai_error(await resp.json())
    assert error["message"] == "Invalid URL (POST /v1/realtime/sessions)"
    async with http.get(f"{server.base_url}/v1/realtime/calls", headers=auth(KEY)) as resp:
        assert resp.status == 404
        assert_openai_error(await resp.json())


async def test_a_required_key_refuses_other_keys_and_their_secrets(
    http: aiohttp.ClientSession, offer: str,
) -> None:
    server = LocalRealtimeServer(require_key="sk-right")
    base = await server.start()
    try:
        body = {"session": {"type": "realtime"}}
        async with http.post(f"{base}/v1/realtime/client_secrets", json=body,
                             headers=auth("sk-wrong-key")) as resp:
            assert resp.status == 401
            error = assert_openai_error(await resp.json(), "invalid_api_key")
            assert "sk-wrong-key" not in str(error["message"])  # never echo a key back
        async with http.post(f"{base}/v1/realtime/calls", data=multipart(offer, None),
                             headers=auth("sk-wrong-key")) as resp:
            assert resp.status == 401
        forged = {**auth("ek_local_forged"), "Content-Type": "application/sdp"}
        async with http.post(f"{base}/v1/realtime/calls", data=offer, headers=forged) as resp:
            assert resp.status == 401
            assert_openai_error(await resp.json(), "invalid_api_key")
        secret = await mint_secret(base, "sk-right")
        minted = {**auth(secret["value"]), "Content-Type": "application/sdp"}
        async with http.post(f"{base}/v1/realtime/calls", data=offer, headers=minted) as resp:
            assert resp.status == 201
    finally:
        await server.stop()


async def test_an_offer_with_video_gets_audio_only_back(server: LocalRealtimeServer) -> None:
    peer = Peer(server.base_url or "", video=True)
    try:
        await peer.connect(mode="multipart")
        created = await peer.wait_for("session.created")
        assert created["session"]["type"] == "realtime"
        video = peer.answer_sdp.split("m=video", 1)[1]
        assert "a=inactive" in video  # asked for video, gets none, call still works
        assert await peer.hangup() == 200
    finally:
        await peer.close()


async def test_serve_forever_prints_its_url_and_serves_until_cancelled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    task = asyncio.create_task(serve_forever("127.0.0.1", 0))
    line = ""
    for _ in range(200):
        line = capsys.readouterr().out
        if line:
            break
        await asyncio.sleep(0.01)
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
    assert match, line
    secret = await mint_secret(match.group(1), KEY)
    assert secret["value"].startswith("ek_")
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
