"""Export the journal (Markdown, CSV, JSON) and import a JSON export back.

Exports read from a snapshot made with SQLite's backup API into a private
temporary database, so an entry being saved at that moment is either wholly
in the export or not at all. Output files are created owner-only. A JSON
export imported into an empty journal gives back the same JSON.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from companion.journal.model import FIELDS, LABELS, TEXT_FIELDS, Emotion, Entry, JournalError
from companion.journal.model import validated as _validated
from companion.journal.repo import Journal
from companion.store import Store

FORMAT = "companion-journal"
VERSION = 1
FORMATS = ("md", "csv", "json")
_SESSION_COLUMNS = ("id", "kind", "started_at", "ended_at", "completed", "details")


@contextmanager
def snapshot(store: Store) -> Iterator[Journal]:
    """A read-only view of one consistent moment of the journal (backup API, temp DB)."""
    folder = Path(tempfile.mkdtemp(prefix=".export-", dir=store.path.parent))  # 0700
    copy = folder / "snapshot.db"
    try:
        store.backup_to(copy)
        with Store.open(copy) as frozen:
            yield Journal(frozen)
    finally:
        Store.remove_files(copy)
        folder.rmdir()


def entry_dict(entry: Entry) -> dict[str, Any]:
    """An entry as JSON-ready data, fields in a fixed order."""
    return {
        "id": entry.id, "uuid": entry.uuid,
        "created_at": _stamp(entry.created_at), "updated_at": _stamp(entry.updated_at),
        "situation": entry.situation,
        "emotions": [{"name": e.name, "intensity": e.intensity} for e in entry.emotions],
        **{name: getattr(entry, name) for name in TEXT_FIELDS if name != "situation"},
        "urge": entry.urge, "session_id": entry.session_id,
    }


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds") if moment else None


def export_text(journal: Journal, fmt: str) -> str:
    """The whole journal, oldest first, as Markdown, CSV or JSON text."""
    entries = list(journal.iter_all())
    if fmt == "json":
        ids = sorted({e.session_id for e in entries if e.session_id is not None})
        sessions = [dict(zip(_SESSION_COLUMNS, row, strict=True)) for row in journal.db.execute(
            f"SELECT {', '.join(_SESSION_COLUMNS)} FROM sessions WHERE id IN "
            f"({','.join('?' * len(ids))}) ORDER BY id", ids)] if ids else []
        for session in sessions:
            session["completed"] = bool(session["completed"])
            session["details"] = json.loads(session["details"])
        # One entry per line: readable, diff-friendly, and the C encoder (indent is slow).
        rows = ",\n".join("    " + json.dumps(entry_dict(e), ensure_ascii=False)
                          for e in entries)
        return (f'{{\n  "format": "{FORMAT}",\n  "version": {VERSION},\n'
                f'  "sessions": {json.dumps(sessions, ensure_ascii=False)},\n'
                f'  "entries": [\n{rows}\n  ]\n}}\n')
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "uuid", "created_at", "updated_at", *FIELDS, "session_id"])
        for e in entries:
            feelings = "; ".join(e.name if e.intensity is None else f"{e.name}:{e.intensity}"
                                 for e in e.emotions)
            values = [feelings if n == "emotions" else e.value_text(n) for n in FIELDS]
            writer.writerow([e.id, e.uuid, _stamp(e.created_at), _stamp(e.updated_at), *values,
                             "" if e.session_id is None else e.session_id])
        return buffer.getvalue()
    if fmt == "md":
        lines = ["# Journal", ""]
        for e in entries:
            when = e.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if e.created_at else ""
            lines += [f"## {when} (entry {e.id})", ""]
            lines += [f"- **{LABELS[n]}:** {e.value_text(n)}" for n in e.answered()]
            lines.append("")
        return "\n".join(lines)
    raise JournalError(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` owner-only (0600), replacing it whole or not at all."""
    temp = path.with_name(f".{path.name}.partial")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except OSError as err:
        raise JournalError(f"cannot write {path}: {err.strerror or err}",
                           "choose a folder you can write to") from err


# ------------------------------------------------------------------ import
def read_export(path: Path) -> dict[str, Any]:
    """Parse and check a JSON export; errors name the file and what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise JournalError(f"cannot read {path}: {err}", "check the file name") from err
    except json.JSONDecodeError as err:
        raise JournalError(f"{path} is not JSON (line {err.lineno}: {err.msg})",
                           "import a file made by `companion journal export --format json`"
                           ) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise JournalError(f"{path} is not a companion journal export",
                           "import a file made by `companion journal export --format json`")
    if data.get("version") != VERSION:
        raise JournalError(f"{path} is export version {data.get('version')}, this companion "
                           f"reads version {VERSION}", "update companion")
    return data


def entry_from_dict(item: Any, where: str) -> Entry:
    """An Entry from export data, with a clear error naming the entry."""
    try:
        emotions = [Emotion(str(e["name"]), e["intensity"]) for e in item["emotions"]]
        entry = Entry(
            id=int(item["id"]), uuid=str(item["uuid"]),
            created_at=datetime.fromisoformat(item["created_at"]),
            updated_at=datetime.fromisoformat(item["updated_at"]),
            emotions=emotions, urge=item["urge"], session_id=item.get("session_id"),
            **{name: str(item[name]) for name in TEXT_FIELDS})
        return _validated(entry)
    except (KeyError, TypeError, ValueError) as err:
        raise JournalError(f"{where} is incomplete or malformed ({err!r})",
                           "import a file made by `companion journal export --format json`"
                           ) from err
    except JournalError as err:
        raise JournalError(f"{where}: {err.message}", err.fix) from err


def _same(a: Entry, b: Entry) -> bool:
    skip = ("id", "session_id")
    return all(v == entry_dict(b)[k] for k, v in entry_dict(a).items() if k not in skip)


def import_export(journal: Journal, path: Path) -> dict[str, int]:
    """Import a JSON export in one transaction; returns counts of what happened.

    Same uuid and same content: skipped. Same uuid, newer ``updated_at`` in
    the file: the local entry is replaced. Otherwise the local one is kept.
    New entries keep their id when it is free here, else get a new one.
    """
    data = read_export(path)
    entries = [entry_from_dict(item, f"{path} entry {i + 1}")
               for i, item in enumerate(data.get("entries", []))]
    counts = {"added": 0, "updated": 0, "unchanged": 0, "kept_local": 0}
    try:
        _import_all(journal, data, entries, counts, path)
    except sqlite3.IntegrityError as err:
        raise JournalError(f"{path} does not fit this journal ({err}); nothing was imported",
                           "import a file made by `companion journal export --format json`"
                           ) from err
    return counts


def _import_all(journal: Journal, data: dict[str, Any], entries: list[Entry],
                counts: dict[str, int], path: Path) -> None:
    with journal.store.transaction() as db:
        session_ids = _import_sessions(db, data.get("sessions", []), path)
        for entry in entries:
            entry.session_id = session_ids.get(entry.session_id)  # type: ignore[arg-type]
            local = journal.by_uuid(entry.uuid)
            if local is None:
                journal.put_exact(db, entry, keep_id=not journal.exists(entry.id or 0))
                counts["added"] += 1
            elif _same(local, entry):
                counts["unchanged"] += 1
            elif (entry.updated_at and local.updated_at
                  and entry.updated_at > local.updated_at):
                journal.replace_exact(db, local, entry)
                counts["updated"] += 1
            else:
                counts["kept_local"] += 1


def _import_sessions(db: Any, sessions: Any, path: Path) -> dict[int, int]:
    """Sessions the entries link to: reuse an identical one, else add it."""
    mapping: dict[int, int] = {}
    if not isinstance(sessions, list):
        raise JournalError(f"{path}: 'sessions' should be a list", "re-export the file")
    for item in sessions:
        try:
            row = (str(item["kind"]), str(item["started_at"]), item["ended_at"],
                   int(bool(item["completed"])),
                   json.dumps(item["details"], ensure_ascii=False, sort_keys=True))
            old_id = int(item["id"])
        except (KeyError, TypeError, ValueError) as err:
            raise JournalError(f"{path}: a session is malformed ({err!r})",
                               "re-export the file") from err
        found = db.execute("SELECT id FROM sessions WHERE kind = ? AND started_at = ? AND "
                           "ended_at IS ? AND completed = ? AND details = ? ORDER BY id != ?",
                           (*row, old_id)).fetchone()
        if found is not None:
            mapping[old_id] = int(found[0])
            continue
        taken = db.execute("SELECT 1 FROM sessions WHERE id = ?", (old_id,)).fetchone()
        cursor = db.execute("INSERT INTO sessions (id, kind, started_at, ended_at, completed, "
                            "details) VALUES (?, ?, ?, ?, ?, ?)",
                            (None if taken else old_id, *row))
        mapping[old_id] = int(cursor.lastrowid or 0)
    return mapping
