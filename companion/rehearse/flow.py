"""The rehearsal session core: practise the phrase out loud, part by part (pure).

Modes, all chosen by voice: *listen* (the companion says it slowly),
*repeat after me* (part 1; part 2; parts 1-2; part 3; parts 1-3; ... built
back up to the whole), and *say it all* from memory, with a hint on request.
Each attempt is scored (companion.rehearse.score), kept (``SaveAttempt``),
and answered with short spoken feedback that leads with meaning: which of the
phrase's ideas came through, praise for saying it in one's own words, and
the one idea left out, with an offer to practise it. In memorising mode
(``--exact``, or "word for word" by voice) it goes by the exact words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from companion import content_files as content
from companion import effects as fx
from companion import events as ev
from companion.core.flow import Context, Flow, Step
from companion.errors import ContentError
from companion.intents import Vocabulary
from companion.rehearse import MODES
from companion.rehearse.meaning import MeaningLexicon
from companion.rehearse.phrases import Phrase
from companion.rehearse.progress import SaveAttempt
from companion.rehearse.score import Score, score

PHRASE_STATES = ("along", "all", "part")
NOT_AN_ATTEMPT = 0.2  # no idea and fewer of the words than this: something else was said
SOURCE = "rehearse.toml"
COMMAND_HELP = {
    "listen": "hear the phrase, slowly",
    "along": "learn it part by part, after me",
    "all": "say the whole phrase from memory",
    "hint": "hear how it starts",
    "exact": "go by the exact words (memorising)",
    "own": "go by the ideas, in your own words",
}
MEASURE_INTENTS = ("exact", "own")

STATES: list[str | dict[str, Any]] = [
    "menu",
    {"name": "listening", "on_enter": "_enter_listening"},
    {"name": "along", "on_enter": "_enter_along"},
    {"name": "all", "on_enter": "_enter_all"},
    "offer",
    {"name": "part", "on_enter": "_enter_part"},
]
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "listen", "source": "*", "dest": "listening"},
    {"trigger": "along", "source": "*", "dest": "along"},
    {"trigger": "all", "source": "*", "dest": "all"},
    {"trigger": "to_menu", "source": "*", "dest": "menu"},
    {"trigger": "offer", "source": "all", "dest": "offer"},
    {"trigger": "part", "source": "offer", "dest": "part"},
]
STEPS = {
    "menu": Step(None, MODES + MEASURE_INTENTS),
    "listening": Step(None, MODES + MEASURE_INTENTS, reprompt=False),
    "along": Step(None, ("listen", "all", *MEASURE_INTENTS), dictation=True),
    "all": Step(None, ("hint", "listen", "along", *MEASURE_INTENTS), dictation=True),
    "offer": Step("offer_part", ("yes", "no")),
    "part": Step(None, MEASURE_INTENTS, dictation=True),
}


def build_up(count: int) -> list[tuple[int, ...]]:
    """Repeat-after-me order: 1; 2; 1-2; 3; 1-3; ... the whole phrase last."""
    plan: list[tuple[int, ...]] = [(0,)] if count else []
    for i in range(1, count):
        plan += [(i,), tuple(range(i + 1))]
    return plan


class RehearseFlow(Flow):
    """Rehearsing one phrase.

    ``ctx.extra``: phrase, settings, meaning (a MeaningLexicon), mode,
    sessions_per_part, exact (go by the exact words from the start).
    """

    KIND = "rehearse"
    STATES = STATES
    TRANSITIONS = TRANSITIONS
    STEPS = STEPS
    INITIAL = "menu"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.phrase: Phrase = ctx.extra["phrase"]
        self.settings: dict[str, Any] = ctx.extra["settings"]
        self.start_mode: str | None = ctx.extra.get("mode")
        self.earlier_sessions: dict[int, int] = dict(ctx.extra.get("sessions_per_part", {}))
        self.meaning: MeaningLexicon = ctx.extra["meaning"]
        self.exact = bool(ctx.extra.get("exact", False))
        self.target: tuple[int, ...] = ()
        self._plan: list[tuple[int, ...]] = []
        self._tries = 0
        self._weak_part: int | None = None
        self._heard: ev.Heard | None = None
        self._said_this_session: set[int] = set()
        self.scores: list[float] = []

    # ------------------------------------------------------------- events
    def handle(self, event: ev.Event) -> list[fx.Effect]:
        """Keep the recognizer's extra detail (parts found, word times) for scoring."""
        self._heard = event if isinstance(event, ev.Heard) else None
        return super().handle(event)

    def on_started(self) -> None:
        if self.start_mode in MODES:
            self.trigger(self.start_mode)
        else:
            title = self.phrase.title or "Your phrase"
            self.say("intro", listen=True, title=title)

    def listen_parts(self) -> tuple[str, ...]:
        if self.state in PHRASE_STATES:
            return tuple(self.phrase.parts[i] for i in self.target)
        return ()

    def listen_exact(self) -> bool:
        return self.exact

    def listen_ending(self) -> tuple[frozenset[str], ...]:
        """The last part's ideas, as the single words that say them: once all are heard,
        a short pause ends the attempt (an attempt in one's own words rarely ends on
        the phrase's own last words)."""
        if self.state not in PHRASE_STATES or not self.target:
            return ()
        last = self.meaning.ideas([self.phrase.parts[i] for i in self.target])[-1]
        return tuple(frozenset(form[0] for form in concept.forms if len(form) == 1)
                     for concept in last.concepts if concept.strong)

    def texts_to_prepare(self) -> list[str]:
        """Feedback that names a part, rendered before it is needed."""
        return [self.ctx.prompts["missed_part"].format(part=self.phrase.describe_part(i))
                for i in range(len(self.phrase.parts))]

    def on_intent(self, text: str, intent: str | None) -> None:
        if intent in MEASURE_INTENTS:
            self.exact = intent == "exact"
            self.say("exact_on" if self.exact else "exact_off")
            self._repeat()
        elif intent in MODES:
            self.trigger(intent)
        elif self.state == "all" and intent == "hint":
            words = " ".join(self.phrase.text.split()[:5]).rstrip(",.;:!?")
            self.say("hint", words=f"{words} ...")
            self.say("all_intro", listen=True)
        elif self.state == "offer":
            if intent == "yes" and self._weak_part is not None:
                self.trigger("part")
            elif intent == "no":
                self.trigger("all")
            else:
                self.say("offer_part", listen=True)
        elif self.state in PHRASE_STATES:
            self._attempt(text)
        else:
            self.say("menu", listen=True)

    def after_speech(self, key: str) -> None:
        if key == "listen_phrase" and self.state == "listening":
            self._emit(fx.SetRate(self.rate_wpm))
            self.say("menu", listen=True)

    # ------------------------------------------------------------- modes
    def _enter_listening(self) -> None:
        self.say("listen_intro")
        self._emit(fx.SetRate(int(self.settings["listen_rate_wpm"])))
        self.say_text("listen_phrase", self.phrase.text)
        self.done_steps.append("listened")

    def _enter_along(self) -> None:
        self._plan = build_up(len(self.phrase.parts))
        self.say("along_intro")
        self._next_bit()

    def _next_bit(self) -> None:
        if not self._plan:
            self.done_steps.append("built up the phrase")
            self.say("along_done")
            self.trigger("to_menu")
            self.say("menu", listen=True)
            return
        self.target = self._plan.pop(0)
        self._tries = 0
        self._say_target()

    def _say_target(self) -> None:
        self.say_text("target", " ".join(self.phrase.parts[i] for i in self.target),
                      listen=True)

    def _enter_all(self) -> None:
        self.target = tuple(range(len(self.phrase.parts)))
        self.say("all_intro", listen=True)

    def _enter_part(self) -> None:
        assert self._weak_part is not None
        self.target = (self._weak_part,)
        self._tries = 0
        self.say("part_intro")
        self._say_target()

    # ----------------------------------------------------------- attempts
    def _measure(self, result: Score) -> float:
        """How much came through, by the measure in use: ideas, or exact words."""
        return result.completeness if self.exact else result.message

    def _attempt(self, text: str) -> None:
        heard = self._heard
        parts = tuple(self.phrase.parts[i] for i in self.target)
        result = score(parts, text, self.meaning,
                       heard.parts_said if heard and self.exact else None,
                       heard.word_times if heard else ())
        if not any(result.ideas) and result.completeness < NOT_AN_ATTEMPT:
            # Other speech, or nothing of the phrase: not an attempt.
            self.say("nothing_heard")
            if self.state == "all":
                self.say("all_intro", listen=True)
            else:
                self._say_target()
            return
        said = tuple(self.target[i] for i in result.parts_said(self.exact))
        self._emit(SaveAttempt(
            self.phrase.name, self.phrase.text, self.state, " ".join(parts),
            round(self._measure(result), 3), said, result.wpm, result.long_pauses))
        self.scores.append(self._measure(result))
        self._emit(fx.Show(_summary_line(result), style="info"))
        self._celebrate_learned(said)
        if self.state == "all":
            self._after_whole(result)
        elif self.state == "part":
            self._after_bit(result, then=self._back_to_whole)
        else:
            self._after_bit(result, then=self._next_bit)

    def _back_to_whole(self) -> None:
        self.say("part_done")
        self.trigger("all")

    def _after_bit(self, result: Score, then: Callable[[], None]) -> None:
        self._tries += 1
        if self._measure(result) >= float(self.settings["all_threshold"]) - 0.1:
            self._say_came_through(result)
            then()
        elif self._tries < int(self.settings["tries_per_bit"]):
            self._say_missed(result)
            self.say("try_again")
            self._say_target()
        else:
            self._say_missed(result)
            then()

    def _after_whole(self, result: Score) -> None:
        self.done_steps.append("said it all")
        self._say_came_through(result)
        self._say_pace(result)
        weak = result.weakest_part(self.exact)
        if weak is None:
            self.say("again", listen=True)
            return
        self._weak_part = self.target[weak]
        self._say_missed(result)
        self.trigger("offer")

    def _say_came_through(self, result: Score) -> None:
        measure = self._measure(result)
        if measure >= float(self.settings["all_threshold"]):
            self.say("all_came_through")
        elif measure >= 0.8:
            self.say("most_came_through")
        else:
            self.say("some_came_through", percent=str(round(measure * 100)))
        if not self.exact and self.state == "all" and result.own_words():
            self.say("own_words")  # (repeating after me, different words are slips)

    def _say_missed(self, result: Score) -> None:
        weak = result.weakest_part(self.exact)
        if weak is not None:
            self.say("missed_part", part=self.phrase.describe_part(self.target[weak]))

    def _say_pace(self, result: Score) -> None:
        if result.wpm is not None and result.wpm > float(self.settings["fast_wpm"]):
            self.say("fast")
        if result.long_pauses >= 2:
            self.say("pauses")

    def _celebrate_learned(self, said: tuple[int, ...]) -> None:
        needed = int(self.settings["learned_after_sessions"])
        for part in said:
            if part in self._said_this_session:
                continue
            self._said_this_session.add(part)
            if self.earlier_sessions.get(part, 0) + 1 == needed:
                self.say("learned", part=self.phrase.describe_part(part), sessions=str(needed))

    # ------------------------------------------------------------ ending
    def record_details(self) -> dict[str, Any]:
        return {"phrase": self.phrase.name, "attempts": len(self.scores),
                "best": round(max(self.scores), 3) if self.scores else None}


def _summary_line(result: Score) -> str:
    line = (f"Ideas that came through: {sum(result.ideas)} of {len(result.ideas)}"
            f"  word for word: {round(result.completeness * 100)}%")
    if result.missed:
        more = " ..." if len(result.missed) > 12 else ""
        line += f"  (left out: {' '.join(result.missed[:12])}{more})"
    if result.wpm is not None:
        line += f"  pace: {round(result.wpm)} words/min"
    return line


def rehearse_vocabulary(commands: dict[str, list[str]],
                        base: Vocabulary | None = None) -> Vocabulary:
    """The shared vocabulary plus listen / repeat after me / say it all / hint."""
    return (base or Vocabulary.load()).extended(
        {name: (tuple(commands.get(name, [])), COMMAND_HELP[name]) for name in COMMAND_HELP})


REQUIRED_PROMPTS = (
    "intro", "menu", "listen_intro", "along_intro", "all_intro", "try_again", "hint",
    "all_came_through", "most_came_through", "some_came_through", "missed_part", "offer_part",
    "part_intro", "part_done", "fast", "pauses", "along_done", "again", "nothing_heard",
    "learned", "paused", "resumed", "slower", "faster", "help_intro", "reprompt", "stopped",
    "done", "own_words", "exact_on", "exact_off",
)
SETTINGS = ("listen_rate_wpm", "learned_after_sessions", "tries_per_bit", "fast_wpm",
            "all_threshold")


def load_rehearse_content(user_dir: Any = None) -> tuple[dict[str, str], dict[str, Any]]:
    """Prompts, commands and settings from rehearse.toml, checked up front."""
    data = content.load(SOURCE, user_dir=user_dir)
    prompts = content.require_prompts(data, REQUIRED_PROMPTS, SOURCE)
    settings = content.require(data, "settings", dict, SOURCE)
    for key in SETTINGS:
        value = settings.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ContentError(f"{SOURCE}: [settings] {key} must be a number above 0",
                               f"fix {key} in {SOURCE}")
    commands = content.require(data, "commands", dict, SOURCE)
    return prompts, {"settings": settings, "commands": commands,
                     "meaning": MeaningLexicon.load(user_dir)}
