"""The user's history under the user's retention choice: the one place that decides which
policy applies, for the window and the command line alike (they must never disagree)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.history.records import Retention
from desktop.core.history.store import HistoryError, HistoryStore

if TYPE_CHECKING:
    from desktop.core.settings.schema import AppSettings


def chosen_retention(settings: AppSettings | None = None) -> Retention:
    """The policy in ``settings`` (the window's, in memory) or, without them, in the
    settings file the window writes (the command line)."""
    if settings is None:
        from desktop.core.settings.stored import stored_settings

        settings = stored_settings()
    return Retention.parse(settings.history_retention)


def open_history(settings: AppSettings | None = None, *, path: Path | None = None) -> HistoryStore:
    """The history (``path``, default the user's) opened under the chosen policy, with
    what the policy does not keep already deleted: "don't keep" saves nothing and leaves
    nothing, "30 days" leaves nothing older. Never raises: a deletion that failed is a
    sentence in ``store.notice``. A large deletion takes a while: the window calls this
    off the loop."""
    policy = chosen_retention(settings)
    store = HistoryStore.open(path, retention=policy)
    try:
        store.apply_retention(policy)
    except HistoryError as exc:
        store.notice = " ".join(filter(None, (store.notice, str(exc))))
    return store
