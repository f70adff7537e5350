"""The small pattern language of the safety files, compiled to regexes.

Patterns stay readable to people who do not write regexes ("(kill|end) my
life", "i [really] want to die", "{someone} ... hits me", "{took} & {lots} &
{pills}"); this module turns them into regexes over cleaned text of the form
" word word " (see :mod:`companion.safety.text`).

Syntax:
    word     that word            word*    a word starting with it
    (a|b c)  one of the choices   [a|b]    optional choice
    *        any one word         ...      up to three words of anything
    {set}    a phrase of the set  !{set}   one word that is not in the set
    A & B    both parts, anywhere in the same utterance, in any order
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

from companion.errors import ContentError
from companion.normalize import words

_TOKEN = re.compile(
    r"\s*(\(|\)|\[|\]|\||&|!?\{[a-z_]+\}|\.\.\.|\*|[^\W_][\w']*\*?)")
_ANY_WORD = r"\S+ "


def phrase_regex(phrase: str) -> str:
    """Regex for a phrase: its normalized words, each followed by a space.

    A word ending in ``*`` matches any word starting with it ("overdos*").
    """
    parts = []
    for raw in phrase.lower().split():
        stem = raw.endswith("*")
        for word in words(raw.rstrip("*")):
            parts.append(re.escape(word) + (r"\S* " if stem else " "))
    return "".join(parts)


def set_regex(items: list[str]) -> str:
    """One alternation for a whole set, longest phrases first."""
    ordered = sorted({phrase_regex(p) for p in items if phrase_regex(p)}, key=len, reverse=True)
    return "(?:" + "|".join(ordered) + ")"


@dataclass(frozen=True)
class Rule:
    """A compiled pattern: every part must be found in the text."""

    source: str
    parts: tuple[re.Pattern[str], ...]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Each part's first (start, end) in ``text``; [] unless every part is there."""
        spans = []
        for part in self.parts:
            hit = part.search(text)
            if hit is None:
                return []
            spans.append(hit.span())
        return spans

    def find(self, text: str) -> tuple[int, int] | None:
        """(start, end) spanning every part's first match in ``text``, or None."""
        spans = self.spans(text)
        return (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None


class PatternCompiler:
    """Turns readable patterns into :class:`Rule` objects over " word word " text."""

    def __init__(self, sets: Mapping[str, list[str]], source: str) -> None:
        self.source = source
        self.sets = sets
        self._set_regex = {name: set_regex(items) for name, items in sets.items()}
        self.pattern = ""
        self.tokens: list[str] = []
        self.pos = 0

    def compile(self, pattern: str) -> Rule:
        """Compile ``pattern``; a ContentError names the file and the pattern."""
        self.pattern = pattern
        parts = []
        for piece in self._split_and(pattern.lower()):
            self.tokens = self._tokenize(piece)
            self.pos = 0
            body = self._sequence()
            if self.pos != len(self.tokens):
                self._fail(f"unexpected '{self.tokens[self.pos]}'")
            regex = re.compile("(?<= )" + body)
            if regex.match(" ", 1):
                self._fail("it can match nothing at all")
            parts.append(regex)
        return Rule(pattern, tuple(parts))

    def _split_and(self, pattern: str) -> list[str]:
        pieces, depth, start = [], 0, 0
        for i, ch in enumerate(pattern):
            depth += ch in "([" and 1 or (ch in ")]" and -1 or 0)
            if ch == "&" and depth == 0:
                pieces.append(pattern[start:i])
                start = i + 1
        pieces.append(pattern[start:])
        if any(not p.strip() for p in pieces):
            self._fail("'&' needs a part on both sides")
        return pieces

    def _fail(self, why: str) -> NoReturn:
        raise ContentError(
            f"{self.source}: pattern \"{self.pattern}\": {why}",
            f"fix the pattern in {self.source} (see the notes at the top of the file)",
        )

    def _tokenize(self, text: str) -> list[str]:
        tokens, pos = [], 0
        text = text.strip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match:
                self._fail(f"cannot read '{text[pos:].strip()[:12]}'")
            if match.group(1) == "&":
                self._fail("'&' cannot stand inside brackets")
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

    def _set(self, token: str) -> str:
        name = token.strip("!{}")
        if name not in self._set_regex:
            self._fail(f"there is no list called {{{name}}}")
        return self._set_regex[name]

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
        if token.startswith("!{"):
            return f"(?!{self._set(token)})" + _ANY_WORD
        if token.startswith("{"):
            return self._set(token)
        if token.endswith("*") and len(words(token[:-1])) != 1:
            self._fail(f"'{token}' should be a single word before the *")
        return phrase_regex(token)
