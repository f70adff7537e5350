"""`companion listen --from FILE.wav`: a file of commands gives the right JSON records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from companion.intents import Vocabulary
from companion.listen import listen_file
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
