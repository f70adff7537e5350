"""The endpointer: when an utterance opens, when to check it ahead, commit it, or end it.

Shared by every engine; it sees only the front end's per-frame verdicts and
the engine's partial text, never audio. Command mode commits as soon as the
partial is a complete phrase followed by a short quiet, rather than waiting
for the end-of-speech timeout. The quiet is counted from where the words'
sound fell away (``FrontEnd.fallen_away``), not from where the VAD lets go,
which holds on ~0.2 s longer. The choice of each value: docs/decisions/005.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from companion.recognition.front_end import FRAME_S

T = TypeVar("T")


@dataclass(frozen=True)
class EndpointConfig:
    """The endpointer's timings, each with its reason."""

    preroll_frames: int = 10  # audio kept before the onset (0.3 s): soft first sounds
    onset_frames: int = 3  # speech frames among the last ``onset_window`` that open one
    onset_window: int = 5  # ... so a click or a single loud frame does not
    end_silence_s: float = 0.6  # trailing silence that ends an utterance (the slow path)
    max_utterance_s: float = 12.0  # no command or answer runs longer
    # A complete phrase is committed after this much quiet: a pause inside a sentence
    # that starts like a command ("stop ... my sister called") passes without it.
    commit_quiet_s: float = 0.3
    stable_s: float = 0.18  # ... once its partial has been unchanged this long
    # Quiet after which a complete phrase is checked ahead: late enough to have heard a
    # weak last sound, early enough for the checks (~0.17 s) to end near the commit.
    early_quiet_s: float = 0.12
    early_max_s: float = 3.0  # ... in utterances up to this long (longer are rarely commands)
    phrase_end_silence_s: float = 1.5  # rehearsal: a breath between parts does not end it
    phrase_max_utterance_s: float = 60.0  # a whole disclosure phrase, slowly
    phrase_fast_silence_s: float = 0.2  # ... unless the phrase's last words were just heard
    partial_every: int = 4  # frames between partial results (120 ms): cheap, still live


@dataclass
class Timing:
    """How one open utterance has gone so far, in frames."""

    frames: int = 0
    trailing_silence: int = 0  # frames since the front end last heard speech
    trailing_quiet: int = 0  # frames since the sound last stood out (fell away: quiet)
    peak_db: float = 0.0  # the loudest frame so far
    last_partial: str = ""
    stable_since: int = 0  # frame where ``last_partial`` last changed

    def step(self, speech: bool, level_db: float, fallen_away: Callable[[float], bool]
             ) -> bool:
        """Count one frame; True when it was sound (what was decoded ahead is stale)."""
        self.frames += 1
        self.trailing_silence = 0 if speech else self.trailing_silence + 1
        self.peak_db = max(self.peak_db, level_db)
        if speech and not fallen_away(self.peak_db):
            self.trailing_quiet = 0
            return True
        self.trailing_quiet += 1
        return False

    def partial(self, text: str) -> bool:
        """Note the engine's partial text; True when it changed."""
        if text == self.last_partial:
            return False
        self.last_partial, self.stable_since = text, self.frames
        return True

    @property
    def length_s(self) -> float:
        return self.frames * FRAME_S

    @property
    def silence_s(self) -> float:
        return self.trailing_silence * FRAME_S

    @property
    def quiet_s(self) -> float:
        return self.trailing_quiet * FRAME_S

    @property
    def stable_s(self) -> float:
        return (self.frames - self.stable_since) * FRAME_S


class Endpointer(Generic[T]):
    """Onset detection over a pre-roll of frames (of any type ``T``), and the decisions."""

    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.config = config or EndpointConfig()
        self._preroll: deque[T] = deque(maxlen=self.config.preroll_frames)
        self._recent: deque[bool] = deque(maxlen=self.config.onset_window)

    def idle(self, item: T, speech: bool) -> list[T] | None:
        """A frame while no utterance is open: the pre-roll to open one with, or None."""
        self._preroll.append(item)
        self._recent.append(speech)
        if sum(self._recent) < self.config.onset_frames:
            return None
        frames = list(self._preroll)
        self._preroll.clear()
        return frames

    def clear(self) -> None:
        """Forget recent frames (after an utterance, or on reset)."""
        self._recent.clear()

    def drop_preroll(self) -> None:
        self._preroll.clear()

    # -- decisions ------------------------------------------------------------------
    def ended(self, timing: Timing, phrase_mode: bool) -> bool:
        """Long enough silence, or too long an utterance: finish it now."""
        c = self.config
        end_s, max_s = ((c.phrase_end_silence_s, c.phrase_max_utterance_s) if phrase_mode
                        else (c.end_silence_s, c.max_utterance_s))
        return timing.silence_s >= end_s or timing.length_s >= max_s

    def partial_due(self, timing: Timing) -> bool:
        return timing.frames % self.config.partial_every == 0

    def ending(self, timing: Timing) -> bool:
        """The words have fallen quiet long enough to check a complete command."""
        return timing.quiet_s >= self.config.early_quiet_s

    def check_ahead(self, timing: Timing) -> bool:
        """A complete command in an utterance short enough to be one: check it now."""
        return self.ending(timing) and timing.length_s <= self.config.early_max_s

    def commit(self, timing: Timing) -> bool:
        """A complete command has been quiet and unchanged long enough: commit it."""
        return (timing.quiet_s >= self.config.commit_quiet_s
                and timing.stable_s >= self.config.stable_s)

    def phrase_done(self, timing: Timing) -> bool:
        """Rehearsal: a short pause after the phrase's last words ends the attempt."""
        return timing.silence_s >= self.config.phrase_fast_silence_s
