"""What the person sees: every prompt is also on screen, calmly formatted.

Hands-free first, never voice-only: whatever is said is printed, and
resources in a crisis are printed in full, so nothing depends on hearing.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

STYLES = {
    "crisis": "bold white on red",
    "warning": "yellow",
    "help": "cyan",
    "info": "green",
}


class Screen:
    """A rich console; ``plain`` for pipes and tests (no colour, no markup)."""

    def __init__(self, plain: bool | None = None, quiet_listening: bool = False) -> None:
        plain = not sys.stdout.isatty() if plain is None else plain
        self.console = Console(highlight=False, no_color=plain, emoji=False,
                               force_terminal=False if plain else None, soft_wrap=plain)
        self.plain = plain
        self.quiet_listening = quiet_listening
        # COMPANION_DEBUG=1 marks every moment the companion starts listening
        # (for checking a microphone set-up, and for the end-to-end tests).
        self.debug = os.environ.get("COMPANION_DEBUG") == "1"
        self._last_listen: bool | None = None

    def say(self, text: str) -> None:
        """A spoken prompt, printed too."""
        self.console.print(Text(text, style="bold"), soft_wrap=True)

    def heard(self, text: str) -> None:
        """What the recognizer heard, so the person can see it was understood."""
        self.console.print(Text(f"  (heard: {text})", style="dim"))

    def show(self, text: str, style: str = "") -> None:
        """Screen-only text: help lists, resources, warnings."""
        if style == "crisis" and not self.plain:
            self.console.print(Panel(Text(text), style=STYLES["crisis"], title="Help now"))
        else:
            self.console.print(Text(text, style=STYLES.get(style, "")))

    def listening(self, dictation: bool) -> None:
        """A hint that it is the person's turn (only when the mode changes)."""
        if self.debug:
            self.console.print(Text("  (listening)", style="dim"))
        if self.quiet_listening or dictation == self._last_listen:
            return
        self._last_listen = dictation
        hint = "  (your turn: answer in your own words, or type)" if dictation else (
            "  (your turn: say or type a command; 'help' lists them)")
        self.console.print(Text(hint, style="dim"))

    def note(self, text: str) -> None:
        self.console.print(Text(text, style="dim"))

    def warn(self, text: str) -> None:
        """One clear line about a problem, e.g. why voice is off."""
        self.console.print(Text(text, style="yellow"))
