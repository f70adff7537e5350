"""The decoder's noise filter (pure numpy): what stays is taken out, what comes and goes is kept."""

from __future__ import annotations

import numpy as np

from companion.recognition.denoise import FRAME, HOP, Denoiser, noise_of, refilter

RATE = 16000


def _run(denoiser: Denoiser, samples: np.ndarray, learn: bool = True) -> np.ndarray:
    """Filter whole frames of ``samples``; the output lined up with the input again."""
    frames = samples[: samples.size // FRAME * FRAME].reshape(-1, FRAME)
    out = np.concatenate([denoiser.clean(f, learn=learn) for f in frames])
    return np.concatenate([out[HOP:], np.zeros(HOP, np.int16)])


def _db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-9))


def _noise(seconds: float, rms: float, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, rms, int(seconds * RATE))


def _tone_bursts(seconds: float, amplitude: float) -> np.ndarray:
    """A 700 Hz tone, 0.3 s on and 0.3 s off: comes and goes, as syllables do."""
    t = np.arange(int(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * 700 * t) * ((t % 0.6) < 0.3)


def test_in_a_quiet_room_the_audio_passes_as_it_is() -> None:
    audio = np.concatenate([np.zeros(RATE), _tone_bursts(2.0, 6000)]).astype(np.int16)
    out = _run(Denoiser(), audio)
    error = out[: -HOP].astype(np.float64) - audio[: out.size - HOP]
    # (Not bit-exact: the pauses are short, so a trace of the bursts is taken for noise.)
    assert _db(error) < _db(audio) - 20


def test_steady_noise_is_taken_down_and_bursts_over_it_are_kept() -> None:
    noise = _noise(6.0, 1000)
    bursts = _tone_bursts(6.0, 4000)
    out = _run(Denoiser(), np.clip(noise + bursts, -32768, 32767).astype(np.int16))
    late = slice(3 * RATE, 6 * RATE - FRAME)  # once the noise has been learnt
    on = (np.arange(out.size) / RATE % 0.6) < 0.3
    gaps = out[late][~on[late]][2000:-2000]  # between bursts: only noise was there
    assert _db(gaps) < _db(noise[late]) - 12
    # The bursts keep their level within 2 dB.
    assert abs(_db(out[late][on[late]]) - _db((noise + bursts)[late][on[late]])) < 2.0


def test_inside_an_utterance_the_noise_learnt_before_it_is_held() -> None:
    """Noise that starts with the words is not learnt (and taken out) halfway through them."""
    noise = _noise(3.0, 1000).astype(np.int16)
    quiet_room = Denoiser()
    _run(quiet_room, np.zeros(RATE, np.int16))
    held = _run(quiet_room, noise, learn=False)
    assert abs(_db(held[:-FRAME]) - _db(noise[:-FRAME])) < 1.0  # still as loud: nothing learnt
    learning = _run(Denoiser(), noise)
    assert _db(learning[2 * RATE:-FRAME]) < _db(noise[2 * RATE:-FRAME]) - 12


def test_noise_that_came_with_an_utterance_is_estimated_from_it_and_taken_out() -> None:
    """Afterwards, the utterance's own steady part gives its noise, and the whole of it
    is filtered again with that noise held: gaps lose the noise, bursts keep their level."""
    noise = _noise(2.0, 1000)
    bursts = _tone_bursts(2.0, 4000)
    said = np.clip(noise + bursts, -32768, 32767).astype(np.int16)
    estimate = noise_of(said)
    assert estimate.shape == Denoiser().noise.shape
    # Within 3 dB of the noise's true spectrum (white: the same in every bin).
    true = np.mean(np.abs(np.fft.rfft(np.random.default_rng(5).normal(0, 1000, (400, 320))
                                      * np.sqrt(np.hanning(321)[:-1]), axis=1)) ** 2)
    assert abs(10 * np.log10(np.median(estimate) / true)) < 3
    frames = list(said[: said.size // FRAME * FRAME].reshape(-1, FRAME))
    out = np.concatenate(refilter(frames, estimate))
    out = np.concatenate([out[HOP:], np.zeros(HOP, np.int16)])  # lined up again
    on = (np.arange(out.size) / RATE % 0.6) < 0.3
    body = slice(RATE // 4, out.size - FRAME)  # from the start: nothing to learn first
    assert _db(out[body][~on[body]][2000:-2000]) < _db(noise[body][~on[body]]) - 10
    assert abs(_db(out[body][on[body]]) - _db(said[body][on[body]])) < 2.0
    # The filter that streamed it in (quiet room before) left the noise where it was.
    held = _run(Denoiser(), said, learn=False)
    assert _db(held[body][~on[body]][2000:-2000]) > _db(noise[body][~on[body]]) - 1


def test_a_stretch_too_short_to_average_gives_only_the_floor() -> None:
    assert np.all(noise_of(np.full(400, 1000, np.int16)) < 0.01)
