"""The breathing bar: fills on the way in, empties on the way out.

Drawn from the flow's planned timeline and the session clock, so the bar and
the cues agree by construction. On a terminal it is a live panel redrawn
~12 times a second; in a pipe (or for screen readers) it prints one calm line
per phase instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from companion.breathe.schedule import Planned

PHASE_NAMES = {"in": "Breathe in", "top": "A little more", "hold": "Hold",
               "out": "Breathe out", "rest": "Rest"}
PHASE_STYLES = {"in": "bold cyan", "top": "bold cyan", "hold": "bold yellow",
                "out": "bold green", "rest": "bold yellow"}
BAR_CELLS = 36
REFRESH_HZ = 12


def bar(level: float, cells: int = BAR_CELLS) -> str:
    """A bar ``level`` (0..1) full, drawn with eighth blocks for a smooth fill."""
    level = min(1.0, max(0.0, level))
    eighths = int(round(level * cells * 8))
    full, part = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[part] if part and full < cells else ""
    return ("█" * full + partial).ljust(cells, "·")


def render(phase: Planned | None, now_s: float, rounds_total: int | None,
           status: str = "") -> Group:
    """The live panel: phase name, bar, seconds left, breath count, and a status line."""
    if phase is None:
        body = Text(status or "Getting ready…", style="dim")
        return Group(Text(bar(0.0), style="dim"), body)
    style = PHASE_STYLES.get(phase.kind, "bold")
    head = Text(PHASE_NAMES.get(phase.kind, phase.kind), style=style)
    left = max(0.0, phase.end_s - now_s)
    of = f" of {rounds_total}" if rounds_total else ""
    head.append(f"   {left:4.1f} s left   breath {phase.round}{of}", style="dim")
    lines = [head, Text(bar(phase.fill_at(now_s)), style=style)]
    if status:
        lines.append(Text(status, style="dim"))
    return Group(*lines)


class BreathDisplay:
    """Keeps the bar current from a background thread until :meth:`stop`.

    ``snapshot`` returns (phase sounding now or None, now on the session clock,
    status text); it is called from the display thread and must only read.
    """

    def __init__(self, console: Console, snapshot: Callable[[], tuple[Planned | None, float, str]],
                 rounds_total: int | None, live: bool | None = None) -> None:
        self.console = console
        self.snapshot = snapshot
        self.rounds_total = rounds_total
        self.live = console.is_terminal if live is None else live
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_key: tuple[int, int] | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="breath-screen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _run(self) -> None:
        if self.live:
            with Live(console=self.console, refresh_per_second=REFRESH_HZ, transient=True,
                      auto_refresh=False) as live:
                while not self._stop.wait(1.0 / REFRESH_HZ):
                    phase, now, status = self.snapshot()
                    live.update(render(phase, now, self.rounds_total, status), refresh=True)
            return
        while not self._stop.wait(0.05):
            phase, now, _ = self.snapshot()
            if phase is None:
                continue
            key = (phase.round, phase.index)
            if key != self._last_key and now >= phase.start_s:
                self._last_key = key
                of = f" of {self.rounds_total}" if self.rounds_total else ""
                self.console.print(f"{PHASE_NAMES.get(phase.kind, phase.kind)} "
                                   f"({phase.seconds:g} s), breath {phase.round}{of}",
                                   highlight=False)
