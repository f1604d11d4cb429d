"""Identifiers in the shapes OpenAI uses (``event_...``, ``item_...``, ``rtc_...``)."""

from __future__ import annotations

import secrets


def new_id(prefix: str, nbytes: int = 11) -> str:
    """A random id such as ``item_3f9c...``; 88 random bits make collisions irrelevant."""
    return f"{prefix}_{secrets.token_hex(nbytes)}"
