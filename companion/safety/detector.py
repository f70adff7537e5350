"""Crisis language detection in layers: clean, guard idioms, rules, then the model.

1. :class:`~companion.safety.text.TextCleaner` turns typed or recognized text
   into normalized words (shorthand, contractions, typos).
2. The idiom guard blanks everyday exaggeration ("this commute is killing
   me", "I could kill for a nap") so neither layer below can count it.
3. The rules of safety.toml, built from the concept lists, catch what can
   be said plainly.
4. The linear model, trained on the labelled corpus, catches the rest:
   indirect, concrete and half-finished sentences no rule foresaw.

Either of 3 and 4 is enough to show resources.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from companion.normalize import words
from companion.safety.content import Category, SafetyContent, load_content
from companion.safety.features import ConceptTagger, features
from companion.safety.model import LinearModel, Scores
from companion.safety.patterns import PatternCompiler, Rule
from companion.safety.text import TextCleaner

BLANK = "_"  # what a guarded idiom leaves behind


@dataclass(frozen=True)
class Finding:
    """Crisis language found in one utterance.

    ``categories`` are every kind found, most urgent first (file order);
    ``rule`` is the pattern that matched (empty when only the model fired)
    and ``matched`` the words it matched; ``score`` the model's P(crisis).
    """

    categories: tuple[str, ...]
    rule: str
    matched: str
    score: float

    @property
    def category(self) -> str:
        return self.categories[0]


class CrisisDetector:
    """Finds crisis language in typed or recognized text, by category."""

    def __init__(self, content: SafetyContent, model: LinearModel | None) -> None:
        self.content = content
        self.categories = content.categories
        compiler = PatternCompiler(content.sets, content.source)
        self._rules: list[tuple[Category, Rule]] = [
            (category, compiler.compile(p)) for category in content.categories
            for p in category.patterns]
        self._idioms = [compiler.compile(p) for p in content.idioms]
        vocabulary = {w for items in content.sets.values() for item in items
                      for w in words(item.replace("*", ""))}
        vocabulary |= {w for c in content.categories for p in c.patterns
                       for w in words(p) if w.isalpha()}
        self.cleaner = TextCleaner(content.shorthand, vocabulary)
        self.tagger = ConceptTagger(content.sets)
        self.model = model
        self._order = [c.name for c in content.categories]

    @classmethod
    def load(cls, user_dir: Path | None = None) -> CrisisDetector:
        """Packaged rules and model, plus the user's added patterns and words."""
        return cls(load_content(user_dir), LinearModel.load())

    def prepare(self, text: str) -> str:
        """Cleaned text with guarded idioms blanked: what the rules and the model read."""
        cleaned = self.cleaner.clean(text)
        for idiom in self._idioms:
            spans = idiom.spans(cleaned)
            while spans:
                for start, end in sorted(spans, reverse=True):
                    cleaned = cleaned[:start] + f"{BLANK} " + cleaned[end:]
                spans = idiom.spans(cleaned)
        return cleaned

    def score(self, prepared: str) -> Scores | None:
        """The model's reading of prepared text (None when no model is loaded)."""
        if self.model is None:
            return None
        return self.model.score(features(prepared, self.tagger.concepts(prepared)))

    def by_rules(self, prepared: str) -> tuple[list[str], str, str]:
        """Categories whose rules match prepared text, the first rule and what it matched."""
        found: list[str] = []
        rule = matched = ""
        for category, compiled in self._rules:
            if category.name in found:
                continue
            span = compiled.find(prepared)
            if span is not None:
                found.append(category.name)
                if not rule:
                    rule, matched = compiled.source, prepared[span[0]:span[1]].strip()
        return found, rule, matched

    def detect(self, text: str) -> Finding | None:
        """Crisis language in ``text``, or None."""
        prepared = self.prepare(text)
        if not prepared.strip(f" {BLANK}"):
            return None
        found, rule, matched = self.by_rules(prepared)
        scores = self.score(prepared)
        score = scores.crisis if scores is not None else 0.0
        if (scores is not None and self.model is not None and self.model.fires(scores)
                and scores.category not in found):
            found.append(scores.category)
        if not found:
            return None
        ordered = tuple(sorted(found, key=lambda n: self._order.index(n)
                               if n in self._order else len(self._order)))
        return Finding(ordered, rule, matched, score)
