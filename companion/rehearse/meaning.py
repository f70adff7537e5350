"""Did a part's idea come through, in whatever words (pure)?

The phrase is meant to be said in the person's own words, so a part is
credited by its meaning: its content words, each widened to the group of
words that carry the same idea (``meaning.toml``: "walk away" = "leave" =
"bolt" = "shut this down"; "learning" = "trying" = "working on"), matched by
their root ("left" = "leaving" = "leave"), in any order, with filler
ignored. A part counts when enough of its ideas (weighted: "feel" or "think"
count half) were heard within one short stretch of the attempt, so that
words scattered over different parts do not add up to a part never said.
Words of a person's own phrase that no group knows still count when said
themselves, in any form.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion import content_files as content
from companion.errors import ContentError
from companion.normalize import root, roots, words

SOURCE = "meaning.toml"
WEAK_WEIGHT = 0.5
SHARED_WEIGHT = 0.75
# A part with several ideas needs two of them heard: one shared word ("help" in
# "can you help me carry the shopping") is not the part.
MIN_CONCEPTS = 2
ONE_CONCEPT_SHARE = 0.3
@dataclass(frozen=True)
class Concept:
    """One idea of a part: the root sequences that say it, and how much it weighs."""

    forms: frozenset[tuple[str, ...]]
    weight: float
    label: str

    @property
    def strong(self) -> bool:
        """Not a weak word (a shared idea still is): what a part cannot do without."""
        return self.weight >= SHARED_WEIGHT


@dataclass(frozen=True)
class Idea:
    """What one part means: its concepts (empty when the part is all filler)."""

    part: str
    concepts: tuple[Concept, ...]


class MeaningLexicon:
    """Groups of interchangeable words, stopwords and weak words, from meaning.toml."""

    def __init__(self, data: dict[str, Any], source: str = SOURCE) -> None:
        settings = data.get("settings", {})
        try:
            self.threshold = float(settings.get("idea_threshold", 0.6))
            self.window = int(settings.get("idea_window_words", 10))
        except (TypeError, ValueError) as err:
            raise ContentError(f"{source}: [settings] must hold numbers ({err})",
                               f"fix [settings] in {source}") from err
        if not 0 < self.threshold <= 1 or self.window < 1:
            raise ContentError(f"{source}: idea_threshold must be in (0, 1] and "
                               "idea_window_words at least 1", f"fix [settings] in {source}")
        self.stopwords = {root(w) for w in _strings(data, "stopwords", source)}
        self.weak = {root(w) for w in _strings(data, "weak", source)}
        weak_groups = data.get("weak", {}).get("groups", [])
        if not isinstance(weak_groups, list):
            raise ContentError(f"{source}: [weak] groups should be a list of group names",
                               f"fix [weak] in {source}")
        self.weak_groups = {str(g) for g in weak_groups}
        self.groups: dict[str, frozenset[tuple[str, ...]]] = {}
        for name, members in data.get("groups", {}).items():
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                raise ContentError(f"{source}: [groups] {name} should be a list of words",
                                   f"fix [groups] {name} in {source}")
            self.groups[name] = frozenset(
                form for form in (roots(m) for m in members) if form and not self._filler(form))
        self._member_of: dict[tuple[str, ...], list[str]] = {}
        for name, group in self.groups.items():
            for form in group:
                self._member_of.setdefault(form, []).append(name)
        self._longest = max((len(f) for f in self._member_of), default=1)

    @classmethod
    def load(cls, user_dir: Path | None = None) -> MeaningLexicon:
        """Packaged groups plus the user's (their words are added to a group)."""
        packaged = content.packaged(SOURCE)
        merged = content.load(SOURCE, user_dir=user_dir)
        for name, members in packaged.get("groups", {}).items():
            mine = merged.setdefault("groups", {}).get(name)
            if isinstance(mine, list) and mine is not members:
                merged["groups"][name] = members + [m for m in mine if m not in members]
        return cls(merged)

    def _filler(self, form: tuple[str, ...]) -> bool:
        """A lone stopword carries no idea ("get out of here" as a whole does)."""
        return len(form) == 1 and form[0] in self.stopwords

    def idea(self, part: str) -> Idea:
        """The concepts of ``part``: its multi-word group members first, then its words."""
        tokens = list(roots(part))
        concepts: list[Concept] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                form = tuple(tokens[i:i + size])
                groups = self._member_of.get(form)
                if size == 1 and (form[0] in self.stopwords):
                    groups = None
                if groups:
                    forms = frozenset({form}).union(*(self.groups[g] for g in groups))
                    weak = (size == 1 and form[0] in self.weak) or all(
                        g in self.weak_groups for g in groups)
                    concepts.append(Concept(forms, WEAK_WEIGHT if weak else 1.0,
                                            "/".join(groups)))
                    i += size
                    break
            else:
                word = tokens[i]
                if word not in self.stopwords:
                    weight = WEAK_WEIGHT if word in self.weak else 1.0
                    concepts.append(Concept(frozenset({(word,)}), weight, word))
                i += 1
        return Idea(part, _merge(concepts))

    def ideas(self, parts: Sequence[str]) -> list[Idea]:
        """The ideas of a phrase's parts, a concept that several parts share weighing half.

        "stay" in "I'm learning to stay" and in "Can you help me stay?" says little
        about which of the two was said; what sets each part apart counts most.
        """
        ideas = [self.idea(part) for part in parts]
        seen: dict[str, int] = {}
        for idea in ideas:
            for label in {c.label for c in idea.concepts}:
                seen[label] = seen.get(label, 0) + 1
        return [Idea(idea.part, tuple(
            Concept(c.forms, c.weight * (SHARED_WEIGHT if seen[c.label] > 1 else 1.0), c.label)
            for c in idea.concepts)) for idea in ideas]

    def came_through(self, idea: Idea, heard: Sequence[str | None]) -> float:
        """Share (by weight) of the idea's concepts heard within one stretch of ``heard``.

        ``heard`` are the roots of what was said (None where another part has
        claimed the word). 1.0 for a part with no concepts.
        """
        return self._best_stretch(idea, heard)[0]

    def _best_stretch(self, idea: Idea, heard: Sequence[str | None]
                      ) -> tuple[float, set[int]]:
        """(share heard, positions of the words that said it) for the best stretch."""
        if not idea.concepts:
            return 1.0, set()
        hits: list[tuple[int, int, int]] = []  # (position, length, concept index)
        for index, concept in enumerate(idea.concepts):
            hits += [(p, n, index) for p, n in _positions(concept.forms, heard)]
        total = sum(c.weight for c in idea.concepts)
        span = max(self.window, 2 * len(words(idea.part)))
        best: tuple[float, set[int]] = (0.0, set())
        hits.sort()
        for start, _, _ in hits:
            first: dict[int, tuple[int, int]] = {}  # concept -> its first saying here
            for p, n, i in hits:
                if start <= p < start + span and i not in first:
                    first[i] = (p, n)
            share = sum(idea.concepts[i].weight for i in first) / total
            if len(first) < min(MIN_CONCEPTS, sum(c.strong for c in idea.concepts)):
                share = min(share, ONE_CONCEPT_SHARE)  # one word of a many-idea part
            if share > best[0]:
                best = (share, {p + k for p, n in first.values() for k in range(n)})
        return best

    def shares(self, ideas: Sequence[Idea], heard: Sequence[str]) -> list[float]:
        """How much of each part's idea came through in one attempt at all of them.

        Parts take turns, best first, and each claims the words that said it,
        so one stretch of an attempt ("I'm learning to stay") counts for the part
        it says best and not again for another that shares a word with it
        ("Can you help me stay?").
        """
        free: list[str | None] = list(heard)
        out = [0.0] * len(ideas)
        pending = set(range(len(ideas)))
        while pending:
            found = {i: self._best_stretch(ideas[i], free) for i in pending}
            index = max(pending, key=lambda i: (found[i][0], -i))
            pending.discard(index)
            out[index] = found[index][0]
            for position in found[index][1]:
                free[position] = None
        return out

    def credited(self, share: float) -> bool:
        """True when a part's share of its idea came through (see ``idea_threshold``)."""
        return share >= self.threshold


def _merge(concepts: Iterable[Concept]) -> tuple[Concept, ...]:
    """One concept per group: "walk away ... leave" in one part is one idea said twice."""
    out: dict[str, Concept] = {}
    for concept in concepts:
        if concept.label not in out:
            out[concept.label] = concept
    return tuple(out.values())


def _positions(forms: frozenset[tuple[str, ...]], heard: Sequence[str | None]
               ) -> list[tuple[int, int]]:
    """(start, length) of each place any of ``forms`` is said in ``heard``."""
    at: dict[str, list[int]] = {}
    for i, word in enumerate(heard):
        if word is not None:
            at.setdefault(word, []).append(i)
    return [(i, len(form)) for form in forms for i in at.get(form[0], ())
            if tuple(heard[i:i + len(form)]) == form]


def _strings(data: dict[str, Any], table: str, source: str) -> list[str]:
    values = data.get(table, {}).get("words", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ContentError(f"{source}: [{table}] words should be a list of words",
                           f"fix [{table}] in {source}")
    return [w for v in values for w in words(v)]
