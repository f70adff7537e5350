"""The local SQLite store: privacy, migrations, damage handling, sessions."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from companion import store as store_module
from companion.store import MIGRATIONS, Store, StoreError

T0 = datetime(2024, 5, 1, 9, 30, 0, tzinfo=timezone.utc)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COMPANION_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_permissions_under_umask_022(home: Path, umask_022: None) -> None:
    with Store.open() as s:
        s.record_session("ground", T0, T0 + timedelta(minutes=3), True, {})
        db = home / "data" / "companion.db"
        assert s.path == db
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.exists() and shm.exists()  # WAL mode is on
        assert mode(home / "data") == 0o700
        assert {mode(db), mode(wal), mode(shm)} == {0o600}
    assert os.umask(0o022) == 0o022  # opening put the umask back


def test_pragmas(tmp_path: Path) -> None:
    with Store.open(tmp_path / "x.db") as s:
        db = s._db
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert db.execute("PRAGMA secure_delete").fetchone()[0] == 1
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migrates_from_version_0_and_reopens_idempotently(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # an empty version-0 file made by someone else
    with Store.open(path) as s:
        assert s.schema_version == len(MIGRATIONS)
        s.record_session("breathe", T0, T0 + timedelta(seconds=90), False, {"pattern": "4-7-8"})
    with Store.open(path) as s:
        assert s.schema_version == len(MIGRATIONS)
        assert [r.details for r in s.sessions()] == [{"pattern": "4-7-8"}]


def test_a_new_migration_runs_once_on_an_existing_file(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.db"
    Store.open(path).close()
    extra = (*MIGRATIONS, "CREATE TABLE journal (id INTEGER PRIMARY KEY, text TEXT);")
    monkeypatch.setattr(store_module, "MIGRATIONS", extra)
    with Store.open(path) as s:
        assert s.schema_version == len(extra)
    with Store.open(path) as s:  # would fail "table journal already exists" if rerun
        assert s.schema_version == len(extra)


def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.db"
    Store.open(path).close()
    broken = (*MIGRATIONS, "CREATE TABLE half (id INTEGER); THIS IS NOT SQL;")
    monkeypatch.setattr(store_module, "MIGRATIONS", broken)
    with pytest.raises(StoreError):
        Store.open(path)
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    with Store.open(path) as s:
        assert s.schema_version == len(MIGRATIONS)
        tables = {r[0] for r in s._db.execute("SELECT name FROM sqlite_master")}
        assert "half" not in tables


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    with pytest.raises(StoreError, match="newer companion"):
        Store.open(path)


def test_not_a_database_is_reported_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "companion.db"
    content = b"these are my notes, not a database\n" * 200
    path.write_bytes(content)
    with pytest.raises(StoreError, match="is damaged") as err:
        Store.open(path)
    assert f"mv {path} {path}.broken" in err.value.fix
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["companion.db"]


def test_corrupt_database_is_reported_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "companion.db"
    with Store.open(path) as s:
        for i in range(300):
            s.record_session("journal", T0 + timedelta(minutes=i), T0 + timedelta(minutes=i + 1),
                             True, {"text": "x" * 200})
    content = bytearray(path.read_bytes())
    page = 4096
    content[2 * page: 3 * page] = b"\xff" * page  # trash the third page
    path.write_bytes(bytes(content))
    with pytest.raises(StoreError, match="is damaged.*has not been changed"):
        Store.open(path)
    assert path.read_bytes() == bytes(content)


def test_session_round_trip(tmp_path: Path) -> None:
    local = timezone(timedelta(hours=2))
    with Store.open(tmp_path / "s.db") as s:
        first = s.record_session("ground", T0, T0 + timedelta(minutes=4), True,
                                 {"steps": ["see", "hear"], "note": "café"})
        second = s.record_session("breathe", T0.astimezone(local) + timedelta(hours=1),
                                  T0 + timedelta(hours=1, minutes=2), False, {})
        assert second > first
        rows = s.sessions()
        assert [r.id for r in rows] == [second, first]  # newest first
        ground = s.sessions("ground")
        assert len(ground) == 1
        row = ground[0]
        assert (row.kind, row.completed) == ("ground", True)
        assert row.started_at == T0 and row.started_at.utcoffset() == timedelta(0)
        assert row.ended_at == T0 + timedelta(minutes=4)
        assert row.details == {"steps": ["see", "hear"], "note": "café"}
        assert s.sessions(limit=1)[0].id == second
        assert s._db.execute("SELECT started_at FROM sessions WHERE id = ?",
                             (first,)).fetchone()[0] == "2024-05-01T09:30:00.000+00:00"


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as s:
        with pytest.raises(ValueError, match="kind"):
            s.record_session("nap", T0, T0, True, {})
        with pytest.raises(ValueError, match="timezone-aware"):
            s.record_session("ground", datetime(2024, 1, 1), T0, True, {})
        with pytest.raises(ValueError, match="JSON"):
            s.record_session("ground", T0, T0, True, {"x": object()})
        assert s.sessions() == []
