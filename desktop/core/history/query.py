"""Text helpers of the history: a safe full-text query from what the user typed, where the
words matched (for highlighting), a snippet around them, and a title from the first words.
"""

from __future__ import annotations

import re
import unicodedata

TITLE_WORDS = 8
TITLE_CHARS = 60
SNIPPET_CHARS = 120
MIN_PREFIX = 3
_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(text: str) -> list[str]:
    """The words of ``text`` (letters and digits), lower-case, in order, each once.
    Operators, quotes and symbols are not words: they never reach FTS5's syntax."""
    seen: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if word not in seen:
            seen.append(word)
    return seen[:16]


def fts_query(terms: list[str], *, prefix: bool = False) -> str:
    """An FTS5 query matching turns that hold every term as a word; with ``prefix``, the
    last term may also begin a longer word (results while a word is still being typed)."""
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    if quoted and prefix:
        quoted[-1] += "*"
    return " ".join(quoted)


def wants_prefix(terms: list[str]) -> bool:
    """A shorter prefix matches so many words that the search gets slow and says little."""
    return bool(terms) and len(terms[-1]) >= MIN_PREFIX


def _fold(text: str) -> str:
    """Case and accents folded, one output character per input character (so offsets
    found in the folded text hold in the original)."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)
        kept = "".join(c for c in base if not unicodedata.combining(c)).casefold()
        out.append(kept[:1] if len(kept) >= 1 else ch)
    return "".join(out)


def match_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """(start, end) of each word in ``text`` that the query for ``terms`` matches: the
    same word, or for the last term (3 letters or more) a word beginning with it."""
    if not terms:
        return []
    folded = _fold(text)
    exact = {_fold(t) for t in terms}
    prefix = _fold(terms[-1]) if len(terms[-1]) >= MIN_PREFIX else None
    spans = []
    for match in _WORD.finditer(folded):
        word = match.group()
        if word in exact:
            spans.append((match.start(), match.end()))
        elif prefix is not None and word.startswith(prefix):
            spans.append((match.start(), match.start() + len(prefix)))
    return spans


def snippet(text: str, terms: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """One line of ``text`` around its first match, and the matches' spans inside it."""
    flat = " ".join(text.split())
    spans = match_spans(flat, terms)
    if len(flat) <= SNIPPET_CHARS:
        return flat, spans
    first = spans[0][0] if spans else 0
    start = max(0, first - SNIPPET_CHARS // 3)
    end = min(len(flat), start + SNIPPET_CHARS)
    start = max(0, end - SNIPPET_CHARS)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    shift = len(prefix) - start
    inside = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return prefix + flat[start:end] + suffix, inside


def title_from(text: str) -> str:
    """The first words of a turn, as a conversation's title."""
    words = text.split()
    title = " ".join(words[:TITLE_WORDS])
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rstrip() + "…"
    elif len(words) > TITLE_WORDS:
        title += "…"
    return title
