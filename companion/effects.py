"""Effects returned by the pure session core and carried out by the shell."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Say:
    """Speak ``text`` aloud (and print it). ``prompt_id`` comes back in SpeechFinished.

    ``interruptible`` prompts may be cut short by a command; safety resources
    are not interruptible.
    """

    prompt_id: str
    text: str
    interruptible: bool = True


@dataclass(frozen=True)
class Show:
    """Print ``text`` on screen only (help lists, resources, summaries)."""

    text: str
    style: str = ""


@dataclass(frozen=True)
class PlayCue:
    """Play the generated cue ``name`` at ``at_s`` seconds on the output clock."""

    name: str
    at_s: float


@dataclass(frozen=True)
class StopSpeaking:
    """Cut the current prompt and drop queued speech."""


@dataclass(frozen=True)
class SetRate:
    """Change the speaking rate to ``words_per_minute`` for prompts from now on."""

    words_per_minute: int


@dataclass(frozen=True)
class Listen:
    """Listen for ``intents`` (commands) or, when ``dictation``, free speech.

    ``parts`` (the parts of a phrase being rehearsed) switches on phrase mode:
    free speech with longer patience for pauses; with ``exact`` (memorising
    the wording) engines also find which of these parts were said word for
    word. ``ending``: word roots, one set per idea of the last part, whose
    hearing means the attempt may end after a short pause. ``hints`` are
    words a dictated answer is likely made of (feelings, numbers): engines
    may read short answers with them.
    """

    intents: tuple[str, ...] = ()
    dictation: bool = False
    parts: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    exact: bool = False
    ending: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True)
class StartTimer:
    """Fire ``TimerFired(timer_id)`` after ``after_s`` seconds (replaces a same-id timer)."""

    timer_id: str
    after_s: float


@dataclass(frozen=True)
class CancelTimer:
    """Cancel timer ``timer_id`` if it is pending."""

    timer_id: str


@dataclass(frozen=True)
class SaveSession:
    """Record a finished session in the local store."""

    kind: str
    record: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class End:
    """The session is over; ``summary`` is a one-line recap for the screen."""

    summary: str = ""


class FeatureEffect:
    """Base of the effects a feature package defines (keep an entry, keep an attempt).

    The shell carries each out through the handler the feature registers
    (``Runtime.register``); the core only passes them on.
    """


Effect = Say | Show | PlayCue | StopSpeaking | SetRate | Listen | StartTimer | CancelTimer | (
    SaveSession
) | End | FeatureEffect
