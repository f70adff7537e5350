"""What the statistical layer reads of a cleaned sentence: words, word pairs, concepts.

Shared by the run-time scorer and ``scripts/train_safety.py``, so the model
is always fed exactly what it was trained on. Features are strings hashed
into a fixed number of buckets, so the shipped model needs no vocabulary.

* ``w:`` each word's root ("cutting", "cuts" -> "cut": :func:`companion.normalize.root`);
* ``b:`` each pair of neighbouring words;
* ``g:`` each four-letter piece of each word ("<pil", "pill", "ills", "lls>"),
  so a misspelt or unusual form still shares most of its pieces;
* ``c:`` each concept list of crisis_words.toml the sentence touches, and
  ``p:`` each pair of them: "took" + "lots" + "drugs" is learned as a shape,
  so "downed a whole box of co-codamol" counts even if no example said it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping

from companion.normalize import root
from companion.safety.patterns import set_regex

BUCKETS = 1 << 18  # hashed feature space (the model stores only the buckets it uses)


class ConceptTagger:
    """Finds which concept lists (by name) a cleaned sentence touches."""

    def __init__(self, sets: Mapping[str, list[str]]) -> None:
        self._regexes = [(name, re.compile("(?<= )" + set_regex(items)))
                         for name, items in sorted(sets.items()) if items]

    def concepts(self, cleaned: str) -> list[str]:
        """Names of the lists with a phrase in ``cleaned`` (" word word " form)."""
        return [name for name, regex in self._regexes if regex.search(cleaned)]


def features(cleaned: str, concepts: list[str]) -> list[str]:
    """Feature strings of one cleaned sentence and the concepts found in it."""
    stems = [root(w) for w in cleaned.split() if w != "_"]
    out = [f"w:{s}" for s in stems]
    out += [f"b:{a}_{b}" for a, b in zip(stems, stems[1:], strict=False)]
    for word in cleaned.split():
        marked = f"<{word}>"
        out += [f"g:{marked[i:i + 4]}" for i in range(len(marked) - 3)]
    out += [f"c:{c}" for c in concepts]
    out += [f"p:{a}+{b}" for i, a in enumerate(concepts) for b in concepts[i + 1:]]
    return out


def bucket(feature: str) -> int:
    """The hashed index of one feature (stable across runs and platforms)."""
    return zlib.crc32(feature.encode("utf-8")) % BUCKETS
