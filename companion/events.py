"""Events fed into the pure session core. Times are in seconds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Started:
    """The session shell is ready; the core may speak its first prompt."""


@dataclass(frozen=True)
class Heard:
    """A final utterance from the recognizer.

    ``intent`` is the command it maps to, or None for free speech (dictation or
    out-of-grammar). ``start_s``/``end_s`` are stream times in seconds;
    ``confidence`` is 0..1, or None when the engine gives none. In phrase
    mode, ``parts_said`` are the indexes of the phrase's parts a phrase
    grammar found (None when the engine has no such grammar) and
    ``word_times`` the (start_s, end_s) of each word heard. ``overheard`` is
    what free recognition made of the same speech when it was taken as a
    command: crisis words in it win over the command.
    """

    text: str
    intent: str | None = None
    start_s: float = 0.0
    end_s: float = 0.0
    confidence: float | None = None
    parts_said: tuple[int, ...] | None = None
    word_times: tuple[tuple[float, float], ...] = ()
    overheard: str = ""


@dataclass(frozen=True)
class Overheard:
    """Speech that was not a command where only commands were expected.

    Never acted on as an answer; the core only checks it for crisis language,
    so "I want to die" said at a yes/no step still brings up help.
    """

    text: str


@dataclass(frozen=True)
class Partial:
    """An unstable, in-progress hypothesis (shown on screen, never acted on)."""

    text: str


@dataclass(frozen=True)
class Typed:
    """A line the person typed (keyboard mode or fallback)."""

    text: str


@dataclass(frozen=True)
class SpeechFinished:
    """The output stream played the last sample of prompt ``prompt_id``."""

    prompt_id: str


@dataclass(frozen=True)
class TimerFired:
    """A timer started with ``StartTimer(timer_id, ...)`` elapsed."""

    timer_id: str


@dataclass(frozen=True)
class DeviceLost:
    """An audio device went away; ``kind`` is "input" or "output"."""

    kind: str
    reason: str = ""


@dataclass(frozen=True)
class DeviceBack:
    """A lost audio device works again; ``kind`` is "input" or "output"."""

    kind: str


@dataclass(frozen=True)
class Interrupted:
    """The person pressed Ctrl-C: end now, keeping what was done."""


class FeatureEvent:
    """Base of the events a feature's effect handler reports back (an entry was saved)."""


Event = (
    Started | Heard | Overheard | Partial | Typed | SpeechFinished | TimerFired | DeviceLost
    | DeviceBack | Interrupted | FeatureEvent
)
