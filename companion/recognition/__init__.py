"""Speech recognizers behind one small streaming interface."""

from companion.recognition.base import (
    Grammar,
    Hypothesis,
    Recognizer,
    Word,
)

__all__ = ["Grammar", "Hypothesis", "Recognizer", "Word"]
