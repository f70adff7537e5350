"""The small pattern language of safety.toml, and the text cleaner it runs on.

Patterns stay readable to people who do not write regexes ("(kill|end) my
life", "i [really] want to die", "{someone} ... hits me"); this module turns
them into regexes over normalized text of the form " word word ".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NoReturn

from rapidfuzz.distance import OSA

from companion.errors import ContentError
from companion.normalize import words

# Pattern syntax: ( ) [ ] | {set} ... * and words (optionally ending in *).
_PATTERN_TOKEN = re.compile(r"\s*(\(|\)|\[|\]|\||\{[a-z_]+\}|\.\.\.|\*|[a-z0-9']+\*?)")
_ANY_WORD = r"\S+ "


def _phrase_regex(phrase: str) -> str:
    """Regex for a plain phrase: normalized words, each followed by a space."""
    return "".join(re.escape(w) + " " for w in words(phrase))


class PatternCompiler:
    """Turns one readable pattern into a regex over " word word " text."""

    def __init__(self, sets: Mapping[str, list[str]], source: str) -> None:
        self.sets = sets
        self.source = source

    def compile(self, pattern: str) -> re.Pattern[str]:
        """Compile ``pattern``; a ContentError names the file and the pattern."""
        self.pattern = pattern
        self.tokens = self._tokenize(pattern.lower())
        self.pos = 0
        body = self._sequence()
        if self.pos != len(self.tokens):
            self._fail(f"unexpected '{self.tokens[self.pos]}'")
        if re.fullmatch(body, ""):
            self._fail("it can match nothing at all")
        return re.compile("(?<= )" + body)

    def _fail(self, why: str) -> NoReturn:
        raise ContentError(
            f"{self.source}: pattern \"{self.pattern}\": {why}",
            f"fix the pattern in {self.source} (see the notes at the top of the file)",
        )

    def _tokenize(self, text: str) -> list[str]:
        tokens, pos = [], 0
        text = text.strip()
        while pos < len(text):
            match = _PATTERN_TOKEN.match(text, pos)
            if not match:
                self._fail(f"cannot read '{text[pos:].strip()[:12]}'")
            tokens.append(match.group(1))
            pos = match.end()
        return tokens

    def _sequence(self) -> str:
        parts: list[str] = []
        while self.pos < len(self.tokens) and self.tokens[self.pos] not in ")]|":
            parts.append(self._item())
        return "".join(parts)

    def _alternatives(self, close: str) -> str:
        options = [self._sequence()]
        while self.pos < len(self.tokens) and self.tokens[self.pos] == "|":
            self.pos += 1
            options.append(self._sequence())
        if self.pos >= len(self.tokens) or self.tokens[self.pos] != close:
            self._fail(f"a bracket is not closed with '{close}'")
        self.pos += 1
        return "(?:" + "|".join(options) + ")"

    def _item(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        if token == "(":
            return self._alternatives(")")
        if token == "[":
            return self._alternatives("]") + "?"
        if token == "...":
            return "(?:" + _ANY_WORD + "){0,3}"
        if token == "*":
            return _ANY_WORD
        if token.startswith("{"):
            name = token[1:-1]
            if name not in self.sets:
                self._fail(f"there is no list called {{{name}}} in [sets]")
            return "(?:" + "|".join(_phrase_regex(p) for p in self.sets[name]) + ")"
        if token.endswith("*"):
            stem = words(token[:-1])
            if len(stem) != 1:
                self._fail(f"'{token}' should be a single word before the *")
            return re.escape(stem[0]) + r"\S* "
        return _phrase_regex(token)


class TextCleaner:
    """Fixes known recognizer slips and typos before matching (from [variants], [spelling])."""

    def __init__(self, variants: dict[str, str], near_words: list[str], min_letters: int) -> None:
        self.variants = variants
        heard = sorted(variants, key=len, reverse=True)
        self.variant_re = (
            re.compile("(?<= )(?:" + "|".join(re.escape(h) for h in heard) + ")(?= )")
            if heard else None
        )
        self.near_words = near_words
        self.min_letters = min_letters

    def clean(self, text: str) -> str:
        """Normalize ``text`` to " word word " form with slips corrected."""
        out = []
        for word in words(text):
            if len(word) >= self.min_letters and word not in self.near_words:
                for target in self.near_words:
                    if OSA.distance(word, target, score_cutoff=1) <= 1:
                        word = target
                        break
            out.append(word)
        padded = " " + " ".join(out) + " "
        if self.variant_re:
            padded = self.variant_re.sub(lambda m: self.variants[m.group(0)], padded)
        return padded
