"""Crisis words by voice, end to end through PulseAudio virtual devices.

Real CLI, real pocketsphinx, real text-to-speech: sentences synthesized in
voices the companion does not speak with are played into the virtual
microphone where only commands are listened for, where a free answer is
listened for, and over a breathing session's tones (the companion hearing its
own cues through a loopback); the numbers must come up. The recognizer loses
words of about one sentence in four on these voices (scripts/bench_safety.py
measures that rate), so, as a person would, each test says a second sentence
of the same kind if the first was not understood: what is tested is the path,
not one sentence's recognition. And once crisis numbers are being said,
"stop" does not cut them short.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest

from companion.audio.output import resample
from companion.safety import Safety
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


def say_until_helped(session: VoiceSession, sentences: tuple[str, str], voice: str,
                     folder: Path) -> None:
    """Say the first sentence; if no numbers came up, the second (as a person would)."""
    for attempt, sentence in enumerate(sentences):
        session.say(synth(sentence, voice, folder))
        try:
            session.expect("Help now (United States)", timeout_s=20)
            return
        except AssertionError:
            if attempt == len(sentences) - 1:
                raise
            # Taken as an answer, it is read back and the next step listens;
            # heard where only commands count, it is still listening.
            with contextlib.suppress(AssertionError):
                session.wait_listening(timeout_s=20)


@pytest.mark.parametrize(("sentences", "voice"), [
    (("I don't want to be alive anymore", "I want to kill myself"), "rms"),
    (("he is going to kill me", "he hit me and I am scared of him"), "espeak-gb"),
])
def test_crisis_words_where_only_commands_are_listened_for(
        pulse: PulseServer, companion_home: Path, tmp_path: Path,
        sentences: tuple[str, str], voice: str) -> None:
    session = VoiceSession(pulse, companion_home, "ground", *ENGINE, "--region", "US")
    try:
        session.expect("say next")
        session.wait_listening(timeout_s=60)
        say_until_helped(session, sentences, voice, tmp_path)
        session.type("stop")
        assert session.finish() == 0
    finally:
        session.close()


@pytest.mark.parametrize(("sentences", "voice"), [
    (("I have taken all of my pills", "I am going to end my life tonight"), "slt"),
    (("my husband hits me when he is drunk", "he hit me again and I am scared"), "awb"),
])
def test_crisis_words_in_a_spoken_answer(pulse: PulseServer, companion_home: Path,
                                         tmp_path: Path, sentences: tuple[str, str],
                                         voice: str) -> None:
    session = VoiceSession(pulse, companion_home, "ground", *ENGINE, "--region", "US")
    try:
        session.expect("say next")
        for line in ("n", "no", "next"):  # typed, to reach the first free answer
            session.type(line)
        session.expect("Where do you feel it")
        session.wait_listening(timeout_s=60)  # the prompts cut short still end first
        say_until_helped(session, sentences, voice, tmp_path)
        session.type("stop")
        assert session.finish() == 0
    finally:
        session.close()


def test_crisis_words_over_breathing_tones_are_heard(pulse: PulseServer, companion_home: Path,
                                                     tmp_path: Path) -> None:
    """The companion hears its own tones (a loopback) and a sentence said over them."""
    pulse.loopback_on()
    session = VoiceSession(pulse, companion_home, "breathe", *ENGINE, "--region", "US",
                           "--pattern", "2-0-2-0", "--rounds", "6", "--cues", "tones")
    try:
        session.expect("Breathe")
        session.wait_listening()
        # 2 s breaths: each sentence is said over at least one tone.
        say_until_helped(session, ("I want to die tonight", "I want to kill myself"), "rms",
                         tmp_path)
        session.type("stop")
        assert session.finish() == 0
    finally:
        pulse.loopback_off()
        session.close()


def test_stop_does_not_cut_the_numbers_short(pulse: PulseServer, companion_home: Path,
                                             tmp_path: Path) -> None:
    answer = Safety.load("US", user_dir=tmp_path).check("I want to end my life")
    assert answer is not None and answer.spoken
    renderer = SpeechRenderer(rate_wpm=140)
    try:
        samples, rate = renderer.render(answer.spoken)
    finally:
        renderer.close()
    clip = resample(samples, rate, 16000)
    session = VoiceSession(pulse, companion_home, "ground", *ENGINE, "--region", "US",
                           record=tmp_path / "speaker.raw")
    try:
        session.expect("say next")
        session.type("I want to end my life")
        session.expect("Help now (United States)")
        session.type("stop")  # while the numbers are being said
        assert session.finish(timeout_s=60) == 0
        assert session.recording is not None
        heard = session.recording.samples()
        # The whole answer was played: its last three seconds are in the recording too.
        find_in_order(heard, [clip[: 3 * 16000], clip[-3 * 16000:]])
        assert session.saw("988")
    finally:
        session.close()
    assert np.abs(heard).max() > 0
