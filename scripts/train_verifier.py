#!/usr/bin/env python
"""Fit the command verifier on the tuning voices only.

Runs the bench's items (scripts/bench_recognition.py: every command phrase in
every condition, sentences, recorded speech and non-speech sounds) for the
voices corpus/recognition/voices.toml names for tuning, through the shipped
recognizer with its fixed limits, and keeps each check's :class:`Signals`
with what was really said. A signal is a right command when the item is a
command and the grammar heard that command; anything else is a wrong one.
A logistic regression (scikit-learn) is fitted on them; the operating point
is chosen on predictions made with each voice left out (grouped
cross-validation): the lowest threshold at which at most ``--max-false``
of the items that are no command would be taken for one. Writes
the weights to DIR/verifier.npz (the bench's "fitted" configuration reads them
there) and prints the fitted model beside the fixed limits that ship, on the
same checks.

    python scripts/train_verifier.py [--quick] [--max-false 0.01] [--cache DIR]

Needs scikit-learn (a development dependency; nothing at run time does).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_recognition import BLOCK, corpus, voices_of  # noqa: E402

from companion.intents import Vocabulary  # noqa: E402
from companion.recognition.base import Grammar  # noqa: E402
from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer  # noqa: E402
from companion.recognition.verifier import (  # noqa: E402
    FEATURES,
    FittedVerifier,
    FixedLimits,
    Signals,
    bin_edges,
    binned,
)
from tests.speech import read_samples  # noqa: E402


def signals_of(items: list[dict]) -> list[tuple[int, np.ndarray, bool, str]]:
    """(item index, signal vector, right command?, voice) for every check made."""
    vocab = Vocabulary.load(Path("/nonexistent"))
    found: list[tuple[str, Signals]] = []
    rec = PocketsphinxRecognizer(on_signals=lambda text, s: found.append((text, s)))
    rec.set_grammar(Grammar(phrases=vocab.all_phrases()))
    rows = []
    for index, item in enumerate(items):
        samples = read_samples(Path(item["path"]))
        if not item["kind"].endswith("steady"):
            samples = np.concatenate([samples, np.zeros(24000, np.int16)])
        rec.reset()
        found.clear()
        for i in range(0, samples.size, BLOCK):
            rec.accept(samples[i:i + BLOCK])
        rec.flush()
        for text, signal in found:
            right = item["intent"] is not None and vocab.match_spoken(text) == item["intent"]
            rows.append((index, signal.vector(), right, item["voice"]))
    return rows


def checks(items: list[dict], cached: Path) -> tuple[np.ndarray, ...]:
    """(item index, signals, right?, voice) per check, decoded once and kept in ``cached``
    (decoding the tuning voices takes minutes; fitting, a second)."""
    if cached.exists():
        with np.load(cached, allow_pickle=False) as data:
            return data["index"], data["x"], data["y"], data["groups"]
    halves = [items[0::2], items[1::2]]
    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(signals_of, halves))
    rows = [(2 * i + k, x, y, v) for k, part in enumerate(parts) for i, x, y, v in part]
    arrays = (np.array([r[0] for r in rows]), np.stack([r[1] for r in rows]),
              np.array([r[2] for r in rows]), np.array([r[3] for r in rows]))
    np.savez(cached, index=arrays[0], x=arrays[1], y=arrays[2], groups=arrays[3])
    return arrays


def fixed_limits(x: np.ndarray) -> np.ndarray:
    """What the shipped fixed limits decide for each signal vector (for comparison)."""
    limits = FixedLimits()
    return np.array([limits.accept(Signals(*row)) for row in x])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--max-false", type=float, default=0.01)
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularization")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-speech")
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict

    items = corpus(args.cache, args.quick, voices_of("tuning"))
    index, x, y, groups = checks(items, args.cache / f"verifier-checks-{len(items)}.npz")
    edges = bin_edges(x)
    z = binned(x, edges)
    model = LogisticRegression(C=args.c, max_iter=5000)
    folds = min(5, len(set(groups)))
    held_out = cross_val_predict(model, z, y, groups=groups, cv=GroupKFold(folds),
                                 method="predict_proba")[:, 1]
    not_commands = {i for i, item in enumerate(items) if item["intent"] is None}
    threshold = 1.0
    for t in np.unique(np.round(held_out, 4))[::-1]:
        fired = {i for i, p in zip(index, held_out, strict=True)
                 if i in not_commands and p >= t}
        if len(fired) / max(len(not_commands), 1) > args.max_false:
            break
        threshold = float(t)
    model.fit(z, y)
    verifier = FittedVerifier(edges, model.coef_[0], float(model.intercept_[0]), threshold)
    verifier.save(args.cache / "verifier.npz")
    kept = np.mean(held_out[y] >= threshold)
    wrong = np.mean(held_out[~y] >= threshold)
    print(f"{len(y)} checks from {len(items)} items ({y.sum()} right commands); "
          f"threshold {threshold:.4f}: right kept {kept:.3f}, wrong kept {wrong:.3f} "
          f"(voices left out)")
    rules = fixed_limits(x)
    fired = {i for i, ok in zip(index, rules, strict=True) if i in not_commands and ok}
    print(f"the checks' fixed limits on the same checks: right kept {np.mean(rules[y]):.3f}, "
          f"wrong kept {np.mean(rules[~y]):.3f}, items that are no command taken for one "
          f"{len(fired) / max(len(not_commands), 1):.3f}")
    width = edges.shape[1] + 1
    for j, name in enumerate(FEATURES):
        weights = model.coef_[0][j * width:(j + 1) * width]
        print(f"  {name:20s} " + " ".join(f"{w:+.1f}" for w in weights))


if __name__ == "__main__":
    main()
