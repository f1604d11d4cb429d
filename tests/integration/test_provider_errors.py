"""Every way a hosted provider can refuse or fail a call ends in a sentence a person can act
on: the state is FAILED, the stage says where, the reason is plain language (no traceback,
no raw JSON, never the key), and the server's own words are kept in ``details``.

Real HTTP and WebRTC against the fakes in tests/fakes; nothing is monkeypatched.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, replace

import pytest

from desktop.core.call.errors import CallError
from desktop.core.call.state import CallState
from desktop.core.profiles import AuthConfig, get_profile
from tests.fakes import ChannelMode, InworldFake, OpenAIFake, RtavFake
from tests.fakes.harness import KEYS, CallFactory, Serve, Watched, until

pytest_plugins = ("tests.fakes.fixtures",)

FAKES: dict[str, type[OpenAIFake] | type[InworldFake] | type[RtavFake]] = {
    "openai": OpenAIFake,
    "inworld": InworldFake,
    "rtav": RtavFake,
}
HTTP_TIMEOUT = 1.0  # the hanging-server rows: the client must give up by itself
GIVE_UP_WITHIN = 10.0  # a generous bound, only so a client that never gives up fails the test


async def connect_fails(w: Watched) -> CallError:
    """Connect, expecting a CallError; check what every failure must look like."""
    with pytest.raises(CallError) as caught:
        await asyncio.wait_for(w.call.connect(), GIVE_UP_WITHIN)
    err = caught.value
    status = w.call.status
    assert status.state is CallState.FAILED
    assert w.states[-1] is CallState.FAILED and w.states.count(CallState.FAILED) == 1
    assert status.reason == err.message and status.stage is err.stage
    assert_plain_sentence(status.reason)
    key = KEYS[w.call.profile.id]
    assert key not in status.reason and key not in status.details
    await w.call.close()  # safe after a failure, and the reason stays for the window
    assert w.call.status == status
    return err


def assert_plain_sentence(reason: str) -> None:
    assert reason.rstrip(")").endswith("."), reason  # may end with "(Sent as '…'.)"
    for leak in ("Traceback", "Error:", "Exception", "{", "aiohttp", 'File "'):
        assert leak not in reason, reason


# -- HTTP statuses --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    provider: str
    route: str
    status: int
    stage: CallState
    says: tuple[str, ...]  # in the reason the person reads
    server_says: str  # the provider's own words, kept in details
    code: str | None = None
    retry_after: int | None = None
    retryable: bool = False

    def __str__(self) -> str:
        return f"{self.provider}-{self.route}-{self.status}-{self.code or ''}"


A, S = CallState.AUTHORIZING, CallState.SIGNALING
ROWS = [
    Row("openai", "client_secrets", 401, A,
        ("OpenAI rejected the API key.", "Open Settings"), "Incorrect API key provided"),
    Row("inworld", "calls", 401, S,
        ("Inworld rejected the API key.", "Open Settings", "'Authorization: Basic …'"),
        "Unauthenticated"),
    Row("rtav", "client_secrets", 401, A,
        ("rtAV rejected the API key.", "Open Settings"), "Invalid API key."),
    Row("openai", "calls", 403, S,
        ("OpenAI refused access for this key",), "Country, region, or territory not supported"),
    Row("inworld", "calls", 403, S, ("Inworld refused access for this key",), "Permission"),
    Row("openai", "calls", 404, S,
        ("OpenAI does not know this address or model.", "Check the base URL"),
        "does not exist or you do not have access"),
    Row("rtav", "calls", 404, S, ("rtAV does not know this address or model.",), "Not found."),
    Row("openai", "client_secrets", 429, A,
        ("OpenAI says this account is out of quota.", "Check billing"),
        "You exceeded your current quota", code="insufficient_quota"),
    Row("openai", "calls", 429, S,
        ("OpenAI is rate-limiting this key.", "Wait a moment"), "Rate limit reached",
        code="rate_limit_exceeded", retry_after=7, retryable=True),
    Row("inworld", "calls", 429, S, ("Inworld says this account is out of quota.",),
        "Quota exceeded", code="insufficient_quota"),
    Row("inworld", "calls", 429, S, ("Inworld is rate-limiting this key.",),
        "Rate limit exceeded", retry_after=3, retryable=True),
    Row("rtav", "calls", 429, S, ("rtAV says this account is out of quota.",),
        "credit balance is exhausted", code="insufficient_quota"),
    Row("openai", "calls", 500, S,
        ("OpenAI had a server error (HTTP 500).", "Try again in a moment."),
        "The server had an error", retryable=True),
    Row("inworld", "calls", 503, S, ("Inworld had a server error (HTTP 503).",),
        "Service unavailable", retry_after=5, retryable=True),
    Row("rtav", "client_secrets", 503, A, ("rtAV had a server error (HTTP 503).",),
        "No avatar renderer available", retryable=True),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=str)
async def test_http_error_becomes_a_sentence(
    row: Row, serve_fake: Serve, provider_calls: CallFactory
) -> None:
    fake = await serve_fake(FAKES[row.provider]())
    fake.fail(row.route, row.status, code=row.code, retry_after=row.retry_after)
    w = provider_calls.make(fake, row.provider)

    err = await connect_fails(w)

    assert fake.requests_to(row.route)[-1].status == row.status  # it really answered that
    status = w.call.status
    assert status.stage is row.stage
    for phrase in row.says:
        assert phrase in status.reason
    assert row.server_says in status.details
    assert err.status == row.status
    assert err.retryable is row.retryable
    assert err.retry_after == (float(row.retry_after) if row.retry_after is not None else None)
    assert fake.calls == {}  # nothing got as far as a call on the server


@pytest.mark.parametrize("provider", ["openai", "inworld", "rtav"])
async def test_wrong_key_is_refused_by_the_provider(
    provider: str, serve_fake: Serve, provider_calls: CallFactory
) -> None:
    fake = await serve_fake(FAKES[provider]())
    wrong = "wrong-key-0123456789"
    w = provider_calls.make(fake, provider, api_key=wrong)

    await connect_fails(w)

    status = w.call.status
    assert f"{w.call.profile.name} rejected the API key. Open Settings" in status.reason
    assert wrong not in status.reason + status.details
    assert fake.requests[-1].status == 401 and fake.requests[-1].credential == "unknown"


async def test_inworld_401_names_the_scheme_that_was_sent(
    serve_fake: Serve, provider_calls: CallFactory
) -> None:
    """The docs disagree (Basic or Bearer); a 401 tells the person which one was tried."""
    fake = await serve_fake(InworldFake(required_scheme="Bearer"))
    w = provider_calls.make(fake, "inworld")  # the default: Basic

    await connect_fails(w)

    assert "(Sent as 'Authorization: Basic …'.)" in w.call.status.reason
    assert w.call.status.stage is CallState.SIGNALING
    assert "Unauthenticated" in w.call.status.details
    # ... and with the scheme switched in the profile, the same server takes the call.
    profile = replace(get_profile("inworld"), auth=AuthConfig(scheme="Bearer"))
    ok = provider_calls.make(fake, "inworld", profile=profile)
    await ok.call.connect()
    assert ok.call.state is CallState.CONNECTED


# -- servers that never answer, or answer with something else -------------------------------


@pytest.mark.parametrize(
    ("provider", "route", "stage"),
    [("openai", "calls", S), ("inworld", "calls", S), ("rtav", "client_secrets", A)],
)
async def test_server_that_never_answers_times_out(
    provider: str, route: str, stage: CallState, serve_fake: Serve, provider_calls: CallFactory
) -> None:
    fake = await serve_fake(FAKES[provider]())
    fake.hang.add(route)
    w = provider_calls.make(fake, provider, http_timeout=HTTP_TIMEOUT)

    err = await connect_fails(w)

    status = w.call.status
    name = w.call.profile.name
    assert status.reason == (
        f"{name} did not answer in time. Check your network connection, or try again later."
    )
    assert status.stage is stage
    assert f"timeout after {HTTP_TIMEOUT:.0f} s" in status.details
    assert fake.requests_to(route)[-1].status is None  # the fake really never answered
    assert err.retryable


@pytest.mark.parametrize("provider", ["openai", "inworld", "rtav"])
async def test_web_page_instead_of_sdp(
    provider: str, serve_fake: Serve, provider_calls: CallFactory
) -> None:
    fake = await serve_fake(FAKES[provider]())
    fake.answer_html = True  # a captive portal, or a base URL that is a web site
    w = provider_calls.make(fake, provider)

    await connect_fails(w)

    status = w.call.status
    assert status.reason == (
        f"{w.call.profile.name} answered, but not with a WebRTC session description. "
        "Check the base URL points at a realtime API."
    )
    assert status.stage is CallState.SIGNALING
    assert "Sign in to the network" in status.details


# -- the network ----------------------------------------------------------------------------

# A name glibc refuses before sending any query (over 253 characters): resolution fails on
# this machine. A short "x.invalid" would be sent to the configured DNS server (checked with
# strace inside an empty network namespace), so it is not used.
UNRESOLVABLE = ".".join(["a" * 60] * 4) + ".talkline-test.invalid"


async def test_dns_failure(provider_calls: CallFactory) -> None:
    w = provider_calls.make(None, "openai", base_url=f"https://{UNRESOLVABLE}")

    err = await connect_fails(w)

    status = w.call.status
    assert status.reason == (
        f"Cannot find {UNRESOLVABLE}: the name does not resolve. Check your network "
        "connection and the base URL."
    )
    assert status.stage is CallState.AUTHORIZING
    assert "Name or service not known" in status.details or "resolution" in status.details
    assert err.retryable


def closed_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nobody listens


@pytest.mark.parametrize(("provider", "stage"), [("openai", A), ("inworld", S)])
async def test_connection_refused(
    provider: str, stage: CallState, provider_calls: CallFactory
) -> None:
    port = closed_loopback_port()
    w = provider_calls.make(None, provider, base_url=f"http://127.0.0.1:{port}")

    await connect_fails(w)

    status = w.call.status
    assert status.reason == (
        f"Cannot reach 127.0.0.1:{port}: the connection was refused or the network is down."
    )
    # Inworld's ICE-server lookup fails first and is skipped; the offer is what fails.
    assert status.stage is stage
    assert str(port) in status.details


# -- the data channel -----------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "inworld"])
async def test_channel_dropped_while_the_session_starts(
    provider: str, serve_fake: Serve, provider_calls: CallFactory
) -> None:
    fake = await serve_fake(FAKES[provider]())
    fake.channel_mode = ChannelMode.DROP_ON_OPEN
    w = provider_calls.make(fake, provider)

    await connect_fails(w)

    status = w.call.status
    assert status.reason == (
        f"{w.call.profile.name} closed the connection while the session was starting."
    )
    assert status.stage is CallState.CONNECTING
    assert fake.last_call.channel_label == "oai-events"  # it did open, then went away


async def test_channel_dropped_mid_call(
    openai_fake: OpenAIFake, provider_calls: CallFactory
) -> None:
    w = provider_calls.make(openai_fake, "openai")
    await w.call.connect()

    await openai_fake.last_call.drop_channel()
    await until(lambda: w.call.state is CallState.FAILED, "the call notices the channel closed")

    status = w.call.status
    assert status.reason == "OpenAI ended the session."
    assert status.stage is CallState.CONNECTED
    assert status.details == "data channel closed"
    assert_plain_sentence(status.reason)


async def test_session_reaching_its_maximum_duration(
    openai_fake: OpenAIFake, provider_calls: CallFactory
) -> None:
    w = provider_calls.make(openai_fake, "openai")
    await w.call.connect()

    await openai_fake.last_call.expire()
    await until(lambda: w.call.state is CallState.FAILED, "the call to end")

    status = w.call.status
    assert status.reason == (
        "The session reached OpenAI's 60-minute limit and ended. Connect again to go on; "
        "the transcript is kept."
    )
    assert status.details == "Your session hit the maximum duration of 60 minutes."
    assert w.notices == []  # one clear state, not an error notice on top
    assert_plain_sentence(status.reason)


async def test_media_connection_never_opens(
    inworld_fake: InworldFake, provider_calls: CallFactory
) -> None:
    inworld_fake.channel_mode = ChannelMode.NEVER_OPEN
    w = provider_calls.make(inworld_fake, "inworld", channel_open_timeout=1.0)

    await connect_fails(w)

    status = w.call.status
    assert status.reason.startswith("Could not open a media connection to Inworld.")
    assert "firewall" in status.reason
    assert status.stage is CallState.CONNECTING
    assert "no data channel" in status.details
