"""The noise floor that lets utterances end in a steadily noisy room (pure numpy)."""

from __future__ import annotations

import numpy as np

from companion.recognition.noise_floor import HANGOVER_FRAMES, WINDOW_FRAMES, NoiseFloor

FRAME = 480


def noise(rng: np.random.Generator, rms: float) -> np.ndarray:
    return np.clip(rng.normal(0, rms, FRAME), -32768, 32767).astype(np.int16)


def tone(rms: float) -> np.ndarray:
    t = np.arange(FRAME) / 16000
    return (np.sqrt(2) * rms * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


def test_steady_noise_stops_counting_once_the_floor_has_learned_it() -> None:
    rng = np.random.default_rng(1)
    floor = NoiseFloor()
    quiet = [floor.over(noise(rng, 30)) for _ in range(WINDOW_FRAMES)]
    # A fan switched on: loud at first (the floor still remembers the quiet room) ...
    fan = [floor.over(noise(rng, 1000)) for _ in range(3 * WINDOW_FRAMES)]
    assert not any(quiet[5:])
    assert all(fan[:5])
    # ... then, once the quiet has left the window, the fan is the floor.
    assert not any(fan[WINDOW_FRAMES + HANGOVER_FRAMES + 1:])


def test_a_voice_over_the_noise_counts_and_its_end_is_held_briefly() -> None:
    rng = np.random.default_rng(2)
    floor = NoiseFloor()
    for _ in range(WINDOW_FRAMES):
        floor.over(noise(rng, 300))
    voice = [floor.over(noise(rng, 300) + tone(3000)) for _ in range(10)]
    after = [floor.over(noise(rng, 300)) for _ in range(10)]
    assert all(voice)
    # The weak end of a word hides in the noise: a few frames after are kept.
    assert after == [True] * HANGOVER_FRAMES + [False] * (10 - HANGOVER_FRAMES)


def test_a_quiet_room_leaves_soft_speech_to_the_vad() -> None:
    floor = NoiseFloor()
    for _ in range(WINDOW_FRAMES):
        floor.over(np.zeros(FRAME, np.int16))
    assert floor.over(tone(100))  # soft speech is far over digital silence


def test_a_word_has_fallen_away_once_it_is_near_the_floor_or_far_under_its_peak() -> None:
    """No hangover here: the pause after the words is counted from where they end."""
    rng = np.random.default_rng(3)
    quiet_room, noisy_room = NoiseFloor(), NoiseFloor()
    for _ in range(WINDOW_FRAMES):
        quiet_room.over(noise(rng, 3))
        noisy_room.over(noise(rng, 300))
    for room in (quiet_room, noisy_room):
        room.over(tone(10000))
        peak = room.last_db
        assert not room.fallen_away(peak)
        room.over(tone(1000))  # 20 dB under the peak, over both floors: still the word
        assert not room.fallen_away(peak)
    quiet_room.over(tone(100))  # 40 dB under the peak, though far over the quiet floor
    assert quiet_room.fallen_away(peak)
    noisy_room.over(noise(rng, 300))  # only the noise again
    assert noisy_room.fallen_away(peak)
