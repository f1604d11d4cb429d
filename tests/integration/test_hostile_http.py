"""A hostile provider's HTTP answers end in one clear sentence, hold memory, and steer nothing.

Each test runs a real RealtimeCall against ``tests.fakes.hostile.HostileServer`` on loopback
and asserts what the user would see: the failure sentence and the stage it names, that no
server text reaches them as more than a capped line, and what the client read or sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import time
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from desktop.core.call.engine import RealtimeCall
from desktop.core.call.errors import CallError
from desktop.core.call.retry import RetryPolicy
from desktop.core.call.state import CallState
from desktop.core.profiles import get_profile
from desktop.core.secrets.redact import forget_secrets
from desktop.core.session import default_config
from tests.fakes.harness import until
from tests.fakes.hostile import CALLS, HostileServer, endless, gzip_bomb, json_error, sdp_answer

KEY = "sk-hostile-test-key-0123456789"
MB = 1024 * 1024


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    server = HostileServer()
    await server.start()
    yield server
    await server.stop()
    forget_secrets()


def make_call(server: HostileServer, **kwargs: Any) -> RealtimeCall:  # noqa: ANN401
    profile = get_profile("openai").with_base_url(server.base_url)
    options: dict[str, Any] = {"http_timeout": 5.0, "liveness_timeout": None, **kwargs}
    return RealtimeCall(profile, default_config(profile), api_key=KEY, **options)


async def failure(call: RealtimeCall) -> CallError:
    """Connect, expecting it to fail; the error, after the call is closed."""
    with pytest.raises(CallError) as caught:
        await call.connect()
    await call.close()
    assert call.state is CallState.FAILED
    assert call.status.reason == caught.value.message  # what the window shows
    return caught.value


def one_clear_line(err: CallError) -> None:
    assert "\n" not in err.message and len(err.message) < 400
    assert len(err.details) <= 400
    assert "unexpected" not in err.message.lower()


# -- 1: no limit on response bodies ---------------------------------------------------------


async def test_a_gzip_bomb_answer_is_cut_off_at_the_sdp_limit(hostile: HostileServer) -> None:
    bomb = gzip_bomb(256 * MB)

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        headers = {"Content-Encoding": "gzip", "Location": f"{CALLS}/rtc_bomb"}
        return web.Response(status=201, body=bomb, content_type="application/sdp", headers=headers)

    hostile.calls = answer
    tracemalloc.start()
    try:
        err = await failure(make_call(hostile))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.stage is CallState.SIGNALING
    assert "far larger answer" in err.message
    one_clear_line(err)
    assert peak < 50 * MB  # 256 MB unpacked; the client stops after 256 KB of it


async def test_an_endless_answer_stops_being_read(hostile: HostileServer) -> None:
    hostile.calls = hostile.streamer(endless(), headers={"Location": f"{CALLS}/rtc_endless"})
    err = await failure(make_call(hostile))
    assert err.stage is CallState.SIGNALING and "far larger answer" in err.message
    one_clear_line(err)
    await asyncio.sleep(0.2)
    # The server could write no more than the limit plus what loopback buffers hold.
    assert hostile.written[CALLS] < 16 * MB


async def test_a_50_mb_error_message_is_not_kept(hostile: HostileServer) -> None:
    def chunks() -> Any:  # noqa: ANN401 - a generator
        yield b'{"error": {"message": "'
        for _ in range(800):
            yield b"A" * (64 * 1024)
        yield b'"}}'

    hostile.calls = hostile.streamer(chunks, status=400)
    tracemalloc.start()
    try:
        err = await failure(make_call(hostile))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_clear_line(err)
    assert peak < 50 * MB
    assert hostile.written[CALLS] < 16 * MB


async def test_a_long_error_message_is_shown_capped(hostile: HostileServer) -> None:
    hostile.calls = json_error("Your request was bad. " + "x" * 200_000)
    err = await failure(make_call(hostile))
    assert err.status == 400 and "Your request was bad." in err.message
    one_clear_line(err)
    assert err.message.endswith("…")


@pytest.mark.parametrize("size", [50 * MB, 10_000])
async def test_an_absurd_client_secret_is_never_sent_back(
    hostile: HostileServer, size: int
) -> None:
    def chunks() -> Any:  # noqa: ANN401 - a generator
        yield b'{"value": "ek_'
        left = size
        while left > 0:
            yield b"a" * min(left, 64 * 1024)
            left -= 64 * 1024
        yield b'", "expires_at": 1}'

    hostile.mint = hostile.streamer(chunks, status=200)
    err = await failure(make_call(hostile))
    assert err.stage is CallState.AUTHORIZING
    one_clear_line(err)
    assert hostile.paths() == ["/v1/realtime/client_secrets"]  # no call was posted with it


# -- 2, 3, 12: the server's words, plain and without secrets --------------------------------


async def test_html_and_escapes_in_an_error_stay_plain_text(hostile: HostileServer) -> None:
    hostile.calls = json_error(
        '<b style="color:green">Your API key was revoked</b> <a href="https://evil">fix</a>'
        ' <img src="https://evil/x.png">\x1b]52;c;aGk=\x07\x1b[31m\r\b\u202e'
    )
    err = await failure(make_call(hostile))
    assert "<b" in err.message and "<a href" in err.message  # shown as written, not obeyed
    assert not any(c in err.message for c in "\x1b\x07\r\b\u202e")


async def test_keys_in_a_servers_words_are_scrubbed(hostile: HostileServer) -> None:
    hostile.mint = json_error(f"key {KEY} echoed, and Bearer {'ek_' + 'z' * 30} too", 403)
    err = await failure(make_call(hostile))
    assert KEY not in err.message + err.details and "ek_zzz" not in err.message + err.details
    assert "[redacted]" in err.details


# -- 4: a malformed SDP is a signaling failure, not a crash --------------------------------


@pytest.mark.parametrize(
    "mangle",
    [
        lambda sdp: sdp[: len(sdp) // 2],
        lambda sdp: sdp.split("a=fingerprint")[0],
        lambda sdp: sdp.split("m=")[0] + "m=audio",
        lambda sdp: "v=0\r\n",
        lambda sdp: sdp.replace("a=ice-ufrag", "a=x"),
    ],
    ids=["half", "no-fingerprint", "cut-media-line", "only-version", "no-ice-credentials"],
)
async def test_a_truncated_sdp_answer_cannot_be_used(hostile: HostileServer, mangle: Any) -> None:  # noqa: ANN401
    hostile.calls = sdp_answer(mangle)(hostile)
    err = await failure(make_call(hostile, channel_open_timeout=3.0))
    assert err.stage is CallState.SIGNALING
    assert "answer could not be used" in err.message or "not with a WebRTC" in err.message
    one_clear_line(err)


# -- 5: the hang-up after a failure finishes before the session closes ---------------------


async def test_the_hang_up_after_a_liveness_failure_is_not_cut_off(hostile: HostileServer) -> None:
    hostile.hangup_delay = 0.5
    call = make_call(hostile, liveness_timeout=1.0)
    await call.connect()
    hostile.peer.silent = True  # the provider stops sending anything
    await until(lambda: call.state is CallState.FAILED, "the liveness check fails", 10)
    assert call.state is CallState.FAILED and "stopped responding" in call.status.reason
    await call.close()  # the user closes at once, while the hang-up is in flight
    assert hostile.hangups_answered == ["rtc_hostile1"]


# -- 6: Retry-After dates, long waits, a timed-out call request ----------------------------


async def test_a_retry_after_date_far_ahead_says_when(hostile: HostileServer) -> None:
    later = email.utils.formatdate(time.time() + 600, usegmt=True)

    async def limited(request: web.Request) -> web.Response:
        await request.read()
        body = {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}
        return web.json_response(body, status=429, headers={"Retry-After": later})

    hostile.calls = limited
    err = await failure(make_call(hostile))
    assert err.retry_after is not None and 590 < err.retry_after <= 600
    assert "Try again after" in err.message and "Wait a moment" not in err.message
    assert RetryPolicy().delay(err, 1) is None  # not waited for: the user was told when


async def test_a_call_whose_answer_breaks_off_is_hung_up(hostile: HostileServer) -> None:
    """201 and an id arrive, then the body stalls: the session exists at the provider."""
    done = asyncio.Event()  # the stalled answer ends with the test (the server waits for it)

    async def answer(request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(status=201, headers={"Location": f"{CALLS}/rtc_orphan"})
        resp.content_type = "application/sdp"
        resp.content_length = 5000
        await resp.prepare(request)
        await resp.write(b"v=0\r\n")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 30)
        return resp

    hostile.calls = answer
    try:
        err = await failure(make_call(hostile, http_timeout=1.5))
    finally:
        done.set()
    assert err.stage is CallState.SIGNALING and "did not answer in time" in err.message
    assert "/v1/realtime/calls/rtc_orphan/hangup" in hostile.paths()


# -- 7: a Location header cannot steer the hang-up -----------------------------------------


@pytest.mark.parametrize(
    "location", [f"{CALLS}/../../admin?x=1", "/v1/realtime/calls/a%2F..%2Fadmin", "x" * 300]
)
async def test_a_hostile_location_sends_the_key_nowhere_else(
    hostile: HostileServer, location: str
) -> None:
    hostile.calls = sdp_answer(lambda sdp: sdp, location=location)(hostile)
    call = make_call(hostile)
    await call.connect()
    assert call.state is CallState.CONNECTED  # the call itself works
    await call.close()
    assert call.call_id is None
    assert hostile.paths() == ["/v1/realtime/client_secrets", "/v1/realtime/calls"]


async def test_a_plain_call_id_is_hung_up_at_the_profiles_path(hostile: HostileServer) -> None:
    call = make_call(hostile)
    await call.connect()
    await call.close()
    assert hostile.paths()[-1] == "/v1/realtime/calls/rtc_hostile1/hangup"
    assert hostile.seen[-1].authorization == f"Bearer {KEY}"
