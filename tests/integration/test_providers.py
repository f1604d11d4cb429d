"""The engine speaks each hosted provider's dialect: real WebRTC against test servers that
follow shared/PROVIDERS.md (tests/fakes), asserting what went over the wire and what the
person sees (connected, the transcript, the voice, the avatar, a clean hang-up).

Error paths are in test_provider_errors.py.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from desktop.core.call.state import CallState
from desktop.core.events import client as ce
from desktop.core.events.server import BackchannelSkipped
from desktop.core.profiles import AuthConfig, BodyFormat, get_profile
from desktop.core.session import default_config
from desktop.core.settings.schema import NO_AUTH_SCHEME, AppSettings
from tests.fakes import InworldFake, OpenAIFake, RtavFake
from tests.fakes.harness import KEYS, CallFactory, MediaCollector, Serve, dominant_hz, until
from tests.fakes.inworld import validate_inworld
from tests.fakes.openai import validate_ga
from tests.fakes.rtav import validate_flat

pytest_plugins = ("tests.fakes.fixtures",)

SETUP_PATH = [
    CallState.AUTHORIZING,
    CallState.GATHERING,
    CallState.SIGNALING,
    CallState.CONNECTING,
    CallState.CONNECTED,
]



# -- OpenAI ---------------------------------------------------------------------------------


async def test_openai_mints_an_ephemeral_key_then_posts_raw_sdp(
    openai_fake: OpenAIFake, provider_calls: CallFactory
) -> None:
    w = provider_calls.make(openai_fake, "openai")
    await w.call.connect()

    assert w.states == SETUP_PATH
    mint, offer = openai_fake.requests
    assert mint.route == "client_secrets"
    assert (mint.auth_scheme, mint.credential) == ("Bearer", "api_key")
    body = mint.json()
    assert body["expires_after"] == {"anchor": "created_at", "seconds": 600}
    assert body["session"]["type"] == "realtime"
    assert body["session"]["model"] == "gpt-realtime"
    assert body["session"]["audio"]["output"]["voice"] == "marin"
    assert mint.status == 200
    # The call itself goes as raw SDP with the minted ek_ secret, never the standard key.
    assert (offer.route, offer.content_type) == ("calls", "application/sdp")
    assert (offer.auth_scheme, offer.credential, offer.status) == ("Bearer", "client_secret", 201)
    assert offer.text.startswith("v=0")
    assert "m=audio" in offer.text and "m=application" in offer.text
    # The call id is the Location header's last segment.
    server_call = openai_fake.last_call
    assert w.call.call_id == server_call.id and server_call.id.startswith("rtc_")
    # Channel oai-events; the server speaks first, the client answers with session.update.
    assert server_call.channel_label == "oai-events"
    assert server_call.log[0][0] == "out" and server_call.log[0][1]["type"] == "session.created"
    assert server_call.received_types[0] == "session.update"
    assert "session.updated" in server_call.sent_types
    assert w.call.session["id"] == server_call.session["id"]  # the server's view arrived
    assert w.notices == []


async def test_openai_text_turn_and_hangup_by_call_id(
    openai_fake: OpenAIFake, provider_calls: CallFactory
) -> None:
    profile = get_profile("openai")
    config = replace(default_config(profile), output_modalities=("text",))
    w = provider_calls.make(openai_fake, "openai", config=config)
    await w.call.connect()

    await w.turn_round_trip("hello")
    assert w.transcript() == [("user", "hello"), ("assistant", "You said: hello")]
    assert "response.output_text.delta" in w.event_types()
    server_call = openai_fake.last_call
    create = next(e for e in server_call.received if e["type"] == "conversation.item.create")
    assert create["item"]["content"] == [{"type": "input_text", "text": "hello"}]
    assert server_call.received_types.index("response.create") > server_call.received_types.index(
        "conversation.item.create"
    )

    await w.call.close()
    assert w.call.state is CallState.CLOSED
    (hangup,) = openai_fake.requests_to("hangup")
    assert hangup.method == "POST"
    assert hangup.path == f"/v1/realtime/calls/{server_call.id}/hangup"
    assert hangup.credential == "api_key" and hangup.status == 200
    assert server_call.hung_up


async def test_openai_voice_reply_is_heard_and_microphone_reaches_the_server(
    openai_fake: OpenAIFake, provider_calls: CallFactory
) -> None:
    speaker = MediaCollector()
    w = provider_calls.make(openai_fake, "openai", audio_sink=speaker)
    await w.call.connect()

    await w.turn_round_trip("how are you")
    # Audio modality: the words come as the voice's transcript.
    assert w.transcript()[-1] == ("assistant", "You said: how are you")
    assert "response.output_audio_transcript.delta" in w.event_types()
    await until(lambda: len(speaker.frames) >= 25, "half a second of the provider's voice")
    heard = speaker.mono_samples()[-12_000:]
    assert np.sqrt(np.mean(heard**2)) > 0.05  # not silence
    assert abs(dominant_hz(heard) - 440) < 10  # the fake's 440 Hz "voice", intact
    await until(
        lambda: openai_fake.last_call.audio_frames_received > 10, "the server hears the mic"
    )


async def test_openai_falls_back_to_multipart_with_the_standard_key(
    openai_fake: OpenAIFake, provider_calls: CallFactory
) -> None:
    openai_fake.fail("client_secrets", 404)  # e.g. a proxy without the mint route
    w = provider_calls.make(openai_fake, "openai")
    await w.call.connect()

    offer = openai_fake.requests_to("calls")[0]
    assert offer.content_type == "multipart/form-data"
    assert (offer.auth_scheme, offer.credential) == ("Bearer", "api_key")
    assert offer.form["sdp"].startswith("v=0")
    assert json.loads(offer.form["session"])["type"] == "realtime"
    assert w.call.state is CallState.CONNECTED


async def test_openai_session_stays_valid_ga_whatever_the_settings(
    openai_fake: OpenAIFake, provider_calls: CallFactory
) -> None:
    """Settings OpenAI GA rejects (temperature, audio+text, a TTS model, speed 3) are
    dropped or clamped; the fake validates like OpenAI, so any leak would be refused."""
    profile = get_profile("openai")
    config = replace(
        default_config(profile),
        temperature=0.7,
        output_modalities=("audio", "text"),
        tts_model="some-tts",
        speed=3.0,
        instructions="Be brief.",
    )
    w = provider_calls.make(openai_fake, "openai", config=config)
    await w.call.connect()

    assert openai_fake.requests_to("client_secrets")[0].status == 200
    server_call = openai_fake.last_call
    await until(lambda: "session.updated" in server_call.sent_types, "session.updated")
    assert "error" not in server_call.sent_types
    assert server_call.session["output_modalities"] == ["audio"]
    assert server_call.session["audio"]["output"]["speed"] == 1.5
    assert server_call.session["instructions"] == "Be brief."
    assert w.notices == []


async def test_openai_error_event_is_shown_and_the_call_goes_on(
    openai_fake: OpenAIFake, provider_calls: CallFactory
) -> None:
    w = provider_calls.make(openai_fake, "openai")
    await w.call.connect()

    w.call.send_event(ce.session_update({"type": "realtime", "temperature": 0.5}))
    await until(lambda: any("temperature" in n for n in w.notices), "a notice about the error")
    assert w.notices == ["OpenAI: Unknown parameter: 'session.temperature'."]
    assert w.call.state is CallState.CONNECTED


async def test_openai_voice_is_kept_once_the_assistant_has_spoken(
    openai_fake: OpenAIFake, provider_calls: CallFactory
) -> None:
    """OpenAI refuses a new voice after the first audio; the call keeps its voice and says
    when the new one starts, instead of showing the server's error."""
    w = provider_calls.make(openai_fake, "openai")
    await w.call.connect()
    server_call = openai_fake.last_call
    await w.call.update_session(replace(w.call.config, voice="cedar"))  # before any audio
    await until(lambda: server_call.session["audio"]["output"]["voice"] == "cedar", "cedar")

    await w.turn_round_trip("hello")
    assert server_call.audio_sent
    updates = len([e for e in server_call.received if e["type"] == "session.update"])
    await w.call.update_session(replace(w.call.config, voice="marin", instructions="Be brief."))
    await until(lambda: server_call.session.get("instructions") == "Be brief.", "the update")
    assert w.notices == [
        "The voice stays cedar for this call: OpenAI keeps it once the assistant has spoken. "
        "marin starts with the next call."
    ]
    sent = [e for e in server_call.received if e["type"] == "session.update"][updates:]
    assert [e["session"]["audio"]["output"]["voice"] for e in sent] == ["cedar"]
    assert "error" not in server_call.sent_types  # nothing the server had to refuse
    # What sending it anyway would have got (the test server enforces OpenAI's rule):
    marin = {"type": "realtime", "audio": {"output": {"voice": "marin"}}}
    w.call.send_event(ce.session_update(marin))
    await until(lambda: len(w.notices) == 2, "the server's refusal")
    assert "Cannot update a conversation's voice" in w.notices[1]


# -- Inworld --------------------------------------------------------------------------------


@pytest.mark.parametrize("answer_status", [201, 200])
async def test_inworld_ice_servers_first_then_raw_sdp_with_basic_auth(
    answer_status: int, serve_fake: Serve, provider_calls: CallFactory
) -> None:
    inworld_fake = await serve_fake(InworldFake(answer_status=answer_status))
    w = provider_calls.make(inworld_fake, "inworld")
    await w.call.connect()

    assert w.states == SETUP_PATH
    ice, offer = inworld_fake.requests
    assert (ice.method, ice.path) == ("GET", "/v1/realtime/ice-servers")
    # The base64 key itself, with the Basic scheme (recorded as a kind, never the key).
    assert (ice.auth_scheme, ice.credential) == ("Basic", "api_key")
    assert (offer.route, offer.content_type, offer.status) == (
        "calls",
        "application/sdp",
        answer_status,
    )
    assert (offer.auth_scheme, offer.credential) == ("Basic", "api_key")
    assert offer.headers["Authorization"] == "Basic [redacted]"
    # No session.created from Inworld: the client speaks first, right after open.
    server_call = inworld_fake.last_call
    assert server_call.channel_label == "oai-events"
    assert server_call.log[0] == ("in", server_call.received[0])
    assert server_call.received_types[0] == "session.update"
    assert "session.created" not in server_call.sent_types
    assert "session_ready" in w.call.timings.milestones
    assert w.notices == []
    assert w.call.call_id == server_call.id

    await w.turn_round_trip("hello")
    assert w.transcript() == [("user", "hello"), ("assistant", "You said: hello")]


async def test_inworld_audio_and_text_session_backchannel_and_hangup(
    inworld_fake: InworldFake, provider_calls: CallFactory
) -> None:
    profile = get_profile("inworld")
    config = replace(
        default_config(profile),
        temperature=0.4,
        tts_model="inworld-tts-2",
        output_modalities=("audio", "text"),
    )
    w = provider_calls.make(inworld_fake, "inworld", config=config)
    await w.call.connect()

    server_call = inworld_fake.last_call
    update = server_call.received[0]["session"]
    assert update["temperature"] == 0.4
    assert update["audio"]["output"] == {"voice": "Dennis", "model": "inworld-tts-2"}
    assert update["output_modalities"] == ["audio", "text"]
    assert "error" not in server_call.sent_types

    await w.turn_round_trip("hi")
    assert w.transcript()[0] == ("user", "hi")
    assert w.transcript()[1][1].startswith("You said: hi")
    assert any(isinstance(e, BackchannelSkipped) for e in w.events)  # parsed, then ignored
    assert w.call.state is CallState.CONNECTED

    await w.call.close()
    (hangup,) = inworld_fake.requests_to("hangup")
    assert hangup.path == f"/v1/realtime/calls/{server_call.id}/hangup"
    assert hangup.auth_scheme == "Basic" and server_call.hung_up


async def test_inworld_audio_and_text_words_show_once(
    inworld_fake: InworldFake, provider_calls: CallFactory
) -> None:
    profile = get_profile("inworld")
    config = replace(default_config(profile), output_modalities=("audio", "text"))
    w = provider_calls.make(inworld_fake, "inworld", config=config)
    await w.call.connect()
    await w.turn_round_trip("hi")
    assert w.transcript() == [("user", "hi"), ("assistant", "You said: hi")]


async def test_inworld_json_call_body_and_call_id_from_json(
    inworld_fake: InworldFake, provider_calls: CallFactory
) -> None:
    profile = replace(get_profile("inworld"), body_format=BodyFormat.JSON)
    w = provider_calls.make(inworld_fake, "inworld", profile=profile)
    await w.call.connect()

    offer = inworld_fake.requests_to("calls")[0]
    body = offer.json()
    assert offer.content_type == "application/json"
    assert body["sdp"].startswith("v=0") and body["session"]["type"] == "realtime"
    assert w.call.call_id == inworld_fake.last_call.id and w.call.call_id.startswith("call_")
    await w.call.close()
    assert inworld_fake.requests_to("hangup")[0].path.endswith(
        f"/{inworld_fake.last_call.id}/hangup"
    )


async def test_inworld_bearer_scheme_setting_is_honoured(
    serve_fake: Serve, provider_calls: CallFactory
) -> None:
    inworld_fake = await serve_fake(InworldFake(required_scheme="Bearer"))
    profile = replace(get_profile("inworld"), auth=AuthConfig(scheme="Bearer"))
    w = provider_calls.make(inworld_fake, "inworld", profile=profile)
    await w.call.connect()
    assert {(r.auth_scheme, r.credential) for r in inworld_fake.requests} == {("Bearer", "api_key")}


async def test_inworld_call_works_when_ice_servers_cannot_be_fetched(
    inworld_fake: InworldFake, provider_calls: CallFactory
) -> None:
    inworld_fake.fail("ice_servers", 500)
    w = provider_calls.make(inworld_fake, "inworld")
    await w.call.connect()
    assert w.call.state is CallState.CONNECTED
    assert [r.status for r in inworld_fake.requests] == [500, 201]


# -- rtAV -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer_status", "content_type"), [(200, "text/plain"), (201, "application/sdp")]
)
async def test_rtav_client_secret_then_multipart_flat_session(
    answer_status: int, content_type: str, serve_fake: Serve, provider_calls: CallFactory
) -> None:
    rtav_fake = await serve_fake(
        RtavFake(answer_status=answer_status, answer_content_type=content_type)
    )
    profile = get_profile("rtav")
    config = replace(default_config(profile), voice="alice", face="face2", driving=("Wink", "idle"))
    w = provider_calls.make(rtav_fake, "rtav", config=config)
    await w.call.connect()

    mint, offer = rtav_fake.requests
    assert (mint.auth_scheme, mint.credential) == ("Bearer", "api_key")
    assert mint.json() == {"session": {"type": "realtime"}}  # a plain string comes back
    assert offer.content_type == "multipart/form-data"
    assert (offer.auth_scheme, offer.credential) == ("Bearer", "client_secret")
    session = json.loads(offer.form["session"])
    assert (session["voice"], session["face"], session["driving"]) == (
        "alice",
        "face2",
        ["Wink", "idle"],
    )
    assert "audio" not in session and "output_modalities" not in session
    assert "m=video" in offer.form["sdp"]  # room for the avatar
    server_call = rtav_fake.last_call
    assert server_call.channel_label == "realtime"
    assert server_call.sent_types[0] == "session.created"
    assert "error" not in server_call.sent_types
    assert w.call.call_id == server_call.id  # from X-Session-Id


async def test_rtav_avatar_video_text_turn_and_hangup_by_session_id(
    rtav_fake: RtavFake, provider_calls: CallFactory
) -> None:
    avatar = MediaCollector()
    w = provider_calls.make(rtav_fake, "rtav", video_sink=avatar)
    await w.call.connect()

    await w.turn_round_trip("wave please")
    assert w.transcript() == [("user", "wave please"), ("assistant", "You said: wave please")]
    await until(lambda: len(avatar.frames) >= 5, "five avatar frames")
    first, last = avatar.frames[0], avatar.frames[-1]
    assert (first.width, first.height) == (320, 240)
    assert not np.array_equal(first.to_ndarray(format="rgb24"), last.to_ndarray(format="rgb24"))

    session_id = rtav_fake.last_call.id
    await w.call.close()
    (hangup,) = rtav_fake.requests_to("sessions")
    assert (hangup.method, hangup.path) == ("DELETE", f"/v1/sessions/{session_id}")
    assert hangup.credential == "api_key" and hangup.status == 200


async def test_rtav_lowercase_session_header_still_hangs_up(
    serve_fake: Serve, provider_calls: CallFactory
) -> None:
    rtav_fake = await serve_fake(RtavFake(lowercase_headers=True))
    w = provider_calls.make(rtav_fake, "rtav")
    await w.call.connect()
    await w.call.close()
    assert [r.method for r in rtav_fake.requests_to("sessions")] == ["DELETE"]
    assert rtav_fake.last_call.hung_up


async def test_rtav_video_without_a_sink_is_drained(
    rtav_fake: RtavFake, provider_calls: CallFactory
) -> None:
    w = provider_calls.make(rtav_fake, "rtav")  # e.g. the headless CLI: nobody shows the avatar
    await w.call.connect()
    await until(
        lambda: (t := rtav_fake.last_call.video_track) is not None and t.frames_sent >= 20,
        "the fake sent 20 avatar frames",
    )
    assert w.call.pc is not None
    (video,) = [r for r in w.call.pc.getReceivers() if r.track.kind == "video"]
    # aiortc keeps decoded frames on the remote track's private queue until someone reads.
    assert video.track._queue.qsize() < 5


# -- the fakes themselves -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "session", "refused"),
    [
        (validate_ga, {"type": "realtime", "temperature": 0.5}, "session.temperature"),
        (
            validate_ga,
            {"type": "realtime", "output_modalities": ["audio", "text"]},
            "session.output_modalities",
        ),
        (
            validate_ga,
            {"type": "realtime", "audio": {"output": {"model": "x"}}},
            "session.audio.output.model",
        ),
        (validate_ga, {"type": "realtime", "voice": "marin"}, "session.voice"),
        (
            validate_inworld,
            {"type": "realtime", "temperature": 0.5, "output_modalities": ["audio", "text"]},
            None,
        ),
        (
            validate_flat,
            {"type": "realtime", "audio": {"output": {"voice": "alice"}}},
            "session.audio",
        ),
        (validate_flat, {"type": "realtime", "voice": "alice", "face": "face1"}, None),
    ],
)
def test_fakes_refuse_what_the_provider_refuses(
    validator: object, session: dict, refused: str | None
) -> None:
    problem = validator(session)  # type: ignore[operator]
    assert (problem.param if problem else None) == refused


async def test_fakes_never_keep_the_key(
    openai_fake: OpenAIFake, inworld_fake: InworldFake, provider_calls: CallFactory
) -> None:
    for fake, provider in ((openai_fake, "openai"), (inworld_fake, "inworld")):
        w = provider_calls.make(fake, provider)
        await w.call.connect()
        await w.call.close()
        assert fake.requests and KEYS[provider] not in repr(fake.requests)
        assert KEYS[provider] not in json.dumps([r.headers for r in fake.requests])


# -- OpenAI-compatible endpoints ------------------------------------------------------------


async def test_compatible_endpoint_with_the_key_alone_in_its_own_header(
    serve_fake: Serve, provider_calls: CallFactory
) -> None:
    """An Azure-style deployment: `api-key: <key>`, no scheme, set up in Settings."""
    fake = await serve_fake(OpenAIFake(auth_header="api-key"))
    settings = AppSettings()
    compatible = settings.providers["compatible"]
    compatible.base_url, compatible.auth_header = fake.base_url, "api-key"
    compatible.auth_scheme = NO_AUTH_SCHEME
    profile = settings.profile("compatible")
    assert profile.auth.headers("k") == {"api-key": "k"}
    w = provider_calls.make(fake, "compatible", profile=profile, api_key=KEYS["openai"])
    await w.call.connect()
    assert w.call.state is CallState.CONNECTED
    assert {(r.auth_scheme, r.credential) for r in fake.requests} <= {
        (None, "api_key"), (None, "client_secret"),
    }
    assert all("Authorization" not in r.headers for r in fake.requests)
    assert all(r.headers["api-key"] == "? [redacted]" for r in fake.requests)
