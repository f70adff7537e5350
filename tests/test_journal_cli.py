"""`companion journal ...` in-process, as a person or a script would use it."""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from companion import cli
from companion.journal import cli as journal_cli
from companion.journal.repo import Journal
from companion.store import Store, default_path


def _main() -> Callable[[list[str]], int]:
    """The shared CLI once it has the journal hook; the journal's own until then."""
    parser = cli.build_parser()
    action: Any = parser._subparsers._group_actions[0]  # type: ignore[union-attr]
    return cli.main if "journal" in action.choices else journal_cli.main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = _main()(["journal", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def add(capsys: pytest.CaptureFixture[str], *flags: str) -> int:
    code, out, _ = run(capsys, "add", *flags)
    assert code == 0 and out.startswith("saved journal entry ")
    return int(out.split()[-1])


def seed(capsys: pytest.CaptureFixture[str]) -> list[int]:
    return [
        add(capsys, "--situation", "they didn't reply to my text", "--emotion", "anxious:7",
            "--emotion", "sad", "--urge", "7", "--did", "I stayed", "--thought",
            "they are leaving", "--at", "2024-05-01T21:30"),
        add(capsys, "--situation", "plans cancelled last minute", "--emotion", "angry:5",
            "--urge", "5", "--did", "took a break", "--at", "2024-05-02T20:00"),
        add(capsys, "--situation", "a critical remark", "--emotion", "anxious:4", "--urge", "3",
            "--did", "stayed", "--notes", "talked it through", "--at", "2024-05-03T19:00"),
    ]


def test_add_list_show(capsys: pytest.CaptureFixture[str]) -> None:
    a, b, c = seed(capsys)
    code, out, _ = run(capsys, "list")
    lines = out.splitlines()
    assert code == 0 and [int(line.split()[0]) for line in lines] == [c, b, a]
    assert "urge  7" in lines[2] and "stayed" in lines[2] and "didn't reply" in lines[2]
    code, out, _ = run(capsys, "list", "--limit", "1")
    assert out.splitlines()[-1] == "(1 of 3; `--all` shows every entry)"
    code, out, _ = run(capsys, "show", str(a))
    assert "Feelings: anxious 7, sad" in out and "What I did: stayed" in out
    assert "Thought: they are leaving" in out and "Body" not in out


def test_search_edit_delete(capsys: pytest.CaptureFixture[str]) -> None:
    a, b, c = seed(capsys)
    code, out, _ = run(capsys, "search", "anx")
    assert code == 0 and [int(x.split()[0]) for x in out.splitlines()] == [c, a]
    code, out, _ = run(capsys, "edit", str(a), "--urge", "4", "--clear", "thought")
    assert code == 0 and out == f"updated journal entry {a}\n"
    _, out, _ = run(capsys, "show", str(a))
    assert "Urge to run: 4" in out and "Thought" not in out
    _, out, _ = run(capsys, "search", "leaving")
    assert out.startswith("No entries hold all of")
    code, out, _ = run(capsys, "delete", str(b))
    assert code == 0 and out == f"deleted journal entry {b}\n"
    code, _, err = run(capsys, "show", str(b))
    assert code == 8 and f"there is no journal entry {b}" in err and "fix:" in err
    code, _, err = run(capsys, "edit", str(a))
    assert code == 8 and "nothing to change" in err


def test_bad_values_are_clear_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "add", "--situation", "x", "--urge", "12")
    assert code == 8 and "0 to 10" in err
    code, _, err = run(capsys, "add", "--emotion", "anxious:lots")
    assert code == 8 and "not a number" in err and "anxious:7" in err
    code, _, err = run(capsys, "add", "--situation", "x", "--at", "yesterday-ish")
    assert code == 8 and "cannot read the time" in err


def test_delete_all_needs_typed_confirmation(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    seed(capsys)
    db = default_path()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    code, out, _ = run(capsys, "delete", "--all")
    assert code == 1 and "Nothing was deleted" in out and db.exists()
    monkeypatch.setattr("builtins.input", lambda prompt: "delete")
    code, out, _ = run(capsys, "delete", "--all")
    assert code == 0 and "all 3 journal entries" in out
    assert not any(db.parent.glob("companion.db*"))


def test_delete_all_yes_for_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    seed(capsys)
    assert run(capsys, "delete", "--all", "--yes")[0] == 0
    assert not any(default_path().parent.glob("companion.db*"))
    _, out, _ = run(capsys, "list")
    assert "empty" in out


def test_export_import_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    seed(capsys)
    with Store.open() as store:
        session = store.record_session("ground", *_times(), True, {"choice": "stay"})
        Journal(store).link_session([1], session)
    first = tmp_path / "first.json"
    code, _, err = run(capsys, "export", "--format", "json", "--out", str(first))
    assert code == 0 and "exported 3 entries" in err
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert run(capsys, "delete", "--all", "--yes")[0] == 0
    code, out, _ = run(capsys, "import", str(first))
    assert code == 0 and "3 added" in out
    second = tmp_path / "second.json"
    run(capsys, "export", "--format", "json", "--out", str(second))
    assert second.read_text() == first.read_text()  # exact, session link included
    assert json.loads(second.read_text())["sessions"][0]["details"] == {"choice": "stay"}
    code, out, _ = run(capsys, "import", str(first))  # the same file again: no duplicates
    assert "0 added" in out and "3 already here" in out
    _, out, _ = run(capsys, "list")
    assert len(out.splitlines()) == 3


def test_import_prefers_the_newer_version(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    seed(capsys)
    old = tmp_path / "old.json"
    run(capsys, "export", "--format", "json", "--out", str(old))
    run(capsys, "edit", "1", "--urge", "2")
    newer = tmp_path / "newer.json"
    run(capsys, "export", "--format", "json", "--out", str(newer))
    _, out, _ = run(capsys, "import", str(old))  # older than what is here: kept local
    assert "1 kept" in out
    data = json.loads(newer.read_text())
    data["entries"][0]["updated_at"] = "2099-01-01T00:00:00.000+00:00"
    data["entries"][0]["urge"] = 9
    newer.write_text(json.dumps(data))
    _, out, _ = run(capsys, "import", str(newer))
    assert "1 updated" in out
    assert "Urge to run: 9" in run(capsys, "show", "1")[1]


def test_import_rejects_other_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    code, _, err = run(capsys, "import", str(bad))
    assert code == 8 and "not a companion journal export" in err
    bad.write_text("{not json")
    code, _, err = run(capsys, "import", str(bad))
    assert code == 8 and "is not JSON" in err


def test_export_md_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    seed(capsys)
    code, out, _ = run(capsys, "export", "--format", "md")
    assert code == 0 and out.startswith("# Journal") and "- **Urge to run:** 7" in out
    code, out, _ = run(capsys, "export", "--format", "csv")
    rows = out.splitlines()
    assert rows[0].startswith("id,uuid,created_at") and len(rows) == 4
    assert "anxious:7; sad" in rows[1]


def test_export_is_a_consistent_snapshot(capsys: pytest.CaptureFixture[str]) -> None:
    seed(capsys)
    writer = sqlite3.connect(default_path(), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE entries SET situation = 'half written' WHERE id = 1")
    try:
        code, out, _ = run(capsys, "export", "--format", "json")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert code == 0 and "half written" not in out and len(json.loads(out)["entries"]) == 3
    assert not list(default_path().parent.glob(".export-*"))  # the temp snapshot is gone


def test_stats_and_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    seed(capsys)
    png = tmp_path / "stats.png"
    code, out, _ = run(capsys, "stats", "--plot", str(png))
    assert code == 0
    assert "a late or missing message" in out and "a cancelled plan" in out
    assert "2  anxious  (5.5)" in out
    assert "2  times I stayed" in out and "1  times I took a break" in out
    assert "2024-05-01   7.0  #######" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_corrupt_database_message_via_cli(capsys: pytest.CaptureFixture[str]) -> None:
    path = default_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database at all" * 100)
    code, _, err = run(capsys, "list")
    assert code == 7 and "is damaged" in err and "fix: move it aside" in err
    assert path.read_bytes() == b"not a database at all" * 100


def test_every_journal_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("add", "list", "show", "search", "edit", "delete", "export", "import",
                    "stats"):
        with pytest.raises(SystemExit) as done:
            _main()(["journal", command, "--help"])
        assert done.value.code == 0
        assert "usage:" in capsys.readouterr().out


def test_the_journal_never_imports_network_modules() -> None:
    folder = Path(journal_cli.__file__).parent
    for source in folder.glob("*.py"):
        text = source.read_text()
        for name in ("socket", "urllib", "http.client", "requests", "ssl"):
            assert f"import {name}" not in text and f"from {name}" not in text, source


def test_typed_thought_record_end_to_end(companion_home: Path) -> None:
    """`journal add --text` in a subprocess: answers typed, saved only after yes."""
    env = {**os.environ, "COMPANION_HOME": str(companion_home), "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "companion", "journal", "add",
                             "--text"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    answers = ["my partner went quiet at dinner", "anxious 6", "skip", "7", "stayed",
               "change that", "took a break", *["skip"] * 5, "yes"]
    seen: list[str] = []
    # A reader thread, not select(): select misses lines already in readline's buffer.
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout],  # type: ignore
                     daemon=True).start()
    deadline = time.monotonic() + 30
    typed = False
    while time.monotonic() < deadline and not any(line.startswith("Saved.") for line in seen):
        try:
            seen.append(lines.get(timeout=1.0).strip())
        except queue.Empty:
            if proc.poll() is not None:
                break
        if not typed and any(line.startswith("What happened") for line in seen):
            # Type once the first question is up (as a person would): the shared runtime
            # starts the keyboard thread before Started, so earlier lines could race it.
            proc.stdin.write("\n".join(answers) + "\n")
            proc.stdin.flush()
            typed = True
    proc.stdin.close()
    proc.wait(timeout=30)
    assert any(line.startswith("Saved.") for line in seen), seen[-8:]
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    with Store.open() as store:
        [entry] = Journal(store).recent()
        [session] = store.sessions()
    assert entry.situation == "my partner went quiet at dinner" and entry.urge == 7
    assert entry.did == "took a break" and entry.body == ""
    assert session.kind == "journal" and entry.session_id == session.id
    assert session.completed and session.details["entry_id"] == entry.id


def _times() -> tuple[datetime, datetime]:
    start = datetime(2024, 5, 1, 21, 0, tzinfo=timezone.utc)
    return start, start + timedelta(minutes=5)
