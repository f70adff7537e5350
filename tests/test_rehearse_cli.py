"""`companion rehearse` at the command line: wording, real scoring of recordings, progress.

Scoring runs the real pocketsphinx recognizer on attempts synthesized at test
time (flite voices), through the real CLI.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from companion.cli import main
from companion.normalize import normalize
from companion.rehearse.phrases import built_in
from tests.speech import synth, tools_available

PARTS = built_in()["disclosure"].parts
OTHER = "I went to the shop this morning and bought some bread and milk for the week."
needs_speech = pytest.mark.skipif(not tools_available(), reason="flite/sox not installed")


def companion(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "companion", *args], input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def attempts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("attempts")
    return {
        "whole": synth(" ".join(PARTS), "slt", folder),
        "no_help": synth(" ".join(PARTS[:4]), "awb", folder),
        "no_learning": synth(" ".join(PARTS[:1] + PARTS[2:]), "rms", folder),
        "other": synth(OTHER, "slt", folder),
    }


def score(wav: Path, *extra: str) -> dict:
    done = companion("rehearse", "score", "--from", str(wav), "--engine", "pocketsphinx",
                     "--json", *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@needs_speech
def test_the_whole_phrase_comes_through(attempts: dict[str, Path]) -> None:
    result = score(attempts["whole"], "--exact")
    assert result["completeness"] >= 0.9
    assert 100 < result["wpm"] < 300 and result["long_pauses"] == 0
    assert score(attempts["whole"])["message"] >= 0.8


@needs_speech
@pytest.mark.parametrize(("name", "part"), [
    ("no_help", 4), pytest.param("no_learning", 1, marks=pytest.mark.slow)])
def test_a_dropped_clause_is_named(attempts: dict[str, Path], name: str, part: int) -> None:
    result = score(attempts[name], "--exact")
    dropped = normalize(PARTS[part]).split()
    truth = 1 - len(dropped) / len(normalize(" ".join(PARTS)).split())
    assert abs(result["completeness"] - truth) <= 0.06
    assert set(dropped) <= set(result["missed"])
    assert not score(attempts[name])["parts"][part]["idea"]


@needs_speech
def test_a_different_sentence_scores_low(attempts: dict[str, Path]) -> None:
    result = score(attempts["other"])
    assert result["completeness"] < 0.2 and result["message"] <= 0.2


def test_typed_words_are_scored_by_meaning_and_by_words() -> None:
    done = companion("rehearse", "score", "--text",
                     "I feel the urge to walk away. Can you help me stay?")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [p["idea"] for p in result["parts"]] == [True, False, False, False, True]
    assert result["message"] == 0.4 and result["parts"][4]["words"] == 1.0
    assert {"completeness", "missed", "substituted", "wpm", "long_pauses"} <= set(result)


def test_an_unreadable_recording_is_one_line_with_a_fix(tmp_path: Path) -> None:
    bad = tmp_path / "attempt.wav"
    bad.write_bytes(b"not a wav at all")
    done = companion("rehearse", "score", "--from", str(bad), "--engine", "pocketsphinx")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "attempt.wav" in done.stderr and "fix:" in done.stderr


def test_own_wording_is_kept_privately_and_can_be_reset(companion_home: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rehearse", "phrase", "set", "mine", "I want to leave. Please help me stay."]) == 0
    assert "in 2 parts" in capsys.readouterr().out
    assert main(["rehearse", "phrase", "set", "disclosure", "I feel the urge to go. "
                 "I am learning to stay. Can you help me stay?"]) == 0
    capsys.readouterr()
    assert main(["rehearse", "phrase", "list"]) == 0
    listing = capsys.readouterr().out
    assert "mine" in listing and "your wording" in listing
    assert main(["rehearse", "phrase", "show", "disclosure"]) == 0
    assert "3. Can you help me stay?" in capsys.readouterr().out
    database = companion_home / "data" / "companion.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert main(["rehearse", "phrase", "reset", "disclosure"]) == 0
    assert "back to the built-in wording" in capsys.readouterr().out
    assert main(["rehearse", "phrase", "show", "disclosure"]) == 0
    assert PARTS[0] in capsys.readouterr().out


def test_bad_names_and_empty_wording_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rehearse", "phrase", "set", "My Phrase!", "words"]) == 2
    assert main(["rehearse", "phrase", "set", "mine", "  ...  "]) == 2
    assert main(["rehearse", "phrase", "show", "nothing-here"]) == 2
    err = capsys.readouterr().err
    assert "not a phrase name" in err and "no words" in err and "fix:" in err


def test_the_ground_session_says_along_with_the_persons_own_wording() -> None:
    from companion.ground.content import load_ground_content

    assert main(["rehearse", "phrase", "set", "disclosure", "I want to go. Help me stay."]) == 0
    _, extra = load_ground_content()
    assert extra["phrases"]["disclosure"] == ["I want to go.", "Help me stay."]


def test_a_typed_session_keeps_attempts_and_progress_plots_them(tmp_path: Path) -> None:
    missing_one = " ".join(PARTS[:4])
    typed = "\n".join(["say it all", missing_one, "yes", PARTS[4], " ".join(PARTS), "stop", ""])
    done = companion("rehearse", "--text", stdin=typed)
    assert done.returncode == 0, done.stderr
    assert "You left out the part where you ask for help to stay." in done.stdout
    assert "Ideas that came through: 5 of 5" in done.stdout
    plot = tmp_path / "progress.png"
    done = companion("rehearse", "--progress", "--plot", str(plot))
    assert done.returncode == 0, done.stderr
    assert "1/3 sessions" in done.stdout and "100%" in done.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(plot.stat().st_mode) == 0o600


def test_a_corrupt_phrases_file_names_its_line(companion_home: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    config = companion_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "phrases.toml").write_text('[phrases.disclosure]\nparts = "oops\n')
    assert main(["rehearse", "phrase", "list"]) != 0
    err = capsys.readouterr().err
    assert "phrases.toml, line 2" in err and "fix:" in err and "Traceback" not in err
