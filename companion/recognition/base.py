"""The one interface every recognizer implements.

Audio goes in as 16 kHz mono int16 blocks; hypotheses come out. A recognizer
is either in *command* mode (a closed set of phrases, everything else
rejected) or in *dictation* mode (free recognition of spoken answers).
One recognizer instance serves one thread: engines are not thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

SAMPLE_RATE_HZ = 16_000
FRAME = 480  # samples per 30 ms analysis frame (VAD, noise floor, denoiser, band check)
# The embedded recognizer's dictionary: the 20,000 words its language model finds most
# likely plus every word of the shipped content (scripts/make_lexicon.py). The crisis
# check also reads it as a list of common English words (never taken for a typo).
LEXICON = Path(__file__).with_name("en-us-common.dict")


@dataclass(frozen=True)
class Grammar:
    """What the recognizer listens for.

    ``phrases`` are the command phrasings allowed now (lower case, as written
    in the vocabulary). When ``dictation`` is true, free speech is recognized
    and ``phrases`` are still matched if said alone. ``hints`` are phrases a
    short dictated answer is likely made of (engines may favour them).
    ``parts`` (a rehearsed phrase's parts) asks for phrase mode: free speech
    and more patience for pauses between parts; with ``exact`` also which
    parts were said word for word (``Hypothesis.parts_said``). ``ending``
    holds word roots (:func:`companion.normalize.root`), one set per idea of
    the last part: once each set has been heard, a short pause ends the attempt.
    """

    phrases: tuple[str, ...] = ()
    dictation: bool = False
    hints: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    exact: bool = False
    ending: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True)
class Word:
    """One recognized word with stream times in seconds and confidence 0..1 (or None)."""

    text: str
    start_s: float
    end_s: float
    confidence: float | None = None


@dataclass(frozen=True)
class Hypothesis:
    """A partial (``final`` False) or final recognition result.

    ``text`` is lower case; in command mode a final hypothesis with empty text
    means "speech was heard but rejected as not a command", and ``overheard``
    holds what free recognition made of it (for accepted commands too). Times are seconds
    since the recognizer's stream started (samples fed / 16 000).
    """

    text: str
    final: bool
    start_s: float = 0.0
    end_s: float = 0.0
    confidence: float | None = None
    words: tuple[Word, ...] = ()
    parts_said: tuple[int, ...] | None = None  # phrase mode, engines with a phrase grammar
    overheard: str = ""  # command mode: free recognition of the speech (accepted or not)


class Recognizer(Protocol):
    """Streaming speech recognition: one instance per thread."""

    name: str

    def set_grammar(self, grammar: Grammar) -> None:
        """Switch what is listened for; takes effect at the next utterance."""

    def accept(self, samples: np.ndarray) -> list[Hypothesis]:
        """Feed a block of int16 mono samples at 16 kHz; return new hypotheses."""

    def flush(self) -> list[Hypothesis]:
        """End of stream: return the final hypothesis of speech still open, if any."""

    def reset(self) -> None:
        """Drop any audio in progress (after the companion spoke, for example)."""


@dataclass(frozen=True)
class InputLevels:
    """What a recognizer has measured of its input, for a person checking their microphone."""

    telephone_band: bool  # speech carries nothing above 4 kHz (an 8 kHz headset or line)
    noise_dbfs: float | None  # the room's steady noise level (None: not measured yet)
    speech_dbfs: float | None  # the usual level of recent speech (None: too little heard)


@runtime_checkable
class MeasuresInput(Protocol):
    """A recognizer that can report :class:`InputLevels` (pocketsphinx does; Vosk doesn't)."""

    def input_levels(self) -> InputLevels:
        """The levels measured so far."""
