"""Durability: a writer killed with SIGKILL at random moments never loses a commit.

The child prints each entry's id only after ``Journal.add`` returned (the
commit is fsynced: WAL, synchronous=FULL). The parent kills it at random,
then checks that the file is intact and every reported entry is there.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from companion.journal.repo import Journal
from companion.store import Store

RUNS = 100

CHILD = r"""
import sys
from pathlib import Path
from companion.journal.model import Emotion, Entry
from companion.journal.repo import Journal
from companion.store import Store

run = sys.argv[2]
with Store.open(Path(sys.argv[1])) as store:
    journal = Journal(store)
    print("ready", flush=True)
    i = 0
    while True:
        entry_id = journal.add(Entry(situation=f"run {run} entry {i}", urge=i % 11,
                                     emotions=[Emotion("anxious", i % 11)], thought="x" * 300))
        print(entry_id, i, flush=True)
        i += 1
"""


def _read_lines(proc: subprocess.Popen[str], until: float) -> list[str]:
    """The child's first two lines ("ready", the first commit), or fewer by ``until``."""
    assert proc.stdout is not None
    lines: list[str] = []
    while time.monotonic() < until:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, until - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line.endswith("\n"):
            break
        lines.append(line.strip())
        if len(lines) >= 2:  # "ready" and the first commit: the writer is in its loop
            break
    return lines


@pytest.mark.slow
def test_sigkill_at_random_moments_never_loses_a_reported_entry(tmp_path: Path) -> None:
    path = tmp_path / "companion.db"
    rng = random.Random(20240501)
    expected: dict[int, str] = {}
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    kills_while_writing = 0
    for run in range(RUNS):
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(run)],
                                stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        if run % 10 == 9:  # sometimes during start-up: open, integrity check, migration
            time.sleep(rng.uniform(0.0, 0.15))
            lines: list[str] = []
        else:
            lines = _read_lines(proc, time.monotonic() + 10.0)
            assert lines[:1] == ["ready"] and len(lines) == 2, f"child did not start: {lines}"
            time.sleep(rng.uniform(0.0, 0.12))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        rest = proc.stdout.read()
        if not rest.endswith("\n"):  # killed mid-print: that report was never finished
            rest = rest.rpartition("\n")[0]
        reported = [line for line in lines + rest.splitlines() if line and line != "ready"]
        proc.stdout.close()
        kills_while_writing += bool(reported)
        for line in reported:
            entry_id, i = (int(x) for x in line.split())
            expected[entry_id] = f"run {run} entry {i}"
        with Store.open(path) as store:  # runs PRAGMA quick_check: raises if damaged
            assert store.connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            journal = Journal(store)
            found = dict(store.connection.execute(
                "SELECT id, situation FROM entries").fetchall())
            missing = {k: v for k, v in expected.items() if found.get(k) != v}
            assert not missing, f"run {run}: reported but lost: {list(missing.items())[:3]}"
            if reported:  # the index and feelings committed with the row
                last = max(int(line.split()[0]) for line in reported)
                assert journal.get(last).emotions
                assert last in {e.id for e in journal.search(f"run {run}", limit=None)}
    assert kills_while_writing >= RUNS * 9 // 10
    assert len(expected) > RUNS
