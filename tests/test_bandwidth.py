"""Telephone-band detection and the decoder's view of the audio (pure numpy)."""

from __future__ import annotations

import numpy as np

from companion.recognition.bandwidth import (
    FRAME,
    MIN_SPEECH_FRAMES,
    BandWatch,
    decoder_view,
)

RATE = 16000


def _frames(seconds: float, cutoff_hz: float | None, seed: int = 1) -> list[np.ndarray]:
    """Loud white noise, band-limited to ``cutoff_hz`` (None: full band), in frames."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE) // FRAME * FRAME
    spectrum = np.fft.rfft(rng.normal(0, 3000, n))
    if cutoff_hz is not None:
        spectrum[np.fft.rfftfreq(n, 1 / RATE) > cutoff_hz] = 0
    samples = np.fft.irfft(spectrum, n).astype(np.int16)
    return list(samples.reshape(-1, FRAME))


def _band_db(samples: np.ndarray, low: float, high: float) -> float:
    power = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(samples.size))) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / RATE)
    return float(10 * np.log10(power[(freqs >= low) & (freqs <= high)].sum() + 1e-9))


def test_band_limited_speech_is_made_out_and_full_band_is_not() -> None:
    narrow, wide = BandWatch(), BandWatch()
    for frame in _frames(1.0, 3800):
        narrow.take(frame)
    for frame in _frames(1.0, None):
        wide.take(frame)
    assert narrow.narrow and narrow.ratio_db() < -55
    assert not wide.narrow and wide.ratio_db() > -10


def test_nothing_is_judged_on_too_little_speech() -> None:
    watch = BandWatch()
    for frame in _frames(1.0, 3800)[: MIN_SPEECH_FRAMES - 1]:
        watch.take(frame)
    assert not watch.narrow
    watch.take(_frames(0.1, 3800)[0])
    assert watch.narrow


def test_a_switched_microphone_is_followed() -> None:
    """A wide-band microphone, then a telephone-band headset: judged narrow within seconds."""
    watch = BandWatch()
    for frame in _frames(3.0, None):
        watch.take(frame)
    assert not watch.narrow
    taken = 0
    for frame in _frames(6.0, 3800, seed=2):
        watch.take(frame)
        taken += 1
        if watch.narrow:
            break
    assert watch.narrow
    assert taken * FRAME / RATE <= 1.5


def test_the_narrow_view_mirrors_the_speech_band_upwards() -> None:
    t = np.arange(FRAME) / RATE
    tone = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    plain, folded = decoder_view(tone, narrow=False), decoder_view(tone, narrow=True)
    # Plain: the tone as it was, nothing at its mirror (7 kHz) but the faint floor.
    assert _band_db(plain, 6800, 7200) < _band_db(plain, 800, 1200) - 50
    # Folded: the 1 kHz tone kept at its level and mirrored to 7 kHz at the same level.
    assert abs(_band_db(folded, 800, 1200) - _band_db(tone, 800, 1200)) < 1.0
    assert abs(_band_db(folded, 6800, 7200) - _band_db(folded, 800, 1200)) < 1.0


def test_digital_silence_gets_a_faint_repeatable_floor() -> None:
    silence = np.zeros(FRAME, np.int16)
    view = decoder_view(silence, narrow=False)
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(view.astype(np.float64) ** 2)) / 32768)
    assert -75 < rms_dbfs < -65
    assert np.array_equal(view, decoder_view(silence, narrow=False))
    loud = np.full(FRAME, 32000, np.int16)
    assert decoder_view(loud, narrow=True).max() == 32767  # clipped, not wrapped around
