"""How much of a phrase came through in one spoken attempt (pure).

Two measures per part. **Meaning** first: did the part's idea come through,
in whatever words (:mod:`companion.rehearse.meaning`); this is what feedback
leads with, as the phrase is meant to be said in one's own words. **Words**
second: how many of the part's own words were heard, for memorising the
wording (``--exact``, or "word for word" by voice).

This is not pronunciation scoring: it says which words and parts of the
phrase were heard. Each part is looked for on its own in what was heard (so a
reordered attempt still counts its parts), aligned word by word with
rapidfuzz's Levenshtein opcodes after normalizing both sides ("I'm" = "I am",
"30" = "thirty").

With pocketsphinx the recognizer also decodes the attempt against the
phrase's own parts (a grammar of optional parts, far more reliable than free
decoding on a known sentence); ``parts_said`` carries that. A part the
grammar found is trusted; a part it did not find counts only if free
decoding clearly heard it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from companion.normalize import words
from companion.rehearse.meaning import MeaningLexicon, roots

MIN_WINDOW_SIMILARITY = 0.4  # below this, a part was not said at all
TRUST_FREE_AGREEMENT = 0.6  # grammar missed the part, free decoding heard this much: said
LONG_PAUSE_S = 1.5
_CLAIMED = "\0"  # stands in for heard words another part has already claimed


@dataclass(frozen=True)
class PartResult:
    """One part: which of its words came through, and what was heard instead."""

    said: tuple[bool, ...]
    substituted: tuple[tuple[str, str], ...] = ()

    @property
    def coverage(self) -> float:
        return sum(self.said) / len(self.said) if self.said else 1.0


@dataclass(frozen=True)
class Score:
    """The result of one attempt, as ``rehearse score --json`` prints it."""

    completeness: float
    missed: tuple[str, ...]
    substituted: tuple[tuple[str, str], ...]
    wpm: float | None
    long_pauses: int
    parts: tuple[PartResult, ...] = field(default=())
    heard: str = ""
    texts: tuple[str, ...] = ()  # the parts scored, as written
    ideas: tuple[bool, ...] = ()  # per part: its idea came through

    @property
    def message(self) -> float:
        """Share of the parts whose idea came through."""
        return sum(self.ideas) / len(self.ideas) if self.ideas else 0.0

    def as_json(self) -> dict[str, object]:
        return {"message": round(self.message, 3),
                "parts": [{"text": text, "idea": idea, "words": round(part.coverage, 3)}
                          for text, idea, part in zip(self.texts, self.ideas, self.parts,
                                                      strict=True)],
                "completeness": round(self.completeness, 3), "missed": list(self.missed),
                "substituted": [list(pair) for pair in self.substituted],
                "wpm": None if self.wpm is None else round(self.wpm, 1),
                "long_pauses": self.long_pauses}

    def weakest_part(self, exact: bool = False) -> int | None:
        """The part to work on: the first whose idea is missing (``exact``: the one with
        most of its words left out), or None when everything came through."""
        if not exact:
            return next((i for i, idea in enumerate(self.ideas) if not idea), None)
        gaps = [(1.0 - part.coverage, -i) for i, part in enumerate(self.parts)]
        worst = max(gaps, default=(0.0, 0))
        return -worst[1] if worst[0] > 0.25 else None

    def parts_said(self, exact: bool = False, threshold: float = 0.75) -> list[int]:
        """Indexes of the parts that came through: by idea (``exact``: most words heard)."""
        if not exact:
            return [i for i, idea in enumerate(self.ideas) if idea]
        return [i for i, part in enumerate(self.parts) if part.coverage >= threshold]

    def own_words(self, threshold: float = 0.75) -> list[int]:
        """Parts whose idea came through mostly in other words than the phrase's."""
        return [i for i, (idea, part) in enumerate(zip(self.ideas, self.parts, strict=True))
                if idea and part.coverage < threshold]


def _best_window(part: list[str], heard: list[str]) -> tuple[int, int, float]:
    """The stretch of ``heard`` most like ``part``: (start, end, similarity 0..1)."""
    best = (0, 0, 0.0)
    n = len(part)
    for length in range(max(1, n - 3), n + 4):
        for start in range(0, max(1, len(heard) - length + 1)):
            window = heard[start:start + length]
            similarity = Levenshtein.normalized_similarity(part, window)
            if similarity > best[2]:
                best = (start, start + len(window), similarity)
    return best


def _windows(parts: list[list[str]], heard: list[str]) -> list[list[str]]:
    """Where each part was said: the best-matching parts claim their stretch first.

    Claimed words are masked so two parts never share what was heard; a part
    with no stretch similar enough gets an empty window.
    """
    free: list[str] = list(heard)
    found: list[list[str]] = [[] for _ in parts]
    pending = set(range(len(parts)))
    while pending:
        spans = {i: _best_window(parts[i], free) for i in pending}
        index = max(pending, key=lambda i: (spans[i][2], -i))
        start, end, similarity = spans[index]
        pending.discard(index)
        if similarity >= MIN_WINDOW_SIMILARITY:
            found[index] = free[start:end]
            free[start:end] = [_CLAIMED] * (end - start)
    return found


def _align_part(part: list[str], window: list[str]) -> PartResult:
    """Word by word: equal words are said; replacements are noted as (heard, expected)."""
    if not window:
        return PartResult(tuple(False for _ in part))
    said = [False] * len(part)
    substituted: list[tuple[str, str]] = []
    for op in Levenshtein.opcodes(part, window):
        if op.tag == "equal":
            for k in range(op.src_start, op.src_end):
                said[k] = True
        elif op.tag == "replace":
            expected = part[op.src_start:op.src_end]
            got = window[op.dest_start:op.dest_end]
            substituted.extend(zip(got, expected, strict=False))
    return PartResult(tuple(said), tuple(substituted))


def _combine(free: PartResult, grammar_found: bool) -> PartResult:
    """Merge free decoding with the grammar's verdict on the same part.

    Found by the grammar: the whole part is trusted. Measured on synthesized
    attempts, the grammar of optional parts found exactly the parts said, in
    noise too, and nothing at all in a different sentence, while free
    decoding in noise shared as little as 0-30 % of the words. Not found by
    the grammar: said only where free decoding clearly heard it.
    """
    if grammar_found:
        return PartResult(tuple(True for _ in free.said), free.substituted)
    if free.coverage < TRUST_FREE_AGREEMENT:
        return PartResult(tuple(False for _ in free.said))
    return free


def pauses(word_times: Sequence[tuple[float, float]], long_s: float = LONG_PAUSE_S) -> int:
    """Gaps of at least ``long_s`` between consecutive words."""
    return sum(1 for (_, end), (start, _) in zip(word_times, word_times[1:], strict=False)
               if start - end >= long_s)


def words_per_minute(count: int, word_times: Sequence[tuple[float, float]]) -> float | None:
    """``count`` words over the time from the first word's start to the last one's end."""
    if count == 0 or not word_times:
        return None
    span = word_times[-1][1] - word_times[0][0]
    return count / span * 60 if span > 0.3 else None


def score(parts: Sequence[str], heard_text: str, lexicon: MeaningLexicon,
          parts_said: Collection[int] | None = None,
          word_times: Sequence[tuple[float, float]] = (),
          long_pause_s: float = LONG_PAUSE_S) -> Score:
    """Score an attempt at ``parts`` (the phrase, or the bit being practised).

    ``heard_text`` is free recognition (or typed text); ``lexicon`` says which
    words carry the same idea; ``parts_said`` the part indexes a phrase
    grammar found, when the engine has one; ``word_times`` the (start, end)
    seconds of each heard word, for pace and pauses.
    """
    heard = words(heard_text)
    part_words = [words(part) for part in parts]
    windows = _windows(part_words, heard)
    results = [_align_part(part, window)
               for part, window in zip(part_words, windows, strict=True)]
    if parts_said is not None:
        results = [_combine(r, i in parts_said) for i, r in enumerate(results)]
    expected = [w for part in parts for w in words(part)]
    said = [flag for result in results for flag in result.said]
    missed = tuple(word for word, ok in zip(expected, said, strict=True) if not ok)
    return Score(
        completeness=sum(said) / len(said) if said else 0.0,
        missed=missed,
        substituted=tuple(pair for result in results for pair in result.substituted),
        wpm=words_per_minute(len(heard), word_times),
        long_pauses=pauses(word_times, long_pause_s),
        parts=tuple(results),
        heard=" ".join(heard),
        texts=tuple(parts),
        ideas=tuple(lexicon.credited(share)
                    for share in lexicon.shares(lexicon.ideas(parts), roots(heard_text))),
    )
