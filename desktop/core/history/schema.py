"""The database's tables, versioned with ``PRAGMA user_version`` and a list of migrations.

``MIGRATIONS[n]`` takes a database at version n to n + 1. A database newer than the last
migration was written by a later Talkline: ``migrate`` raises ``SchemaTooNew`` and the
store moves it aside rather than guess at its meaning.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


class SchemaTooNew(Exception):
    pass


def _run(db: sqlite3.Connection, script: str) -> None:
    """Each statement of ``script`` inside the caller's transaction (``executescript``
    would commit first)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                db.execute(pending)
            pending = ""


def _v1(db: sqlite3.Connection) -> None:
    _run(
        db,
        """
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',        -- '' until the first words or a rename
            renamed INTEGER NOT NULL DEFAULT 0,
            started REAL NOT NULL,
            ended REAL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            voice TEXT NOT NULL,
            resumed_from TEXT
        );
        CREATE INDEX conversations_by_start ON conversations (started DESC);

        CREATE TABLE turns (
            id INTEGER PRIMARY KEY,                -- the full-text index's rowid
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            item_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            role TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            status TEXT NOT NULL,
            started REAL NOT NULL,
            finished REAL NOT NULL,
            UNIQUE (conversation_id, item_id)
        );
        CREATE INDEX turns_in_order ON turns (conversation_id, position);

        CREATE TABLE calls (
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            call_id TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            started REAL NOT NULL,
            ended REAL,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cost REAL,
            connect_ms REAL,
            median_turn_ms REAL,
            PRIMARY KEY (conversation_id, call_id)
        );

        -- External content: the text is stored once, in turns, and triggers keep the index.
        CREATE VIRTUAL TABLE turns_fts USING fts5 (
            text, content='turns', content_rowid='id', detail='none',
            tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER turns_ai AFTER INSERT ON turns BEGIN
            INSERT INTO turns_fts (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER turns_ad AFTER DELETE ON turns BEGIN
            INSERT INTO turns_fts (turns_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER turns_au AFTER UPDATE OF text ON turns BEGIN
            INSERT INTO turns_fts (turns_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO turns_fts (rowid, text) VALUES (new.id, new.text);
        END;
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1]
VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> None:
    """Bring ``db`` to ``VERSION``, each step in its own transaction."""
    version = _version(db)
    while version < VERSION:
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another connection (the window and `talkline` opening a new file at once)
            # may have taken this step while we waited for the lock.
            version = _version(db)
            if version < VERSION:
                MIGRATIONS[version](db)
                version += 1
                db.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            db.rollback()
            raise
        db.commit()
    if version > VERSION:
        raise SchemaTooNew(f"version {version}; this Talkline knows up to {VERSION}")


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])
