"""Client events: what Talkline sends on the data channel, built by typed functions.

Every builder returns a ``ClientEvent`` with a fresh unique ``event_id`` (errors the server
sends back name it in ``error.event_id``, which is how the event log links the two).
Payloads are deep-copied when built, so a caller mutating its dict later cannot change an
event that was already logged.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant", "system"]

# GA content types per role: users and the system write input_text, the assistant output_text.
_TEXT_CONTENT_TYPE: dict[str, str] = {
    "user": "input_text",
    "system": "input_text",
    "assistant": "output_text",
}


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(10)


@dataclass(frozen=True)
class ClientEvent:
    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    event_id: str = field(default_factory=new_event_id)

    def __post_init__(self) -> None:
        clash = {"type", "event_id"} & self.payload.keys()
        if clash:
            raise ValueError(f"payload must not contain {sorted(clash)}")

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "event_id": self.event_id, **copy.deepcopy(self.payload)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _build(event_type: str, **payload: Any) -> ClientEvent:
    return ClientEvent(event_type, copy.deepcopy(payload))


def session_update(session: dict[str, Any]) -> ClientEvent:
    return _build("session.update", session=session)


def conversation_item_create_text(
    text: str,
    role: Role = "user",
    *,
    previous_item_id: str | None = None,
    item_id: str | None = None,
) -> ClientEvent:
    """A text message; role ``assistant`` makes an rtAV avatar say it without the LLM.
    ``item_id`` (at most 32 characters) names the item instead of the server."""
    if role not in _TEXT_CONTENT_TYPE:
        raise ValueError(f"role must be user, assistant or system, not {role!r}")
    item: dict[str, Any] = {
        "type": "message",
        "role": role,
        "content": [{"type": _TEXT_CONTENT_TYPE[role], "text": text}],
    }
    if item_id is not None:
        item = {"id": item_id, **item}
    return _conversation_item_create(item, previous_item_id)


def function_call_output(
    call_id: str, output: str, *, previous_item_id: str | None = None
) -> ClientEvent:
    """The result of a tool the model asked for (``output`` is a string, usually JSON)."""
    item = {"type": "function_call_output", "call_id": call_id, "output": output}
    return _conversation_item_create(item, previous_item_id)


def _conversation_item_create(item: dict[str, Any], previous_item_id: str | None) -> ClientEvent:
    if previous_item_id is None:
        return _build("conversation.item.create", item=item)
    return _build("conversation.item.create", previous_item_id=previous_item_id, item=item)


def response_create(response: dict[str, Any] | None = None) -> ClientEvent:
    if response is None:
        return _build("response.create")
    return _build("response.create", response=response)


def response_cancel(response_id: str | None = None) -> ClientEvent:
    if response_id is None:
        return _build("response.cancel")
    return _build("response.cancel", response_id=response_id)


def input_audio_buffer_commit() -> ClientEvent:
    return _build("input_audio_buffer.commit")


def input_audio_buffer_clear() -> ClientEvent:
    return _build("input_audio_buffer.clear")


def output_audio_buffer_clear() -> ClientEvent:
    return _build("output_audio_buffer.clear")


def conversation_item_truncate(item_id: str, content_index: int, audio_end_ms: int) -> ClientEvent:
    return _build(
        "conversation.item.truncate",
        item_id=item_id,
        content_index=content_index,
        audio_end_ms=audio_end_ms,
    )


def conversation_item_delete(item_id: str) -> ClientEvent:
    return _build("conversation.item.delete", item_id=item_id)


def conversation_item_retrieve(item_id: str) -> ClientEvent:
    return _build("conversation.item.retrieve", item_id=item_id)


# --- redaction for the event log ---------------------------------------------------------

REDACTED = "[redacted]"
_MAX_DEPTH = 64

# A key is secret when its last word (split on _ - . space and camelCase) is one of these
# ("access_token", "client_secret"), when any word is unambiguous ("password_hash"), or when
# it names a key ("api_key"). Whole words, so counts like "total_tokens" and
# "input_token_details" stay visible in the log.
_SECRET_LAST_WORDS = frozenset(
    {"authorization", "token", "password", "passwd", "secret", "credential", "credentials"}
)
_SECRET_ANY_WORDS = frozenset({"authorization", "password", "passwd", "secret"})
# "key" alone, or after one of these words: "api_key", "X-Api-Key", "openaiApiKey".
_KEY_QUALIFIERS = frozenset({"api", "private", "access", "auth", "session"})
# Values that are keys whatever their field is called: bearer/basic headers, OpenAI
# (sk-, ek_), rtAV (rtav_ak_, rtav_sk_) keys. Single tokens only, so prose is left alone.
_SECRET_VALUE = re.compile(r"^\s*(?:(?:Bearer|Basic)\s+\S+|(?:sk-|ek_|rtav_)\S{8,})\s*$", re.I)


def _words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return [w for w in re.split(r"[_\-.\s]+", spaced.lower()) if w]


def is_secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    words = _words(key)
    if not words:
        return False
    return (
        words[-1] in _SECRET_LAST_WORDS
        or bool(_SECRET_ANY_WORDS.intersection(words))
        or words[-1] == "apikey"
        or (words[-1] == "key" and (len(words) == 1 or words[-2] in _KEY_QUALIFIERS))
    )


def redacted(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` safe for the event log: secret-looking values are replaced.

    A secret key's scalar value is blanked. Inside a secret key's object or list (OpenAI's
    ``client_secret: {value, expires_at}``) every string is blanked and numbers are kept,
    so ``expires_at`` stays readable. Values shaped like keys are blanked wherever they
    are. Nesting deeper than 64 levels is cut off.
    """
    result = _redact(data, 0, in_secret=False)
    return result if isinstance(result, dict) else {}


def _redact(value: Any, depth: int, *, in_secret: bool) -> Any:
    if depth > _MAX_DEPTH:
        return "[too deep]"
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if not is_secret_key(key):
                out[key] = _redact(item, depth + 1, in_secret=in_secret)
            elif isinstance(item, dict | list | tuple):
                out[key] = _redact(item, depth + 1, in_secret=True)
            else:
                out[key] = None if item is None else REDACTED
        return out
    if isinstance(value, list | tuple):
        return [_redact(item, depth + 1, in_secret=in_secret) for item in value]
    if isinstance(value, str) and (in_secret or _SECRET_VALUE.match(value)):
        return REDACTED
    return value
