"""The journal in the store: schema upgrade, privacy, damage, and the repository."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from companion.journal.model import Emotion, Entry, JournalError, spoken_emotions, spoken_number
from companion.journal.repo import Journal, NoSuchEntry
from companion.store import MIGRATIONS, Store, StoreError

T0 = datetime(2024, 5, 1, 21, 30, tzinfo=timezone.utc)
V1_SESSIONS = MIGRATIONS[0]


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sample(i: int = 0, **changes: object) -> Entry:
    entry = Entry(situation=f"they did not reply to my message {i}",
                  emotions=[Emotion("anxious", 7), Emotion("sad", None)], body="tight chest",
                  urge=7, did="stayed", thought="they are leaving", evidence_for="silence",
                  evidence_against="they said they were busy", balanced="they are busy",
                  notes="café talk", created_at=T0 + timedelta(hours=i))
    return entry.with_changes(**changes) if changes else entry


def test_upgrades_a_v1_file_with_sessions_only(tmp_path: Path) -> None:
    path = tmp_path / "companion.db"
    with sqlite3.connect(path) as db:
        db.executescript(V1_SESSIONS + "PRAGMA user_version = 1;")
        db.execute("INSERT INTO sessions (kind, started_at, ended_at, completed, details) "
                   "VALUES ('ground', '2024-05-01T09:30:00.000+00:00', NULL, 1, '{}')")
    db.close()
    with Store.open(path) as store:
        assert store.schema_version == len(MIGRATIONS) >= 2
        [session] = store.sessions()
        journal = Journal(store)
        entry_id = journal.add(sample(session_id=session.id))
        assert journal.get(entry_id).session_id == session.id
    with Store.open(path) as store:  # reopening runs nothing twice
        assert Journal(store).count() == 1


def test_permissions_under_umask_022(companion_home: Path, umask_022: None) -> None:
    with Store.open() as store:
        Journal(store).add(sample())
        db = store.path
        for side in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert side.exists() and mode(side) == 0o600, side
        assert mode(db.parent) == 0o700


def test_corrupt_file_gives_a_clear_message_and_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "companion.db"
    with Store.open(path) as store:
        journal = Journal(store)
        for i in range(200):
            journal.add(sample(i))
    data = bytearray(path.read_bytes())
    data[3 * 4096: 4 * 4096] = b"\x00\xff" * 2048
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="is damaged.*has not been changed") as err:
        Store.open(path)
    assert "mv " in err.value.fix
    assert path.read_bytes() == bytes(data)


def test_round_trip_of_every_field(tmp_path: Path) -> None:
    with Store.open(tmp_path / "j.db") as store:
        journal = Journal(store)
        entry_id = journal.add(sample())
        got = journal.get(entry_id)
        assert got.emotions == [Emotion("anxious", 7), Emotion("sad", None)]
        assert (got.urge, got.did, got.notes) == (7, "stayed", "café talk")
        assert got.created_at == T0 and got.uuid and got.updated_at == T0
        assert got.answered()[0] == "situation" and len(got.answered()) == 10


def test_list_is_newest_first_and_limited(tmp_path: Path) -> None:
    with Store.open(tmp_path / "j.db") as store:
        journal = Journal(store)
        ids = [journal.add(sample(i)) for i in range(30)]
        assert [e.id for e in journal.recent(5)] == ids[::-1][:5]
        assert len(journal.recent(None)) == 30 and journal.count() == 30


def test_search_by_word_prefix_and_feeling(tmp_path: Path) -> None:
    with Store.open(tmp_path / "j.db") as store:
        journal = Journal(store)
        a = journal.add(sample(1))
        b = journal.add(Entry(situation="plans cancelled", emotions=[Emotion("angry", 5)]))
        assert [e.id for e in journal.search("anx")] == [a]
        assert [e.id for e in journal.search("angry plans")] == [b]
        assert [e.id for e in journal.search('"cafe')] == [a]  # accents folded, quote safe
        assert journal.search("nothing-like-this") == []
        assert {e.id for e in journal.search_like("cancel")} == {b}
        with pytest.raises(JournalError):
            journal.search('  ""  ')


def test_edit_and_delete_update_the_index(tmp_path: Path) -> None:
    with Store.open(tmp_path / "j.db") as store:
        journal = Journal(store)
        entry_id = journal.add(sample())
        updated = journal.update(entry_id, urge=4, thought="maybe they are tired",
                                 emotions=[Emotion("calm", 2)])
        assert updated.urge == 4 and updated.updated_at and updated.updated_at > T0
        assert journal.search("leaving") == [] and journal.search("anxious") == []
        assert [e.id for e in journal.search("tired calm")] == [entry_id]
        journal.delete(entry_id)
        assert journal.search("tired") == [] and journal.count() == 0
        rows = store.connection.execute("SELECT count(*) FROM entry_emotions").fetchone()
        assert rows == (0,)
        with pytest.raises(NoSuchEntry, match="no journal entry"):
            journal.get(entry_id)
        with pytest.raises(NoSuchEntry):
            journal.delete(entry_id)


def test_deleted_words_are_not_left_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Store.open(path) as store:
        journal = Journal(store)
        keep = journal.add(Entry(situation="ordinary evening"))
        secret = journal.add(Entry(situation="zanzibarquux secret", notes="zanzibarquux"))
        journal.delete(secret)
        assert journal.exists(keep)
    assert b"zanzibarquux" not in path.read_bytes()


def test_invalid_values_are_user_errors(tmp_path: Path) -> None:
    with Store.open(tmp_path / "j.db") as store:
        journal = Journal(store)
        with pytest.raises(JournalError, match="0 to 10"):
            journal.add(Entry(urge=11))
        with pytest.raises(JournalError, match="intensity of sad"):
            journal.add(Entry(emotions=[Emotion("sad", -1)]))
        with pytest.raises(JournalError, match="no session 99"):
            journal.add(Entry(situation="x", session_id=99))
        assert journal.count() == 0


def test_sessions_link_and_survive_session_deletion(tmp_path: Path) -> None:
    with Store.open(tmp_path / "j.db") as store:
        journal = Journal(store)
        entry_id = journal.add(sample())
        session = store.record_session("ground", T0, T0 + timedelta(minutes=3), True, {})
        journal.link_session([entry_id], session)
        assert journal.get(entry_id).session_id == session
        with store.transaction() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (session,))
        assert journal.get(entry_id).session_id is None


def test_spoken_parsers() -> None:
    assert spoken_number("about an eight") == 8 and spoken_number("10") == 10
    assert spoken_number("really strong") is None
    assert spoken_emotions("anxious seven and sad, four") == [Emotion("anxious", 7),
                                                              Emotion("sad", 4)]
    assert spoken_emotions("hurt, then angry 9") == [Emotion("hurt"), Emotion("angry", 9)]
    assert spoken_emotions("I felt really lonely") == [Emotion("lonely")]
