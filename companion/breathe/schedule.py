"""The breathing timeline: where every phase starts, computed, never measured.

Each boundary is ``anchor + sum of exact quarter-second durations``, so the
hundredth breath starts exactly where arithmetic says it does; nothing here
reads a clock. The planner hands out one phase at a time so a change
("slower", "stop", "pause") takes effect at the next boundary not yet handed
out.
"""

from __future__ import annotations

from dataclasses import dataclass

from companion.breathe.patterns import Pattern, Phase, quarter

SPEED_STEP = 1.15  # each "slower" stretches the breath by 15 %, "faster" shrinks it
MIN_LEVEL, MAX_LEVEL = -3, 4  # levels below 0 are faster, above 0 slower
MIN_PHASE_S = 0.5  # a scaled phase never shrinks below this


@dataclass(frozen=True)
class Planned:
    """One phase placed on the timeline.

    ``start_s``/``end_s`` are session-clock seconds; ``round`` counts breaths
    from 1; ``fill_from``/``fill_to`` are the breathing bar's level (0 empty,
    1 full) at the start and end of the phase.
    """

    kind: str
    start_s: float
    seconds: float
    round: int
    index: int
    fill_from: float
    fill_to: float
    last_in_round: bool

    @property
    def end_s(self) -> float:
        return self.start_s + self.seconds

    def fill_at(self, now_s: float) -> float:
        """Bar level at ``now_s`` (linear within the phase)."""
        if self.seconds <= 0:
            return self.fill_to
        t = min(1.0, max(0.0, (now_s - self.start_s) / self.seconds))
        return self.fill_from + (self.fill_to - self.fill_from) * t


def scaled(pattern: Pattern, level: int) -> tuple[Phase, ...]:
    """The pattern's phases stretched (level > 0) or shrunk (level < 0), on the quarter grid."""
    factor = SPEED_STEP ** level
    return tuple(Phase(p.kind, max(MIN_PHASE_S if p.seconds >= MIN_PHASE_S else p.seconds,
                                   quarter(p.seconds * factor)))
                 for p in pattern.phases)


def fills(phases: tuple[Phase, ...]) -> list[tuple[float, float]]:
    """Bar level (from, to) for each phase: inhales fill it in proportion, exhales empty it."""
    inhale = sum(p.seconds for p in phases if p.kind in ("in", "top")) or 1.0
    exhale = sum(p.seconds for p in phases if p.kind == "out") or 1.0
    level = 0.0
    out = []
    for p in phases:
        start = level
        if p.kind in ("in", "top"):
            level = min(1.0, level + p.seconds / inhale)
        elif p.kind == "out":
            level = max(0.0, level - p.seconds / exhale)
        out.append((start, level))
    return out


def last_exhale_index(phases: tuple[Phase, ...]) -> int:
    """Index of the breath's final exhale: a session ends right after it."""
    return max(i for i, p in enumerate(phases) if p.kind == "out")


class Planner:
    """Hands out planned phases in order; rounds or a time budget decide the end.

    ``rounds`` ends after that many full breaths; ``target_s`` (breathing time,
    pauses excluded) ends after the breath whose end lands closest to it. The
    session always ends at the end of an exhale: ``end_s`` once ``finished``.
    """

    def __init__(self, pattern: Pattern, rounds: int | None = None,
                 target_s: float | None = None, level: int = 0) -> None:
        self.pattern = pattern
        self.rounds = rounds if rounds is not None or target_s is not None else pattern.rounds
        self.target_s = target_s
        self.level = level
        self._pending_level: int | None = None
        self.next_start_s = 0.0
        self.round = 0  # current breath, from 1 once started
        self.index = 0  # next phase index within the breath
        self.rounds_done = 0
        self.breathing_s = 0.0  # seconds in completed breaths
        self.stop_requested = False
        self.finished = False
        self.end_s: float | None = None
        self._last_out_end_s: float | None = None
        self._phases = scaled(pattern, level)
        self._round_s = 0.0
        self._given: list[float] = []  # durations handed out in the current breath

    # -- control -----------------------------------------------------------
    def start(self, at_s: float) -> None:
        """Begin (or begin again after a pause) with a fresh breath at ``at_s``."""
        self.next_start_s = at_s
        self.index = 0
        self._round_s = 0.0
        self._given = []

    def change_speed(self, step: int) -> bool:
        """Ask for one step slower (+1) or faster (-1) from the next phase; False at a limit."""
        current = self._pending_level if self._pending_level is not None else self.level
        wanted = max(MIN_LEVEL, min(MAX_LEVEL, current + step))
        if wanted == current:
            return False
        self._pending_level = wanted
        return True

    def phases_now(self) -> tuple[Phase, ...]:
        """The breath as it is currently scaled."""
        return self._phases

    def request_stop(self) -> None:
        """Finish the breath under way through its exhale, then end."""
        self.stop_requested = True

    def pause(self) -> None:
        """Drop the breath under way (kept if its exhale is done); :meth:`start` resumes."""
        if self.index > last_exhale_index(self._phases):
            self._complete_round()
        elif self.index > 0:
            self.round -= 1
        self.index = 0
        self._round_s = 0.0
        self._given = []

    def drop_after(self, at_s: float, whole_breath: bool = False) -> int:
        """Take back phases handed out that start after ``at_s``; returns how many.

        Only the current breath can be rewound, which is all the look-ahead
        ever hands out early. ``whole_breath``: only if that breath has not
        begun by ``at_s`` (a stop keeps the breath under way).
        """
        if whole_breath and self.next_start_s - sum(self._given) <= at_s:
            return 0
        dropped = 0
        while self._given and self.next_start_s - self._given[-1] > at_s:
            seconds = self._given.pop()
            self.index -= 1
            self.next_start_s -= seconds
            self._round_s -= seconds
            dropped += 1
            if self.index == 0:
                self.round -= 1
        return dropped

    # -- planning ----------------------------------------------------------
    def _more_rounds(self, rounds_done: int, breathing_s: float) -> bool:
        if self.stop_requested:
            return False
        if self.rounds is not None:
            return rounds_done < self.rounds
        target = self.target_s or 0.0
        breath = sum(p.seconds for p in self._phases)
        return rounds_done == 0 or breathing_s + breath / 2 < target

    def next_phase(self) -> Planned | None:
        """The next phase, or None once the session is over (``end_s`` then says when)."""
        if self.finished:
            return None
        if self._pending_level is not None:
            self._apply_level()
        phases = self._phases
        last_out = last_exhale_index(phases)
        if self.index == 0:
            if not self._more_rounds(self.rounds_done, self.breathing_s):
                self._finish()
                return None
            self.round += 1
        elif self.index > last_out and self.stop_requested:
            self._complete_round()
            self._finish()
            return None
        i = self.index
        phase = phases[i]
        fill_from, fill_to = fills(phases)[i]
        start = self.next_start_s
        self.next_start_s += phase.seconds
        self._round_s += phase.seconds
        self._given.append(phase.seconds)
        self.index += 1
        ending = False
        if i == last_out:
            self._last_out_end_s = self.next_start_s
            rest = sum(p.seconds for p in phases[i + 1:])
            ending = not self._more_rounds(self.rounds_done + 1,
                                           self.breathing_s + self._round_s + rest)
            if ending:
                self._complete_round()
                self._finish()
        if not ending and self.index >= len(phases):
            self._complete_round()
        return Planned(phase.kind, start, phase.seconds, self.round, i, fill_from, fill_to,
                       ending or i == len(phases) - 1)

    def _complete_round(self) -> None:
        self.rounds_done += 1
        self.breathing_s += self._round_s
        self._round_s = 0.0
        self._given = []
        self.index = 0

    def _apply_level(self) -> None:
        if self._pending_level is None:
            return
        self.level = self._pending_level
        self._pending_level = None
        self._phases = scaled(self.pattern, self.level)

    def _finish(self) -> None:
        self.finished = True
        self.end_s = self._last_out_end_s if self._last_out_end_s is not None \
            else self.next_start_s


def schedule(pattern: Pattern, rounds: int | None = None, target_s: float | None = None,
             start_s: float = 0.0) -> list[Planned]:
    """The whole timeline of an uninterrupted session (for tests, the bench and the screen)."""
    planner = Planner(pattern, rounds, target_s)
    planner.start(start_s)
    out = []
    while (phase := planner.next_phase()) is not None:
        out.append(phase)
    return out
