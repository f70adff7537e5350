"""`companion breathe` at the command line: errors with fixes, listing, history, text mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from companion.cli import main as companion_main


def main(argv: list[str]) -> int:
    """`companion breathe ARGV` in-process."""
    return companion_main(["breathe", *argv])


def test_bad_pattern_is_one_line_with_a_fix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--pattern", "4-x-6", "--text"]) == 2
    err = capsys.readouterr().err
    assert "'x' is not a number of seconds" in err and "fix:" in err and "Traceback" not in err
    assert main(["--pattern", "wobble", "--text"]) == 2
    assert "choose one of: 478, box, coherent, count, relax, sigh" in capsys.readouterr().err


def test_rounds_and_minutes_are_checked_and_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--rounds", "0"], ["--minutes", "-1"], ["--rounds", "2", "--minutes", "1"]):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 2
    capsys.readouterr()


def test_list_and_empty_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "box" in out and "4-4-4-4" in out and "sigh" in out
    assert main(["--history"]) == 0
    assert "No breathing sessions yet" in capsys.readouterr().out


def test_text_session_runs_is_recorded_and_listed(companion_home: Path) -> None:
    import os

    env = dict(os.environ, COMPANION_HOME=str(companion_home))
    proc = subprocess.Popen([sys.executable, "-m", "companion", "breathe", "--text", "--pattern",
                             "1-0.5-1", "--rounds", "2"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None
    proc.stdin.write("next\n")
    proc.stdin.flush()
    proc.wait(timeout=30)
    out = proc.stdout.read() if proc.stdout else ""
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert "Breathe in (1 s), breath 2 of 2" in out and "Hold (0.5 s)" in out
    assert "That was the last breath" in out
    listed = subprocess.run([sys.executable, "-m", "companion", "breathe", "--history"], env=env,
                            capture_output=True, text=True, timeout=30, check=True).stdout
    assert "1-0.5-1" in listed and "2/2" in listed and "completed" in listed
