"""The shared endpointer on timing alone: frames in, decisions out (no audio, no engine)."""

from __future__ import annotations

from companion.recognition.endpointer import EndpointConfig, Endpointer, Timing
from companion.recognition.front_end import FRAME_S

CONFIG = EndpointConfig()


def frames(seconds: float) -> int:
    return round(seconds / FRAME_S)




def run(timing: Timing, speech: bool, seconds: float, level_db: float = 60.0) -> None:
    for _ in range(frames(seconds)):
        timing.step(speech, level_db, lambda peak: not speech)


def test_an_utterance_opens_on_three_speech_frames_of_five_with_its_preroll() -> None:
    endpoint: Endpointer[int] = Endpointer()
    opened = [endpoint.idle(i, speech=i in (12, 14, 15)) for i in range(16)]
    assert opened[:15] == [None] * 15
    assert opened[15] == list(range(16 - CONFIG.preroll_frames, 16))  # 0.3 s of pre-roll


def test_a_click_does_not_open_one() -> None:
    endpoint: Endpointer[int] = Endpointer()
    assert all(endpoint.idle(i, speech=i % 5 == 0) is None for i in range(50))


def test_a_complete_command_is_checked_ahead_then_committed_after_the_quiet() -> None:
    endpoint: Endpointer[None] = Endpointer()
    timing = Timing()
    run(timing, True, 0.6)
    timing.partial("keep going")
    run(timing, False, 0.09)
    assert not endpoint.ending(timing) and not endpoint.commit(timing)
    run(timing, False, 0.03)
    assert endpoint.check_ahead(timing) and not endpoint.commit(timing)
    run(timing, False, 0.18)
    assert endpoint.commit(timing) and not endpoint.ended(timing, phrase_mode=False)
    run(timing, False, 0.3)
    assert endpoint.ended(timing, phrase_mode=False)


def test_speech_that_resumes_restarts_the_quiet() -> None:
    endpoint: Endpointer[None] = Endpointer()
    timing = Timing()
    run(timing, True, 0.5)
    run(timing, False, 0.25)  # a pause inside "stop ... my sister called"
    assert endpoint.check_ahead(timing) and not endpoint.commit(timing)
    sounding = timing.step(True, 60.0, lambda peak: False)
    assert sounding and timing.quiet_s == 0 and not endpoint.ending(timing)


def test_a_changing_partial_is_not_committed_until_it_is_stable() -> None:
    endpoint: Endpointer[None] = Endpointer()
    timing = Timing()
    run(timing, True, 0.5)
    run(timing, False, 0.3)
    assert timing.partial("keep going")  # changed just now
    assert not endpoint.commit(timing)
    run(timing, False, CONFIG.stable_s)
    assert not timing.partial("keep going") and endpoint.commit(timing)


def test_a_long_utterance_is_not_checked_ahead_and_is_ended_at_its_limit() -> None:
    endpoint: Endpointer[None] = Endpointer()
    timing = Timing()
    run(timing, True, CONFIG.early_max_s + 0.3)
    run(timing, False, 0.15)
    assert endpoint.ending(timing) and not endpoint.check_ahead(timing)
    long = Timing()
    run(long, True, CONFIG.max_utterance_s)
    assert endpoint.ended(long, phrase_mode=False) and not endpoint.ended(long, phrase_mode=True)


def test_rehearsal_allows_a_breath_between_parts() -> None:
    endpoint: Endpointer[None] = Endpointer()
    timing = Timing()
    run(timing, True, 2.0)
    run(timing, False, 1.0)
    assert endpoint.phrase_done(timing)  # if its last words were heard
    assert not endpoint.ended(timing, phrase_mode=True)
    assert endpoint.ended(timing, phrase_mode=False)


def test_quiet_counts_from_where_the_sound_fell_away_not_from_the_vad() -> None:
    """The VAD holds on after the words; the front end's fall-away starts the quiet."""
    timing = Timing()
    run(timing, True, 0.5)
    for _ in range(frames(0.2)):
        timing.step(True, 20.0, lambda peak: True)  # still "speech", but fallen away
    assert timing.silence_s == 0 and abs(timing.quiet_s - 0.2) < FRAME_S
