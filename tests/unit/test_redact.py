"""One scrubber for every output: keys by pattern (in prose too) and by value."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator

import pytest

from desktop.core.events.client import redacted
from desktop.core.secrets.redact import (
    REDACTED,
    RedactingFilter,
    forget_secrets,
    redact_data,
    remember_secret,
    scrub,
)

INWORLD = base64.b64encode(b"abcd1234efgh:secretsecretsecret99").decode()


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


@pytest.mark.parametrize(
    "secret",
    [
        "sk-proj-0123456789abcdef",
        "ek_68af0123456789abcdef",
        "rtav_ak_0123456789abcd",
        "rtav_sk_0123456789abcd",
        INWORLD,
    ],
)
def test_keys_inside_prose_are_scrubbed(secret: str) -> None:
    text = f"Invalid key provided: {secret}. Check it."
    assert scrub(text) == f"Invalid key provided: {REDACTED}. Check it."


def test_bearer_and_basic_credentials_are_scrubbed_but_prose_stays() -> None:
    assert scrub("sent Authorization: Bearer ek_abc.def-123456") == (
        f"sent Authorization: Bearer {REDACTED}"
    )
    assert scrub(f"Basic {INWORLD}") == f"Basic {REDACTED}"
    prose = "Basic questions are welcome, Bearer of good news."
    assert scrub(prose) == prose


def test_ordinary_base64_and_ids_stay() -> None:
    audio = base64.b64encode(bytes(range(256)) * 4).decode()
    for text in ("item_0123456789abcdef0123", "resp_ABCDEFGHIJKLMNOPQRSTUV", audio):
        assert scrub(text) == text


def test_the_values_the_app_holds_are_scrubbed_whatever_their_shape() -> None:
    odd_key = "my-very-own-key-42"
    assert scrub(f"echo {odd_key}") == f"echo {odd_key}"
    remember_secret(odd_key)
    assert scrub(f"echo {odd_key}!") == f"echo {REDACTED}!"
    remember_secret("short")  # too short to scrub without blanking words
    assert scrub("a short note") == "a short note"


def test_event_payloads_under_any_field_name() -> None:
    remember_secret("held-key-value-1234")
    event = {
        "type": "error",
        "error": {"message": "bad key ek_0123456789abcdef in request", "code": "x"},
        "ephemeral_key": "anything",
        "client_secret": {"value": "v", "expires_at": 5},
        "note": INWORLD,
        "echo": "you sent held-key-value-1234",
        "usage": {"total_tokens": 7},
    }
    out = redacted(event)
    assert out == redact_data(event)  # the event log and the CLI use the same place
    assert out["error"]["message"] == f"bad key {REDACTED} in request"
    assert out["ephemeral_key"] == REDACTED
    assert out["client_secret"] == {"value": REDACTED, "expires_at": 5}
    assert out["note"] == REDACTED
    assert out["echo"] == f"you sent {REDACTED}"
    assert out["usage"] == {"total_tokens": 7}


def test_the_logging_filter_scrubs_messages_arguments_and_tracebacks() -> None:
    remember_secret("held-key-value-1234")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("talkline.test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("server said %s", "Bearer ek_0123456789abcdef")
        logger.warning("held: held-key-value-1234")
        try:
            raise RuntimeError("boom sk-0123456789abcdefgh")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "ek_0123" not in written and "held-key-value" not in written
    assert "sk-0123" not in written and written.count(REDACTED) >= 3


def test_exports_carry_no_keys_and_always_encode() -> None:
    from desktop.core.conversation.model import Conversation

    remember_secret("held-key-value-1234")
    conversation = Conversation()
    conversation.add_local_user_text("use sk-abcdefghijklmnop1234 or held-key-value-1234 \ud800")
    for text in (conversation.to_markdown(), conversation.to_json()):
        text.encode("utf-8")
        assert "sk-abcdef" not in text and "held-key-value" not in text
        assert text.count(REDACTED) == 2
    loaded = Conversation.from_json(conversation.to_json())
    assert loaded.items[0].text.startswith(f"use {REDACTED} or {REDACTED}")
