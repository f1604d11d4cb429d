"""Server events, parsed once at the edge into typed frozen dataclasses.

``parse_server_event`` accepts whatever arrived on the data channel and never raises:
a known type becomes its class, an unknown type an ``UnknownEvent`` (kept raw, logged once
at debug), anything broken a ``MalformedEvent`` with a reason naming what was wrong (logged
at warning). Field names are the wire names; see ``decoding`` for the typing rules.

Each class is registered for its wire type(s) by ``@event(...)``; older preview names
(``response.text.delta``, ``conversation.item.created``...) map to the same class, and the
instance's ``type`` keeps the name that actually arrived.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from desktop.core.events.decoding import FieldError, decode, kind_of
from desktop.core.events.payloads import (
    ContentPart,
    ErrorDetail,
    Item,
    RateLimit,
    Response,
)
from desktop.core.secrets.redact import scrub
from desktop.core.text import one_line

log = logging.getLogger("talkline.events")

LOG_PAYLOAD_CHARS = 500
"""At most this much of a payload reaches the log."""
MALFORMED_TEXT_CHARS = 4000
"""At most this much of a malformed payload is kept on the event (for the event log view)."""
_MAX_REMEMBERED_UNKNOWN = 256
_MAX_USER_MESSAGE = 300  # a server's error text is shown in the window; keep it a sentence

E = TypeVar("E", bound="ServerEvent")

EVENT_TYPES: dict[str, type[ServerEvent]] = {}
"""Wire type → class. Filled by ``@event``."""


@dataclass(frozen=True, kw_only=True)
class ServerEvent:
    """Base of every server event. ``raw`` is the JSON object as received."""

    WIRE_TYPES: ClassVar[tuple[str, ...]] = ()

    type: str
    event_id: str | None = None
    raw: dict[str, Any] = field(
        default_factory=dict, repr=False, compare=False, metadata={"wire": False}
    )


def event(*wire_types: str) -> Callable[[type[E]], type[E]]:
    """Make ``cls`` a frozen event dataclass registered for ``wire_types``.

    The first wire type becomes the default of ``type``, so tests and the local server can
    write ``ResponseDone(response=...)``.
    """

    def register(cls: type[E]) -> type[E]:
        # Only this class's own annotations: reading cls.__annotations__ would find a parent's.
        own = cls.__dict__.get("__annotations__", {})
        cls.__annotations__ = {"type": "str", **own}
        cls.type = wire_types[0]
        cls.WIRE_TYPES = wire_types
        cls = dataclass(frozen=True, kw_only=True)(cls)
        for wire_type in wire_types:
            assert wire_type not in EVENT_TYPES, f"{wire_type} registered twice"
            EVENT_TYPES[wire_type] = cls
        return cls

    return register


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(ServerEvent):
    """A well-formed event of a type this client does not know; ignored, kept raw."""


@dataclass(frozen=True, kw_only=True)
class MalformedEvent(ServerEvent):
    """Input that could not be understood: not JSON, not an object, no string ``type``,
    or a known type with a field of the wrong type. ``type`` is the wire type if there was
    one, else ``""``; ``text`` is (the start of) what arrived."""

    type: str = ""
    reason: str
    text: str = ""


# --- session and errors ------------------------------------------------------------------


@event("session.created")
class SessionCreated(ServerEvent):
    session: dict[str, Any] = field(default_factory=dict)


@event("session.updated")
class SessionUpdated(ServerEvent):
    session: dict[str, Any] = field(default_factory=dict)


@event("error")
class ErrorEvent(ServerEvent):
    error: ErrorDetail = ErrorDetail()

    @property
    def message(self) -> str:
        """A sentence to show the user."""
        text = scrub(one_line(self.error.message, _MAX_USER_MESSAGE))
        if text:
            return text
        if self.error.code is not None:
            return f"The server reported an error ({one_line(self.error.code, 60)})."
        return "The server reported an error."


# --- conversation items ------------------------------------------------------------------


@event("conversation.item.added", "conversation.item.created")
class ConversationItemAdded(ServerEvent):
    previous_item_id: str | None = None
    item: Item


@event("conversation.item.done")
class ConversationItemDone(ServerEvent):
    previous_item_id: str | None = None
    item: Item


@event("conversation.item.retrieved")
class ConversationItemRetrieved(ServerEvent):
    item: Item


@event("conversation.item.truncated")
class ConversationItemTruncated(ServerEvent):
    item_id: str
    content_index: int = 0
    audio_end_ms: int = 0


@event("conversation.item.deleted")
class ConversationItemDeleted(ServerEvent):
    item_id: str


@dataclass(frozen=True, kw_only=True)
class _TranscriptionEvent(ServerEvent):
    """About the transcription of the user's audio item ``item_id``."""

    item_id: str
    content_index: int = 0


@event("conversation.item.input_audio_transcription.delta")
class InputAudioTranscriptionDelta(_TranscriptionEvent):
    delta: str = ""


@event("conversation.item.input_audio_transcription.completed")
class InputAudioTranscriptionCompleted(_TranscriptionEvent):
    transcript: str = ""
    usage: dict[str, Any] | None = None  # transcription billing, not a response's Usage


@event("conversation.item.input_audio_transcription.failed")
class InputAudioTranscriptionFailed(_TranscriptionEvent):
    error: ErrorDetail = ErrorDetail()


@event("conversation.item.input_audio_transcription.segment")
class InputAudioTranscriptionSegment(_TranscriptionEvent):
    id: str | None = None
    text: str = ""
    speaker: str | None = None
    start: float = 0.0
    end: float = 0.0


# --- input audio buffer (the microphone side, server VAD) --------------------------------


@event("input_audio_buffer.speech_started")
class InputAudioBufferSpeechStarted(ServerEvent):
    audio_start_ms: int = 0
    item_id: str | None = None


@event("input_audio_buffer.speech_stopped")
class InputAudioBufferSpeechStopped(ServerEvent):
    audio_end_ms: int = 0
    item_id: str | None = None


@event("input_audio_buffer.committed")
class InputAudioBufferCommitted(ServerEvent):
    item_id: str | None = None
    previous_item_id: str | None = None


@event("input_audio_buffer.cleared")
class InputAudioBufferCleared(ServerEvent):
    pass


@event("input_audio_buffer.timeout_triggered")
class InputAudioBufferTimeoutTriggered(ServerEvent):
    audio_start_ms: int = 0
    audio_end_ms: int = 0
    item_id: str | None = None


# --- output audio buffer (WebRTC: the server plays the model's voice) ---------------------


@event("output_audio_buffer.started")
class OutputAudioBufferStarted(ServerEvent):
    response_id: str | None = None


@event("output_audio_buffer.stopped")
class OutputAudioBufferStopped(ServerEvent):
    response_id: str | None = None


@event("output_audio_buffer.cleared")
class OutputAudioBufferCleared(ServerEvent):
    response_id: str | None = None


# --- responses ---------------------------------------------------------------------------


@event("response.created")
class ResponseCreated(ServerEvent):
    response: Response


@event("response.done")
class ResponseDone(ServerEvent):
    response: Response


@event("response.output_item.added")
class OutputItemAdded(ServerEvent):
    response_id: str | None = None
    output_index: int = 0
    item: Item


@event("response.output_item.done")
class OutputItemDone(ServerEvent):
    response_id: str | None = None
    output_index: int = 0
    item: Item


@dataclass(frozen=True, kw_only=True)
class _ContentEvent(ServerEvent):
    """About content part ``content_index`` of output item ``item_id``.

    ``item_id`` is optional: loose compatible servers omit it, and the conversation then
    falls back to the response's current assistant turn.
    """

    response_id: str | None = None
    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0


@event("response.content_part.added")
class ContentPartAdded(_ContentEvent):
    part: ContentPart = ContentPart()


@event("response.content_part.done")
class ContentPartDone(_ContentEvent):
    part: ContentPart = ContentPart()


@event("response.output_text.delta", "response.text.delta")
class OutputTextDelta(_ContentEvent):
    delta: str = ""


@event("response.output_text.done", "response.text.done")
class OutputTextDone(_ContentEvent):
    text: str = ""


@event("response.output_audio_transcript.delta", "response.audio_transcript.delta")
class OutputAudioTranscriptDelta(_ContentEvent):
    delta: str = ""


@event("response.output_audio_transcript.done", "response.audio_transcript.done")
class OutputAudioTranscriptDone(_ContentEvent):
    transcript: str = ""


@event("response.output_audio.delta", "response.audio.delta")
class OutputAudioDelta(_ContentEvent):
    """Base64 audio; WebSocket only (over WebRTC the voice arrives as an RTP track)."""

    delta: str = ""


@event("response.output_audio.done", "response.audio.done")
class OutputAudioDone(_ContentEvent):
    pass


@event("response.function_call_arguments.delta")
class FunctionCallArgumentsDelta(ServerEvent):
    response_id: str | None = None
    item_id: str | None = None
    output_index: int = 0
    call_id: str | None = None
    delta: str = ""


@event("response.function_call_arguments.done")
class FunctionCallArgumentsDone(ServerEvent):
    """The model wants a tool run: ``arguments`` is a JSON string (unparsed, untrusted)."""

    response_id: str | None = None
    item_id: str | None = None
    output_index: int = 0
    call_id: str | None = None
    name: str | None = None
    arguments: str = ""


@event("rate_limits.updated")
class RateLimitsUpdated(ServerEvent):
    rate_limits: tuple[RateLimit, ...] = ()


# --- provider extras ---------------------------------------------------------------------


@event("response.backchannel.audio.delta")
class BackchannelAudioDelta(ServerEvent):
    """Inworld: a short "mm-hm" while the user talks; nothing to show."""

    response_id: str | None = None
    item_id: str | None = None
    delta: str = ""


@event("response.backchannel.audio.done")
class BackchannelAudioDone(ServerEvent):
    response_id: str | None = None
    item_id: str | None = None


@event("response.backchannel.skipped")
class BackchannelSkipped(ServerEvent):
    response_id: str | None = None
    item_id: str | None = None


@event("response.output_image.delta")
class OutputImageDelta(ServerEvent):
    """rtAV: one avatar video frame as a base64 JPEG."""

    response_id: str | None = None
    item_id: str | None = None
    delta: str = ""

    def jpeg(self) -> bytes | None:
        """The decoded frame, or None when ``delta`` is not valid base64 JPEG data."""
        try:
            data = base64.b64decode(self.delta, validate=True)
        except (binascii.Error, ValueError):
            return None
        return data if data.startswith(b"\xff\xd8") else None


# --- parsing -----------------------------------------------------------------------------


def parse_server_event(raw: str | bytes | bytearray | dict[str, Any]) -> ServerEvent:
    """Parse one data-channel message. Never raises."""
    try:
        return _parse(raw)
    except Exception as exc:  # a bug here must not take the call down
        log.warning("server event parser failed (%s): %.500r", type(exc).__name__, preview(raw))
        return MalformedEvent(reason=f"parser error: {type(exc).__name__}", text=preview(raw))


def _parse(raw: object) -> ServerEvent:
    text: str | None = None
    if isinstance(raw, dict):
        obj: object = raw
    else:
        if isinstance(raw, bytes | bytearray | memoryview):
            try:
                text = bytes(raw).decode("utf-8-sig")
            except UnicodeDecodeError:
                return _malformed("not UTF-8 text", raw)
        elif isinstance(raw, str):
            text = raw
        else:
            return _malformed(f"unsupported message of type {type(raw).__name__}", raw)
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:
            return _malformed(f"not JSON ({_short(exc)})", text)

    if not isinstance(obj, dict):
        return _malformed(f"a JSON {kind_of(obj)}, not an event object", text)
    source = raw if text is None else text
    wire_type = obj.get("type")
    if not isinstance(wire_type, str):
        return _malformed(f"field 'type' must be a string, got {kind_of(wire_type)}", source, obj)
    event_id = obj.get("event_id")
    if event_id is not None and not isinstance(event_id, str):
        reason = f"field 'event_id' must be a string, got {kind_of(event_id)}"
        return _malformed(reason, source, obj, wire_type)

    cls = EVENT_TYPES.get(wire_type)
    if cls is None:
        _note_unknown(wire_type)
        return UnknownEvent(type=wire_type, event_id=event_id, raw=obj)
    if cls is ResponseDone:
        obj = _checked_usage(obj)
    try:
        return decode(cls, obj, raw=obj)
    except FieldError as exc:
        return _malformed(exc.reason, source, obj, wire_type)


MAX_TOKENS = 10**9
"""More tokens than this in one response is not a count, it is an attack on the cost line."""
IGNORED_KEY = "talkline_ignored"
"""Added to a ``response.done``'s raw JSON: the usage counts that were not believed."""


def _checked_usage(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with every usage count that is not a non-negative integer (up to
    MAX_TOKENS) removed, and a note under ``talkline_ignored`` for the event log."""
    response = obj.get("response")
    if not isinstance(response, dict):
        return obj
    usage = response.get("usage")
    if not isinstance(usage, dict):
        return obj
    ignored: list[str] = []
    clean = _clean_counts(usage, "usage", ignored, 0)
    if not ignored:
        return obj
    log.warning("response.done: ignored usage counts %s", ", ".join(ignored))
    notes = [f"{what}: not a non-negative integer" for what in ignored[:20]]
    return {**obj, "response": {**response, "usage": clean}, IGNORED_KEY: notes}


def _clean_counts(
    counts: dict[str, Any], path: str, ignored: list[str], depth: int
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in counts.items():
        where = f"{path}.{key}"
        if isinstance(value, dict) and depth < 4:
            clean[key] = _clean_counts(value, where, ignored, depth + 1)
        elif not (isinstance(key, str) and key.endswith("_tokens")) or _is_count(value):
            clean[key] = value
        else:
            ignored.append(f"{where}={_short_value(value)}")
    return clean


def _is_count(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not value.is_integer():
        return False
    return 0 <= value <= MAX_TOKENS


def _short_value(value: object) -> str:
    text = json.dumps(value) if isinstance(value, int | float | bool | None) else kind_of(value)
    return text[:24]


def _malformed(
    reason: str, source: object, obj: dict[str, Any] | None = None, wire_type: str = ""
) -> MalformedEvent:
    text = preview(source, MALFORMED_TEXT_CHARS)
    log.warning(
        "malformed server event %.80r: %s; payload %r",
        wire_type,
        reason,
        text[:LOG_PAYLOAD_CHARS],
    )
    return MalformedEvent(type=wire_type, reason=reason, text=text, raw=obj or {})


_unknown_seen: set[str] = set()


def _note_unknown(wire_type: str) -> None:
    """Debug-log each unknown type once (bounded: a server could invent endless types)."""
    if wire_type in _unknown_seen or len(_unknown_seen) >= _MAX_REMEMBERED_UNKNOWN:
        return
    _unknown_seen.add(wire_type)
    log.debug("ignoring unknown server event type %.100r", wire_type)


def _short(exc: BaseException) -> str:
    return str(exc)[:120] or type(exc).__name__


_repr = reprlib.Repr()
_repr.maxstring = LOG_PAYLOAD_CHARS
_repr.maxother = LOG_PAYLOAD_CHARS


def preview(value: object, limit: int = LOG_PAYLOAD_CHARS) -> str:
    """At most ``limit`` characters of a payload, for logs and the event log. Never raises."""
    try:
        if isinstance(value, str):
            return value[:limit]
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value[: limit * 4]).decode("utf-8", "replace")[:limit]
        try:
            return json.dumps(value, ensure_ascii=False, default=repr)[:limit]
        except (ValueError, TypeError, RecursionError):
            return _repr.repr(value)[:limit]
    except Exception:
        return f"<unprintable {type(value).__name__}>"
