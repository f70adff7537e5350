"""One journal entry and the small parsers that turn typed or spoken words into it.

Kept free of SQLite and audio so the flow, the CLI and the store share one
idea of what an entry is and what counts as a valid urge or intensity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from companion.errors import CompanionError
from companion.normalize import words

TEXT_FIELDS = ("situation", "body", "did", "thought", "evidence_for", "evidence_against",
               "balanced", "notes")
# The order fields are asked in, shown in and exported in.
FIELDS = ("situation", "emotions", "body", "urge", "did", "thought", "evidence_for",
          "evidence_against", "balanced", "notes")
LABELS = {
    "situation": "Situation", "emotions": "Feelings", "body": "Body", "urge": "Urge to run",
    "did": "What I did", "thought": "Thought", "evidence_for": "Evidence for",
    "evidence_against": "Evidence against", "balanced": "Balanced thought", "notes": "Notes",
}
# What people most often do with the urge; free text is kept as it was said.
CHOICES = {
    "stayed": ("stayed", "stay", "i stayed", "leaned in", "kept talking"),
    "took a break": ("took a break", "break", "a break", "paused", "took a pause"),
    "left": ("left", "leave", "i left", "walked out", "walked away", "ran"),
}
_WORD_NUMBERS = {
    "zero": 0, "nought": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "to": 2, "too": 2, "for": 4,
}


class JournalError(CompanionError):
    """A journal entry, file or command argument the journal cannot use."""

    exit_code = 8


@dataclass(frozen=True)
class Emotion:
    """A named feeling and how strong it was, 0-10 (None when not said)."""

    name: str
    intensity: int | None = None

    def __str__(self) -> str:
        return self.name if self.intensity is None else f"{self.name} {self.intensity}"


@dataclass
class Entry:
    """A trigger-journal entry; empty strings and None mean "not answered".

    ``created_at`` is when it happened (UTC-aware); ``session_id`` links the
    ground/breathe/rehearse/journal session that produced it.
    """

    situation: str = ""
    emotions: list[Emotion] = field(default_factory=list)
    body: str = ""
    urge: int | None = None
    did: str = ""
    thought: str = ""
    evidence_for: str = ""
    evidence_against: str = ""
    balanced: str = ""
    notes: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    session_id: int | None = None
    id: int | None = None
    uuid: str = ""

    def answered(self) -> list[str]:
        """Names of the fields that hold something, in asking order."""
        return [name for name in FIELDS if self.value_text(name)]

    def value_text(self, name: str) -> str:
        """A field as one line of text ("" when empty)."""
        if name == "emotions":
            return ", ".join(str(e) for e in self.emotions)
        if name == "urge":
            return "" if self.urge is None else str(self.urge)
        return str(getattr(self, name))

    def with_changes(self, **changes: object) -> Entry:
        """A copy with some fields replaced (validated)."""
        return validated(replace(self, **changes))  # type: ignore[arg-type]


def check_scale(value: int | None, what: str) -> int | None:
    """0-10 or None; anything else is a user error with a fix."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise JournalError(f"{what} must be a whole number from 0 to 10, not {value!r}",
                           f"give {what} as 0 (none) to 10 (the strongest)")
    return value


def validated(entry: Entry) -> Entry:
    """Check ranges and types; returns the entry so it can be used inline."""
    check_scale(entry.urge, "the urge")
    for emotion in entry.emotions:
        if not emotion.name.strip():
            raise JournalError("an emotion has no name", "write it as name:intensity, "
                               "e.g. anxious:7")
        check_scale(emotion.intensity, f"the intensity of {emotion.name}")
    if entry.created_at is not None and entry.created_at.utcoffset() is None:
        raise JournalError("the entry time has no time zone", "give it as 2024-05-01T09:30")
    return entry


def parse_emotion_flag(text: str) -> Emotion:
    """``anxious:7`` or ``anxious`` from the command line."""
    name, _, level = text.partition(":")
    name = name.strip()
    if not name:
        raise JournalError(f"cannot read the emotion {text!r}", "write it as name:intensity, "
                           "e.g. --emotion anxious:7")
    if not level.strip():
        return Emotion(name)
    try:
        value = int(level)
    except ValueError as err:
        raise JournalError(f"the intensity in {text!r} is not a number",
                           "write it as name:intensity, e.g. --emotion anxious:7") from err
    return Emotion(name, check_scale(value, f"the intensity of {name}"))


def spoken_number(text: str) -> int | None:
    """The first 0-10 number in ``text`` ("about a seven", "7", "ten"), else None."""
    for word in words(text):
        if word.isdigit() and 0 <= int(word) <= 10:
            return int(word)
        if word in _WORD_NUMBERS and word not in ("to", "too", "for"):
            return _WORD_NUMBERS[word]
    return None


def spoken_emotions(text: str) -> list[Emotion]:
    """Feelings from a dictated or typed answer: "anxious seven and sad, four" ->
    [anxious 7, sad 4]. A number belongs to the feeling named before it."""
    out: list[Emotion] = []
    for part in re.split(r",|;|\band\b|\bthen\b", text.lower()):
        tokens = words(part)
        name_words: list[str] = []
        level: int | None = None
        for token in tokens:
            if token.isdigit() and 0 <= int(token) <= 10:
                level = int(token)
            elif token in _WORD_NUMBERS and token not in ("to", "too", "for", "none"):
                level = _WORD_NUMBERS[token]
            elif token not in ("a", "an", "about", "like", "maybe", "i", "felt", "feel",
                               "was", "am", "very", "really", "out", "of"):
                name_words.append(token)
        if name_words:
            out.append(Emotion(" ".join(name_words), level))
        elif level is not None and out and out[-1].intensity is None:
            out[-1] = Emotion(out[-1].name, level)
    return out


def canonical_choice(text: str) -> str:
    """Map "I stayed" / "took a break" / "I left" to the counted choices; else keep text."""
    said = " ".join(words(text))
    for choice, phrasings in CHOICES.items():
        if said in phrasings or said == choice:
            return choice
    return text.strip()


def parse_time(text: str) -> datetime:
    """An ISO date/time from the command line; local time when no zone is given."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise JournalError(f"cannot read the time {text!r}",
                           "give it as 2024-05-01T21:30 or 2024-05-01") from err
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the person's local time
    return moment.astimezone(timezone.utc)
