"""`companion voice teach` by voice in the shell: the shared session, plus keeping takes.

The session is built like every other (``build_session``); teaching adds two
things in the shell. :class:`TakeRecorder` sits in front of the recognizer and
keeps the audio it was given, so the utterance behind a final hypothesis can
be cut out; :class:`TakeKeeper` carries out the flow's ``KeepTake`` (keep that
utterance as a take) and ``LearnVoice`` (adapt, save the profile, report back).
Teaching sessions are not recorded in the sessions table: the profile's own
manifest says what was taught and when (``companion voice show``).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from companion import effects as fx
from companion.errors import CompanionError
from companion.recognition.base import SAMPLE_RATE_HZ, Grammar, Hypothesis, Recognizer
from companion.session import Session, build_session
from companion.settings import Settings
from companion.voice.adapt import Take
from companion.voice.flow import (
    KeepTake,
    LearnVoice,
    TeachFlow,
    VoiceLearned,
    VoiceNotLearned,
    load_teach_content,
    teach_vocabulary,
)

KEEP_S = 30.0  # audio kept behind the recognizer: longer than any take
MARGIN_S = 0.25  # kept either side of the words (soft onsets, a trailing breath)


class TakeRecorder:
    """A recognizer that also keeps what it heard, to cut out the last utterance."""

    def __init__(self, inner: Recognizer) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "recognizer")
        self._blocks: deque[np.ndarray] = deque()
        self._first = 0  # stream sample of the first kept sample
        self._samples = 0  # stream clock, as the recognizer counts it
        self.last: np.ndarray | None = None  # the audio of the last final with words

    def set_grammar(self, grammar: Grammar) -> None:
        self.inner.set_grammar(grammar)

    def accept(self, samples: np.ndarray) -> list[Hypothesis]:
        block = np.asarray(samples, dtype=np.int16).reshape(-1)
        self._blocks.append(block)
        self._samples += block.size
        while self._blocks and self._samples - self._first - self._blocks[0].size \
                >= KEEP_S * SAMPLE_RATE_HZ:
            self._first += self._blocks.popleft().size
        return self._kept(self.inner.accept(samples))

    def flush(self) -> list[Hypothesis]:
        return self._kept(self.inner.flush())

    def reset(self) -> None:
        self.inner.reset()

    def _kept(self, hyps: list[Hypothesis]) -> list[Hypothesis]:
        for hyp in hyps:
            if hyp.final and hyp.text:
                self.last = self._cut(hyp.start_s - MARGIN_S, hyp.end_s + MARGIN_S)
        return hyps

    def _cut(self, start_s: float, end_s: float) -> np.ndarray:
        audio = np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.int16)
        start = max(int(start_s * SAMPLE_RATE_HZ) - self._first, 0)
        end = max(int(end_s * SAMPLE_RATE_HZ) - self._first, start)
        return audio[start:end].copy()


class TakeKeeper:
    """Carries out ``KeepTake`` and ``LearnVoice`` for a teaching session."""

    def __init__(self, session: Session, recorder: TakeRecorder | None) -> None:
        self.session = session
        self.recorder = recorder
        self.takes: list[Take] = []
        self.learned: Any = None  # the saved profile, once learned
        session.runtime.register(KeepTake, self.keep)
        session.runtime.register(LearnVoice, self.learn)
        session.runtime.register(fx.SaveSession, lambda _effect: None)

    def keep(self, effect: KeepTake) -> None:
        """The utterance just heard, as a take (typed input has no audio: nothing kept)."""
        if self.recorder is not None and self.recorder.last is not None:
            self.takes.append(Take(effect.phrase, self.recorder.last))
            self.recorder.last = None

    def learn(self, _effect: LearnVoice) -> VoiceLearned | VoiceNotLearned:
        from companion.voice.teach import teach

        try:
            self.learned = teach(self.takes)
        except CompanionError as err:
            return VoiceNotLearned(err.one_line())
        return VoiceLearned(self.learned.takes, self.learned.adapt_s)


def build_teach_session(settings: Settings, disclosure: str | None = None
                        ) -> tuple[Session, TakeKeeper]:
    """The spoken teaching session; CompanionError when nothing can listen."""
    if settings.text:
        raise CompanionError("teaching your voice needs a microphone",
                             "leave out --text, or teach from recordings: "
                             "companion voice teach --from FOLDER")
    vocabulary = teach_vocabulary()
    prompts, extra = load_teach_content(vocabulary, disclosure)
    keepers: list[TakeKeeper] = []

    def setup(session: Session) -> None:
        shell = session.runtime.shell
        recorder = TakeRecorder(shell.recognizer) if shell.recognizer is not None else None
        if recorder is None:
            shell.screen.warn("Teaching needs the microphone, and it is not working, so "
                              "nothing can be learned this time.")
        shell.recognizer = recorder
        keepers.append(TakeKeeper(session, recorder))

    session = build_session(settings, TeachFlow, prompts, extra, vocabulary=vocabulary,
                            setup=setup)
    return session, keepers[0]



def disclosure_phrase() -> str | None:
    """The person's own disclosure phrase, when they set one (else None)."""
    from companion.rehearse.phrases import PhraseBook
    from companion.store import Store

    try:
        with Store.open() as store:
            phrase = PhraseBook(store).all().get("disclosure")
    except CompanionError:
        return None
    return phrase.text if phrase is not None and phrase.custom else None
