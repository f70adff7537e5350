"""The verifier stage on fixed signal vectors: the shipped limits, and the fitted model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from companion.errors import EngineError
from companion.recognition.verifier import (
    FEATURES,
    FittedVerifier,
    FixedLimits,
    Signals,
    bin_edges,
    binned,
)

CLEAR = Signals(phone_margin=-5000.0, free_margin=-2000.0, extra_words=0, longer_by=0,
                free_heard_nothing=False, free_heard_another=False, stretch=0.4,
                completed=False, seconds=0.6, words=1)
FORCED = Signals(phone_margin=-60000.0, free_margin=-40000.0, extra_words=5, longer_by=5,
                 free_heard_nothing=False, free_heard_another=False, stretch=1.6,
                 completed=True, seconds=2.5, words=1)
NO_SPEECH = Signals(phone_margin=-20000.0, free_margin=float("inf"), extra_words=0,
                    longer_by=-1, free_heard_nothing=True, free_heard_another=False,
                    stretch=0.8, completed=False, seconds=0.5, words=1)


def test_the_fixed_limits_keep_a_clear_command_and_drop_forced_fits() -> None:
    limits = FixedLimits()
    assert limits.accept(CLEAR)
    assert not limits.accept(FORCED)
    assert not limits.accept(NO_SPEECH)  # free decoding heard no word: no speech


@pytest.mark.parametrize(("change", "kept"), [
    ({"extra_words": 2}, True), ({"extra_words": 3}, False),
    ({"longer_by": 1}, True), ({"longer_by": 2}, False),
    ({"phone_margin": -35000.0}, True), ({"phone_margin": -37000.0}, False),
    ({"phone_margin": -30000.0, "completed": True}, False),  # stricter when completed
    ({"stretch": 1.0}, True), ({"stretch": 1.01}, False),
    ({"free_heard_another": True}, False),
])
def test_each_limit_on_its_own(change: dict, kept: bool) -> None:
    assert FixedLimits().accept(replace(CLEAR, **change)) is kept


def test_a_check_that_found_no_path_is_a_finite_number() -> None:
    vector = NO_SPEECH.vector()
    assert vector.shape == (len(FEATURES),) and np.isfinite(vector).all()


def test_weights_that_do_not_fit_the_signals_are_one_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "verifier.npz"
    np.savez(broken, edges=np.zeros((3, 2)), weights=np.ones(9), bias=0.0, threshold=0.5)
    with pytest.raises(EngineError, match="do not fit its signals"):
        FittedVerifier.load(broken)
    with pytest.raises(EngineError, match="cannot read the command verifier"):
        FittedVerifier.load(tmp_path / "missing.npz")


def test_each_signal_is_read_in_its_bins() -> None:
    vectors = np.array([[float(i), 1.0] for i in range(10)])
    edges = bin_edges(vectors, count=3)
    assert edges.shape == (2, 3) and np.isinf(edges[1, 1:]).all()  # one value: one edge
    rows = binned(vectors, edges)
    assert rows.shape == (10, 8) and (rows.sum(axis=1) == 2).all()
    assert rows[0, :4].argmax() < rows[9, :4].argmax()  # low and high values, other bins


def test_saved_weights_load_back(tmp_path: Path) -> None:
    n = len(FEATURES)
    edges = np.tile(np.array([-1.0, 0.0, 1.0]), (n, 1))
    original = FittedVerifier(edges, np.linspace(-1, 1, n * 4), 0.25, 0.6)
    original.save(tmp_path / "v.npz")
    loaded = FittedVerifier.load(tmp_path / "v.npz")
    assert loaded.probability(CLEAR) == pytest.approx(original.probability(CLEAR))
    assert loaded.threshold == 0.6
