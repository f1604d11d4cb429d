"""Voices, models, faces and motions: from the provider's list API, else the built-in lists."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from desktop.core.call.errors import CallError
from desktop.core.catalog.provider_http import ProviderHttp
from desktop.core.catalog.sources import LIST_KINDS, ListKind, ListSource, catalog_for
from desktop.core.profiles.profile import ProviderProfile

log = logging.getLogger("talkline.catalog")

Source = Literal["provider", "static"]
_VALUE_KEYS = ("voiceId", "voice_id", "id", "name", "slug")
_LABEL_KEYS = ("displayName", "display_name", "name", "label", "title")


@dataclass(frozen=True)
class Choice:
    value: str  # what the session carries
    label: str  # what the person reads
    description: str = ""


@dataclass(frozen=True)
class Catalog:
    voices: tuple[Choice, ...] = ()
    models: tuple[Choice, ...] = ()
    faces: tuple[Choice, ...] = ()
    motions: tuple[Choice, ...] = ()
    source: Source = "static"
    note: str = ""
    # Which lists came from the provider (the others are the built-in ones).
    fetched: frozenset[str] = field(default_factory=frozenset)

    def choices(self, kind: ListKind) -> tuple[Choice, ...]:
        chosen: tuple[Choice, ...] = getattr(self, kind)
        return chosen


class _NotAList(Exception):
    """The answer parsed, but held no list of names where the source says it would."""


def static_catalog(profile: ProviderProfile, note: str = "") -> Catalog:
    extra = catalog_for(profile.id)
    return Catalog(
        voices=_plain(profile.voices),
        models=_plain(profile.models),
        faces=_plain(extra.faces),
        motions=_plain(extra.motions),
        source="static",
        note=note,
    )


# The timeout is aiohttp's per-request limit, not a deadline for this coroutine.
async def fetch_lists(
    profile: ProviderProfile, key: str | None, *, timeout: float = 10  # noqa: ASYNC109
) -> Catalog:
    """The provider's own lists where it has a list API; the built-in ones otherwise.

    Never raises (cancellation aside): every failure becomes the static list plus a note.
    """
    sources = catalog_for(profile.id).lists
    if not sources:
        return static_catalog(profile, f"Built-in lists ({profile.name} has no list API).")
    key = (key or "").strip()
    if not key:
        return static_catalog(
            profile, f"Built-in lists: save a key to load {profile.name}'s own."
        )
    try:
        async with aiohttp.ClientSession() as http:
            client = ProviderHttp(profile, key, http, timeout)
            results = await asyncio.gather(*(_fetch_one(client, s) for s in sources))
    except Exception as exc:  # a bug here must read as "built-in lists", not a crash
        log.warning("list fetch for %s broke: %s", profile.id, exc.__class__.__name__)
        return static_catalog(
            profile, f"Could not load the lists from {profile.name}; showing the built-in ones."
        )
    return _merge(profile, sources, results)


async def _fetch_one(client: ProviderHttp, source: ListSource) -> tuple[Choice, ...] | str:
    """The list, or a sentence saying why there is none."""
    try:
        text = await client.send("GET", source.path)
        return _parse(text, source)
    except CallError as exc:
        return exc.message
    except _NotAList as exc:
        return str(exc)


def _merge(
    profile: ProviderProfile,
    sources: tuple[ListSource, ...],
    results: list[tuple[Choice, ...] | str],
) -> Catalog:
    static = static_catalog(profile)
    lists: dict[str, tuple[Choice, ...]] = {k: static.choices(k) for k in LIST_KINDS}
    fetched: set[str] = set()
    failures: list[tuple[str, str]] = []
    for source, result in zip(sources, results, strict=True):
        if isinstance(result, str):
            failures.append((source.kind, result))
            continue
        lists[source.kind] = _ordered(result, static.choices(source.kind))
        fetched.add(source.kind)
    if not fetched:
        reason = failures[0][1]
        note = f"Could not load the lists from {profile.name}: {reason} Showing the built-in ones."
        return static_catalog(profile, note)
    note = f"Loaded {', '.join(sorted(fetched))} from {profile.name}."
    if failures:
        kinds = ", ".join(k for k, _ in failures)
        note += f" Could not load {kinds} ({failures[0][1]}): showing the built-in list."
    log.info("lists for %s: %s", profile.id, note)
    return Catalog(
        voices=lists["voices"],
        models=lists["models"],
        faces=lists["faces"],
        motions=lists["motions"],
        source="provider",
        note=note,
        fetched=frozenset(fetched),
    )


def _parse(text: str, source: ListSource) -> tuple[Choice, ...]:
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise _NotAList(f"The {source.kind} list was not JSON.") from None
    items = data
    if isinstance(data, dict):
        items = next(
            (data[c] for c in source.containers if isinstance(data.get(c), list)), None
        )
    if not isinstance(items, list):
        raise _NotAList(f"The answer held no {source.kind} list.")
    choices: list[Choice] = []
    seen: set[str] = set()
    for item in items:
        choice = _choice(item)
        if choice is None or choice.value in seen:
            continue
        if source.contains and source.contains not in choice.value:
            continue
        seen.add(choice.value)
        choices.append(choice)
    if not choices:
        raise _NotAList(f"The {source.kind} list was empty.")
    return tuple(choices)


def _choice(item: object) -> Choice | None:
    if isinstance(item, str) and item.strip():
        return Choice(item.strip(), item.strip())
    if not isinstance(item, dict):
        return None
    value = next((item[k] for k in _VALUE_KEYS if isinstance(item.get(k), str) and item[k]), None)
    if value is None:
        return None
    label = next((item[k] for k in _LABEL_KEYS if isinstance(item.get(k), str) and item[k]), value)
    description = item.get("description")
    return Choice(
        value=value,
        label=label if label == value else f"{label} ({value})",
        description=description if isinstance(description, str) else "",
    )


def _ordered(fetched: tuple[Choice, ...], known: tuple[Choice, ...]) -> tuple[Choice, ...]:
    """The built-in (recommended) choices first in their order, then the rest by name."""
    rank = {c.value: i for i, c in enumerate(known)}
    return tuple(sorted(fetched, key=lambda c: (rank.get(c.value, len(rank)), c.value.lower())))


def _plain(values: tuple[str, ...]) -> tuple[Choice, ...]:
    return tuple(Choice(v, v) for v in values)
