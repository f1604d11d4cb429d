"""Where each provider lists its voices, models, faces and motions, and how to test a key.

Data, not code: a provider's entry says which requests to make and where the list sits in
the answer (wire facts: ../shared/PROVIDERS.md). A provider without an entry has only the
static lists of its profile, and its key is tested by minting a client secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ListKind = Literal["voices", "models", "faces", "motions"]
LIST_KINDS: tuple[ListKind, ...] = ("voices", "models", "faces", "motions")

# OpenAI-style: minting a short-lived client secret proves the key and costs nothing.
MINT_PATH = "/v1/realtime/client_secrets"


@dataclass(frozen=True)
class ListSource:
    kind: ListKind
    path: str
    # Where the list sits in the answer, tried in order; a top-level list needs none.
    containers: tuple[str, ...] = ()
    # Keep only ids containing this (OpenAI's /v1/models lists every model it has).
    contains: str = ""


@dataclass(frozen=True)
class KeyCheckRequest:
    """One cheap authenticated request; any 2xx answer means the key works."""

    method: str = "POST"
    path: str = MINT_PATH
    body: dict[str, Any] | None = field(
        default_factory=lambda: {
            "session": {"type": "realtime"},
            # The shortest life OpenAI accepts: this secret is never used.
            "expires_after": {"anchor": "created_at", "seconds": 10},
        }
    )


@dataclass(frozen=True)
class ProviderCatalog:
    lists: tuple[ListSource, ...] = ()
    key_check: KeyCheckRequest = field(default_factory=KeyCheckRequest)
    # Static fallbacks for lists the profile does not carry.
    faces: tuple[str, ...] = ()
    motions: tuple[str, ...] = ()


_OPENAI_MODELS = ListSource("models", "/v1/models", ("data",), contains="realtime")

CATALOGS: dict[str, ProviderCatalog] = {
    "openai": ProviderCatalog(lists=(_OPENAI_MODELS,)),
    "compatible": ProviderCatalog(lists=(_OPENAI_MODELS,)),
    "inworld": ProviderCatalog(
        lists=(ListSource("voices", "/tts/v1/voices?filter=language=en", ("voices",)),),
        # The voice list needs the key in the same scheme as the call does.
        key_check=KeyCheckRequest(method="GET", path="/tts/v1/voices?filter=language=en",
                                  body=None),
    ),
    "rtav": ProviderCatalog(
        lists=(
            ListSource("faces", "/v1/faces", ("faces", "data", "items")),
            ListSource("voices", "/v1/voices", ("voices", "data", "items")),
            ListSource("motions", "/v1/driving", ("driving", "motions", "data", "items")),
        ),
        key_check=KeyCheckRequest(body={"session": {"type": "realtime"}}),
        faces=("face1", "face2"),
        motions=("idle", "Wink"),
    ),
}


def catalog_for(provider_id: str) -> ProviderCatalog:
    return CATALOGS.get(provider_id, ProviderCatalog())
