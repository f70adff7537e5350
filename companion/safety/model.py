"""The statistical layer at run time: a linear model over hashed features, in numpy.

Trained offline (``scripts/train_safety.py``, scikit-learn) on the tuning
part of the labelled corpus; only its weights ship, as ``crisis_model.npz``:
the buckets it uses, their weights per class, the biases, the class names
and the decision threshold chosen on the tuning part. Loading takes a few
milliseconds and scoring a sentence well under one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from companion.errors import ContentError
from companion.safety.features import BUCKETS, bucket

MODEL_FILE = Path(__file__).with_name("crisis_model.npz")
NONE = "none"


@dataclass(frozen=True)
class Scores:
    """The model's reading of one sentence: P(crisis of any kind) and the likeliest kind."""

    crisis: float
    category: str


class LinearModel:
    """Multinomial logistic regression over hashed binary features."""

    def __init__(self, buckets: np.ndarray, weights: np.ndarray, bias: np.ndarray,
                 classes: list[str], threshold: float) -> None:
        if NONE not in classes or weights.shape != (len(buckets), len(classes)):
            raise ContentError("the crisis model's weights do not fit its classes",
                               "reinstall companion (or run scripts/train_safety.py)")
        self.classes = classes
        self.threshold = threshold
        self._none = classes.index(NONE)
        self._rows = np.full(BUCKETS, -1, dtype=np.int32)
        self._rows[buckets] = np.arange(len(buckets), dtype=np.int32)
        self._weights = weights.astype(np.float32)
        self._bias = bias.astype(np.float32)

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> LinearModel:
        """The shipped model; a ContentError says what to do if it is missing or broken."""
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(data["buckets"], data["weights"], data["bias"],
                           [str(c) for c in data["classes"]], float(data["threshold"]))
        except (OSError, KeyError, ValueError) as err:
            raise ContentError(f"cannot read the crisis model {path} ({err})",
                               "reinstall companion (or run scripts/train_safety.py)") from err

    def score(self, features: list[str]) -> Scores:
        """P(crisis) = 1 - P(none), and the most likely crisis category."""
        rows = self._rows[[bucket(f) for f in set(features)]] if features else np.array([])
        rows = rows[rows >= 0]
        logits = self._bias + self._weights[rows].sum(axis=0)
        logits = logits - logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        crisis = 1.0 - float(probs[self._none])
        ranked = [i for i in np.argsort(-probs) if i != self._none]
        return Scores(crisis, self.classes[ranked[0]])

    def fires(self, scores: Scores) -> bool:
        """True when the crisis probability reaches the threshold chosen in training."""
        return scores.crisis >= self.threshold
