"""The shell around a flow: a failing recognizer is reported and retried, never silent.

Failure injection: the microphone and the recognizer are stand-ins here; the
flow, the runtime and the screen are the real ones.
"""

from __future__ import annotations

import io
import threading
import time

import numpy as np

from companion import events as ev
from companion import runtime as rt
from companion.recognition.base import Grammar, Hypothesis
from companion.runtime import Runtime, Shell
from companion.screen import Screen
from tests.core_driver import ground


class Silence:
    """A microphone that hands out quiet blocks every 10 ms."""

    def read(self, timeout_s: float | None = None) -> np.ndarray | None:
        time.sleep(0.01)
        return np.zeros(160, np.int16)

    def drain(self) -> int:
        return 0


class BrokenThenFine:
    """A recognizer whose first ``failures`` blocks raise, then hears "next" once."""

    name = "broken"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.blocks = 0
        self.said_next = False

    def set_grammar(self, grammar: Grammar) -> None:
        pass

    def reset(self) -> None:
        pass

    def flush(self) -> list[Hypothesis]:
        return []

    def accept(self, samples: np.ndarray) -> list[Hypothesis]:
        self.blocks += 1
        if self.blocks <= self.failures:
            raise RuntimeError("decoder state corrupt")
        if not self.said_next:
            self.said_next = True
            return [Hypothesis("next", True)]
        return []


def test_a_failing_recognizer_is_reported_once_and_voice_comes_back(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(rt, "RETRY_S", 0.05)
    driver = ground()
    screen = Screen(plain=True)
    out = io.StringIO()
    screen.console.file = out
    recognizer = BrokenThenFine(failures=3)
    shell = Shell(vocabulary=driver.flow.ctx.vocabulary, screen=screen, source=Silence(),
                  recognizer=recognizer, keyboard=False)
    runtime = Runtime(driver.flow, shell)
    done = threading.Thread(target=runtime.run, daemon=True)
    done.start()
    deadline = time.monotonic() + 10
    while "pause_choice" not in driver.flow.state and time.monotonic() < deadline:
        time.sleep(0.05)
    runtime.post(ev.Interrupted())
    done.join(timeout=5)
    text = out.getvalue()
    assert text.count("The speech recognizer stopped working") == 1, text
    assert "RuntimeError: decoder state corrupt" in text
    assert "The speech recognizer is back" in text
    assert driver.flow.state == "pause_choice"  # "next" was heard once it worked again
