"""`companion ground --text` end to end in a pseudo-terminal: real CLI, real store."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from companion.cli import build_parser, main
from tests.terminal import Terminal


def _sessions(home: Path) -> list[tuple[str, int, dict]]:
    db = home / "data" / "companion.db"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT kind, completed, details FROM sessions ORDER BY id").fetchall()
    return [(k, c, json.loads(d)) for k, c, d in rows]


def test_whole_session_typed(companion_home: Path) -> None:
    term = Terminal("ground", "--text", "--region", "US")
    try:
        at = term.expect("not a therapist")
        at = term.expect("say next", after=at)
        term.type("help")
        at = term.expect('"stop" or "i\'m done"', after=at)
        term.type("n")
        at = term.expect("breathe slowly together", after=at)
        term.type("no")
        at = term.expect("One.", after=at)
        term.type("next")
        at = term.expect("Where do you feel it", after=at)
        term.type("a knot in my stomach")
        at = term.expect("Noticing it is already a step", after=at)
        term.type("they're going to leave me")
        at = term.expect("I heard: they're going to leave me.", after=at)
        for _ in range(3):
            term.type("next")
        at = term.expect("keep what you said in your journal?", after=at)
        term.type("yes")
        at = term.expect("Kept in your journal.", after=at)
        at = term.expect("What feels right now?", after=at)
        term.type("stay")
        at = term.expect("Can you help me stay?", after=at)
        term.type("no")
        term.expect("You paused, noticed your body, questioned the thought, kept your answers "
                    "in your journal, and chose to stay.", after=at)
        assert term.wait() == 0
    finally:
        term.close()
    kind, completed, details = _sessions(companion_home)[-1]
    assert (kind, completed, details["choice"]) == ("ground", 1, "stay")
    assert "leave me" not in json.dumps(details)  # the session record holds no answers
    with sqlite3.connect(companion_home / "data" / "companion.db") as db:
        kept = db.execute("SELECT body, thought, session_id FROM entries").fetchall()
        [(session_id,)] = db.execute("SELECT id FROM sessions WHERE kind = 'ground'").fetchall()
    assert kept == [("a knot in my stomach", "they're going to leave me", session_id)]
    mode = (companion_home / "data" / "companion.db").stat().st_mode & 0o777
    assert mode == 0o600


def test_fifty_lines_typed_ahead_are_all_handled_in_order(companion_home: Path) -> None:
    """Piped at once: each line reaches the step it was typed for, none is dropped."""
    import subprocess
    import sys

    path = ["n", "no", "next", "a knot in my stomach", "they're going to leave me",
            "next", "next", "next", "yes", "stay", "no"]
    lines = ["repeat", "slower", "faster"] * 13 + path
    assert len(lines) == 50
    done = subprocess.run([sys.executable, "-m", "companion", "ground", "--text"],
                          input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=60, env={**os.environ, "COMPANION_HOME": str(companion_home)})
    assert done.returncode == 0, done.stderr
    assert "didn't catch" not in done.stdout
    assert done.stdout.count("I'll speak more slowly.") == 13
    assert "Kept in your journal." in done.stdout and "chose to stay" in done.stdout
    kind, completed, details = _sessions(companion_home)[-1]
    assert (kind, completed, details["choice"]) == ("ground", 1, "stay")


def test_crisis_typed_shows_resources_first(companion_home: Path) -> None:
    term = Terminal("ground", "--text", "--region", "UK")
    try:
        at = term.expect("say next")
        term.type("I just want to end my life")
        at = term.expect("Samaritans", after=at)
        at = term.expect("116 123", after=at)
        term.type("stop")
        assert term.wait() == 0
    finally:
        term.close()
    assert _sessions(companion_home)[-1][1] == 0


def test_abuse_typed_is_answered_discreetly_with_a_quiet_end(companion_home: Path) -> None:
    term = Terminal("ground", "--text", "--region", "US")
    try:
        at = term.expect("say next")
        term.type("my boyfriend hit me again last night and said worse is coming")
        at = term.expect("I've put some numbers on your screen. If you are in danger now, "
                         "call nine one one.", after=at)
        assert "1-800-799-7233" in term.output and "end quietly" in term.output
        assert "worse is coming" not in term.output[at:].replace("> ", "")  # never said back
        term.type("stop")
        end = term.expect("Ended quietly.", after=at)
        assert term.wait() == 0
        assert "1-800-799-7233" in term.output[end:]  # the numbers are the last thing shown
    finally:
        term.close()


def test_discreet_puts_crisis_words_on_screen_only(companion_home: Path) -> None:
    term = Terminal("ground", "--text", "--region", "US", "--discreet")
    try:
        at = term.expect("say next")
        term.type("i swallowed all my sleeping pills")
        at = term.expect("988", after=at)
        term.type("stop")
        assert term.wait() == 0
        assert "call or text nine eight eight" not in term.output  # the spoken form
    finally:
        term.close()


def test_words_written_to_the_journal_from_flags_are_checked(companion_home: Path,
                                                             capsys: pytest.CaptureFixture
                                                             ) -> None:
    assert main(["journal", "add", "--situation", "a row about the dishes"]) == 0
    assert "Help now" not in capsys.readouterr().err
    assert main(["journal", "add", "--thought", "nobody would notice if i was gone",
                 "--region", "UK"]) == 0
    err = capsys.readouterr().err
    assert "116 123" in err and "Samaritans" in err


def test_ctrl_c_mid_session_keeps_the_record(companion_home: Path) -> None:
    term = Terminal("ground", "--text")
    try:
        at = term.expect("say next")
        term.type("n")
        term.expect("breathe slowly together", after=at)
        term.ctrl_c()
        assert term.wait() == 130
        assert "Traceback" not in term.output
        assert "saved" in term.output
    finally:
        term.close()
    kind, completed, details = _sessions(companion_home)[-1]
    assert kind == "ground" and completed == 0 and details["steps"] == ["arrived"]


def test_no_arguments_starts_ground(companion_home: Path) -> None:
    term = Terminal("--text")
    try:
        term.expect("I'm here with you")
        term.type("q")
        assert term.wait() == 0
    finally:
        term.close()


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    subactions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    names = sorted(subactions[0].choices)  # type: ignore[attr-defined]
    assert {"ground", "listen", "model", "devices", "doctor"} <= set(names)
    for name in names:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        assert capsys.readouterr().out.strip()
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for name in names:
        assert f"companion {name}" in readme or f"companion {name} " in readme


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("companion 0.")


def test_diagram_is_written_from_the_machine_and_the_readme_shows_it(tmp_path: Path) -> None:
    out = tmp_path / "flow.md"
    assert main(["ground", "--diagram", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("```mermaid") and "stateDiagram-v2" in text
    assert "choose --> stay" in text and "keep_offer --> keeping" in text
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert text in readme, "README's diagram is stale: paste `companion ground --diagram` in"


def test_corrupt_user_content_names_file_and_line(companion_home: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = companion_home / "config"
    config.mkdir(parents=True)
    (config / "ground.toml").write_text('[prompts]\narrive = "unclosed\n')
    assert main(["ground", "--text"]) == 3
    err = capsys.readouterr().err
    assert "ground.toml, line 2" in err and "fix:" in err and "Traceback" not in err


def test_unknown_region_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ground", "--text", "--region", "Atlantis"]) != 0
    err = capsys.readouterr().err
    assert "Atlantis" in err and "UK" in err
