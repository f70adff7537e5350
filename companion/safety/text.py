"""Cleaning text for the crisis check: the words meant, however they were typed.

People in distress type fast and in their own shorthand ("im", "u", "rn",
"cant", "pleeease", "sucide"), and a recognizer spells what it heard. The
cleaner turns all of that into one normalized " word word " string:
contractions and chat shorthand expanded (``[shorthand]`` in the lexicon),
long runs of one letter shortened, and a word the dictionary does not know
corrected to a crisis word one slip away ("pils" -> "pills"). Words it knows
are never "corrected": "died" stays "died", not "dies".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

from companion.normalize import CONTRACTIONS, words
from companion.recognition.base import LEXICON

MIN_TYPO_LETTERS = 4  # shorter words are too easily another word
LONG_TYPO_LETTERS = 10  # from this length two slips are forgiven
_RUN = re.compile(r"(\w)\1{2,}")
_POSSESSIVE = re.compile(r"\b(\w+)['\u2019]s\b")


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Common English words (the recognizer's lexicon): never taken for a typo."""
    try:
        lines = LEXICON.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(line.split(" ", 1)[0].split("(")[0] for line in lines if line)


class TextCleaner:
    """Normalizes typed or recognized text for the crisis rules and the model."""

    def __init__(self, shorthand: Mapping[str, str], crisis_words: Iterable[str]) -> None:
        self.shorthand = {" ".join(words(k)): " ".join(words(v)) for k, v in shorthand.items()}
        heard = sorted(self.shorthand, key=len, reverse=True)
        self._shorthand_re = (
            re.compile("(?<= )(?:" + "|".join(re.escape(h) for h in heard) + ")(?= )")
            if heard else None
        )
        self.targets = sorted({w for w in crisis_words if len(w) >= MIN_TYPO_LETTERS})
        self.known = known_words() | set(self.targets)
        self._fixed: dict[str, str] = {}

    def clean(self, text: str) -> str:
        """`` word word `` form: lower case, expanded, typos towards crisis words fixed."""
        text = _POSSESSIVE.sub(self._possessive, text)
        out = [self._fix(word) for word in words(text)]
        padded = " " + " ".join(out) + " "
        if self._shorthand_re is not None:
            padded = self._shorthand_re.sub(lambda m: self.shorthand[m.group(0)], padded)
        return padded

    @staticmethod
    def _possessive(match: re.Match[str]) -> str:
        """ "kitchen's on fire", "dad's gun" -> "kitchen", "dad" ("he's" stays "he is")."""
        whole = match.group(0).lower().replace("\u2019", "'")
        return match.group(0) if whole in CONTRACTIONS else match.group(1)

    def _fix(self, word: str) -> str:
        if word in self.known or not word.isalpha():
            return word
        cached = self._fixed.get(word)
        if cached is not None:
            return cached
        fixed = word
        shortened = _RUN.sub(r"\1\1", word)
        for candidate in (shortened, _RUN.sub(r"\1", word)):
            if candidate in self.known:
                fixed = candidate
                break
        else:
            if len(shortened) >= MIN_TYPO_LETTERS:
                limit = 2 if len(shortened) >= LONG_TYPO_LETTERS else 1
                best = extractOne(shortened, self.targets, scorer=OSA.distance,
                                  score_cutoff=limit)
                if best is not None:
                    fixed = best[0]
                elif shortened != word:
                    fixed = shortened
        if len(self._fixed) < 10_000:
            self._fixed[word] = fixed
        return fixed
