"""`companion voice teach` by voice, end to end through PulseAudio virtual devices.

Real CLI, real microphone stream, real text-to-speech, real pocketsphinx and
sphinxtrain: the person's takes are played into the virtual microphone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.intents import Vocabulary
from companion.voice.adapt import tools_missing
from tests.pulse import PulseServer
from tests.speech import synth, tools_available
from tests.voice_session import VoiceSession

pytestmark = [
    pytest.mark.audio,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_available() or bool(tools_missing()),
                       reason="espeak-ng/flite/sox or sphinxtrain not installed"),
]


def test_teach_by_voice_with_skip_and_stop(pulse: PulseServer, companion_home: Path,
                                           tmp_path: Path) -> None:
    config = companion_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "voice.toml").write_text("[teach]\ntakes_per_phrase = 1\nsentences = []\n",
                                       encoding="utf-8")
    phrases = Vocabulary.load(Path("/nonexistent")).all_phrases()
    session = VoiceSession(pulse, companion_home, "voice", "teach")
    try:
        session.wait_listening()
        session.say(synth("skip", "espeak-f2", tmp_path))
        session.expect("Skipped.")
        for phrase in phrases[1:11]:
            session.expect(f"take 1 of 1: {phrase}")
            session.wait_listening()
            session.say(synth(phrase, "espeak-f2", tmp_path, "clean", ("-s", "130")))
        session.wait_listening()
        session.say(synth("stop", "espeak-f2", tmp_path))
        session.expect("Stopping here")
        line = session.expect("Learned your voice from", timeout_s=30)
        assert "from 10 takes" in line
        session.expect("listen for your voice from now on")
        session.expect("with it", timeout_s=60)
        assert session.finish(30) == 0
    finally:
        session.close()
    takes = (companion_home / "data" / "voice" / "takes" / "takes.tsv").read_text()
    assert [line.split("\t")[1] for line in takes.splitlines()] == list(phrases[1:11])
