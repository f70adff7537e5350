"""What the companion does with crisis language: the words and numbers that fit.

Suicide and self-harm get the crisis line first; abuse the domestic-abuse
line and the emergency number; danger the emergency number first. When
abuse or danger is heard, someone dangerous may be in the room: the spoken
answer is one short, plain line that never repeats what the person said,
the rest goes on the screen, and a quiet end is offered. With ``discreet``
(``--discreet`` or ``discreet = true`` in settings.toml) nothing about it is
said aloud at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from companion.safety.content import Category
from companion.safety.detector import CrisisDetector, Finding
from companion.safety.helplines import Helplines


@dataclass(frozen=True)
class CrisisResponse:
    """What to show and say for one finding.

    ``screen`` always holds the numbers; ``spoken`` may be "" (discreet);
    ``quiet_end`` offers to end without another spoken word.
    """

    category: str
    screen: str
    spoken: str
    quiet_end: bool


class Safety:
    """What every flow calls: ``check`` each utterance, show and say what it returns."""

    def __init__(self, detector: CrisisDetector, helplines: Helplines, region: str,
                 discreet: bool = False) -> None:
        self.detector = detector
        self.helplines = helplines
        self.region = region
        self.discreet = discreet
        self.wording = detector.content.wording
        self._categories = {c.name: c for c in detector.categories}

    @classmethod
    def load(cls, region: str, user_dir: Path | None = None,
             discreet: bool = False) -> Safety:
        """Detector and helplines from content files, for an already-resolved region."""
        return cls(CrisisDetector.load(user_dir), Helplines.load(user_dir), region, discreet)

    def check(self, text: str) -> CrisisResponse | None:
        """The response ``text`` calls for, or None when it holds no crisis language."""
        finding = self.detector.detect(text)
        return None if finding is None else self.respond(finding)

    def respond(self, finding: Finding) -> CrisisResponse:
        """Words and numbers for a finding: its most urgent category leads."""
        found = [self._categories[name] for name in finding.categories
                 if name in self._categories]
        lead = found[0] if found else None
        kinds = tuple(dict.fromkeys(k for c in found for k in c.resources)) or (
            "emergency", "crisis")
        quiet = any(c.discreet for c in found)
        ack, carry_on = self._words(lead)
        screen = (f"{ack} {self.wording.help_now}\n"
                  f"{self.helplines.screen_text(self.region, kinds)}\n{carry_on}")
        if quiet:
            screen += f"\n{self.wording.discreet_screen}"
            spoken = self.wording.discreet_spoken.format(
                emergency=self.helplines.emergency_number(self.region))
        else:
            numbers = self.helplines.spoken_text(self.region, kinds)
            spoken = " ".join((ack, self.wording.help_now, numbers, carry_on))
        return CrisisResponse(finding.category, screen, "" if self.discreet else spoken, quiet)

    def unsafe_choice(self) -> CrisisResponse:
        """The numbers for someone who said it is not safe to stay (no preamble)."""
        kinds = self._categories["abuse"].resources if "abuse" in self._categories else (
            "emergency", "abuse")
        spoken = "" if self.discreet else self.helplines.spoken_text(self.region, kinds)
        return CrisisResponse("abuse", self.helplines.screen_text(self.region, kinds),
                              spoken, True)

    def ended_quietly(self) -> str:
        """The one line shown when a session ends quietly after a discreet answer."""
        return self.wording.discreet_ended

    def _words(self, category: Category | None) -> tuple[str, str]:
        if category is None:
            return self.wording.acknowledge, self.wording.carry_on
        return category.acknowledge, category.carry_on
