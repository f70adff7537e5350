#!/usr/bin/env python
"""Train the crisis detector's statistical layer on the tuning part of the corpus.

Reads corpus/safety/ (only the authors split.toml names for tuning, plus
what a recognizer made of their lines when ``corpus/safety/heard/`` holds
it), prepares every line exactly as the detector does at run time (clean,
guard idioms), and fits a multinomial logistic regression over hashed
features with scikit-learn. The regularization strength and the decision
threshold are chosen by leave-one-author-out cross-validation on the tuning
part alone: the threshold is the highest one at which rules-or-model still
catch ``--recall`` of the held-out authors' crisis lines. Writes
companion/safety/crisis_model.npz (only the buckets the model uses).

    python scripts/train_safety.py [--recall 0.99]

Needs scikit-learn (a development dependency; nothing at run time does).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.safety.content import load_content  # noqa: E402
from companion.safety.detector import CrisisDetector  # noqa: E402
from companion.safety.features import BUCKETS, bucket, features  # noqa: E402
from companion.safety.model import MODEL_FILE, NONE  # noqa: E402
from tests.safety_corpus import CORPUS, LABELS, Line, part, read_author  # noqa: E402

C_GRID = (1.0, 3.0, 10.0)


def heard_lines(authors: set[str]) -> list[Line]:
    """Recognizer transcripts of tuning lines (corpus/safety/heard/*.tsv), if made."""
    folder = CORPUS / "heard"
    out: list[Line] = []
    for path in sorted(folder.glob("*.tsv")) if folder.is_dir() else []:
        out += [line for line in read_author(path.stem, folder) if line.style in authors]
    return out


def own_words() -> list[Line]:
    """What the companion itself says, as non-crisis lines: hearing itself must not alarm it.

    Every sentence of the shipped prompts, and every spoken answer the safety
    check gives, in every region.
    """
    from companion.content_files import packaged, strings
    from companion.safety import Helplines, Safety

    texts: set[str] = set()
    for name in ("ground.toml", "breathe.toml", "rehearse.toml", "journal.toml", "phrases.toml"):
        texts.update(t for t in strings(packaged(name)) if " " in t and "{" not in t)
    helplines = Helplines.load(Path("/nonexistent"))
    detector = CrisisDetector(load_content(Path("/nonexistent")), None)
    for region in helplines.known():
        safety = Safety(detector, helplines, region)
        for said in ("I want to die", "he hits me", "someone is breaking in"):
            answer = safety.check(said)
            if answer is not None:
                texts.add(answer.spoken)
        texts.add(safety.unsafe_choice().spoken)
    return [Line("own", NONE, "own", t) for t in sorted(texts) if t]


def matrix(rows: list[list[str]]):  # noqa: ANN201 - scipy type
    from scipy.sparse import csr_matrix

    indptr, indices = [0], []
    for feats in rows:
        indices += sorted({bucket(f) for f in feats})
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return csr_matrix((data, indices, indptr), shape=(len(rows), BUCKETS))


def fit(x, y: list[str], c: float):  # noqa: ANN001, ANN201
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(x, y)
    return model


def p_crisis(model, x) -> np.ndarray:  # noqa: ANN001
    probs = model.predict_proba(x)
    return 1.0 - probs[:, list(model.classes_).index(NONE)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recall", type=float, default=0.99,
                        help="share of held-out crisis lines rules-or-model must catch")
    args = parser.parse_args()
    detector = CrisisDetector(load_content(Path("/nonexistent")), None)
    lines = part("tuning")
    authors = sorted({line.author for line in lines})
    # Transcripts carry their author in the style column (see scripts/hear_corpus.py).
    extra = heard_lines(set(authors)) + own_words()
    prepared = [detector.prepare(line.text) for line in lines + extra]
    rows = [features(p, detector.tagger.concepts(p)) for p in prepared]
    ruled = np.array([bool(detector.by_rules(p)[0]) for p in prepared])
    x = matrix(rows)
    y = [line.label for line in lines + extra]
    group = [line.author for line in lines] + [line.style for line in extra]
    crisis = np.array([label != NONE for label in y])
    own = np.array([True] * len(lines) + [False] * len(extra))  # score typed lines only

    best: tuple[float, float, float, float] | None = None
    for c in C_GRID:
        oof = np.zeros(len(y))
        for author in authors:
            test = np.array([g == author for g in group])
            model = fit(x[~test], [v for v, t in zip(y, test, strict=True) if not t], c)
            oof[test] = p_crisis(model, x[test])
        threshold = _threshold(oof[own], ruled[own], crisis[own], args.recall)
        fired = ruled | (oof >= threshold)
        recall = fired[own & crisis].mean()
        alarms = fired[own & ~crisis].mean()
        print(f"C={c:<5} threshold={threshold:.3f}  held-out recall={recall:.3f}"
              f"  false alarms={alarms:.3f}")
        if best is None or alarms < best[3]:
            best = (c, threshold, recall, alarms)
    assert best is not None
    c, threshold, recall, alarms = best
    model = fit(x, y, c)
    used = np.flatnonzero(np.abs(model.coef_).max(axis=0) > 1e-6)
    classes = [str(k) for k in model.classes_]
    order = [classes.index(k) for k in LABELS if k in classes]
    np.savez_compressed(
        MODEL_FILE, buckets=used.astype(np.int32),
        weights=model.coef_[order][:, used].T.astype(np.float32),
        bias=model.intercept_[order].astype(np.float32),
        classes=np.array([classes[i] for i in order]), threshold=np.float32(threshold))
    print(f"chose C={c}, threshold {threshold:.3f} (held-out recall {recall:.3f}, false alarms"
          f" {alarms:.3f}); {len(used)} buckets -> {MODEL_FILE.relative_to(ROOT)}")


def _threshold(scores: np.ndarray, ruled: np.ndarray, crisis: np.ndarray,
               recall: float) -> float:
    """The highest threshold at which rules-or-model catch ``recall`` of crisis lines."""
    need = int(np.ceil(recall * crisis.sum()))
    caught_by_rules = int((ruled & crisis).sum())
    left = np.sort(scores[crisis & ~ruled])[::-1]
    missing = need - caught_by_rules
    if missing <= 0:
        return 0.5
    return float(left[min(missing, len(left)) - 1])


if __name__ == "__main__":
    main()
