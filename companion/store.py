"""The local store: one SQLite file in the data folder that only its owner can read.

What people say in a session (journal entries, thoughts, triggers) is private,
so the folder is 0700 and the database and its -wal/-shm side files are 0600
whatever the umask; deleted rows are overwritten (``secure_delete``); every
commit reaches the disk (``synchronous=FULL``). A damaged file is reported
and left exactly as it was, never "repaired" by overwriting it.

The schema grows by appending SQL scripts to ``MIGRATIONS``; ``PRAGMA
user_version`` records how many have run, so opening an old file upgrades it
in place, one transaction per step.
"""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from companion import paths
from companion.errors import CompanionError

DB_NAME = "companion.db"
KINDS = ("ground", "breathe", "rehearse", "journal")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SIDE_FILES = ("", "-wal", "-shm", "-journal")

MIGRATIONS: tuple[str, ...] = (
    # 1: one row per session of any kind; details is a JSON object whose shape
    # belongs to the flow (breathing pattern, steps reached, rehearsal score...).
    """
    CREATE TABLE sessions (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL
                    CHECK (kind IN ('ground', 'breathe', 'rehearse', 'journal')),
        started_at  TEXT NOT NULL,          -- ISO 8601, UTC
        ended_at    TEXT,                   -- ISO 8601, UTC; NULL while running
        completed   INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
        details     TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX sessions_by_kind_and_start ON sessions (kind, started_at);
    """,
    # 2: the trigger journal (companion/journal). Empty text means "not answered";
    # emotions are rows so stats can count them; entries_fts is a contentless
    # full-text index kept in step by companion.journal.repo in the same
    # transaction (contentless: the words are not stored a second time).
    """
    CREATE TABLE entries (
        id               INTEGER PRIMARY KEY,
        uuid             TEXT NOT NULL UNIQUE,   -- stable across export/import
        created_at       TEXT NOT NULL,          -- ISO 8601, UTC: when it happened
        updated_at       TEXT NOT NULL,          -- ISO 8601, UTC: last change
        situation        TEXT NOT NULL DEFAULT '',
        body             TEXT NOT NULL DEFAULT '',
        urge             INTEGER CHECK (urge IS NULL OR urge BETWEEN 0 AND 10),
        did              TEXT NOT NULL DEFAULT '',
        thought          TEXT NOT NULL DEFAULT '',
        evidence_for     TEXT NOT NULL DEFAULT '',
        evidence_against TEXT NOT NULL DEFAULT '',
        balanced         TEXT NOT NULL DEFAULT '',
        notes            TEXT NOT NULL DEFAULT '',
        session_id       INTEGER REFERENCES sessions (id) ON DELETE SET NULL
    );
    CREATE INDEX entries_by_time ON entries (created_at);
    CREATE INDEX entries_by_session ON entries (session_id);
    CREATE TABLE entry_emotions (
        entry_id   INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
        position   INTEGER NOT NULL,
        name       TEXT NOT NULL,
        intensity  INTEGER CHECK (intensity IS NULL OR intensity BETWEEN 0 AND 10),
        PRIMARY KEY (entry_id, position)
    ) WITHOUT ROWID;
    CREATE INDEX entry_emotions_by_name ON entry_emotions (name);
    CREATE VIRTUAL TABLE entries_fts USING fts5 (
        text, content = '', tokenize = 'unicode61 remove_diacritics 2'
    );
    """,
    # 3: rehearsal (companion/rehearse). The person's own wording of a phrase
    # (a default phrase is used until one is set); one row per scored attempt,
    # with which parts came through as a JSON list of part indexes.
    """
    CREATE TABLE phrases (
        name        TEXT PRIMARY KEY,
        text        TEXT NOT NULL,
        updated_at  TEXT NOT NULL           -- ISO 8601, UTC
    );
    CREATE TABLE attempts (
        id            INTEGER PRIMARY KEY,
        session_id    INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
        session_start TEXT NOT NULL,        -- ISO 8601, UTC: groups attempts by session
        at            TEXT NOT NULL,        -- ISO 8601, UTC
        phrase        TEXT NOT NULL,        -- phrase name
        phrase_text   TEXT NOT NULL,        -- the wording practised then
        mode          TEXT NOT NULL,        -- listen | along | all | part
        target        TEXT NOT NULL,        -- what was asked for: the words expected
        completeness  REAL NOT NULL CHECK (completeness BETWEEN 0 AND 1),
        parts_said    TEXT NOT NULL DEFAULT '[]',
        wpm           REAL,
        long_pauses   INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX attempts_by_phrase ON attempts (phrase, at);
    """,
)


class StoreError(CompanionError):
    """The database cannot be opened, is damaged, or is from a newer version."""

    exit_code = 7


@dataclass(frozen=True)
class SessionRow:
    """One recorded session; times are timezone-aware UTC."""

    id: int
    kind: str
    started_at: datetime
    ended_at: datetime | None
    completed: bool
    details: dict[str, Any] = field(default_factory=dict)


def default_path() -> Path:
    """``companion.db`` in the data folder (``COMPANION_HOME`` moves it for tests)."""
    return paths.data_dir() / DB_NAME


def _iso_utc(moment: datetime, name: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _damaged(path: Path, detail: str) -> StoreError:
    return StoreError(
        f"the database {path} is damaged ({detail}); it has not been changed",
        f"move it aside to start a fresh one: mv {shlex.quote(str(path))} "
        f"{shlex.quote(str(path) + '.broken')}",
    )


def _restrict(path: Path) -> None:
    """chmod 0600 the database and whichever side files exist right now."""
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        with suppress(FileNotFoundError):
            side.chmod(0o600)


_SQLITE_FULL = 13  # sqlite3.h's result code


def _is_full(err: BaseException) -> bool:
    """SQLite's SQLITE_FULL (``database or disk is full``) or the OS's ENOSPC."""
    code = getattr(err, "sqlite_errorcode", None)
    return code == _SQLITE_FULL or "disk is full" in str(err)


def _check_header(path: Path) -> None:
    """Refuse a non-empty file that is not SQLite before SQLite can touch it."""
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as err:
        raise StoreError(f"cannot read the database {path}: {err.strerror or err}",
                         f"check the permissions of {path}") from err
    if head and head != _SQLITE_MAGIC:
        raise _damaged(path, "it is not an SQLite database")


class Store:
    """An open store. Use ``Store.open()`` as a context manager; one per thread."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        """Open (creating if needed) and upgrade the store; check it is intact first."""
        if path is None:
            paths.data_dir(create=True)
            path = default_path()
        else:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.exists():
            _check_header(path)
        old_umask = os.umask(0o077)  # side files are born owner-only, not just fixed later
        try:
            connection = cls._connect(path)
        finally:
            os.umask(old_umask)
        _restrict(path)
        return cls(connection, path)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open the database {path}: {err}",
                             f"check that {path.parent} exists and is writable") from err
        try:
            # quick_check: every page and record, without re-checking index contents
            # against the tables (25 ms on 10,000 entries for integrity_check, 9 ms).
            rows = connection.execute("PRAGMA quick_check").fetchall()
            if rows != [("ok",)]:
                found = "; ".join(str(r[0]) for r in rows[:3]).replace("\n", "; ")
                raise _damaged(path, found[:300])
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA secure_delete = ON")
            connection.execute("PRAGMA busy_timeout = 5000")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            _migrate(connection, path)
        except sqlite3.DatabaseError as err:
            connection.close()
            if isinstance(err, sqlite3.OperationalError) and "locked" in str(err):
                raise StoreError(f"the database {path} is busy ({err})",
                                 "close other companion windows and try again") from err
            if isinstance(err, sqlite3.OperationalError) and "malformed" not in str(err):
                raise StoreError(f"cannot open the database {path}: {err}",
                                 f"check the permissions and free space of {path.parent}"
                                 ) from err
            raise _damaged(path, str(err)) from err
        except BaseException:
            connection.close()
            raise
        return connection

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (SQLite then folds the -wal file back and removes it)."""
        self._db.close()

    @property
    def schema_version(self) -> int:
        """How many migrations this file has run."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error.

        A full disk is a :class:`StoreError` saying so: the write is undone
        whole (SQLite's journal), so nothing saved before is touched.
        """
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as err:
            if _is_full(err):
                raise StoreError(
                    "the disk is full",
                    f"free some space on the disk that holds {self.path.parent}; "
                    "everything saved before is safe") from err
            raise
        _restrict(self.path)

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection, for repositories built on the store (the journal).

        Reads may use it directly; writes go through :meth:`transaction`.
        """
        return self._db

    def backup_to(self, dest: Path) -> None:
        """Write a consistent snapshot to ``dest`` with SQLite's backup API (owner-only).

        Never a file copy: a copy taken while the -wal file holds commits can
        miss them or tear a page; the backup API reads one consistent state.
        """
        old_umask = os.umask(0o077)
        try:
            target = sqlite3.connect(dest)
        finally:
            os.umask(old_umask)
        try:
            self._db.backup(target)
        except sqlite3.Error as err:
            raise StoreError(f"cannot snapshot the database to {dest}: {err}",
                             f"check the free space in {dest.parent}") from err
        finally:
            target.close()
        _restrict(dest)

    def session_exists(self, session_id: int) -> bool:
        """True when ``session_id`` is a recorded session (entries may link to it)."""
        return self._db.execute("SELECT 1 FROM sessions WHERE id = ?",
                                (session_id,)).fetchone() is not None

    @staticmethod
    def remove_files(path: Path) -> list[Path]:
        """Delete a (closed) database and its side files; returns what was removed.

        Each file is overwritten with zeros first, so a plain undelete of the
        file system does not bring the journal back (not a guarantee on SSDs).
        """
        removed = []
        for suffix in _SIDE_FILES:
            side = path.with_name(path.name + suffix)
            try:
                size = side.stat().st_size
                with side.open("r+b") as f:
                    f.write(b"\0" * size)
                    f.flush()
                    os.fsync(f.fileno())
                side.unlink()
            except FileNotFoundError:
                continue
            except OSError as err:
                raise StoreError(f"cannot delete {side}: {err.strerror or err}",
                                 f"check the permissions of {side.parent}") from err
            removed.append(side)
        return removed

    def record_session(self, kind: str, started_at: datetime, ended_at: datetime,
                       completed: bool, details: dict[str, Any]) -> int:
        """Save one finished session; returns its id."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        try:
            details_json = json.dumps(details, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError) as err:
            raise ValueError(f"details must be JSON-serialisable: {err}") from err
        row = (kind, _iso_utc(started_at, "started_at"), _iso_utc(ended_at, "ended_at"),
               int(bool(completed)), details_json)
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO sessions (kind, started_at, ended_at, completed, details) "
                "VALUES (?, ?, ?, ?, ?)", row)
        return int(cursor.lastrowid or 0)

    def sessions(self, kind: str | None = None, limit: int = 50) -> list[SessionRow]:
        """The most recent sessions first, optionally of one kind."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        query = "SELECT id, kind, started_at, ended_at, completed, details FROM sessions"
        params: tuple[Any, ...] = ()
        if kind is not None:
            query += " WHERE kind = ?"
            params = (kind,)
        query += " ORDER BY started_at DESC, id DESC LIMIT ?"
        rows = self._db.execute(query, (*params, max(0, int(limit)))).fetchall()
        return [
            SessionRow(id=r[0], kind=r[1], started_at=_from_iso(r[2]) or datetime.min,
                       ended_at=_from_iso(r[3]), completed=bool(r[4]),
                       details=json.loads(r[5]))
            for r in rows
        ]


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Run the migrations this file has not seen yet, each in its own transaction."""
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StoreError(
            f"the database {path} was written by a newer companion "
            f"(schema {version}, this one knows {len(MIGRATIONS)}); it has not been changed",
            "update companion, or move the file aside to start a fresh one",
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        script = MIGRATIONS[number - 1]
        try:
            connection.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.Error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
