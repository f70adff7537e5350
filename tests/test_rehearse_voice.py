"""`companion rehearse` end to end by voice, through PulseAudio virtual devices.

A chunked repeat-after-me session: the real CLI says each bit, attempts are
played into the virtual microphone, the real recognizer scores them and the
companion answers out loud.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from companion.rehearse.phrases import built_in
from tests.pulse import PulseServer
from tests.speech import synth, tools_available
from tests.voice_session import VoiceSession

pytestmark = [
    pytest.mark.audio,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_available(), reason="espeak-ng/flite/sox not installed"),
]
PARTS = built_in()["disclosure"].parts


def test_repeat_after_me_by_voice(pulse: PulseServer, companion_home: Path,
                                  tmp_path: Path) -> None:
    spoken = {name: synth(text, "awb", tmp_path) for name, text in
              (("first", PARTS[0]), ("second", PARTS[1]), ("stop", "stop"))}
    session = VoiceSession(pulse, companion_home, "rehearse", "--mode", "along",
                           "--engine", "pocketsphinx")
    try:
        session.expect("Say each bit after me")
        session.expect(PARTS[0])
        session.wait_listening()
        session.say(spoken["first"])
        line = session.expect("Ideas that came through:")
        assert "1 of 1" in line
        session.expect("All of that came through")
        session.expect(PARTS[1])
        session.wait_listening()
        session.say(spoken["second"])
        session.expect("All of that came through")
        session.expect(f"{PARTS[0]} {PARTS[1]}")  # the two joined
        session.wait_listening()
        session.say(spoken["second"])  # the first part left out
        session.expect("You left out the part where you name the urge to leave")
        session.wait_listening()
        session.say(spoken["stop"])
        session.expect("we'll stop here")
        assert session.finish() == 0
    finally:
        session.close()
    done = VoiceSession(pulse, companion_home, "rehearse", "--progress")
    try:
        done.expect("part 1: 1/3 sessions")
        done.expect("part 2: 1/3 sessions")
        assert done.finish() == 0
    finally:
        done.close()
