"""Client events: what Talkline sends on the data channel, built by typed functions.

Every builder returns a ``ClientEvent`` with a fresh unique ``event_id`` (errors the server
sends back name it in ``error.event_id``, which is how the event log links the two).
Payloads are deep-copied when built, so a caller mutating its dict later cannot change an
event that was already logged.
"""

from __future__ import annotations

import copy
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from desktop.core.secrets import redact as _redact

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

# One place scrubs secrets for every output (desktop.core.secrets.redact); these names stay
# for the callers that import them from here.
REDACTED = _redact.REDACTED
is_secret_key = _redact.is_secret_key


def redacted(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` safe for the event log (see ``redact.redact_data``)."""
    return _redact.redact_data(data)
