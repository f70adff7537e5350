"""The verifier stage: keep or reject a command the grammar heard, from the checks' signals.

A forced-choice grammar maps any sound to some command, so every complete
phrase it hears is checked on the same audio by the engine and what the
checks found is weighed here, apart from any engine. pocketsphinx's checks
(free decoding with the general language model, a loop of free phones, how
long each word lasts) give :class:`Signals`, weighed by :class:`FixedLimits`,
one limit per signal: what ships. Vosk's give :class:`WordSignals` (its own
word confidences, and what free recognition beside the grammar heard),
weighed by :class:`ConfidenceLimits`.
:class:`FittedVerifier` is a logistic regression over the same signals,
fitted on the tuning voices (``scripts/train_verifier.py``); on voices left
out it kept fewer right commands than the limits at every false-activation
rate measured, so it serves the bench's comparison (docs/decisions/009).
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from companion.errors import EngineError

CLIP = 1e5  # acoustic margins beyond this (a check that found no path) count as this


@dataclass(frozen=True)
class Signals:
    """What the checks found about one command the grammar heard."""

    phone_margin: float  # grammar path minus the phone loop, acoustic score per frame
    free_margin: float  # grammar path minus free decoding, per frame
    extra_words: int  # words free decoding heard that the command does not have
    longer_by: int  # free decoding's word count minus the command's
    free_heard_nothing: bool  # free decoding heard no word: likely no speech at all
    free_heard_another: bool  # free decoding heard another command, word for word
    stretch: float  # the most drawn-out word: its frames over what its sounds allow
    completed: bool  # the search stopped short and the phrase came from its next readings
    seconds: float  # the utterance's length
    words: int  # the command's word count

    def vector(self) -> np.ndarray:
        """The numbers the model reads, in field order, margins clipped."""
        values = [float(v) for v in astuple(self)]
        return np.clip(np.nan_to_num(values, posinf=CLIP, neginf=-CLIP), -CLIP, CLIP)


FEATURES = tuple(f.name for f in fields(Signals))


@dataclass(frozen=True)
class WordSignals:
    """What a word-confidence engine (Vosk) found about one command."""

    min_confidence: float  # the command's least sure word (the engine's posterior, 0-1)
    free_heard_another: bool  # free recognition heard another command, word for word
    extra_words: int  # words free recognition heard that the command does not have
    words: int  # the command's word count


S = TypeVar("S", contravariant=True)


class Verifier(Protocol[S]):
    """A verifier stage: accept or reject one command from its signals."""

    def accept(self, signals: S) -> bool: ...


@dataclass(frozen=True)
class ConfidenceLimits:
    """Vosk's verifier: the grammar's own word confidences, and free recognition.

    Free recognition's other words are not held against a command: it hears the
    utterance only up to the commit, often a word behind the grammar.
    """

    # Under one half, the recognizer's lattice preferred other paths for the word
    # more often than this one: a sentence forced into the grammar scores 0.5-0.9
    # on some words, a command said plainly ~1.0.
    min_confidence: float = 0.5

    def accept(self, signals: WordSignals) -> bool:
        return (not signals.free_heard_another
                and signals.min_confidence >= self.min_confidence)


@dataclass(frozen=True)
class FixedLimits:
    """One limit per signal; a command passes only when it is within every one."""

    max_extra_words: int = 2  # free decoding may add this many words (fillers, an "um")
    max_longer_by: int = 1  # ... and be at most this many words longer than the command
    # Grammar path minus the phone loop, per frame: lower is a forced fit.
    min_phone_margin: float = -36000.0
    # Stricter for a phrase taken from the search's next readings (docs/decisions/006).
    min_completed_margin: float = -26000.0
    max_stretch: float = 1.0  # a word drawn out past its allowance is a breath or a sigh

    def accept(self, signals: Signals) -> bool:
        floor = self.min_completed_margin if signals.completed else self.min_phone_margin
        # Free decoding that heard no word heard no speech (a loud sigh can fit "no"), and
        # free decoding that heard another command word for word is not outvoted.
        return (not signals.free_heard_nothing and not signals.free_heard_another
                and signals.extra_words <= self.max_extra_words
                and signals.longer_by <= self.max_longer_by
                and signals.phone_margin > floor and signals.stretch <= self.max_stretch)


def binned(vectors: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """One-hot bins of each signal: row i, feature j in bin (how many of its edges are at
    below the value). ``edges`` is (features, edges), padded with +inf."""
    width = edges.shape[1] + 1
    out = np.zeros((vectors.shape[0], edges.shape[0] * width))
    for j in range(edges.shape[0]):
        bins = np.searchsorted(edges[j], vectors[:, j], side="left")
        out[np.arange(vectors.shape[0]), j * width + bins] = 1.0
    return out


def bin_edges(vectors: np.ndarray, count: int = 8) -> np.ndarray:
    """Edges at the signals' quantiles (repeated values collapse; padded with +inf)."""
    edges = np.full((vectors.shape[1], count), np.inf)
    for j in range(vectors.shape[1]):
        unique = np.unique(np.quantile(vectors[:, j], np.linspace(0, 1, count + 2)[1:-1]))
        edges[j, : unique.size] = unique
    return edges


class FittedVerifier:
    """Logistic regression over binned :class:`Signals`, with its threshold."""

    def __init__(self, edges: np.ndarray, weights: np.ndarray, bias: float,
                 threshold: float) -> None:
        if (edges.ndim != 2 or edges.shape[0] != len(FEATURES)
                or weights.shape != (edges.shape[0] * (edges.shape[1] + 1),)):
            raise EngineError("the command verifier's weights do not fit its signals",
                              "run scripts/train_verifier.py again")
        self.edges, self.weights = edges, weights
        self.bias, self.threshold = bias, threshold

    @classmethod
    def load(cls, path: Path) -> FittedVerifier:
        """Weights written by the training script; an EngineError if missing or broken."""
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(data["edges"], data["weights"], float(data["bias"]),
                           float(data["threshold"]))
        except (OSError, KeyError, ValueError) as err:
            raise EngineError(f"cannot read the command verifier {path} ({err})",
                              "run scripts/train_verifier.py") from err

    def save(self, path: Path) -> None:
        np.savez(path, edges=self.edges, weights=self.weights, bias=np.float64(self.bias),
                 threshold=np.float64(self.threshold), features=np.array(FEATURES))

    def probability(self, signals: Signals) -> float:
        """How likely the grammar heard what was said."""
        z = float(binned(signals.vector()[None, :], self.edges)[0] @ self.weights) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def accept(self, signals: Signals) -> bool:
        return self.probability(signals) >= self.threshold
