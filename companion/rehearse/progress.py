"""Rehearsal attempts in the store, and what they add up to over sessions.

The flow asks for an attempt to be kept with ``SaveAttempt`` (it never
writes itself); the runtime calls :meth:`Attempts.add`. A part counts as
learned once it came through in ``learned_after`` different sessions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from companion.effects import FeatureEffect
from companion.store import Store


@dataclass(frozen=True)
class SaveAttempt(FeatureEffect):
    """Keep one scored attempt. ``parts_said`` are indexes into the whole phrase."""

    phrase: str
    phrase_text: str
    mode: str
    target: str
    completeness: float
    parts_said: tuple[int, ...]
    wpm: float | None
    long_pauses: int


@dataclass(frozen=True)
class SessionProgress:
    """One session's attempts at a phrase, for the progress table and plot."""

    started: datetime
    attempts: int
    best: float  # best completeness of a whole-phrase attempt (or of any, if none)
    whole: bool  # True when ``best`` is from a whole-phrase attempt
    parts_said: frozenset[int]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


class Attempts:
    """The ``attempts`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, effect: SaveAttempt, session_start: datetime) -> int:
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO attempts (session_start, at, phrase, phrase_text, mode, target, "
                "completeness, parts_said, wpm, long_pauses) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (_iso(session_start), _iso(datetime.now(timezone.utc)), effect.phrase,
                 effect.phrase_text, effect.mode, effect.target,
                 min(1.0, max(0.0, effect.completeness)), json.dumps(list(effect.parts_said)),
                 effect.wpm, effect.long_pauses))
        return int(cursor.lastrowid or 0)

    def link_session(self, session_start: datetime, session_id: int) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE attempts SET session_id = ? WHERE session_start = ?",
                       (session_id, _iso(session_start)))

    def sessions(self, phrase: str, phrase_text: str | None = None) -> list[SessionProgress]:
        """Oldest first. Only attempts at the current wording when ``phrase_text`` is given."""
        query = ("SELECT session_start, mode, completeness, parts_said FROM attempts "
                 "WHERE phrase = ?")
        params: tuple[str, ...] = (phrase,)
        if phrase_text is not None:
            query += " AND phrase_text = ?"
            params += (phrase_text,)
        grouped: dict[str, list[tuple[str, float, list[int]]]] = {}
        for start, mode, completeness, parts in self.store.connection.execute(
                query + " ORDER BY session_start, id", params):
            grouped.setdefault(start, []).append((mode, completeness, json.loads(parts)))
        out = []
        for start, rows in grouped.items():
            whole = [c for mode, c, _ in rows if mode == "all"]
            said = frozenset(i for _, _, parts in rows for i in parts)
            out.append(SessionProgress(datetime.fromisoformat(start), len(rows),
                                       max(whole or [c for _, c, _ in rows]), bool(whole), said))
        return out


def sessions_per_part(history: list[SessionProgress]) -> dict[int, int]:
    """How many sessions each part came through in."""
    counts: dict[int, int] = {}
    for session in history:
        for part in session.parts_said:
            counts[part] = counts.get(part, 0) + 1
    return counts


def plot(history: list[SessionProgress], title: str, out: Path) -> Path:
    """Completeness over sessions as a PNG (matplotlib, no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    xs = list(range(1, len(history) + 1))
    ax.plot(xs, [s.best * 100 for s in history], marker="o", color="#3b7a57")
    ax.set_ylim(0, 105)
    ax.set_xlabel("session")
    ax.set_ylabel("how much came through (%)")
    ax.set_title(title)
    ax.set_xticks(xs)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    out.chmod(0o600)
    return out
