"""Conversation history in one SQLite file: saved as it happens, listed, searched, deleted.

Writes go through ``Writer`` (a thread and a queue), so saving a turn never blocks the
asyncio loop; reads use a second connection (WAL lets them run beside the writer) and take
a few milliseconds even on a large history, so they may run on the loop.

A file that cannot be opened as our database (corrupt, not SQLite, written by a newer
Talkline) is renamed aside and a fresh one started; ``notice`` then holds a sentence for
the user. When not even a fresh file can be made, the history lives in memory for this run.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from desktop.core.history import query
from desktop.core.history.location import default_path
from desktop.core.history.records import (
    ConversationRecord,
    ConversationSummary,
    Retention,
    SavedCall,
    SavedTurn,
    SearchHit,
)
from desktop.core.history.schema import SchemaTooNew, migrate
from desktop.core.history.writer import Writer

log = logging.getLogger("talkline.history")

T = TypeVar("T")
RETENTION_DAYS = 30
_SUFFIXES = ("", "-wal", "-shm")
_SUMMARY = """
    SELECT c.id, c.title, c.started, c.ended, c.provider, c.model, c.voice, c.resumed_from,
           (SELECT count(*) FROM turns t WHERE t.conversation_id = c.id),
           (SELECT sum(k.cost) FROM calls k WHERE k.conversation_id = c.id)
    FROM conversations c
"""


class HistoryError(Exception):
    """A sentence for the user: the history could not be read or changed."""


class HistoryStore:
    def __init__(self, path: Path, uri: str, notice: str | None, retention: Retention) -> None:
        self.path = path
        self.notice = notice
        self.retention = retention
        self._uri = uri
        self._read_lock = threading.Lock()
        self._reader = _connect(uri)
        self._reader.execute("PRAGMA query_only = ON")
        self._writer = Writer(lambda: _connect(uri, writer=True))
        self.records_read = 0  # whole conversations read (`get`): a resume reads each once

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(
        cls, path: Path | None = None, *, retention: Retention = Retention.KEEP
    ) -> HistoryStore:
        """The history at ``path`` (default: the app-data folder). Never raises."""
        path = path or default_path()
        notice = None
        try:
            _prepare(path)
            return cls(path, _file_uri(path), None, retention)
        except (sqlite3.Error, SchemaTooNew) as exc:
            reason = _reason(exc)
            log.warning("the history at %s cannot be used (%s)", path, reason)
            try:
                aside = _move_aside(path)
                _prepare(path)
                store = cls(path, _file_uri(path), None, retention)
            except (OSError, sqlite3.Error, SchemaTooNew) as second:
                log.warning("a new history could not be started: %s", second)
                notice = (f"The conversation history could not be opened ({reason}). "
                          "Conversations are kept only until Talkline closes.")
            else:
                store.notice = (f"The conversation history could not be read ({reason}). "
                                f"It was moved to {aside.name} and a new one started.")
                return store
        except OSError as exc:
            log.warning("the history folder cannot be used: %s", exc)
            notice = (f"The conversation history cannot be saved ({exc.strerror or exc}). "
                      "Conversations are kept only until Talkline closes.")
        return cls(path, _memory_uri(), notice, retention)

    def close(self) -> None:
        self._writer.close()
        with self._read_lock:
            self._reader.close()

    def flush(self, timeout: float | None = 30.0) -> None:
        """Wait for every queued write (tests, and before the process exits)."""
        self._writer.flush(timeout)

    @property
    def saving(self) -> bool:
        return self.retention is not Retention.OFF

    # -- writing (queued; returns at once) ----------------------------------------------

    def start_conversation(
        self,
        provider: str,
        model: str,
        voice: str,
        resumed_from: str | None = None,
        *,
        started: float | None = None,
    ) -> str:
        """A new conversation's id. A resumed one starts with the earlier one's title."""
        conversation_id = uuid.uuid4().hex
        if not self.saving:
            return conversation_id
        when = time.time() if started is None else started

        def job(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO conversations (id, title, started, ended, provider, model, voice,"
                " resumed_from) VALUES (?, coalesce((SELECT title FROM conversations"
                " WHERE id = ?), ''), ?, ?, ?, ?, ?, ?)",
                (conversation_id, resumed_from, when, when, provider, model, voice,
                 resumed_from),
            )

        self._writer.submit(job)
        return conversation_id

    def save_turn(self, conversation_id: str, turn: SavedTurn) -> None:
        """Insert the turn, or replace the one with its ``item_id``."""
        if not self.saving:
            return
        title = query.title_from(turn.text) if turn.role == "user" else ""

        def job(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO turns (conversation_id, item_id, position, role, kind, text,"
                " status, started, finished) VALUES (:cid, :item, coalesce(:order,"
                " (SELECT coalesce(max(position), -1) + 1 FROM turns WHERE conversation_id ="
                " :cid)), :role, :kind, :text, :status, :started, :finished)"
                " ON CONFLICT (conversation_id, item_id) DO UPDATE SET"
                " position = coalesce(:order, position), role = :role, kind = :kind,"
                " text = :text, status = :status, finished = :finished",
                {"cid": conversation_id, "item": turn.item_id, "order": turn.order,
                 "role": turn.role, "kind": turn.kind, "text": turn.text,
                 "status": turn.status, "started": turn.started, "finished": turn.finished},
            )
            db.execute(
                "UPDATE conversations SET ended = max(coalesce(ended, 0), ?),"
                " title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
                (turn.finished, title, conversation_id),
            )

        self._writer.submit(job)

    def save_call(self, conversation_id: str, call: SavedCall) -> None:
        """Insert the call, or replace the one with its ``call_id``."""
        if not self.saving:
            return

        def job(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO calls (conversation_id, call_id, provider, model,"
                " started, ended, input_tokens, output_tokens, cost, connect_ms,"
                " median_turn_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, call.call_id, call.provider, call.model, call.started,
                 call.ended, call.input_tokens, call.output_tokens, call.cost,
                 call.connect_ms, call.median_turn_ms),
            )
            if call.ended is not None:
                db.execute(
                    "UPDATE conversations SET ended = max(coalesce(ended, 0), ?) WHERE id = ?",
                    (call.ended, conversation_id),
                )

        self._writer.submit(job)

    # -- changing what is kept (waits: the user is looking at the result) ---------------

    def rename(self, conversation_id: str, title: str) -> bool:
        title = " ".join(title.split())
        if not title:
            raise HistoryError("A conversation needs a title.")
        return self._wait(lambda db: db.execute(
            "UPDATE conversations SET title = ?, renamed = 1 WHERE id = ?",
            (title, conversation_id)).rowcount > 0)

    def delete(self, conversation_id: str) -> bool:
        return self._wait(lambda db: _delete(db, "id = ?", (conversation_id,)) > 0)

    def delete_all(self) -> int:
        def job(db: sqlite3.Connection) -> int:
            count = int(db.execute("SELECT count(*) FROM conversations").fetchone()[0])
            # Row by row, the full-text triggers would take minutes on a large history.
            db.execute("DROP TRIGGER turns_ad")
            db.execute("DELETE FROM turns")
            db.execute("DELETE FROM calls")
            db.execute("DELETE FROM conversations")
            db.execute("INSERT INTO turns_fts (turns_fts) VALUES ('delete-all')")
            db.execute(
                "CREATE TRIGGER turns_ad AFTER DELETE ON turns BEGIN INSERT INTO turns_fts"
                " (turns_fts, rowid, text) VALUES ('delete', old.id, old.text); END")
            return count

        count = self._wait(job)
        self._scrub()
        return count

    def apply_retention(self, policy: Retention, *, now: float | None = None) -> int:
        """Make ``policy`` the rule from now on; delete what it does not keep. Returns how
        many conversations were deleted."""
        self.retention = policy
        if policy is Retention.KEEP:
            return 0
        if policy is Retention.OFF:
            return self.delete_all()
        cutoff = (time.time() if now is None else now) - RETENTION_DAYS * 86400
        count = self._wait(lambda db: _delete(db, "coalesce(ended, started) < ?", (cutoff,)))
        if count:
            self._scrub()
        return count

    def _scrub(self) -> None:
        # Deleted words must not linger in the write-ahead log.
        self._wait_outside(lambda db: db.execute("PRAGMA wal_checkpoint(TRUNCATE)"))

    def _wait(self, job: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return self._writer.submit(job).result(30)
        except sqlite3.Error as exc:
            raise HistoryError(f"The history could not be changed ({_reason(exc)}).") from exc

    def _wait_outside(self, job: Callable[[sqlite3.Connection], object]) -> None:
        # A checkpoint cannot run inside a transaction: a job that commits first.
        def run(db: sqlite3.Connection) -> None:
            db.execute("COMMIT")
            try:
                job(db)
            finally:
                db.execute("BEGIN")

        self._wait(run)

    # -- reading --------------------------------------------------------------------------

    def list_conversations(self, limit: int = 50, offset: int = 0) -> list[ConversationSummary]:
        """The most recent first."""
        rows = self._read(_SUMMARY + " ORDER BY c.started DESC LIMIT ? OFFSET ?",
                          (limit, offset))
        return [_summary(row) for row in rows]

    def resolve_id(self, prefix: str) -> str | None:
        """The one conversation whose id starts with ``prefix`` (ids are long: people type
        the first few characters), else None."""
        prefix = prefix.strip().lower()
        if not prefix or not all(c in "0123456789abcdef" for c in prefix):
            return None
        rows = self._read("SELECT id FROM conversations WHERE id >= ? AND id < ? LIMIT 2",
                          (prefix, prefix + "g"))
        return str(rows[0][0]) if len(rows) == 1 else None

    def count(self) -> int:
        return int(self._read("SELECT count(*) FROM conversations", ())[0][0])

    def get(self, conversation_id: str) -> ConversationRecord | None:
        self.records_read += 1
        rows = self._read(_SUMMARY + " WHERE c.id = ?", (conversation_id,))
        if not rows:
            return None
        turns = self._read(
            "SELECT item_id, role, kind, text, status, started, finished, position FROM turns"
            " WHERE conversation_id = ? ORDER BY position, id", (conversation_id,))
        calls = self._read(
            "SELECT call_id, provider, model, started, ended, input_tokens, output_tokens,"
            " cost, connect_ms, median_turn_ms FROM calls WHERE conversation_id = ?"
            " ORDER BY started", (conversation_id,))
        return ConversationRecord(
            summary=_summary(rows[0]),
            turns=[SavedTurn(*row) for row in turns],
            calls=[SavedCall(*row) for row in calls],
        )

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Conversations holding every word of ``text``, each with its latest matching turn:
        those with the words whole first, then those where the last word (3 letters or
        more) begins a longer one; the most recent first within each. Any text is safe."""
        terms = query.search_terms(text)
        if not terms or limit <= 0:
            return []
        found: dict[str, tuple[str, str, str]] = {}
        # Whole words first (fast even for common ones); then, if that left room, the last
        # word as a prefix too (a prefix query merges many words' lists: slower).
        queries = [query.fts_query(terms)]
        if query.wants_prefix(terms):
            queries.append(query.fts_query(terms, prefix=True))
        with self._read_lock:
            try:
                for fts in queries:
                    if len(found) < limit:
                        self._collect(fts, found, limit)
            except sqlite3.Error as exc:
                raise HistoryError(f"The history could not be searched ({_reason(exc)}).") \
                    from exc
        if not found:
            return []
        marks = ",".join("?" * len(found))
        heads = {row[0]: row for row in self._read(
            f"SELECT id, title, started, provider FROM conversations WHERE id IN ({marks})",
            tuple(found))}
        hits = []
        for cid, (item_id, role, turn_text) in found.items():
            head = heads.get(cid)
            if head is None:
                continue
            snip, spans = query.snippet(turn_text, terms)
            hits.append(SearchHit(cid, head[1], head[2], head[3], item_id, role, snip, spans))
        return hits

    def _collect(self, fts: str, found: dict[str, tuple[str, str, str]], limit: int) -> None:
        """Add conversations matching ``fts`` to ``found``, newest turn first, up to
        ``limit``. Rows come lazily: it stops reading once there are enough."""
        cursor = self._reader.execute(
            "SELECT t.conversation_id, t.item_id, t.role, t.text FROM turns_fts f"
            " JOIN turns t ON t.id = f.rowid WHERE turns_fts MATCH ?"
            " ORDER BY f.rowid DESC", (fts,))
        try:
            for cid, item_id, role, turn_text in cursor:
                if cid not in found:
                    found[cid] = (item_id, role, turn_text)
                    if len(found) >= limit:
                        break
        finally:
            cursor.close()

    def _read(self, sql: str, params: Iterable[Any]) -> list[Any]:
        with self._read_lock:
            try:
                return self._reader.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise HistoryError(f"The history could not be read ({_reason(exc)}).") \
                    from exc


def _summary(row: tuple[Any, ...]) -> ConversationSummary:
    return ConversationSummary(*row)


def _delete(db: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> int:
    return int(db.execute(f"DELETE FROM conversations WHERE {where}", params).rowcount)


def _connect(uri: str, *, writer: bool = False) -> sqlite3.Connection:
    # isolation_level=None: transactions are explicit (the writer's BEGIN/COMMIT).
    db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                         timeout=10.0)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")  # WAL: a killed process loses no commit
    if writer:
        db.execute("PRAGMA secure_delete = ON")  # deleted words are overwritten
    return db


def _prepare(path: Path) -> None:
    """Create the file 0600 (SQLite gives -wal/-shm the same mode), switch to WAL and
    migrate. Raises sqlite3.Error / SchemaTooNew for a file that is not our database."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    for suffix in _SUFFIXES:
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            os.chmod(extra, 0o600)
    db = _connect(_file_uri(path))
    try:
        _switch_to_wal(db)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        migrate(db)
    finally:
        db.close()


def _switch_to_wal(db: sqlite3.Connection, patience: float = 10.0) -> None:
    """SQLite answers "database is locked" at once, without its busy wait, when another
    connection switches a new file to WAL at the same moment (the window and `talkline`
    starting together): that is a reason to wait, not a damaged file to move aside."""
    deadline = time.monotonic() + patience
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _move_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.{stamp}.unreadable")
    for suffix in _SUFFIXES:
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.rename(aside.with_name(aside.name + suffix))
    return aside


def _file_uri(path: Path) -> str:
    return path.absolute().as_uri()


def _memory_uri() -> str:
    # Shared cache: the writer's and the reader's connections see one in-memory database.
    name = f"file:talkline-history-{uuid.uuid4().hex}?mode=memory&cache=shared"
    keeper = sqlite3.connect(name, uri=True, isolation_level=None, check_same_thread=False)
    migrate(keeper)
    _KEEP_ALIVE.append(keeper)  # the database lives while one connection is open
    return name


_KEEP_ALIVE: list[sqlite3.Connection] = []


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SchemaTooNew):
        return f"it was written by a newer Talkline, {exc}"
    return str(exc) or type(exc).__name__
