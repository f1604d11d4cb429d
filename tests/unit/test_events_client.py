"""Client event builders produce the exact wire JSON; the event log never sees a secret."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.core.events import client
from desktop.core.events.client import REDACTED, ClientEvent, redacted


def wire(event: ClientEvent) -> dict[str, Any]:
    """What goes on the data channel, minus the random id (checked separately)."""
    data = json.loads(event.to_json())
    assert re.fullmatch(r"evt_[0-9a-f]{20}", data.pop("event_id"))
    return data


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            client.session_update({"type": "realtime", "instructions": "Be brief."}),
            {
                "type": "session.update",
                "session": {"type": "realtime", "instructions": "Be brief."},
            },
        ),
        (
            client.conversation_item_create_text("What's the weather?"),
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "What's the weather?"}],
                },
            },
        ),
        (
            client.conversation_item_create_text("Say this.", role="assistant"),
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "Say this."}],
                },
            },
        ),
        (
            client.conversation_item_create_text("Rules.", role="system", previous_item_id="root"),
            {
                "type": "conversation.item.create",
                "previous_item_id": "root",
                "item": {
                    "type": "message",
                    "role": "system",
                    "content": [{"type": "input_text", "text": "Rules."}],
                },
            },
        ),
        (
            client.function_call_output("call_9", '{"temp": 20}'),
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": "call_9",
                    "output": '{"temp": 20}',
                },
            },
        ),
        (client.response_create(), {"type": "response.create"}),
        (
            client.response_create({"output_modalities": ["text"]}),
            {"type": "response.create", "response": {"output_modalities": ["text"]}},
        ),
        (client.response_cancel(), {"type": "response.cancel"}),
        (
            client.response_cancel("resp_1"),
            {"type": "response.cancel", "response_id": "resp_1"},
        ),
        (client.input_audio_buffer_commit(), {"type": "input_audio_buffer.commit"}),
        (client.input_audio_buffer_clear(), {"type": "input_audio_buffer.clear"}),
        (client.output_audio_buffer_clear(), {"type": "output_audio_buffer.clear"}),
        (
            client.conversation_item_truncate("item_A1", 0, 1500),
            {
                "type": "conversation.item.truncate",
                "item_id": "item_A1",
                "content_index": 0,
                "audio_end_ms": 1500,
            },
        ),
        (
            client.conversation_item_delete("item_A1"),
            {"type": "conversation.item.delete", "item_id": "item_A1"},
        ),
        (
            client.conversation_item_retrieve("item_A1"),
            {"type": "conversation.item.retrieve", "item_id": "item_A1"},
        ),
    ],
    ids=lambda v: v.type if isinstance(v, ClientEvent) else "",
)
def test_builders_produce_the_wire_json(event: ClientEvent, expected: dict[str, Any]) -> None:
    assert wire(event) == expected
    assert event.to_dict() == {"event_id": event.event_id, **expected}


def test_event_ids_are_unique() -> None:
    ids = {client.response_create().event_id for _ in range(2000)}
    assert len(ids) == 2000


def test_non_ascii_text_is_sent_as_text() -> None:
    event = client.conversation_item_create_text("Grüß dich, 世界")
    assert "Grüß dich, 世界" in event.to_json()


def test_caller_mutations_do_not_change_a_built_event() -> None:
    session: dict[str, Any] = {"instructions": "one"}
    event = client.session_update(session)
    session["instructions"] = "two"
    event.to_dict()["session"]["instructions"] = "three"
    assert event.to_dict()["session"] == {"instructions": "one"}


def test_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="role"):
        client.conversation_item_create_text("hi", role="tool")  # type: ignore[arg-type]


def test_payload_cannot_override_type_or_event_id() -> None:
    with pytest.raises(ValueError):
        ClientEvent("response.create", {"type": "session.update"})


# --- redaction ---------------------------------------------------------------------------

SECRET = "sEcReT-0123456789"


def test_redacted_blanks_secret_keys_and_keeps_the_rest() -> None:
    data = {
        "headers": {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/sdp"},
        "api_key": SECRET,
        "X-Api-Key": SECRET,
        "openaiApiKey": SECRET,
        "client_secret": {"value": SECRET, "expires_at": 1756400000},
        "ice_servers": [{"urls": ["turn:relay"], "username": "u1", "credential": SECRET}],
        "access_token": SECRET,
        "password": SECRET,
        "nothing": None,
        "usage": {"total_tokens": 12, "input_token_details": {"cached_tokens": 3}},
        "max_output_tokens": 4096,
        "transcript": "Basic questions are welcome, Bearer of good news.",
    }
    out = redacted(data)
    assert SECRET not in json.dumps(out)
    assert out["headers"] == {"Authorization": REDACTED, "Content-Type": "application/sdp"}
    assert out["client_secret"] == {"value": REDACTED, "expires_at": 1756400000}
    assert out["ice_servers"][0]["username"] == "u1"
    assert out["usage"] == data["usage"]  # token counts are not secrets
    assert out["max_output_tokens"] == 4096
    assert out["transcript"] == data["transcript"]  # prose mentioning "Bearer" stays
    assert out["nothing"] is None
    assert data["api_key"] == SECRET  # the input is not modified


@pytest.mark.parametrize(
    "value",
    [
        "Bearer ek_abc123",
        "Basic a2V5OnNlY3JldA==",
        "sk-proj-abcdefghijkl",
        "ek_68af2b3c4d5e",
        "rtav_sk_1234567890",
    ],
)
def test_key_shaped_values_are_blanked_under_any_name(value: str) -> None:
    assert redacted({"header": value, "list": [value]}) == {"header": REDACTED, "list": [REDACTED]}


def test_openai_client_secret_answer_is_redacted() -> None:
    answer = {
        "value": "ek_68af2b3c4d5e6f7a8b9c",
        "expires_at": 1756400000,
        "session": {"type": "realtime", "model": "gpt-realtime"},
    }
    out = redacted(answer)
    assert out["value"] == REDACTED
    assert out["session"] == answer["session"]


SECRET_KEYS = [
    "authorization",
    "Authorization",
    "api_key",
    "api-key",
    "apiKey",
    "token",
    "access_token",
    "client_secret",
    "password",
    "secret",
    "credential",
    "key",
]


@st.composite
def documents_hiding_a_secret(draw: st.DrawFn) -> dict[str, Any]:
    """A nested document with the secret under a secret-looking key somewhere inside."""
    leaf: Any = SECRET
    if draw(st.booleans()):  # sometimes wrapped: {"value": SECRET} or [SECRET]
        leaf = draw(st.sampled_from([{"value": SECRET}, [SECRET], {"inner": [SECRET]}]))
    node: Any = {draw(st.sampled_from(SECRET_KEYS)): leaf}
    for wrapper in draw(st.lists(st.sampled_from(["dict", "list"]), max_size=6)):
        noise = draw(
            st.dictionaries(st.text(max_size=6), st.integers() | st.text(max_size=6), max_size=3)
        )
        if wrapper == "dict":
            node = {**noise, draw(st.sampled_from(["session", "item", "headers", "x"])): node}
        else:
            node = [noise, node]
    return node if isinstance(node, dict) else {"payload": node}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents_hiding_a_secret())
def test_redacted_never_leaks_a_secret(document: dict[str, Any]) -> None:
    assert SECRET not in json.dumps(redacted(document))


def test_redacted_survives_absurd_nesting() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    node["password"] = SECRET
    assert SECRET not in repr(redacted(deep))
