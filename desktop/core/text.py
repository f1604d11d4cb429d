"""Text from outside (servers, files, the model) made safe to show.

Qt labels render it with ``Qt.PlainText``; this module does the rest: a length cap so a
hostile 50 MB message is never kept or drawn, and no control characters, so a terminal
never sees ESC/OSC sequences (colours, window titles, clipboard writes), carriage returns
or backspaces that rewrite what was printed, and no bidi overrides that reorder it.
"""

from __future__ import annotations

import html
import re

ELLIPSIS = "…"

# C0 controls except tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates
# (U+202A–U+202E, U+2066–U+2069), and lone surrogates (not encodable as UTF-8).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_REPLACEMENT = "\ufffd"
# Whole escape sequences go, not just their ESC: CSI ("\x1b[31m"), OSC ("\x1b]0;title\x07",
# unterminated too), and two-character escapes; so no "[31m" residue is left behind.
_ESCAPES = re.compile(
    "\x1b\\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]"
    "|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|\x1b[@-Z\\\\-_]"
)


def _replace(match: re.Match[str]) -> str:
    # A surrogate becomes the replacement character (something was there); controls vanish.
    return _REPLACEMENT if "\ud800" <= match.group() <= "\udfff" else ""


def plain(text: object, limit: int | None = 300) -> str:
    """``text`` as plain characters to show: capped at ``limit`` characters (with an
    ellipsis), control characters and bidi overrides removed, newlines and tabs kept."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if limit is not None and len(text) > limit:
        # Cut before cleaning, so a huge input costs no more than its first `limit` chars.
        text = text[: max(0, limit - 1)]
        return _clean(text) + ELLIPSIS
    return _clean(text)


def _clean(text: str) -> str:
    if "\x1b" in text or "\x9b" in text:
        text = _ESCAPES.sub("", text)
    return _UNSAFE.sub(_replace, text)


def one_line(text: object, limit: int | None = 300) -> str:
    """Like ``plain``, with newlines and tabs turned into spaces (labels, tooltips, logs)."""
    return " ".join(plain(text, limit).split())


def for_terminal(text: object) -> str:
    """Everything printed for people in a terminal: no escapes, always encodable."""
    return plain(text, limit=None)


def encodable(text: str) -> str:
    """``text`` with lone surrogates replaced, so ``encode('utf-8')`` cannot fail."""
    return re.sub("[\ud800-\udfff]", _REPLACEMENT, text)


def as_markup(text: object, limit: int | None = 2000) -> str:
    """Plain ``text`` for a place that only takes markup (a Qt tooltip guesses rich text
    from the first tag): escaped, so ``<b>`` and ``<a href>`` are shown, not obeyed."""
    escaped = html.escape(plain(text, limit), quote=False)
    return f'<p style="white-space:pre-wrap">{escaped}</p>'
