"""A full disk while saving: one clear message, the session goes on, nothing saved is harmed.

The disk fills for real as far as SQLite can tell: ``PRAGMA max_page_count``
caps the file at its present size, and SQLite then fails the write with its
own SQLITE_FULL, the error a full disk gives. Everything else is real: the
store, the journal flow, the shared session assembly and the runtime.
"""

from __future__ import annotations

import io
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from companion import events as ev
from companion.journal.flow import JournalFlow, journal_vocabulary, load_journal_content
from companion.journal.model import Entry
from companion.journal.repo import Journal
from companion.journal.session import EntryKeeper
from companion.session import Session, build_session
from companion.settings import Settings
from companion.store import Store, StoreError

LONG = "my partner went quiet at dinner and I wanted to leave the table " * 80  # > a page


def _fill(store: Store) -> None:
    """No page can be added from now on: the disk is full as far as SQLite knows."""
    pages = store.connection.execute("PRAGMA page_count").fetchone()[0]
    store.connection.execute(f"PRAGMA max_page_count = {pages}")


def _free(store: Store) -> None:
    store.connection.execute("PRAGMA max_page_count = 1073741823")


def _saved(store: Store) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    db = store.connection
    return (db.execute("SELECT * FROM sessions ORDER BY id").fetchall(),
            db.execute("SELECT * FROM entries ORDER BY id").fetchall())


def _earlier(store: Store) -> None:
    start = datetime(2026, 11, 1, 20, 0, tzinfo=timezone.utc)
    store.record_session("ground", start, start + timedelta(minutes=4), True, {"steps": 5})
    Journal(store).add(Entry(situation="a hard talk", thought="they will leave", urge=6))


def test_a_full_disk_is_a_clear_error_and_the_earlier_records_stay(companion_home) -> None:  # type: ignore[no-untyped-def]
    with Store.open() as store:
        _earlier(store)
        before = _saved(store)
        _fill(store)
        with pytest.raises(StoreError) as caught:
            Journal(store).add(Entry(situation=LONG))
        assert caught.value.message == "the disk is full"
        assert "free some space" in caught.value.fix and str(store.path.parent) in caught.value.fix
        assert _saved(store) == before
        assert store.connection.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        _free(store)
        Journal(store).add(Entry(situation=LONG))  # room again: saving works as before
        assert len(_saved(store)[1]) == len(before[1]) + 1


def _journal_session(store: Store) -> Session:
    prompts, extra = load_journal_content()
    journal = Journal(store)

    def keep(session: Session) -> None:
        EntryKeeper(session.runtime, lambda: journal)

    return build_session(Settings(text=True), JournalFlow, prompts, extra,
                         vocabulary=journal_vocabulary(extra["commands"]), store=store,
                         setup=keep)


def test_a_full_disk_during_a_session_is_said_once_and_the_session_goes_on(
        companion_home) -> None:  # type: ignore[no-untyped-def]
    store = Store.open()
    _earlier(store)
    before = _saved(store)
    session = _journal_session(store)
    out = io.StringIO()
    session.runtime.shell.screen.console.file = out
    session.runtime.shell.keyboard = False
    answers = [LONG, "anxious 6", "skip", "7", "stayed", "change that", "took a break",
               *["skip"] * 5, "yes"]

    def person() -> None:
        """Types the record once asked, and once told it could not be saved, declines."""
        deadline = time.monotonic() + 20
        while "What happened" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        for line in answers:
            session.runtime.post(ev.Typed(line))
        deadline = time.monotonic() + 20
        while "Shall I try again?" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        session.runtime.post(ev.Typed("no"))
        deadline = time.monotonic() + 20
        while not session.runtime.flow.ended and time.monotonic() < deadline:
            time.sleep(0.05)
        if not session.runtime.flow.ended:
            session.runtime.post(ev.Interrupted())  # fail below, not hang

    threading.Thread(target=person, daemon=True).start()
    _fill(store)
    session.run()  # on this thread: SQLite connections belong to the thread that opened them
    text = out.getvalue()
    assert "I couldn't save it: the disk is full." in text, text[-600:]
    assert "took a break" in text  # the words stay on screen
    assert text.count("Not saved: the disk is full (free some space on the disk") == 1
    assert "Traceback" not in text
    assert session.runtime.flow.ended  # the session went on to its end
    with Store.open() as check:  # the session closed its store; opening runs quick_check
        sessions, entries = _saved(check)
    assert entries == before[1]  # the failed write left everything as it was
    assert sessions[: len(before[0])] == before[0]  # (a small session row may still fit)
