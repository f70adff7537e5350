"""The voice profile: its files, forgetting, damage, and the recognizer using it."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest

from companion.cli import main
from companion.doctor import _voice_profile as doctor_check
from companion.recognition.base import Grammar
from companion.recognition.engines import open_recognizer
from companion.voice import profile as store
from companion.voice.adapt import tools_missing
from companion.voice.model_files import read_sendump, stock_model
from tests.speech import read_samples, synth, tools_available


def _fake_profile(tmp_path: Path) -> store.Profile:
    """A profile whose model files are the stock model's own (no sphinxtrain needed)."""
    model = stock_model()
    takes = [(phrase, np.zeros(1600, np.int16)) for phrase in ("next", "stop", "next")]
    return store.save(model, {"mean": "means", "var": "variances", "sendump": "sendump"},
                      "map", takes, 1.0)


def test_sendump_reads_as_probabilities() -> None:
    weights = read_sendump(stock_model() / "sendump")
    assert weights.shape[1:] == (3, 128)
    assert np.allclose(weights.sum(axis=2), 1.0)


def test_a_saved_profile_is_private_and_loads(tmp_path: Path) -> None:
    saved = _fake_profile(tmp_path)
    assert store.load() == saved
    assert saved.phrases == {"next": 2, "stop": 1}
    base = store.folder()
    for path in [base, *base.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    options = store.decoder_options()
    assert set(options) == {"mean", "var", "sendump"}
    assert all(Path(p).is_file() and Path(p).is_relative_to(base) for p in options.values())


def test_forget_removes_every_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _fake_profile(tmp_path)
    files = [p for p in store.folder().rglob("*") if p.is_file()]
    assert len(files) >= 6  # manifest, three model files, the takes and their list
    assert main(["voice", "forget", "--yes"]) == 0
    assert not store.folder().exists()
    assert not any(p.exists() for p in files)
    assert main(["voice", "show"]) == 0
    assert "No voice profile" in capsys.readouterr().out


def test_forget_asks_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_profile(tmp_path)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    assert main(["voice", "forget"]) == 1
    assert store.load() is not None
    monkeypatch.setattr("builtins.input", lambda prompt: "forget")
    assert main(["voice", "forget"]) == 0
    assert store.load() is None


@pytest.mark.parametrize("damage", ["model file", "manifest", "missing file"])
def test_a_damaged_profile_gives_one_message_and_listening_goes_on(
        tmp_path: Path, damage: str, capsys: pytest.CaptureFixture) -> None:
    _fake_profile(tmp_path)
    base = store.folder()
    if damage == "model file":
        with (base / "model" / "means").open("r+b") as f:
            f.seek(5000)
            f.write(b"\xff\xff")
    elif damage == "manifest":
        (base / "profile.json").write_text("{not json", encoding="utf-8")
    else:
        (base / "model" / "sendump").unlink()
    with pytest.raises(store.VoiceProfileError):
        store.load()
    with pytest.raises(store.VoiceProfileError, match="voice forget"):
        doctor_check()  # `companion doctor` prints the message and the fix
    warnings: list[str] = []
    rec = open_recognizer("pocketsphinx", warn=warnings.append)
    rec.set_grammar(Grammar(phrases=("next", "stop")))
    assert len(warnings) == 1 and "voice profile" in warnings[0]
    assert "companion voice teach" in warnings[0]


def test_show_reports_what_was_taught(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _fake_profile(tmp_path)
    store.record_check({"commands": 2, "heard_without": 1, "heard_with": 2, "on": "the takes"})
    assert main(["voice", "show"]) == 0
    out = capsys.readouterr().out
    assert "3 (" in out and "2 x next" in out and "1/2 without" in out and "2/2 with" in out
    assert json.loads((store.folder() / "profile.json").read_text())["check"]["heard_with"] == 2
    assert "from 3 takes" in doctor_check()


needs_tools = pytest.mark.skipif(not tools_available() or bool(tools_missing()),
                                 reason="needs espeak-ng, flite, sox and sphinxtrain")
# Takes are made with other settings than the test audio (espeak-ng's default rate for
# these voices is 140-150 wpm and pitch 50): slower and lower, faster and higher.
TEACH_SETTINGS = (("-s", "125", "-p", "38"), ("-s", "175", "-p", "64"))
VOICES = ("espeak-f2", "espeak-gb-annie", "espeak-us-grandpa")  # tuning voices


def _heard(rec: object, wav: Path) -> list[str]:
    samples = np.concatenate([read_samples(wav), np.zeros(16000, np.int16)])
    rec.reset()  # type: ignore[attr-defined]
    hyps = rec.accept(samples) + rec.flush()  # type: ignore[attr-defined]
    return [h.text for h in hyps if h.final and h.text]


@pytest.mark.slow
@needs_tools
def test_a_taught_profile_hears_commands_better(tmp_path: Path) -> None:
    from companion.intents import Vocabulary
    from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer
    from companion.safety import Safety
    from companion.voice.adapt import Take
    from companion.voice.flow import phrases_to_teach
    from companion.voice.teach import teach

    vocab = Vocabulary.load()
    phrases = vocab.all_phrases()
    right = {"without": 0, "with": 0}
    total = 0
    for voice in VOICES:
        takes = [Take(p, read_samples(synth(p, voice, tmp_path, "clean", args)))
                 for p in phrases_to_teach(vocab, Safety.load("US"))
                 for args in TEACH_SETTINGS]
        profile = teach(takes)
        assert profile.adapt_s <= 10.0
        for label, acoustic in (("without", {}), ("with", store.decoder_options())):
            rec = PocketsphinxRecognizer(acoustic=acoustic)
            rec.set_grammar(Grammar(phrases=phrases))
            for variant in ("clean", "fast"):
                for phrase in phrases:
                    right[label] += _heard(rec, synth(phrase, voice, tmp_path, variant)) == [phrase]
        total += 2 * len(phrases)
    assert right["with"] >= right["without"] + 0.1 * total, right
    assert right["with"] >= 0.9 * total, right


@pytest.mark.slow
@needs_tools
def test_teach_from_a_folder_then_listen_uses_it(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    import shutil

    from companion.intents import Vocabulary

    folder = tmp_path / "takes"
    folder.mkdir()
    lines = []
    for i, phrase in enumerate(Vocabulary.load().all_phrases()):
        for j, args in enumerate(TEACH_SETTINGS):
            name = f"take-{i}-{j}.wav"
            shutil.copyfile(synth(phrase, "espeak-f2", tmp_path, "clean", args), folder / name)
            lines.append(f"{name}\t{phrase}")
    (folder / "takes.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["voice", "teach", "--from", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Learned your voice" in out and "with it" in out
    profile = store.load()
    assert profile is not None and profile.takes == len(lines)
    assert profile.check["heard_with"] >= profile.check["heard_without"]
    wav = synth("slow down", "espeak-f2", tmp_path, "slow")
    assert main(["listen", "--from", str(wav), "--engine", "pocketsphinx"]) == 0
    assert main(["listen", "--from", str(wav), "--engine", "pocketsphinx",
                 "--no-voice-profile"]) == 0


def test_teaching_by_keyboard_alone_says_what_to_do_instead(
        capsys: pytest.CaptureFixture) -> None:
    assert main(["voice", "teach", "--text"]) != 0
    err = capsys.readouterr().err
    assert "needs a microphone" in err and "companion voice teach --from FOLDER" in err


def test_takes_tsv_mistakes_name_the_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "takes.tsv").write_text("a.wav next\n", encoding="utf-8")
    assert main(["voice", "teach", "--from", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "takes.tsv, line 1" in err and "tab" in err
    assert store.load() is None
