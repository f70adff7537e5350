"""Recognize a recorded attempt at a phrase (``rehearse score --from FILE.wav``).

The file is fed in 20 ms blocks exactly like the microphone, in phrase mode,
so a file scores the way the same words would score live. A long pause
splits an attempt into several utterances; their words and found parts are
joined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from companion.recognition.base import Grammar, Hypothesis, Recognizer

BLOCK = 320  # 20 ms, as the live input stream delivers


@dataclass(frozen=True)
class HeardAttempt:
    """What the recognizer made of one attempt."""

    text: str
    parts_said: tuple[int, ...] | None
    word_times: tuple[tuple[float, float], ...]


def hear(recognizer: Recognizer, samples: np.ndarray, parts: tuple[str, ...],
         exact: bool = False) -> HeardAttempt:
    """Run ``samples`` (int16 mono 16 kHz) through ``recognizer`` in phrase mode
    (``exact``: also find which parts were said word for word)."""
    recognizer.set_grammar(Grammar(dictation=True, parts=parts, exact=exact))
    recognizer.reset()
    finals: list[Hypothesis] = []
    data = np.asarray(samples, dtype=np.int16).reshape(-1)
    for offset in range(0, data.size, BLOCK):
        finals.extend(h for h in recognizer.accept(data[offset:offset + BLOCK]) if h.final)
    finals.extend(h for h in recognizer.flush() if h.final)
    found: set[int] | None = set()
    for hyp in finals:
        if hyp.parts_said is None:
            found = None
        elif found is not None:
            found.update(hyp.parts_said)
    return HeardAttempt(
        text=" ".join(h.text for h in finals if h.text),
        parts_said=None if found is None else tuple(sorted(found)),
        word_times=tuple((w.start_s, w.end_s) for h in finals for w in h.words),
    )
