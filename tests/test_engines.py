"""Choosing and loading recognizers: the embedded one loads on first use."""

from __future__ import annotations

import numpy as np

from companion.errors import EngineError
from companion.recognition.base import Grammar, Hypothesis
from companion.recognition.engines import LoadOnFirstUse, open_recognizer
from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer


class Counting:
    """A recognizer factory that counts builds (failure injection when ``fail``)."""

    def __init__(self, fail: bool = False) -> None:
        self.builds = 0
        self.fail = fail
        self.grammars: list[Grammar] = []

    def __call__(self) -> Counting:
        self.builds += 1
        if self.fail:
            raise EngineError("the model is damaged", "reinstall it")
        return self

    def set_grammar(self, grammar: Grammar) -> None:
        self.grammars.append(grammar)

    def accept(self, samples: np.ndarray) -> list[Hypothesis]:
        return [Hypothesis("next", True)]

    def flush(self) -> list[Hypothesis]:
        return []

    def reset(self) -> None:
        pass


def test_builds_once_on_first_use() -> None:
    factory = Counting()
    lazy = LoadOnFirstUse(factory, on_failure=lambda err: None)  # type: ignore[arg-type]
    assert factory.builds == 0
    lazy.reset()
    lazy.set_grammar(Grammar(("next",)))
    assert lazy.accept(np.zeros(480, np.int16)) == [Hypothesis("next", True)]
    assert factory.builds == 1 and factory.grammars == [Grammar(("next",))]


def test_a_failed_load_is_reported_once_and_hears_nothing() -> None:
    factory = Counting(fail=True)
    failures: list[EngineError] = []
    lazy = LoadOnFirstUse(factory, on_failure=failures.append)  # type: ignore[arg-type]
    lazy.reset()
    assert lazy.accept(np.zeros(480, np.int16)) == [] and lazy.flush() == []
    assert factory.builds == 1 and [f.message for f in failures] == ["the model is damaged"]


def test_sessions_get_the_real_recognizer_loaded_late() -> None:
    lazy = open_recognizer("pocketsphinx", on_late_failure=lambda err: None)
    assert isinstance(lazy, LoadOnFirstUse) and lazy.name == "pocketsphinx"
    lazy.reset()
    assert isinstance(lazy._inner, PocketsphinxRecognizer)
