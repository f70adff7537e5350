"""The shared front end on its own: speech or not, noise taken out, band made out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from companion.recognition.base import FRAME
from companion.recognition.front_end import FrontEnd
from tests.speech import in_steady_noise, read_samples, speech_bounds, synth, tools_available

pytestmark = pytest.mark.skipif(not tools_available(), reason="needs espeak-ng, flite and sox")


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("front")


def frames(front: FrontEnd, samples: np.ndarray, learn: bool = True) -> list:
    return [front.frame(samples[i:i + FRAME], learn)
            for i in range(0, samples.size - FRAME + 1, FRAME)]


def test_steady_noise_is_not_speech_and_the_words_in_it_are(audio_dir: Path) -> None:
    """Pink noise 15 dB under the voice, 2 s before and after the words: once the floor
    has learnt the noise only the words count as speech, and the filter takes most of
    the noise out of what a decoder hears."""
    wav = synth("please keep going with me", "slt", audio_dir)
    samples = in_steady_noise(wav, 15.0, lead_s=2.0, tail_s=2.0)
    start, end = speech_bounds(read_samples(wav))
    start, end = start + 2.0, end + 2.0
    out = frames(FrontEnd(), samples)
    times = [(i + 0.5) * FRAME / 16000 for i in range(len(out))]
    noise_only = [f for t, f in zip(times, out, strict=True) if 1.6 < t < start - 0.1
                  or t > end + 0.5]
    words = [f for t, f in zip(times, out, strict=True) if start + 0.1 < t < end - 0.1]
    assert sum(f.speech for f in noise_only) <= 0.05 * len(noise_only)
    assert sum(f.speech for f in words) >= 0.6 * len(words)

    def power(fs: list) -> tuple[float, float]:
        raw = np.concatenate([f.raw for f in fs]).astype(float)
        clean = np.concatenate([f.clean for f in fs]).astype(float)
        return float(np.mean(raw ** 2)), float(np.mean(clean ** 2))

    raw_noise, clean_noise = power(noise_only)
    assert clean_noise < raw_noise / 10  # more than 10 dB of the noise taken out


def test_the_filter_does_not_learn_inside_an_utterance() -> None:
    """Noise that starts while an utterance is open passes through as it came."""
    rng = np.random.default_rng(4)
    loud = np.clip(rng.normal(0, 2000, 16000 * 2), -32768, 32767).astype(np.int16)
    held, learning = FrontEnd(), FrontEnd()
    kept = frames(held, loud, learn=False)[-10:]
    learnt = frames(learning, loud, learn=True)[-10:]
    kept_power = np.mean(np.concatenate([f.clean for f in kept]).astype(float) ** 2)
    learnt_power = np.mean(np.concatenate([f.clean for f in learnt]).astype(float) ** 2)
    assert learnt_power < kept_power / 10


def test_a_telephone_band_microphone_is_made_out_and_levels_are_reported(
        audio_dir: Path) -> None:
    phone, full = FrontEnd(), FrontEnd()
    for text in ("i want to leave", "can you help me stay"):
        frames(phone, read_samples(synth(text, "rms", audio_dir, "phone")))
        frames(full, read_samples(synth(text, "rms", audio_dir)))
    assert phone.narrow and not full.narrow
    levels = full.input_levels()
    assert levels.speech_dbfs is not None and -40 < levels.speech_dbfs < 0
    assert levels.noise_dbfs is not None and levels.noise_dbfs < levels.speech_dbfs - 20


def test_unfiltered_the_frames_pass_as_they_came_and_speech_is_still_made_out(
        audio_dir: Path) -> None:
    """Vosk's front end: no filtering (its models hear noisy audio as it comes)."""
    samples = read_samples(synth("please keep going with me", "slt", audio_dir))
    out = frames(FrontEnd(filtered=False), samples)
    assert all(f.clean is f.raw for f in out)
    assert any(f.speech for f in out) and not any(f.speech for f in out[:5])
