"""Breathing keeps listening through its tone cues: the known tones are taken out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from companion.audio.cue_stream import GatedSource
from companion.audio.tone_cancel import ToneCanceller
from companion.audio.tones import tone
from tests.speech import read_samples, synth, tools_available

RATE = 16_000
BLOCK = 320
CUES = (("in", 0.6), ("out", 1.6), ("hold", 2.7))


def with_cues(speech: np.ndarray, delay_s: float, level: float = 0.9) -> np.ndarray:
    """``speech`` with the cues heard ``delay_s`` after they were placed, plus an echo."""
    mix = speech.astype(np.float64)
    for kind, at in CUES:
        clip = tone(kind, RATE).astype(np.float64) * 32767 * level
        for lag_s, gain in ((0.0, 1.0), (0.011, 0.4)):  # the direct sound and a wall
            i = int((at + delay_s + lag_s) * RATE)
            part = clip[: max(0, min(clip.size, mix.size - i))]
            mix[i:i + part.size] += gain * part
    return np.clip(mix, -32768, 32767).astype(np.int16)


def cancel(mixed: np.ndarray, origin: float = 100.0) -> tuple[np.ndarray, ToneCanceller]:
    canceller = ToneCanceller(RATE)
    for kind, at in CUES:
        assert canceller.expect(f"tone.{kind}", origin + at)
    out = [canceller.process(mixed[i:i + BLOCK], origin + (i + BLOCK) / RATE)
           for i in range(0, mixed.size, BLOCK)]
    return np.concatenate(out), canceller


@pytest.mark.parametrize("delay_s", [0.0, 0.137, 0.31])
def test_tones_are_taken_out_whatever_the_delay(delay_s: float) -> None:
    mixed = with_cues(np.zeros(4 * RATE, np.int16), delay_s)
    out, canceller = cancel(mixed)
    removed = 10 * np.log10(np.sum(mixed.astype(float) ** 2) / np.sum(out.astype(float) ** 2))
    assert removed > 20, removed
    assert canceller.delay_s == pytest.approx(delay_s, abs=0.02)


def test_spoken_cues_are_not_tones() -> None:
    assert not ToneCanceller().expect("voice.in", 1.0)


@pytest.mark.skipif(not tools_available(), reason="needs espeak-ng, flite and sox")
@pytest.mark.parametrize(("sentence", "voice"), [
    ("I have the pills in my hand and I want to die", "rms"),
    ("he is outside with a knife and he says he will kill me", "slt"),
])
def test_crisis_words_said_over_a_tone_are_heard(tmp_path: Path, sentence: str,
                                                 voice: str) -> None:
    from companion.recognition.base import Grammar
    from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer
    from companion.safety import Safety

    safety = Safety.load("US", user_dir=tmp_path)
    speech = read_samples(synth(sentence, voice, tmp_path))
    out, _ = cancel(with_cues(speech, 0.137))
    rec = PocketsphinxRecognizer()
    rec.set_grammar(Grammar(dictation=True))
    heard = " ".join(h.text for h in rec.accept(np.concatenate([out, np.zeros(RATE, np.int16)]))
                     + rec.flush() if h.final)
    assert safety.check(heard) is not None, heard


class Blocks:
    """A microphone that hands out fixed blocks at once."""

    def __init__(self, blocks: list[np.ndarray]) -> None:
        self.blocks = blocks

    def read(self, timeout_s: float | None = None) -> np.ndarray | None:
        return self.blocks.pop(0) if self.blocks else None

    def drain(self) -> int:
        return 0


def test_the_microphone_stays_open_for_tones_and_closes_for_spoken_cues() -> None:
    import time

    loud = np.full(BLOCK, 1000, np.int16)
    gate = GatedSource(Blocks([loud.copy() for _ in range(4)]))
    now = time.monotonic()
    gate.expect("tone.in", now + 5.0, 0.7)
    block = gate.read()
    assert block is not None and np.array_equal(block, loud)  # no tone sounding yet
    gate.expect("voice.in", now - 1.0, 5.0)
    block = gate.read()
    assert block is not None and not block.any()  # a spoken cue: silence
