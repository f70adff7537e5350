"""`companion listen`: a file of commands gives the right JSON records; what a person
checking their microphone is told about its sound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from companion.intents import Vocabulary
from companion.listen import input_notes, listen_file
from companion.recognition.base import InputLevels
from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer
from tests.speech import concatenate, synth, tools_available

pytestmark = pytest.mark.skipif(not tools_available(), reason="needs espeak-ng, flite and sox")


def test_commands_separated_by_silence(tmp_path: Path) -> None:
    vocab = Vocabulary.load(Path("/nonexistent"))
    said = ["next", "i am ready", "the weather was lovely this afternoon", "stop", "help"]
    wav, spans = concatenate([synth(s, "awb", tmp_path) for s in said], tmp_path / "all.wav")
    records = list(listen_file(wav, PocketsphinxRecognizer(), vocab))
    json.dumps(records)  # what the CLI prints
    assert [r["intent"] for r in records] == ["next", "next", "stop", "help"]
    expected = [spans[0], spans[1], spans[3], spans[4]]
    for record, (start, end) in zip(records, expected, strict=True):
        assert abs(record["start"] - start) < 0.35 and abs(record["end"] - end) < 0.35, record
        assert set(record) == {"start", "end", "text", "intent", "confidence"}


def test_a_good_microphone_gets_no_notes() -> None:
    assert input_notes(InputLevels(False, -75.0, -24.0)) == {}
    assert input_notes(InputLevels(False, None, None)) == {}  # nothing measured yet


def test_each_microphone_problem_is_named_with_what_to_do() -> None:
    notes = input_notes(InputLevels(telephone_band=True, noise_dbfs=-38.2, speech_dbfs=-52.0))
    assert set(notes) == {"band", "noise", "quiet"}
    assert "Bluetooth" in notes["band"] and "wired or built-in" in notes["band"]
    assert "-38 dBFS" in notes["noise"] and "closer microphone" in notes["noise"]
    assert "-52 dBFS" in notes["quiet"] and "input volume" in notes["quiet"]
