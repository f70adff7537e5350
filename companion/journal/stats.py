"""What the journal says over time: triggers, feelings, the urge, and what was done.

"Each time you stay is a win": the choices are counted in the person's own
terms ("times I stayed"). Counting happens in SQL so 10,000 entries stay
quick; only trigger grouping reads the situations, once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from companion.journal.model import CHOICES, JournalError
from companion.journal.repo import Journal
from companion.normalize import normalize


@dataclass
class Stats:
    """Counts ready to print or plot; days are local dates (YYYY-MM-DD)."""

    total: int = 0
    first_day: str = ""
    last_day: str = ""
    triggers: list[tuple[str, int]] = field(default_factory=list)
    emotions: list[tuple[str, int, float | None]] = field(default_factory=list)
    urge_by_day: list[tuple[str, float, int]] = field(default_factory=list)
    choices: list[tuple[str, int]] = field(default_factory=list)


def compute(journal: Journal, trigger_words: dict[str, Any], top: int = 5) -> Stats:
    """Most frequent triggers and feelings, the urge per day, and each choice's count."""
    db = journal.db
    total, first, last = db.execute(
        "SELECT count(*), date(min(created_at), 'localtime'), date(max(created_at), "
        "'localtime') FROM entries").fetchone()
    emotions = [(name, n, None if avg is None else round(avg, 1)) for name, n, avg in db.execute(
        "SELECT lower(name), count(*), avg(intensity) FROM entry_emotions GROUP BY lower(name) "
        "ORDER BY count(*) DESC, lower(name) LIMIT ?", (top,))]
    urge = [(day, round(avg, 1), n) for day, avg, n in db.execute(
        "SELECT date(created_at, 'localtime') AS day, avg(urge), count(urge) FROM entries "
        "WHERE urge IS NOT NULL GROUP BY day ORDER BY day")]
    choices = [(did, n) for did, n in db.execute(
        "SELECT did, count(*) FROM entries WHERE did != '' GROUP BY did "
        "ORDER BY count(*) DESC, did")]
    situations = db.execute("SELECT lower(situation), count(*) FROM entries "
                            "WHERE situation != '' GROUP BY lower(situation)").fetchall()
    return Stats(total=int(total), first_day=first or "", last_day=last or "",
                 triggers=count_triggers(situations, trigger_words).most_common(top),
                 emotions=emotions, urge_by_day=urge, choices=choices)


def count_triggers(situations: Iterable[tuple[str, int]],
                   trigger_words: dict[str, Any]) -> Counter[str]:
    """(situation, times) pairs -> a count per trigger group whose words appear.

    A situation counts once for each matching group; one that matches none is
    counted as written (normalized), so the person's own words still show up.
    """
    groups = [(label, _words_pattern(words)) for label, words in trigger_words.items()
              if isinstance(words, list) and words]
    counts: Counter[str] = Counter()
    for text, times in situations:
        matched = [label for label, pattern in groups if pattern.search(text.lower())]
        for label in matched or [normalize(text)]:
            counts[label] += times
    return counts


def _words_pattern(words: list[Any]) -> re.Pattern[str]:
    """Any of ``words`` as whole words, plural or past tense too ("text", "texts")."""
    alternatives = "|".join(re.escape(str(w).lower()) for w in words)
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?:s|es|d|ed)?(?![\w'])")


def render(stats: Stats, days: int = 14) -> str:
    """Plain text for the terminal (works in pipes and screen readers)."""
    if not stats.total:
        return "The journal is empty. Add an entry with `companion journal add`."
    lines = [f"{stats.total} entries, {stats.first_day} to {stats.last_day}", ""]
    if stats.triggers:
        lines.append("Most frequent triggers")
        lines += [f"  {n:>5}  {label}" for label, n in stats.triggers]
        lines.append("")
    if stats.emotions:
        lines.append("Feelings (times named, average strength 0-10)")
        lines += [f"  {n:>5}  {name}" + ("" if avg is None else f"  ({avg})")
                  for name, n, avg in stats.emotions]
        lines.append("")
    if stats.urge_by_day:
        lines.append(f"Urge to run, average per day (last {days} days with entries)")
        lines += [f"  {day}  {avg:>4}  {'#' * round(avg)}" for day, avg, _ in
                  stats.urge_by_day[-days:]]
        lines.append("")
    if stats.choices:
        lines.append("What I did")
        lines += [f"  {n:>5}  " + (f"times I {c}" if c in CHOICES else c)
                  for c, n in stats.choices]
    return "\n".join(lines).rstrip() + "\n"


def plot(stats: Stats, path: Path) -> None:
    """Draw the four views into one PNG with matplotlib's Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from datetime import date

    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    (ax_trig, ax_emo), (ax_urge, ax_did) = axes
    _barh(ax_trig, [t for t, _ in stats.triggers], [n for _, n in stats.triggers],
          "Most frequent triggers")
    _barh(ax_emo, [e for e, _, _ in stats.emotions], [n for _, n, _ in stats.emotions],
          "Feelings named")
    if stats.urge_by_day:
        days = [date.fromisoformat(d) for d, _, _ in stats.urge_by_day]
        ax_urge.plot(days, [a for _, a, _ in stats.urge_by_day], marker="o", markersize=3)
        fig.autofmt_xdate()
    ax_urge.set_ylim(0, 10)
    ax_urge.set_title("Urge to run (average per day)")
    _barh(ax_did, [f"times I {c}" if c in CHOICES else c for c, _ in stats.choices],
          [n for _, n in stats.choices], "What I did")
    fig.tight_layout()
    try:
        fig.savefig(path, format="png", dpi=100)
    except OSError as err:
        raise JournalError(f"cannot write {path}: {err.strerror or err}",
                           "choose a folder you can write to") from err
    finally:
        plt.close(fig)


def _barh(ax: Any, labels: list[str], values: list[int], title: str) -> None:
    ax.set_title(title)
    if not values:
        ax.text(0.5, 0.5, "nothing yet", ha="center", va="center", transform=ax.transAxes)
        return
    short = [label if len(label) <= 28 else label[:27] + "..." for label in labels]
    ax.barh(short[::-1], values[::-1])
