"""`companion voice teach` as a flow of the pure core: say a phrase, hear it back, keep it.

Like every session it gets what the core gives each step: "repeat", "help",
"pause", "slower" and "stop" work, crisis words in anything said or typed
bring the helpline numbers first, and a silence earns one gentle re-prompt.
What is particular to teaching:

- each step asks for one phrase; whatever is said back is kept as a take of
  it (``KeepTake``: the shell keeps the utterance's audio), unless it is
  "skip" (or "next"), which moves on to the next phrase. A take of a command
  phrase is a take even when it is that command ("stop" when asked for
  "stop");
- after the last take, or at "stop" once there are enough takes, the flow
  asks the shell to learn the voice (``LearnVoice``) and says when it is done;
- a phrase the safety check would answer ("I'm not safe") is never asked for:
  nobody is asked to say crisis words over and over, and the check stays as
  it is for everything said.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion import content_files as content
from companion import effects as fx
from companion import events as ev
from companion.core.flow import SILENCE_TIMER, Context, Flow, SafetyNet, Step
from companion.effects import FeatureEffect
from companion.events import FeatureEvent
from companion.intents import Vocabulary
from companion.normalize import normalize

SOURCE = "voice.toml"
MIN_TAKES = 10  # fewer takes than this teach too little to be worth a profile
SKIP_INTENTS = ("skip", "next")
REQUIRED_PROMPTS = (
    "intro", "say_this", "again", "progress", "skipped", "learning", "stopping", "learned", "ready",
    "too_few", "not_learned", "paused", "resumed", "slower", "faster", "help_intro",
    "reprompt", "stopped",
)
COMMAND_HELP = {"skip": "skip this phrase"}


@dataclass(frozen=True)
class KeepTake(FeatureEffect):
    """Keep the utterance just heard as a take of ``phrase``."""

    phrase: str


@dataclass(frozen=True)
class LearnVoice(FeatureEffect):
    """Learn the voice from the takes kept; the shell answers with one of the two below."""


@dataclass(frozen=True)
class VoiceLearned(FeatureEvent):
    """The profile is saved: ``takes`` taken in, adaptation took ``seconds``."""

    takes: int
    seconds: float


@dataclass(frozen=True)
class VoiceNotLearned(FeatureEvent):
    """No profile was made; ``reason`` says why (shown on screen)."""

    reason: str


def load_teach_content(vocabulary: Vocabulary, disclosure: str | None = None,
                       user_dir: Path | None = None) -> tuple[dict[str, str], dict[str, Any]]:
    """Prompts and plan from voice.toml (the user's copy wins), checked up front."""
    data = content.load(SOURCE, user_dir)
    prompts = content.require_prompts(data, REQUIRED_PROMPTS, SOURCE)
    plan = content.require(data, "teach", dict, SOURCE)
    takes = content.require(plan, "takes_per_phrase", int, f"{SOURCE} [teach]")
    sentences = content.require(plan, "sentences", list, f"{SOURCE} [teach]")
    return prompts, {"phrases": teaching_phrases(vocabulary, sentences, disclosure),
                     "takes_per_phrase": max(1, takes)}


def teaching_phrases(vocabulary: Vocabulary, sentences: list[str],
                     disclosure: str | None = None) -> list[str]:
    """Every phrase to teach, once each, in the order they are asked for: the commands'
    phrasings, the everyday sentences, and the person's own disclosure phrase."""
    phrases = [*vocabulary.all_phrases(), *(normalize(str(s)) for s in sentences)]
    if disclosure:
        phrases.append(normalize(disclosure))
    return list(dict.fromkeys(p for p in phrases if p))


def askable(phrases: list[str], safety: SafetyNet) -> list[str]:
    """The phrases that may be asked for: none the safety check would answer."""
    return [p for p in phrases if safety.check(p) is None]


def phrases_to_teach(vocabulary: Vocabulary, safety: SafetyNet,
                     user_dir: Path | None = None) -> list[str]:
    """What a teaching session asks for, in order (no disclosure phrase)."""
    return askable(load_teach_content(vocabulary, user_dir=user_dir)[1]["phrases"], safety)


def teach_vocabulary(base: Vocabulary | None = None) -> Vocabulary:
    """The shared vocabulary plus "skip"."""
    return (base or Vocabulary.load()).extended(
        {"skip": (("skip", "skip it", "skip that"), COMMAND_HELP["skip"])})


class TeachFlow(Flow):
    """One phrase at a time, a few takes each, then learning the voice."""

    KIND = "voice"
    STATES = ["start", "taking", "learning", "finished"]
    TRANSITIONS = [
        {"trigger": "begin", "source": "start", "dest": "taking"},
        {"trigger": "learn", "source": "taking", "dest": "learning"},
    ]
    STEPS = {"taking": Step(None, intents=SKIP_INTENTS, dictation=True)}

    def __init__(self, ctx: Context) -> None:
        self.phrases = askable(ctx.extra["phrases"], ctx.safety)
        self.takes_per_phrase: int = ctx.extra["takes_per_phrase"]
        self.index = 0  # the phrase being taught
        self.attempt = 0  # takes of it so far
        self.kept = 0
        self.learned = False
        super().__init__(ctx)

    # ------------------------------------------------------------------ API
    def handle(self, event: ev.Event) -> list[fx.Effect]:
        """As Flow.handle, plus the shell's report on learning, and a take of a command
        phrase counted as a take rather than obeyed."""
        if isinstance(event, (VoiceLearned, VoiceNotLearned)):
            self.out = []
            if not self.ended and self.state == "learning":
                self._learned(event)
            return self.out
        if (isinstance(event, ev.Heard) and self.state == "taking" and not self.ended
                and not self.paused and normalize(event.text) == self._phrase()
                and not event.overheard):
            self.out = [fx.CancelTimer(SILENCE_TIMER)]
            self._took()
            return self.out
        return super().handle(event)

    def on_started(self) -> None:
        self.say("intro")
        self.trigger("begin")
        self._ask()

    def listen_hints(self) -> tuple[str, ...]:
        """What a take is likely to be: the phrase, or a word that steers the session (free
        recognition alone hears a lone "skip" as anything)."""
        return (self._phrase(), *SKIP_INTENTS, "stop") if self.state == "taking" else ()

    def texts_to_prepare(self) -> list[str]:
        return [self.ctx.prompts["say_this"].format(phrase=p) for p in self.phrases]

    def on_intent(self, text: str, intent: str | None) -> None:
        if self.state != "taking":
            return
        if intent in SKIP_INTENTS and normalize(text) != self._phrase():
            self.say("skipped")
            self._next_phrase()
        else:  # what was said back, however it was recognized
            self._took()

    def finish(self, completed: bool, say_goodbye: bool, summary: str = "") -> None:
        """At "stop" while taking: learn from the takes so far, when there are enough."""
        if self.state == "taking" and say_goodbye and not self.ended:
            self._emit(fx.StopSpeaking())
            if self.kept >= MIN_TAKES:
                self.say("stopping")
                self._learn()
                return
            self.say("too_few")
            say_goodbye = False
        super().finish(completed, say_goodbye, summary)

    def record_details(self) -> dict[str, Any]:
        return {"takes": self.kept, "phrases": len(self.phrases), "learned": self.learned}

    # ------------------------------------------------------------- taking
    def _phrase(self) -> str:
        return self.phrases[self.index] if self.index < len(self.phrases) else ""

    def _ask(self) -> None:
        if self.index >= len(self.phrases):
            self._learn()
            return
        self._emit(fx.Show(self.ctx.prompts["progress"].format(
            number=self.index + 1, count=len(self.phrases), take=self.attempt + 1,
            takes=self.takes_per_phrase, phrase=self._phrase()), style="info"))
        if self.attempt == 0:
            self.say("say_this", listen=True, phrase=self._phrase())
        else:
            self.say("again", listen=True)

    def _took(self) -> None:
        self._emit(KeepTake(self._phrase()))
        self.kept += 1
        self.attempt += 1
        if self.attempt >= self.takes_per_phrase:
            self._next_phrase()
        else:
            self._ask()

    def _next_phrase(self) -> None:
        self.index += 1
        self.attempt = 0
        self._ask()

    # ------------------------------------------------------------ learning
    def _learn(self) -> None:
        if self.kept < MIN_TAKES:
            self.say("too_few")
            self.finish(completed=False, say_goodbye=False)
            return
        self.trigger("learn")
        self.say("learning")
        self._emit(LearnVoice())

    def _learned(self, event: VoiceLearned | VoiceNotLearned) -> None:
        if isinstance(event, VoiceLearned):
            self.learned = True
            self._emit(fx.Show(self.ctx.prompts["learned"].format(
                takes=event.takes, seconds=f"{event.seconds:.1f}"), style="info"))
            self.say("ready")
            self.finish(completed=True, say_goodbye=False)
        else:
            self._emit(fx.Show(event.reason, style="warning"))
            self.say("not_learned")
            self.finish(completed=False, say_goodbye=False)
