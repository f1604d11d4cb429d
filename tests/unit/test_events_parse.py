"""Server events parse into their typed classes, with the GA wire field names."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from desktop.core.events import server as ev
from desktop.core.events.payloads import (
    ContentPart,
    ErrorDetail,
    InputTokenDetails,
    Item,
    OutputTokenDetails,
    RateLimit,
    Response,
    Usage,
)
from desktop.core.events.server import (
    EVENT_TYPES,
    MalformedEvent,
    UnknownEvent,
    parse_server_event,
)

# Every server event PROVIDERS.md says a client must handle, plus the provider extras.
REQUIRED_TYPES = {
    "session.created",
    "session.updated",
    "error",
    "conversation.item.added",
    "conversation.item.done",
    "conversation.item.input_audio_transcription.delta",
    "conversation.item.input_audio_transcription.completed",
    "conversation.item.input_audio_transcription.failed",
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
    "input_audio_buffer.cleared",
    "input_audio_buffer.timeout_triggered",
    "response.created",
    "response.done",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.output_audio_transcript.delta",
    "response.output_audio_transcript.done",
    "response.output_audio.delta",
    "response.output_audio.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "output_audio_buffer.started",
    "output_audio_buffer.stopped",
    "output_audio_buffer.cleared",
    "rate_limits.updated",
    # Inworld, rtAV
    "response.backchannel.audio.delta",
    "response.backchannel.audio.done",
    "response.backchannel.skipped",
    "response.output_image.delta",
}

ASSISTANT_ITEM = {
    "id": "item_A1",
    "object": "realtime.item",
    "type": "message",
    "status": "in_progress",
    "role": "assistant",
    "content": [],
}
USER_AUDIO_ITEM = {
    "id": "item_U1",
    "object": "realtime.item",
    "type": "message",
    "status": "completed",
    "role": "user",
    "content": [{"type": "input_audio", "transcript": None}],
}
USAGE = {
    "total_tokens": 253,
    "input_tokens": 132,
    "output_tokens": 121,
    "input_token_details": {
        "text_tokens": 119,
        "audio_tokens": 13,
        "image_tokens": 0,
        "cached_tokens": 64,
        "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 0, "image_tokens": 0},
    },
    "output_token_details": {"text_tokens": 30, "audio_tokens": 91},
}
CONTENT_IDS = {"response_id": "resp_1", "item_id": "item_A1", "output_index": 0, "content_index": 0}


def parse(payload: dict[str, Any]) -> ev.ServerEvent:
    """Parse the payload as it arrives on the wire: JSON text."""
    return parse_server_event(json.dumps(payload))


def test_every_required_type_is_registered() -> None:
    assert REQUIRED_TYPES - EVENT_TYPES.keys() == set()


# (payload, expected class, expected attributes)
CASES: list[tuple[dict[str, Any], type[ev.ServerEvent], dict[str, Any]]] = [
    (
        {
            "type": "session.created",
            "event_id": "event_1",
            "session": {"type": "realtime", "model": "gpt-realtime", "audio": {"output": {}}},
        },
        ev.SessionCreated,
        {
            "event_id": "event_1",
            "session": {"type": "realtime", "model": "gpt-realtime", "audio": {"output": {}}},
        },
    ),
    (
        {"type": "session.updated", "event_id": "event_2", "session": {"instructions": "Hi"}},
        ev.SessionUpdated,
        {"session": {"instructions": "Hi"}},
    ),
    (
        {
            "type": "error",
            "event_id": "event_3",
            "error": {
                "type": "invalid_request_error",
                "code": "invalid_value",
                "message": "Invalid value: 'nope'.",
                "param": "session.audio.output.voice",
                "event_id": "evt_client_7",
            },
        },
        ev.ErrorEvent,
        {
            "error": ErrorDetail(
                type="invalid_request_error",
                code="invalid_value",
                message="Invalid value: 'nope'.",
                param="session.audio.output.voice",
                event_id="evt_client_7",
            ),
            "message": "Invalid value: 'nope'.",
        },
    ),
    (
        {
            "type": "conversation.item.added",
            "event_id": "e",
            "previous_item_id": "item_0",
            "item": USER_AUDIO_ITEM,
        },
        ev.ConversationItemAdded,
        {
            "previous_item_id": "item_0",
            "item": Item(
                id="item_U1",
                type="message",
                role="user",
                status="completed",
                content=(ContentPart(type="input_audio"),),
            ),
        },
    ),
    (
        {
            "type": "conversation.item.done",
            "previous_item_id": None,
            "item": {
                "id": "item_F1",
                "type": "function_call",
                "status": "completed",
                "call_id": "call_9",
                "name": "get_weather",
                "arguments": '{"city":"Paris"}',
            },
        },
        ev.ConversationItemDone,
        {
            "previous_item_id": None,
            "item": Item(
                id="item_F1",
                type="function_call",
                status="completed",
                call_id="call_9",
                name="get_weather",
                arguments='{"city":"Paris"}',
            ),
        },
    ),
    (
        {
            "type": "conversation.item.retrieved",
            "item": {
                "id": "item_O",
                "type": "function_call_output",
                "call_id": "call_9",
                "output": '{"temp":20}',
            },
        },
        ev.ConversationItemRetrieved,
        {
            "item": Item(
                id="item_O", type="function_call_output", call_id="call_9", output='{"temp":20}'
            )
        },
    ),
    (
        {
            "type": "conversation.item.truncated",
            "item_id": "item_A1",
            "content_index": 0,
            "audio_end_ms": 1500,
        },
        ev.ConversationItemTruncated,
        {"item_id": "item_A1", "audio_end_ms": 1500},
    ),
    (
        {"type": "conversation.item.deleted", "item_id": "item_A1"},
        ev.ConversationItemDeleted,
        {"item_id": "item_A1"},
    ),
    (
        {
            "type": "conversation.item.input_audio_transcription.delta",
            "event_id": "e",
            "item_id": "item_U1",
            "content_index": 0,
            "delta": "Hello,",
        },
        ev.InputAudioTranscriptionDelta,
        {"item_id": "item_U1", "content_index": 0, "delta": "Hello,"},
    ),
    (
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "item_U1",
            "content_index": 0,
            "transcript": "Hello, how are you?",
            "usage": {"type": "duration", "seconds": 2.1},
            "logprobs": None,
        },
        ev.InputAudioTranscriptionCompleted,
        {"transcript": "Hello, how are you?", "usage": {"type": "duration", "seconds": 2.1}},
    ),
    (
        {
            "type": "conversation.item.input_audio_transcription.failed",
            "item_id": "item_U1",
            "content_index": 0,
            "error": {
                "type": "transcription_error",
                "code": "audio_unintelligible",
                "message": "The audio could not be transcribed.",
                "param": None,
            },
        },
        ev.InputAudioTranscriptionFailed,
        {
            "item_id": "item_U1",
            "error": ErrorDetail(
                type="transcription_error",
                code="audio_unintelligible",
                message="The audio could not be transcribed.",
            ),
        },
    ),
    (
        {
            "type": "conversation.item.input_audio_transcription.segment",
            "item_id": "item_U1",
            "content_index": 0,
            "id": "seg_0001",
            "text": "hello",
            "speaker": "A",
            "start": 0.0,
            "end": 0.4,
        },
        ev.InputAudioTranscriptionSegment,
        {"id": "seg_0001", "text": "hello", "speaker": "A", "start": 0.0, "end": 0.4},
    ),
    (
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": 1000, "item_id": "item_U1"},
        ev.InputAudioBufferSpeechStarted,
        {"audio_start_ms": 1000, "item_id": "item_U1"},
    ),
    (
        {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 3400, "item_id": "item_U1"},
        ev.InputAudioBufferSpeechStopped,
        {"audio_end_ms": 3400, "item_id": "item_U1"},
    ),
    (
        {
            "type": "input_audio_buffer.committed",
            "previous_item_id": "item_0",
            "item_id": "item_U1",
        },
        ev.InputAudioBufferCommitted,
        {"previous_item_id": "item_0", "item_id": "item_U1"},
    ),
    (
        {"type": "input_audio_buffer.cleared", "event_id": "e9"},
        ev.InputAudioBufferCleared,
        {"event_id": "e9"},
    ),
    (
        {
            "type": "input_audio_buffer.timeout_triggered",
            "audio_start_ms": 13216,
            "audio_end_ms": 19232,
            "item_id": "item_T",
        },
        ev.InputAudioBufferTimeoutTriggered,
        {"audio_start_ms": 13216, "audio_end_ms": 19232, "item_id": "item_T"},
    ),
    (
        {
            "type": "response.created",
            "response": {
                "object": "realtime.response",
                "id": "resp_1",
                "status": "in_progress",
                "status_details": None,
                "output": [],
                "usage": None,
                "conversation_id": "conv_1",
                "output_modalities": ["audio"],
            },
        },
        ev.ResponseCreated,
        {"response": Response(id="resp_1", status="in_progress")},
    ),
    (
        {
            "type": "response.done",
            "response": {
                "id": "resp_1",
                "status": "cancelled",
                "status_details": {"type": "cancelled", "reason": "turn_detected"},
                "output": [
                    dict(
                        ASSISTANT_ITEM,
                        status="incomplete",
                        content=[{"type": "output_audio", "transcript": "Sure, the"}],
                    )
                ],
                "usage": USAGE,
            },
        },
        ev.ResponseDone,
        {
            "response": Response(
                id="resp_1",
                status="cancelled",
                status_details={"type": "cancelled", "reason": "turn_detected"},
                output=(
                    Item(
                        id="item_A1",
                        role="assistant",
                        status="incomplete",
                        content=(ContentPart(type="output_audio", transcript="Sure, the"),),
                    ),
                ),
                usage=Usage(
                    total_tokens=253,
                    input_tokens=132,
                    output_tokens=121,
                    input_token_details=InputTokenDetails(
                        text_tokens=119, audio_tokens=13, cached_tokens=64
                    ),
                    output_token_details=OutputTokenDetails(text_tokens=30, audio_tokens=91),
                ),
            )
        },
    ),
    (
        {
            "type": "response.output_item.added",
            "response_id": "resp_1",
            "output_index": 0,
            "item": ASSISTANT_ITEM,
        },
        ev.OutputItemAdded,
        {
            "response_id": "resp_1",
            "output_index": 0,
            "item": Item(id="item_A1", role="assistant", status="in_progress"),
        },
    ),
    (
        {
            "type": "response.output_item.done",
            "response_id": "resp_1",
            "output_index": 1,
            "item": dict(ASSISTANT_ITEM, status="completed"),
        },
        ev.OutputItemDone,
        {"output_index": 1, "item": Item(id="item_A1", role="assistant", status="completed")},
    ),
    (
        {
            "type": "response.content_part.added",
            **CONTENT_IDS,
            "part": {"type": "audio", "transcript": ""},
        },
        ev.ContentPartAdded,
        {**CONTENT_IDS, "part": ContentPart(type="audio", transcript="")},
    ),
    (
        {
            "type": "response.content_part.done",
            **CONTENT_IDS,
            "part": {"type": "audio", "transcript": "Hi there!"},
        },
        ev.ContentPartDone,
        {"part": ContentPart(type="audio", transcript="Hi there!")},
    ),
    (
        {"type": "response.output_text.delta", **CONTENT_IDS, "delta": "Hi"},
        ev.OutputTextDelta,
        {**CONTENT_IDS, "delta": "Hi"},
    ),
    (
        {"type": "response.output_text.done", **CONTENT_IDS, "text": "Hi there!"},
        ev.OutputTextDone,
        {"text": "Hi there!"},
    ),
    (
        {"type": "response.output_audio_transcript.delta", **CONTENT_IDS, "delta": "Hi "},
        ev.OutputAudioTranscriptDelta,
        {**CONTENT_IDS, "delta": "Hi "},
    ),
    (
        {"type": "response.output_audio_transcript.done", **CONTENT_IDS, "transcript": "Hi there!"},
        ev.OutputAudioTranscriptDone,
        {"transcript": "Hi there!"},
    ),
    (
        {"type": "response.output_audio.delta", **CONTENT_IDS, "delta": "AAAA"},
        ev.OutputAudioDelta,
        {"delta": "AAAA"},
    ),
    ({"type": "response.output_audio.done", **CONTENT_IDS}, ev.OutputAudioDone, CONTENT_IDS),
    (
        {
            "type": "response.function_call_arguments.delta",
            "response_id": "resp_2",
            "item_id": "item_F1",
            "output_index": 0,
            "call_id": "call_9",
            "delta": '{"ci',
        },
        ev.FunctionCallArgumentsDelta,
        {"call_id": "call_9", "delta": '{"ci', "item_id": "item_F1"},
    ),
    (
        {
            "type": "response.function_call_arguments.done",
            "response_id": "resp_2",
            "item_id": "item_F1",
            "output_index": 0,
            "call_id": "call_9",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
        ev.FunctionCallArgumentsDone,
        {"call_id": "call_9", "name": "get_weather", "arguments": '{"city":"Paris"}'},
    ),
    (
        {"type": "output_audio_buffer.started", "response_id": "resp_1"},
        ev.OutputAudioBufferStarted,
        {"response_id": "resp_1"},
    ),
    (
        {"type": "output_audio_buffer.stopped", "response_id": "resp_1"},
        ev.OutputAudioBufferStopped,
        {"response_id": "resp_1"},
    ),
    (
        {"type": "output_audio_buffer.cleared", "response_id": "resp_1"},
        ev.OutputAudioBufferCleared,
        {"response_id": "resp_1"},
    ),
    (
        {
            "type": "rate_limits.updated",
            "rate_limits": [
                {"name": "requests", "limit": 1000, "remaining": 999, "reset_seconds": 60},
                {"name": "tokens", "limit": 50000, "remaining": 49000, "reset_seconds": 0.5},
            ],
        },
        ev.RateLimitsUpdated,
        {
            "rate_limits": (
                RateLimit(name="requests", limit=1000, remaining=999, reset_seconds=60.0),
                RateLimit(name="tokens", limit=50000, remaining=49000, reset_seconds=0.5),
            )
        },
    ),
    (
        {"type": "response.backchannel.audio.delta", "response_id": "r", "delta": "AAAA"},
        ev.BackchannelAudioDelta,
        {"delta": "AAAA"},
    ),
    ({"type": "response.backchannel.audio.done"}, ev.BackchannelAudioDone, {}),
    (
        {"type": "response.backchannel.skipped", "item_id": "i"},
        ev.BackchannelSkipped,
        {"item_id": "i"},
    ),
    (
        {"type": "response.output_image.delta", "delta": "/9j/4AAQ"},
        ev.OutputImageDelta,
        {"delta": "/9j/4AAQ"},
    ),
]


@pytest.mark.parametrize(("payload", "cls", "expected"), CASES, ids=[c[0]["type"] for c in CASES])
def test_known_event_parses_to_its_class(
    payload: dict[str, Any], cls: type[ev.ServerEvent], expected: dict[str, Any]
) -> None:
    event = parse(payload)
    assert type(event) is cls
    assert event.type == payload["type"]
    assert event.raw == payload
    for name, value in expected.items():
        assert getattr(event, name) == value, name


def test_cases_cover_every_registered_class() -> None:
    assert {cls for _, cls, _ in CASES} == set(EVENT_TYPES.values())


@pytest.mark.parametrize(
    ("old_name", "cls", "field", "value"),
    [
        ("response.text.delta", ev.OutputTextDelta, "delta", "He"),
        ("response.text.done", ev.OutputTextDone, "text", "Hello"),
        ("response.audio_transcript.delta", ev.OutputAudioTranscriptDelta, "delta", "He"),
        ("response.audio_transcript.done", ev.OutputAudioTranscriptDone, "transcript", "Hello"),
        ("response.audio.delta", ev.OutputAudioDelta, "delta", "AAAA"),
        ("response.audio.done", ev.OutputAudioDone, "item_id", "item_A1"),
    ],
)
def test_preview_names_map_to_the_ga_classes(
    old_name: str, cls: type[ev.ServerEvent], field: str, value: str
) -> None:
    event = parse({"type": old_name, **CONTENT_IDS, field: value})
    assert type(event) is cls
    assert event.type == old_name  # the name that arrived, for the event log
    assert getattr(event, field) == value


def test_conversation_item_created_is_an_added_item() -> None:
    event = parse(
        {
            "type": "conversation.item.created",
            "previous_item_id": None,
            "item": {
                "id": "item_X",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "text", "text": "open loop"}],
            },
        }
    )
    assert isinstance(event, ev.ConversationItemAdded)
    assert event.item.text == "open loop"


def test_bytes_input_and_missing_optional_fields_get_defaults() -> None:
    event = parse_server_event(b'{"type":"response.output_audio_transcript.delta"}')
    assert isinstance(event, ev.OutputAudioTranscriptDelta)
    assert (event.item_id, event.response_id, event.delta, event.content_index) == (
        None,
        None,
        "",
        0,
    )
    assert event.event_id is None


def test_dict_input_is_accepted_as_is() -> None:
    payload = {"type": "input_audio_buffer.cleared", "event_id": "e1"}
    event = parse_server_event(payload)
    assert isinstance(event, ev.InputAudioBufferCleared)
    assert event.raw is payload


def test_null_transcript_means_absent() -> None:
    event = parse(
        {"type": "conversation.item.added", "item": USER_AUDIO_ITEM, "previous_item_id": None}
    )
    assert isinstance(event, ev.ConversationItemAdded)
    assert event.item.content[0].transcript is None
    assert event.item.text == ""
    assert event.item.has_audio


def test_integral_floats_are_ints_but_fractions_are_not() -> None:
    ok = parse({"type": "input_audio_buffer.speech_started", "audio_start_ms": 1200.0})
    assert isinstance(ok, ev.InputAudioBufferSpeechStarted)
    assert ok.audio_start_ms == 1200 and isinstance(ok.audio_start_ms, int)
    bad = parse({"type": "input_audio_buffer.speech_started", "audio_start_ms": 12.5})
    assert isinstance(bad, MalformedEvent)
    assert "audio_start_ms" in bad.reason


def test_error_message_falls_back_to_a_sentence() -> None:
    empty = parse({"type": "error", "error": {"type": "server_error", "code": 500}})
    assert isinstance(empty, ev.ErrorEvent)
    assert empty.message == "The server reported an error (500)."
    bare = parse({"type": "error"})
    assert isinstance(bare, ev.ErrorEvent)
    assert bare.message == "The server reported an error."


def test_output_image_decodes_a_jpeg_and_rejects_junk() -> None:
    jpeg = b"\xff\xd8\xff\xe0fake-jpeg-body"
    good = parse({"type": "response.output_image.delta", "delta": base64.b64encode(jpeg).decode()})
    assert isinstance(good, ev.OutputImageDelta)
    assert good.jpeg() == jpeg
    for junk in ("not base64!!", base64.b64encode(b"GIF89a").decode(), ""):
        event = parse({"type": "response.output_image.delta", "delta": junk})
        assert isinstance(event, ev.OutputImageDelta)
        assert event.jpeg() is None


def test_unknown_type_is_kept_raw_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    payload = {"type": "mcp_list_tools.in_progress", "event_id": "e5", "item_id": "x"}
    with caplog.at_level(logging.DEBUG, logger="talkline.events"):
        first = parse(payload)
        second = parse(payload)
    assert isinstance(first, UnknownEvent) and isinstance(second, UnknownEvent)
    assert first.type == "mcp_list_tools.in_progress"
    assert first.event_id == "e5"
    assert first.raw == payload
    mentions = [r for r in caplog.records if "mcp_list_tools.in_progress" in r.getMessage()]
    assert len(mentions) == 1
    assert mentions[0].levelno == logging.DEBUG


MALFORMED: list[tuple[object, str]] = [
    (b"\xff\xfe\x00garbage", "UTF-8"),
    ("{not json", "not JSON"),
    ("", "not JSON"),
    ("[1, 2, 3]", "array"),
    ("42", "integer"),
    ('"session.created"', "string"),
    ("null", "null"),
    ('{"event_id": "e"}', "'type'"),
    ('{"type": 7}', "'type'"),
    ('{"type": "session.created", "event_id": 12}', "'event_id'"),
    ('{"type": "session.created", "session": "yes"}', "'session'"),
    ('{"type": "response.output_text.delta", "delta": 5}', "'delta'"),
    ('{"type": "response.output_text.delta", "item_id": ["a"]}', "'item_id'"),
    ('{"type": "response.output_text.delta", "output_index": true}', "'output_index'"),
    ('{"type": "conversation.item.added"}', "'item' is missing"),
    ('{"type": "conversation.item.added", "item": {"type": "message"}}', "'item.id'"),
    (
        '{"type": "conversation.item.added", "item": {"id": "i", "content": [{"text": 1}]}}',
        "'item.content[0].text'",
    ),
    (
        '{"type": "conversation.item.added", "item": {"id": "i", "content": {"a": 1}}}',
        "'item.content'",
    ),
    (
        '{"type": "conversation.item.input_audio_transcription.delta", "delta": "x"}',
        "'item_id' is missing",
    ),
    ('{"type": "response.done", "response": {"id": "r", "output": [7]}}', "'response.output[0]'"),
    (
        '{"type": "input_audio_buffer.speech_started", "audio_start_ms": ' + "9" * 40 + "}",
        "'audio_start_ms' is out of range",
    ),
    (
        '{"type": "rate_limits.updated", "rate_limits": [{"reset_seconds": NaN}]}',
        "'rate_limits[0].reset_seconds'",
    ),
    ('{"type": "error", "error": "boom"}', "'error'"),
    ("[" * 50_000, "not JSON"),
    ('{"type": "response.created", "response": {"id": "r"}, "x": ' + "9" * 5000 + "}", "not JSON"),
]


@pytest.mark.parametrize(("raw", "reason_part"), MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_input_becomes_a_malformed_event_with_a_reason(
    raw: object, reason_part: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="talkline.events"):
        event = parse_server_event(raw)  # type: ignore[arg-type]
    assert isinstance(event, MalformedEvent)
    assert reason_part in event.reason
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert len(warnings[0].getMessage()) < 800  # payloads are truncated in the log


def test_malformed_known_type_keeps_its_type_and_raw() -> None:
    event = parse({"type": "response.output_text.delta", "delta": {"text": "x"}})
    assert isinstance(event, MalformedEvent)
    assert event.type == "response.output_text.delta"
    assert event.raw["delta"] == {"text": "x"}
    assert event.reason == "field 'delta' must be a string, got object"


def test_huge_payload_is_truncated_on_the_event_and_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = '{"type": "response.output_text.delta", "delta": 1, "pad": "' + "x" * 100_000 + '"}'
    with caplog.at_level(logging.WARNING, logger="talkline.events"):
        event = parse_server_event(text)
    assert isinstance(event, MalformedEvent)
    assert len(event.text) <= 4000
    assert all(len(r.getMessage()) < 800 for r in caplog.records)


def test_unsupported_input_type_is_malformed_not_a_crash() -> None:
    for raw in (None, 12, ["type"], object()):
        event = parse_server_event(raw)  # type: ignore[arg-type]
        assert isinstance(event, MalformedEvent)


def test_error_message_for_the_user_is_one_readable_length() -> None:
    event = parse({"type": "error", "error": {"message": "x" * 5000}})
    assert isinstance(event, ev.ErrorEvent)
    assert len(event.message) == 300 and event.message.endswith("…")
    assert event.error.message == "x" * 5000  # the full text stays for the event log


@pytest.mark.parametrize(
    "usage",
    [
        {"total_tokens": "9"},
        {"input_tokens": 1e300},
        {"input_tokens": -5},
        {"output_tokens": 2.5},
        {"total_tokens": True},
        {"input_token_details": {"audio_tokens": -1}},
    ],
)
def test_usage_that_is_not_a_count_is_ignored_and_said_so(usage: dict) -> None:
    """The response still completes (the transcript does not hang "in progress"), the cost
    never goes negative, and the event log says which counts were not believed."""
    raw = {"type": "response.done", "response": {"id": "r", "status": "completed", "usage": usage}}
    event = parse_server_event(json.dumps(raw))
    assert isinstance(event, ev.ResponseDone)
    assert event.response.status == "completed"
    assert event.response.usage == Usage()
    notes = event.raw["talkline_ignored"]
    assert len(notes) == 1 and "not a non-negative integer" in notes[0]
