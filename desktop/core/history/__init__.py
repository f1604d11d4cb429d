"""Conversation history: every conversation saved as it happens in one SQLite file (WAL,
full-text search), listed, searched, renamed, deleted, resumed. Qt-free.

The bridge from a live ``Conversation`` is in ``desktop.core.history.recorder`` (not
imported here: the settings import this package before the window paints)."""

from desktop.core.history.location import data_folder, default_path
from desktop.core.history.records import (
    ConversationRecord,
    ConversationSummary,
    Retention,
    SavedCall,
    SavedTurn,
    SearchHit,
)
from desktop.core.history.store import HistoryError, HistoryStore

__all__ = [
    "ConversationRecord",
    "ConversationSummary",
    "HistoryError",
    "HistoryStore",
    "Retention",
    "SavedCall",
    "SavedTurn",
    "SearchHit",
    "data_folder",
    "default_path",
]
