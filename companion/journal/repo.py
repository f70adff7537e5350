"""Journal entries in the store: add, read, search, change, delete.

Every write is one transaction that also keeps the full-text index in step,
so a crash leaves either the whole entry (row, feelings, index) or none of
it. The index is contentless (the words are not stored twice); after a
change or delete it is merged (``optimize``) so, with ``secure_delete``,
old words do not linger in free pages.
"""

from __future__ import annotations

import sqlite3
import uuid as uuidlib
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

from companion.journal.model import TEXT_FIELDS, Emotion, Entry, JournalError, validated
from companion.store import Store

_COLUMNS = ("id", "uuid", "created_at", "updated_at", *TEXT_FIELDS, "urge", "session_id")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM entries"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def index_text(entry: Entry) -> str:
    """The words the full-text index holds for an entry (every field, feelings too)."""
    parts = [entry.situation, " ".join(e.name for e in entry.emotions),
             *(getattr(entry, name) for name in TEXT_FIELDS if name != "situation")]
    return "\n".join(p for p in parts if p)


def fts_query(text: str) -> str:
    """Each word as a quoted prefix term, all required ("" when no words)."""
    terms = [w.replace('"', '""') for w in text.split() if w.strip('"')]
    return " ".join(f'"{t}"*' for t in terms)


class NoSuchEntry(JournalError):
    """The entry id does not exist."""


class Journal:
    """The journal over an open :class:`Store` (one per thread, like the store)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.connection

    # --------------------------------------------------------------- write
    def add(self, entry: Entry) -> int:
        """Save a new entry (committed, fsynced) and return its id."""
        validated(entry)
        moment = entry.created_at or _now()
        stamp = entry.updated_at or moment
        if entry.session_id is not None and not self.store.session_exists(entry.session_id):
            raise JournalError(f"there is no session {entry.session_id} to link to",
                               "leave out --session, or use an id from the session list")
        with self.store.transaction() as db:
            return self._insert(db, entry, moment, stamp, entry.uuid or str(uuidlib.uuid4()),
                                entry.id)

    def add_many(self, entries: Sequence[Entry]) -> list[int]:
        """Save many new entries in one transaction (bulk loads, benchmarks)."""
        for entry in entries:
            validated(entry)
        with self.store.transaction() as db:
            return [self._insert(db, e, e.created_at or _now(), e.updated_at or e.created_at
                                 or _now(), e.uuid or str(uuidlib.uuid4()), None)
                    for e in entries]

    def _insert(self, db: sqlite3.Connection, entry: Entry, moment: datetime,
                stamp: datetime, uuid: str, entry_id: int | None) -> int:
        row = (entry_id, uuid, _iso(moment), _iso(stamp),
               *(getattr(entry, name) for name in TEXT_FIELDS), entry.urge, entry.session_id)
        marks = ", ".join("?" * len(row))
        cursor = db.execute(f"INSERT INTO entries ({', '.join(_COLUMNS)}) VALUES ({marks})", row)
        new_id = int(cursor.lastrowid or 0)
        self._write_extras(db, new_id, entry)
        return new_id

    def _write_extras(self, db: sqlite3.Connection, entry_id: int, entry: Entry) -> None:
        db.executemany(
            "INSERT INTO entry_emotions (entry_id, position, name, intensity) VALUES (?,?,?,?)",
            [(entry_id, i, e.name, e.intensity) for i, e in enumerate(entry.emotions)])
        db.execute("INSERT INTO entries_fts (rowid, text) VALUES (?, ?)",
                   (entry_id, index_text(entry)))

    def _drop_extras(self, db: sqlite3.Connection, old: Entry) -> None:
        db.execute("DELETE FROM entry_emotions WHERE entry_id = ?", (old.id,))
        db.execute("INSERT INTO entries_fts (entries_fts, rowid, text) VALUES ('delete', ?, ?)",
                   (old.id, index_text(old)))

    def update(self, entry_id: int, **changes: Any) -> Entry:
        """Change some fields of an entry; returns the entry as saved."""
        old = self.get(entry_id)
        new = old.with_changes(**changes, updated_at=_now())
        if "session_id" in changes and new.session_id is not None \
                and not self.store.session_exists(new.session_id):
            raise JournalError(f"there is no session {new.session_id} to link to",
                               "use an id from the session list")
        sets = ", ".join(f"{c} = ?" for c in ("created_at", "updated_at", *TEXT_FIELDS,
                                              "urge", "session_id"))
        values = (_iso(new.created_at or _now()), _iso(new.updated_at or _now()),
                  *(getattr(new, name) for name in TEXT_FIELDS), new.urge, new.session_id)
        with self.store.transaction() as db:
            self._drop_extras(db, old)
            db.execute(f"UPDATE entries SET {sets} WHERE id = ?", (*values, entry_id))
            self._write_extras(db, entry_id, new)
            self._optimize(db)
        return self.get(entry_id)

    def delete(self, entry_id: int) -> None:
        """Delete one entry, its feelings and its words in the index."""
        old = self.get(entry_id)
        with self.store.transaction() as db:
            self._drop_extras(db, old)
            db.execute("DELETE FROM entries WHERE id = ?", (entry_id,))
            self._optimize(db)

    def _optimize(self, db: sqlite3.Connection) -> None:
        """Merge the index so deleted words leave it (secure_delete zeroes the pages)."""
        db.execute("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')")

    def link_session(self, entry_ids: Sequence[int], session_id: int) -> None:
        """Link entries to the session that produced them (recorded once it ended)."""
        with self.store.transaction() as db:
            db.executemany("UPDATE entries SET session_id = ? WHERE id = ?",
                           [(session_id, i) for i in entry_ids])

    def put_exact(self, db: sqlite3.Connection, entry: Entry, keep_id: bool) -> int:
        """Insert an entry exactly as given (import), inside the caller's transaction."""
        if entry.created_at is None or entry.updated_at is None or not entry.uuid:
            raise JournalError("an imported entry lacks its time or uuid",
                               "import a file made by `companion journal export --format json`")
        return self._insert(db, entry, entry.created_at, entry.updated_at, entry.uuid,
                            entry.id if keep_id else None)

    def replace_exact(self, db: sqlite3.Connection, old: Entry, new: Entry) -> None:
        """Overwrite ``old`` with ``new`` keeping old's id (import of a newer version)."""
        self._drop_extras(db, old)
        db.execute("DELETE FROM entries WHERE id = ?", (old.id,))
        self.put_exact(db, Entry(**{**new.__dict__, "id": old.id}), keep_id=True)

    # ---------------------------------------------------------------- read
    def get(self, entry_id: int) -> Entry:
        """One entry by id, or NoSuchEntry with a fix."""
        row = self.db.execute(f"{_SELECT} WHERE id = ?", (entry_id,)).fetchone()
        if row is None:
            raise NoSuchEntry(f"there is no journal entry {entry_id}",
                              "see the ids with `companion journal list`")
        return self._entries([row])[0]

    def by_uuid(self, uuid: str) -> Entry | None:
        row = self.db.execute(f"{_SELECT} WHERE uuid = ?", (uuid,)).fetchone()
        return self._entries([row])[0] if row else None

    def exists(self, entry_id: int) -> bool:
        return self.db.execute("SELECT 1 FROM entries WHERE id = ?",
                               (entry_id,)).fetchone() is not None

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM entries").fetchone()[0])

    def recent(self, limit: int | None = 20, offset: int = 0) -> list[Entry]:
        """Newest first; ``limit`` None for all of them."""
        query = f"{_SELECT} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        rows = self.db.execute(query, (-1 if limit is None else limit, offset)).fetchall()
        return self._entries(rows)

    def search(self, text: str, limit: int | None = 50) -> list[Entry]:
        """Entries holding every word (prefixes match: "anx" finds "anxious"), newest first."""
        query = fts_query(text)
        if not query:
            raise JournalError("there is nothing to search for", "give one or more words")
        try:
            rows = self.db.execute(
                f"{_SELECT} WHERE id IN (SELECT rowid FROM entries_fts WHERE entries_fts "
                "MATCH ?) ORDER BY created_at DESC, id DESC LIMIT ?",
                (query, -1 if limit is None else limit)).fetchall()
        except sqlite3.OperationalError as err:
            raise JournalError(f"cannot search for {text!r}: {err}",
                               "use plain words") from err
        return self._entries(rows)

    def search_like(self, text: str, limit: int | None = 50) -> list[Entry]:
        """The naive search (LIKE over every column, no index): the benchmark's baseline."""
        clauses, params = [], []
        for word in text.split():
            cols = " OR ".join(f"{c} LIKE ?" for c in TEXT_FIELDS)
            clauses.append(f"({cols} OR id IN (SELECT entry_id FROM entry_emotions "
                           "WHERE name LIKE ?))")
            params.extend([f"%{word}%"] * (len(TEXT_FIELDS) + 1))
        where = " AND ".join(clauses) or "1"
        rows = self.db.execute(f"{_SELECT} WHERE {where} ORDER BY created_at DESC, id DESC "
                               "LIMIT ?", (*params, -1 if limit is None else limit)).fetchall()
        return self._entries(rows)

    def iter_all(self, batch: int = 500) -> Iterator[Entry]:
        """Every entry, oldest first, a batch at a time (export)."""
        last = -1
        while True:
            rows = self.db.execute(f"{_SELECT} WHERE id > ? ORDER BY id LIMIT ?",
                                   (last, batch)).fetchall()
            if not rows:
                return
            yield from self._entries(rows)
            last = rows[-1][0]

    def _entries(self, rows: Sequence[Sequence[Any]]) -> list[Entry]:
        if not rows:
            return []
        ids = [r[0] for r in rows]
        feelings: dict[int, list[Emotion]] = {i: [] for i in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for entry_id, name, level in self.db.execute(
                    f"SELECT entry_id, name, intensity FROM entry_emotions WHERE entry_id IN "
                    f"({marks}) ORDER BY entry_id, position", chunk):
                feelings[entry_id].append(Emotion(name, level))
        out = []
        for row in rows:
            values = dict(zip(_COLUMNS, row, strict=True))
            out.append(Entry(
                id=values["id"], uuid=values["uuid"],
                created_at=datetime.fromisoformat(values["created_at"]),
                updated_at=datetime.fromisoformat(values["updated_at"]),
                emotions=feelings[values["id"]], urge=values["urge"],
                session_id=values["session_id"],
                **{name: values[name] for name in TEXT_FIELDS}))
        return out
