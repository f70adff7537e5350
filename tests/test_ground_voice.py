"""`companion ground` end to end by voice, through PulseAudio virtual devices.

Real CLI, real pocketsphinx, real text-to-speech, real output stream: spoken
commands go into the virtual microphone, and what the companion says is
recorded from the speaker and matched against the rendered prompts.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from companion.audio.output import resample
from companion.content_files import load
from companion.tts import SpeechRenderer
from tests.pulse import PulseServer
from tests.speech import synth, tools_available
from tests.voice_session import VoiceSession, find_in_order

pytestmark = [
    pytest.mark.audio,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_available(), reason="espeak-ng/flite/sox not installed"),
]

ENGINE = ("--engine", "pocketsphinx")


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Commands as a person would say them (a flite voice, not the companion's own)."""
    folder = tmp_path_factory.mktemp("spoken")
    return {word: synth(word, "awb", folder) for word in ("next", "repeat", "stop")}


def _prompt_audio(keys: list[str], rate_wpm: int = 140) -> list[np.ndarray]:
    prompts = load("ground.toml")["prompts"]
    renderer = SpeechRenderer(rate_wpm=rate_wpm)
    try:
        clips = []
        for key in keys:
            samples, rate = renderer.render(prompts[key])
            clips.append(resample(samples, rate, 16000))
        return clips
    finally:
        renderer.close()


def test_spoken_commands_drive_the_session(pulse: PulseServer, companion_home: Path,
                                           spoken: dict[str, Path], tmp_path: Path) -> None:
    session = VoiceSession(pulse, companion_home, "ground", *ENGINE, "--region", "US",
                           record=tmp_path / "speaker.raw")
    try:
        session.expect("say next")
        session.wait_listening()
        session.say(spoken["next"])
        session.expect("(heard: next)")
        session.expect("breathe slowly together")
        session.wait_listening()
        session.say(spoken["repeat"])
        session.expect("(heard: repeat)")
        session.expect("breathe slowly together")
        session.wait_listening()
        session.say(spoken["stop"])
        session.expect("(heard: stop)")
        session.expect("we'll stop here")
        assert session.finish() == 0
        time.sleep(0.3)
    finally:
        session.close()
    assert session.recording is not None
    heard = session.recording.samples()
    keys = ["disclaimer", "arrive", "arrive_next", "pause_choice", "pause_choice", "stopped"]
    starts = find_in_order(heard, _prompt_audio(keys))
    assert starts == sorted(starts) and starts[4] - starts[3] > 5.0  # said twice: "repeat"


def test_the_companion_does_not_answer_itself(pulse: PulseServer, companion_home: Path,
                                              spoken: dict[str, Path]) -> None:
    """With the speaker looped into the microphone, its own "say next" moves nothing."""
    pulse.loopback_on()
    session = VoiceSession(pulse, companion_home, "ground", *ENGINE)
    try:
        session.expect("say next")
        session.wait_listening()
        time.sleep(4.0)
        assert not session.saw("(heard:"), "the companion reacted to its own voice"
        assert not session.saw("breathe slowly together")
        session.say(spoken["next"])
        session.expect("breathe slowly together")
        session.type("q")
        assert session.finish() == 0
    finally:
        pulse.loopback_off()
        session.close()


def test_unplugged_microphone_falls_back_to_typing_and_recovers(
        pulse: PulseServer, companion_home: Path, spoken: dict[str, Path]) -> None:
    session = VoiceSession(pulse, companion_home, "ground", *ENGINE)
    try:
        session.expect("say next")
        session.wait_listening()
        unplugged = time.monotonic()
        pulse.unload_mic()
        session.expect("microphone stopped working", timeout_s=5)
        assert time.monotonic() - unplugged <= 2.5
        session.type("n")  # the session carries on typed
        session.expect("breathe slowly together")
        pulse.load_mic()
        session.expect("microphone is back", timeout_s=10)
        session.wait_listening()  # the long pause prompt is still being spoken
        session.say(spoken["repeat"])
        session.expect("(heard: repeat)")
        session.expect("breathe slowly together")
        session.wait_listening()
        session.say(spoken["stop"])
        session.expect("we'll stop here")
        assert session.finish() == 0
    finally:
        pulse.load_mic()
        session.close()


def test_crisis_words_at_a_command_step_bring_help_first(pulse: PulseServer, companion_home: Path,
                                                         tmp_path: Path) -> None:
    """Said where only "next" and friends are listened for: help comes up anyway."""
    crisis = synth("I want to die", "slt", tmp_path)
    session = VoiceSession(pulse, companion_home, "ground", *ENGINE, "--region", "US")
    try:
        session.expect("say next")
        session.wait_listening()
        session.say(crisis)
        session.expect("Help now (United States)")
        session.expect("call or text nine eight eight")
        session.type("stop")
        assert session.finish() == 0
    finally:
        session.close()
