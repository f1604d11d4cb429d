"""The objects nested inside server events: items, responses, usage, errors, rate limits.

Field names are the wire names. Every class is built by ``decoding.decode``, so the rules
there (defaults, null, wrong types) apply to these too.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ErrorDetail:
    """The ``error`` object of an ``error`` event or a failed transcription."""

    type: str = ""
    code: str | int | None = None
    message: str = ""
    param: str | None = None
    event_id: str | None = None  # the client event that caused it


@dataclass(frozen=True, kw_only=True)
class ContentPart:
    """One part of a message: ``input_text``, ``input_audio``, ``output_text``,
    ``output_audio`` (GA), ``text`` / ``audio`` (preview and content-part events)."""

    type: str = ""
    text: str | None = None
    transcript: str | None = None
    audio: str | None = None  # base64; never sent over WebRTC, kept for completeness

    @property
    def display_text(self) -> str:
        return self.text or self.transcript or ""


@dataclass(frozen=True, kw_only=True)
class Item:
    """A conversation item: a ``message``, a ``function_call`` or a ``function_call_output``."""

    id: str
    type: str = "message"
    role: str | None = None
    status: str | None = None
    content: tuple[ContentPart, ...] = ()
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    output: str | None = None
    server_label: str | None = None  # mcp_call / mcp_approval_request (remote MCP)

    @property
    def text(self) -> str:
        """The readable text of all content parts (typed text or transcripts).

        An audio+text reply (Inworld) carries the same words twice, as a transcript part
        and a text part: show them once.
        """
        texts: list[str] = []
        for part in self.content:
            text = part.display_text
            if text and text.strip() not in (t.strip() for t in texts):
                texts.append(text)
        return "\n".join(texts)

    @property
    def has_audio(self) -> bool:
        return any("audio" in p.type for p in self.content)


@dataclass(frozen=True, kw_only=True)
class InputTokenDetails:
    text_tokens: int = 0
    audio_tokens: int = 0
    cached_tokens: int = 0
    image_tokens: int = 0


@dataclass(frozen=True, kw_only=True)
class OutputTokenDetails:
    text_tokens: int = 0
    audio_tokens: int = 0


def _add_counts(a: Any, b: Any) -> Any:
    """Field-wise sum of two dataclasses whose fields are ints or such dataclasses."""
    values = {}
    for field in dataclasses.fields(a):
        left, right = getattr(a, field.name), getattr(b, field.name)
        values[field.name] = left + right if isinstance(left, int) else _add_counts(left, right)
    return type(a)(**values)


@dataclass(frozen=True, kw_only=True)
class Usage:
    """Token counts of one response (``response.done``), or a sum of several."""

    total_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    input_token_details: InputTokenDetails = InputTokenDetails()
    output_token_details: OutputTokenDetails = OutputTokenDetails()

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        total: Usage = _add_counts(self, other)
        return total

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class Response:
    """The ``response`` object of ``response.created`` / ``response.done``.

    ``status`` is one of in_progress, completed, cancelled, failed, incomplete;
    ``status_details`` says why (e.g. ``{"type": "cancelled", "reason": "turn_detected"}``).
    """

    id: str
    status: str | None = None
    status_details: dict[str, Any] | None = None
    output: tuple[Item, ...] = ()
    usage: Usage | None = None


@dataclass(frozen=True, kw_only=True)
class RateLimit:
    """One entry of ``rate_limits.updated``."""

    name: str = ""
    limit: int = 0
    remaining: int = 0
    reset_seconds: float = 0.0
