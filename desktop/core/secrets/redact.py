"""The one place secrets are scrubbed from what Talkline shows, logs or writes.

Every output path uses it: the event log and ``--json`` events (``redact_data``), notices,
failure details and terminal lines (``scrub``), log records (``RedactingFilter``), crash
reports, history and exports. Two ways a secret is found:

- by pattern: ``Bearer``/``Basic`` credentials, OpenAI (``sk-``, ``ek_``) and rtAV
  (``rtav_``) keys anywhere in prose, Inworld's base64 ``id:secret`` keys, and any value
  under a field named like a secret (``api_key``, ``client_secret``, ``ephemeral_key``);
- by value: the keys the app holds (the KeyStore and the signaling register them with
  ``remember_secret``), whatever their shape and wherever they appear.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from typing import Any

REDACTED = "[redacted]"
_MAX_DEPTH = 64
_MIN_SECRET = 8  # shorter values would blank ordinary words

_PATTERN = re.compile(
    # A credential, not prose ("Basic questions"): 12+ characters, one a digit or symbol.
    r"(?P<scheme>\b(?:Bearer|Basic)\s+)(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{12,}"
    r"|\b(?:sk-|ek_|rtav_)[A-Za-z0-9_-]{8,}"
    r"|(?<![A-Za-z0-9+/=_-])(?P<b64>[A-Za-z0-9+/]{24,}={0,2})(?![A-Za-z0-9+/=_-])",
    re.IGNORECASE,
)
# A whole value that is one credential ("Bearer x", "sk-…"), however short: blanked.
_WHOLE_VALUE = re.compile(r"^\s*(?:(?:Bearer|Basic)\s+\S+|(?:sk-|ek_|rtav_)\S{4,})\s*$", re.I)
_B64_MAX = 512  # Inworld keys are far shorter; audio and image deltas are far longer
_PRINTABLE_ASCII = re.compile(rb"^[\x21-\x7e]+$")

_lock = threading.Lock()
_MAX_KNOWN = 256  # a long session mints a key per call; the oldest have long expired
_known: dict[str, None] = {}  # insertion-ordered set
_known_re: re.Pattern[str] | None = None


def remember_secret(value: str | None) -> None:
    """Scrub this value from every output from now on (an API key or a minted secret)."""
    global _known_re
    if not value:
        return
    value = value.strip()
    if len(value) < _MIN_SECRET or value in _known:
        return
    with _lock:
        _known[value] = None
        while len(_known) > _MAX_KNOWN:
            del _known[next(iter(_known))]
        # Longest first, so a key that contains another is blanked whole.
        ordered = sorted(_known, key=len, reverse=True)
        _known_re = re.compile("|".join(re.escape(v) for v in ordered))


def forget_secrets() -> None:
    """Tests only: start with no remembered values."""
    global _known_re
    with _lock:
        _known.clear()
        _known_re = None


def _is_inworld_key(token: str) -> bool:
    """Base64 of ``key-id:key-secret``: decodes to printable ASCII with one colon."""
    if len(token) > _B64_MAX or len(token) % 4:
        return False
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return False
    return raw.count(b":") == 1 and bool(_PRINTABLE_ASCII.match(raw))


def _pattern_sub(match: re.Match[str]) -> str:
    token = match.group("b64")
    if token is not None:
        return REDACTED if _is_inworld_key(token) else token
    return (match.group("scheme") or "") + REDACTED


def scrub(text: str) -> str:
    """``text`` with every secret it contains replaced by ``[redacted]``."""
    if not text:
        return text
    known = _known_re
    if known is not None:
        text = known.sub(REDACTED, text)
    return _PATTERN.sub(_pattern_sub, text)


# --- structured data (events, exports) ---------------------------------------------------

# A field is secret when its last word (split on _ - . space and camelCase) is one of these
# ("access_token", "client_secret"), when any word is unambiguous ("password_hash"), or when
# it names a key ("api_key", "ephemeral_key"). Whole words, so counts like "total_tokens"
# and "input_token_details" stay visible.
_SECRET_LAST_WORDS = frozenset(
    {"authorization", "token", "password", "passwd", "secret", "credential", "credentials"}
)
_SECRET_ANY_WORDS = frozenset({"authorization", "password", "passwd", "secret"})
_KEY_QUALIFIERS = frozenset({"api", "private", "access", "auth", "session", "ephemeral", "client"})


def _words(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return [w for w in re.split(r"[_\-.\s]+", spaced.lower()) if w]


def is_secret_key(key: object) -> bool:
    """Whether a field of this name holds a secret."""
    if not isinstance(key, str):
        return False
    words = _words(key)
    if not words:
        return False
    return (
        words[-1] in _SECRET_LAST_WORDS
        or bool(_SECRET_ANY_WORDS.intersection(words))
        or words[-1] in ("apikey", "ephemeralkey")
        or (words[-1] == "key" and (len(words) == 1 or words[-2] in _KEY_QUALIFIERS))
    )


def redact_data(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` safe to show or write: values of secret-named fields blanked
    (strings only inside a secret object, so ``expires_at`` stays readable), secrets in any
    other string scrubbed. Nesting deeper than 64 levels is cut off."""
    result = _redact(data, 0, in_secret=False)
    return result if isinstance(result, dict) else {}


def _redact(value: Any, depth: int, *, in_secret: bool) -> Any:  # noqa: ANN401 - JSON
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
    if isinstance(value, str):
        return REDACTED if in_secret or _WHOLE_VALUE.match(value) else scrub(value)
    return value


# --- logging -----------------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """Scrubs every record (message, arguments, traceback) before a handler writes it.
    Attach it to handlers: a logger's own filters do not see records from its children."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep logging's own error path
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Add one RedactingFilter to every handler of ``logger`` (the root by default)."""
    target = logger or logging.getLogger()
    redactor = RedactingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(redactor)
    return redactor
