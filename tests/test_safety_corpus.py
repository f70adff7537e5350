"""The held-out part of the safety corpus as a regression floor.

The evaluation authors (corpus/safety/split.toml) were never used to write
a rule or fit a weight. The floors below sit a little under the figures
reached when the detector was built (scripts/bench_safety.py; typed recall
0.975, false alarms 0.050 on 360 + 362 lines), so a change that makes it
worse on sentences nobody here wrote fails, while the figure itself is not
pinned to any one line.
"""

from __future__ import annotations

from collections import Counter

import pytest

from companion.safety import CrisisDetector
from tests.safety_corpus import LABELS, part, read_author, split

RECALL_FLOOR = {"danger": 0.95, "abuse": 0.93, "suicide": 0.95, "self_harm": 0.93}
ALL_RECALL_FLOOR = 0.96
FALSE_ALARM_CEILING = 0.07


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    from pathlib import Path

    return CrisisDetector.load(user_dir=Path("/nonexistent"))


def test_the_corpus_is_big_and_split_once_by_author() -> None:
    parts = split()
    assert not set(parts["tuning"]) & set(parts["evaluation"])
    every = [line for name in parts for author in parts[name] for line in read_author(author)]
    counts = Counter(line.crisis for line in every)
    assert counts[True] >= 600 and counts[False] >= 600
    assert {line.label for line in every} == set(LABELS)
    texts = [line.text.casefold() for line in every]
    assert len(texts) == len(set(texts)), "a line is in the corpus twice"


def test_held_out_recall_and_false_alarms_stay_above_the_floor(detector: CrisisDetector) -> None:
    lines = part("evaluation")
    found = {line: detector.detect(line.text) is not None for line in lines}
    recall = {label: sum(found[x] for x in lines if x.label == label)
              / sum(1 for x in lines if x.label == label) for label in RECALL_FLOOR}
    crisis = [x for x in lines if x.crisis]
    overall = sum(found[x] for x in crisis) / len(crisis)
    calm = [x for x in lines if not x.crisis]
    alarms = sum(found[x] for x in calm) / len(calm)
    print(f"\nheld-out recall {overall:.3f} {recall}; false alarms {alarms:.3f}")
    assert overall >= ALL_RECALL_FLOOR
    for label, floor in RECALL_FLOOR.items():
        assert recall[label] >= floor, (label, recall[label])
    assert alarms <= FALSE_ALARM_CEILING
