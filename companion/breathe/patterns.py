"""Breathing patterns: what a breath is made of, parsed from content or the command line.

A pattern is data (``breathe.toml``, merged with the user's copy) or a custom
``IN-HOLD-OUT-HOLD`` string such as ``4-2-6-0``. Durations are whole quarter
seconds so every phase boundary is exact binary arithmetic: summing thousands
of them never drifts. Bad input raises :class:`PatternError` with a fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion import content_files as content
from companion.errors import CompanionError, ContentError

STEP_S = 0.25  # quarter-second steps: exact in binary floating point
MAX_PHASE_S = 60.0
MAX_BREATH_S = 120.0
# in: breathe in; top: a second, smaller sip in (the sigh); hold: after breathing in;
# out: breathe out; rest: the pause after breathing out.
KINDS = ("in", "top", "hold", "out", "rest")
CUSTOM_ORDER = ("in", "hold", "out", "rest")
CUSTOM_FIX = "write IN-HOLD-OUT-HOLD in seconds, e.g. --pattern 4-2-6-0 (quarter steps: 4.25, 5.5)"


class PatternError(CompanionError):
    """A breathing pattern cannot be used as written."""

    exit_code = 2


@dataclass(frozen=True)
class Phase:
    """One part of a breath: ``kind`` (see KINDS) lasting ``seconds``."""

    kind: str
    seconds: float


@dataclass(frozen=True)
class Pattern:
    """A named breath shape; ``rounds`` is the default number of breaths.

    ``count_breaths``: the session counts the breaths aloud, one number per
    exhale (the "count slowly to ten together" exercise).
    """

    name: str
    title: str
    about: str
    phases: tuple[Phase, ...]
    rounds: int = 5
    count_breaths: bool = False

    @property
    def breath_s(self) -> float:
        """Seconds in one full breath."""
        return sum(p.seconds for p in self.phases)

    def timing(self) -> str:
        """Compact description like ``4-7-8`` or ``in 2, top 1, out 6``."""
        kinds = tuple(p.kind for p in self.phases)
        if all(k in CUSTOM_ORDER for k in kinds) and list(kinds) == sorted(
                kinds, key=CUSTOM_ORDER.index):
            by_kind = {p.kind: p.seconds for p in self.phases}
            values = [by_kind.get(k, 0.0) for k in CUSTOM_ORDER]
            if values[1] == 0 and values[3] == 0:
                values = [values[0], values[2]]
            elif values[3] == 0:
                values.pop()
            return "-".join(_fmt(v) for v in values)
        return ", ".join(f"{p.kind} {_fmt(p.seconds)}" for p in self.phases)


def _fmt(seconds: float) -> str:
    return f"{seconds:g}"


def quarter(seconds: float) -> float:
    """Round to the nearest quarter second (scaled patterns stay on the grid)."""
    return round(seconds / STEP_S) * STEP_S


def check_phases(phases: tuple[Phase, ...], where: str, fix: str) -> None:
    """Every check a breath must pass, whatever its source; raise PatternError."""
    if not phases:
        raise PatternError(f"{where}: the breath has no phases", fix)
    for phase in phases:
        if phase.kind not in KINDS:
            raise PatternError(f"{where}: unknown phase {phase.kind!r}",
                               f"use one of: {', '.join(KINDS)}")
        if phase.seconds < 0:
            raise PatternError(f"{where}: {phase.kind} is negative ({_fmt(phase.seconds)} s); "
                               "durations can't be negative", fix)
        if abs(phase.seconds / STEP_S - round(phase.seconds / STEP_S)) > 1e-9:
            raise PatternError(f"{where}: {_fmt(phase.seconds)} s is not a quarter-second step",
                               fix)
        if phase.seconds > MAX_PHASE_S:
            raise PatternError(f"{where}: {phase.kind} for {_fmt(phase.seconds)} s is too long "
                               f"(at most {MAX_PHASE_S:g} s per phase)", fix)
    total = sum(p.seconds for p in phases)
    if total <= 0:
        raise PatternError(f"{where}: the breath adds up to zero seconds", fix)
    if total > MAX_BREATH_S:
        raise PatternError(f"{where}: one breath lasts {_fmt(total)} s, which is too long "
                           f"(at most {MAX_BREATH_S:g} s)", fix)
    kinds = [p.kind for p in phases if p.seconds > 0]
    if "in" not in kinds or "out" not in kinds:
        raise PatternError(f"{where}: a breath needs some time breathing in and breathing out",
                           fix)


def parse_custom(text: str) -> Pattern:
    """Parse ``IN-HOLD-OUT-HOLD`` (2 to 4 numbers, ``-`` or ``,`` between) into a Pattern."""
    raw = text.strip()
    where = f"pattern {raw!r}"
    if not raw:
        raise PatternError("the pattern is empty", CUSTOM_FIX)
    if "," in raw:
        pieces = [p.strip() for p in raw.split(",")]
    else:
        if raw.startswith("-") or "--" in raw:
            raise PatternError(f"{where}: durations can't be negative", CUSTOM_FIX)
        pieces = [p.strip() for p in raw.split("-")]
    if not 2 <= len(pieces) <= 4:
        raise PatternError(f"{where}: expected 2 to 4 numbers (in, hold, out, hold), "
                           f"got {len(pieces)}", CUSTOM_FIX)
    values = []
    for piece in pieces:
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", piece):
            shown = piece or "an empty step"
            raise PatternError(f"{where}: {shown!r} is not a number of seconds", CUSTOM_FIX)
        values.append(float(piece))
    if len(values) == 2:  # IN-OUT
        values = [values[0], 0.0, values[1], 0.0]
    values += [0.0] * (4 - len(values))
    phases = tuple(Phase(kind, sec) for kind, sec in zip(CUSTOM_ORDER, values, strict=True))
    check_phases(phases, where, CUSTOM_FIX)
    kept = tuple(p for p in phases if p.seconds > 0)
    timing = "-".join(_fmt(v) for v in values)
    return Pattern(name=timing, title=f"Your pattern {timing}",
                   about=_custom_about(kept), phases=kept, rounds=5)


def _custom_about(phases: tuple[Phase, ...]) -> str:
    words = {"in": "in for {}", "hold": "hold for {}", "out": "out for {}",
             "rest": "rest for {}", "top": "a little more for {}"}
    parts = [words[p.kind].format(_fmt(p.seconds)) for p in phases]
    return "Breathe " + ", ".join(parts) + "."


# ---------------------------------------------------------------- content
def load_patterns(data: dict[str, Any], source: str = "breathe.toml") -> dict[str, Pattern]:
    """Every pattern in the [patterns] table of breathe.toml (ContentError names the file)."""
    table = content.require(data, "patterns", dict, source)
    patterns: dict[str, Pattern] = {}
    for name, spec in table.items():
        where = f"{source} [patterns.{name}]"
        if not isinstance(spec, dict):
            raise ContentError(f"{where} should be a table", f"fix [patterns.{name}] in {source}")
        try:
            patterns[name] = _pattern_from(name, spec, where)
        except PatternError as err:
            raise ContentError(err.message, err.fix or f"fix {where}") from err
    return patterns


def _pattern_from(name: str, spec: dict[str, Any], where: str) -> Pattern:
    fix = f"give {where} timing = \"4-4-4-4\" or phases = [[\"in\", 4], [\"out\", 6]]"
    if "phases" in spec:
        items = spec["phases"]
        if not isinstance(items, list) or not all(
                isinstance(i, list) and len(i) == 2 and isinstance(i[0], str)
                and isinstance(i[1], (int, float)) for i in items):
            raise PatternError(f"{where}: phases must be a list of [kind, seconds] pairs", fix)
        phases = tuple(Phase(str(k), float(s)) for k, s in items)
        check_phases(phases, where, fix)
        phases = tuple(p for p in phases if p.seconds > 0)
    elif isinstance(spec.get("timing"), str):
        phases = parse_custom(spec["timing"]).phases
    else:
        raise PatternError(f"{where}: no timing", fix)
    rounds = spec.get("rounds", 5)
    if not isinstance(rounds, int) or isinstance(rounds, bool) or not 1 <= rounds <= 500:
        raise PatternError(f"{where}: rounds must be a whole number from 1 to 500", fix)
    return Pattern(
        name=name,
        title=str(spec.get("title", name)),
        about=str(spec.get("about", _custom_about(phases))),
        phases=phases,
        rounds=rounds,
        count_breaths=bool(spec.get("count_breaths", False)),
    )


def resolve(name_or_timing: str, patterns: dict[str, Pattern]) -> Pattern:
    """A named pattern, or a custom timing when the text starts with a digit or sign."""
    key = name_or_timing.strip()
    if key.lower() in patterns:
        return patterns[key.lower()]
    if key[:1].isdigit() or key[:1] in "-+.":
        return parse_custom(key)
    raise PatternError(f"there is no breathing pattern called {key!r}",
                       f"choose one of: {', '.join(sorted(patterns))}, or a timing like 4-2-6-0")


def load_breathe_content(user_dir: Path | None = None) -> dict[str, Any]:
    """breathe.toml merged with the user's copy (their own patterns and words)."""
    return content.load("breathe.toml", user_dir=user_dir)
