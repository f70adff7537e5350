"""A breathing session's cues: every tone and spoken phase word, made before it starts.

Cues are rendered (tones synthesized, phase words spoken by the TTS
renderer) before the session starts and placed at exact stream-clock times
on the shared stream (:mod:`companion.audio.cue_stream`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from companion.audio.resample import resample
from companion.audio.tones import all_tones
from companion.errors import EngineError

log = logging.getLogger(__name__)


def voice_cue_texts(cue_words: dict[str, str], count_words: list[str],
                    prompts: dict[str, str]) -> dict[str, str]:
    """Cue name -> words, for every voice cue the flow can ask for."""
    texts = {f"voice.{kind}": text for kind, text in cue_words.items()}
    for i, word in enumerate(count_words, start=1):
        texts[f"voice.count.{i}"] = word
        texts[f"voice.number.{i}"] = word
    for intent in ("slower", "faster"):
        texts[f"voice.{intent}_confirm"] = prompts[f"{intent}_confirm"]
    return texts


class CueBank:
    """Cue name -> float32 samples at the output rate, all made before the session."""

    def __init__(self, rate_hz: int) -> None:
        self.rate_hz = rate_hz
        self.clips: dict[str, np.ndarray] = dict(all_tones(rate_hz))

    def add_voice(self, renderer: Any, texts: dict[str, str]) -> list[str]:
        """Render every voice cue now (cached on disk); returns the names that failed."""
        failed = []
        for name, text in texts.items():
            try:
                samples, rate = renderer.render(text)
            except EngineError as err:
                log.warning("could not render cue %s: %s", name, err)
                failed.append(name)
                continue
            self.clips[name] = resample(samples, rate, self.rate_hz)
        return failed

    def lengths_s(self) -> dict[str, float]:
        return {name: clip.size / self.rate_hz for name, clip in self.clips.items()}
