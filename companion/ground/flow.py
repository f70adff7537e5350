"""The grounding session (`companion ground`), declared as data.

arrive -> pause (breathe or count) -> notice the body -> challenge the
thought (four dictated answers) -> choose (stay / break / not safe) -> close.
"I want to run" goes back to the pause, "I need a break" jumps to the break,
"I'm okay" offers to close. Answers are read back but never stored: only
which steps were done and the choice are recorded.
"""

from __future__ import annotations

from typing import Any

from companion import effects as fx
from companion import events as ev
from companion.core.flow import Context, Flow, Step
from companion.journal.effects import EntrySaved, EntrySaveFailed, SaveEntry
from companion.journal.model import Entry

STEP_INTENTS = ("urge", "break", "calm")
THOUGHT_STEPS = ("thought", "evidence_for", "evidence_against", "balanced")

STATES: list[str | dict[str, Any]] = [
    "start",
    {"name": "arrive", "on_enter": "_enter_arrive"},
    "pause_choice",
    {"name": "breathing", "on_enter": "_enter_breathing"},
    {"name": "counting", "on_enter": "_enter_counting"},
    "body",
    *THOUGHT_STEPS,
    "keep_offer",
    {"name": "keeping", "on_enter": "_enter_keeping"},
    "choose",
    {"name": "stay", "on_enter": "_enter_stay"},
    {"name": "take_break", "on_enter": "_enter_break"},
    {"name": "say_along", "on_enter": "_enter_say_along"},
    {"name": "unsafe", "on_enter": "_enter_unsafe"},
    "calm_offer",
    {"name": "close", "on_enter": "_enter_close"},
]

ANYWHERE = ["arrive", "pause_choice", "breathing", "counting", "body", *THOUGHT_STEPS,
            "keep_offer", "choose", "stay", "take_break", "say_along", "calm_offer"]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "begin", "source": "start", "dest": "arrive"},
    {"trigger": "next", "source": "arrive", "dest": "pause_choice"},
    {"trigger": "breathe", "source": "pause_choice", "dest": "breathing"},
    {"trigger": "count", "source": "pause_choice", "dest": "counting"},
    {"trigger": "next", "source": ["pause_choice", "breathing", "counting"], "dest": "body"},
    {"trigger": "next", "source": "body", "dest": "thought"},
    {"trigger": "next", "source": "thought", "dest": "evidence_for"},
    {"trigger": "next", "source": "evidence_for", "dest": "evidence_against"},
    {"trigger": "next", "source": "evidence_against", "dest": "balanced"},
    {"trigger": "next", "source": "balanced", "dest": "choose", "unless": "_has_answers"},
    {"trigger": "next", "source": "balanced", "dest": "keep_offer"},
    {"trigger": "keep", "source": "keep_offer", "dest": "keeping"},
    {"trigger": "next", "source": ["keep_offer", "keeping"], "dest": "choose"},
    {"trigger": "choose_stay", "source": "choose", "dest": "stay"},
    {"trigger": "along", "source": ["stay", "take_break"], "dest": "say_along"},
    {"trigger": "next", "source": ["stay", "take_break", "say_along"], "dest": "close"},
    {"trigger": "urge", "source": ANYWHERE, "dest": "pause_choice"},
    {"trigger": "need_break", "source": ANYWHERE, "dest": "take_break"},
    {"trigger": "not_safe", "source": ANYWHERE, "dest": "unsafe"},
    {"trigger": "calm", "source": ANYWHERE, "dest": "calm_offer"},
    {"trigger": "next", "source": ["calm_offer", "unsafe"], "dest": "close"},
]

STEPS: dict[str, Step] = {
    "arrive": Step(None, ("next",)),
    "pause_choice": Step("pause_choice", ("yes", "no", "next")),
    "breathing": Step(None, ("next",), reprompt=False),
    "counting": Step(None, ("next",), reprompt=False),
    "body": Step("body", ("next",), dictation=True),
    "thought": Step("thought", ("next",), dictation=True),
    "evidence_for": Step("evidence_for", ("next",), dictation=True),
    "evidence_against": Step("evidence_against", ("next",), dictation=True),
    "balanced": Step("balanced", ("next",), dictation=True),
    "keep_offer": Step("keep_offer", ("yes", "no")),
    "keeping": Step(None, (), reprompt=False),
    "choose": Step("choose", ("stay", "break", "unsafe")),
    "stay": Step(None, ("yes", "no", "next")),
    "take_break": Step(None, ("yes", "no", "next")),
    "say_along": Step(None, ("next",), reprompt=False),
    "unsafe": Step(None, ("next",), reprompt=False),
    "calm_offer": Step("calm_offer", ("yes", "no")),
    "close": Step(None, (), reprompt=False),
}

FLOW_TIMERS = ("breath", "count", "along")
ENTRY_CALLBACKS = {s["name"]: s["on_enter"] for s in STATES if isinstance(s, dict)}


class GroundFlow(Flow):
    """Hands-free grounding: the main job. See the module docstring for the shape."""

    KIND = "ground"
    STATES = STATES
    TRANSITIONS = TRANSITIONS
    STEPS = STEPS

    def __init__(self, ctx: Context) -> None:
        self.timing: dict[str, float] = ctx.extra["timing"]
        self.summary_words: dict[str, str] = ctx.extra["summary"]
        self.phrases: dict[str, list[str]] = ctx.extra["phrases"]
        self.count_words: list[str] = ctx.extra["count_words"]
        self.choice: str | None = None
        self._tick = 0
        self._along: list[str] = []
        self._before_calm = "arrive"
        self._answers: dict[str, str] = {}
        self._keep_request = ""
        super().__init__(ctx)

    def on_started(self) -> None:
        self.trigger("begin")

    def global_intents(self) -> tuple[str, ...]:
        return STEP_INTENTS

    def reprompt_after_s(self) -> float:
        return float(self.timing.get("reprompt_after_s", 25.0))

    def _mark(self, step: str) -> None:
        if step not in self.done_steps:
            self.done_steps.append(step)

    # ---------------------------------------------------------------- entry
    def _enter_arrive(self) -> None:
        if self.ctx.first_run:
            self.say("disclaimer")
            self.ctx.first_run = False
        self.say("arrive")
        self.say("arrive_next", listen=True)
        self._mark("arrived")

    def _enter_breathing(self) -> None:
        self._tick = 0
        self._mark("paused")
        self._breath_phase()

    def _breath_phase(self) -> None:
        """Breaths as in/hold/out phases; ticks count phases across all breaths."""
        phases = [("breathe_in", "breathe_in_s"), ("breathe_hold", "breathe_hold_s"),
                  ("breathe_out", "breathe_out_s")]
        phases = [p for p in phases if self.timing.get(p[1], 0) > 0]
        if self._tick >= int(self.timing.get("breaths", 3)) * len(phases):
            self.say("breathe_done")
            self.trigger("next")
            return
        key, length = phases[self._tick % len(phases)]
        self.say(key, listen=self._tick == 0)
        self._emit(fx.StartTimer("breath", float(self.timing[length])))

    def _enter_counting(self) -> None:
        self._tick = 0
        self._mark("paused")
        self.say("count_intro", listen=True)

    def _count_tick(self) -> None:
        if self._tick >= len(self.count_words):
            self.say("count_done")
            self.trigger("next")
            return
        self.say_text("count", self.count_words[self._tick])
        self._tick += 1
        self._emit(fx.StartTimer("count", float(self.timing.get("count_step_s", 1.8))))

    def _enter_stay(self) -> None:
        self.choice = "stay"
        self.say("stay")
        self.say_text("phrase", " ".join(self.phrases["disclosure"]))
        self.say("stay_offer", listen=True)

    def _enter_break(self) -> None:
        self.choice = "break"
        self.say("break")
        self.say_text("phrase", " ".join(self.phrases["break"]))
        self.say("break_offer", listen=True)

    def _enter_say_along(self) -> None:
        self._along = list(self.phrases["disclosure" if self.choice == "stay" else "break"])
        self.say("say_along", listen=True)

    def _along_part(self) -> None:
        if not self._along:
            self.say("say_along_done")
            self.trigger("next")
            return
        part = self._along.pop(0)
        self.say_text("part", part)
        pause_s = len(part.split()) * float(self.timing.get("say_along_s_per_word", 0.6)) * 2
        self._emit(fx.StartTimer("along", pause_s + 1.0))

    def _enter_unsafe(self) -> None:
        self.choice = "unsafe"
        answer = self.ctx.safety.unsafe_choice()
        if answer.spoken:
            self.say("unsafe", interruptible=False)
            self.say("unsafe_resources", interruptible=False)
        else:  # discreet: nothing about it is said aloud
            prompts = self.ctx.prompts
            self._emit(fx.Show(f"{prompts['unsafe']} {prompts['unsafe_resources']}"))
        self.show_resources(answer)
        if answer.spoken:
            self.say_text("resources", answer.spoken, interruptible=False)
        self.trigger("next")

    def _enter_close(self) -> None:
        if self.choice:
            self._mark(self.choice)
        self.say("close_compassion")
        self.say("close_summary", steps=self._summary_steps())
        self.say("goodbye")

    def _summary_steps(self) -> str:
        words = [self.summary_words[s] for s in self.done_steps if s in self.summary_words]
        if len(words) > 1 and "arrived" in self.done_steps:
            words.remove(self.summary_words["arrived"])
        if len(words) <= 1:
            return words[0] if words else self.summary_words["arrived"]
        return ", ".join(words[:-1]) + ", and " + words[-1]

    # ------------------------------------------------------------- handlers
    def after_speech(self, key: str) -> None:
        if self.paused:
            return
        if key == "count_intro" and self.state == "counting":
            self._count_tick()
        elif key == "say_along" and self.state == "say_along":
            self._along_part()
        elif key == "goodbye" and self.state == "close":
            self.finish(completed=True, say_goodbye=False,
                        summary=self.ctx.prompts["close_summary"].format(
                            steps=self._summary_steps()))

    def on_timer(self, timer_id: str) -> None:
        if timer_id == "breath" and self.state == "breathing":
            self._tick += 1
            self._breath_phase()
        elif timer_id == "count" and self.state == "counting":
            self._count_tick()
        elif timer_id == "along" and self.state == "say_along":
            self._along_part()

    def on_pause(self) -> None:
        self.cancel_flow_timers()

    def on_resume(self) -> None:
        if self.state == "breathing":
            self._breath_phase()
        elif self.state == "counting":
            self._count_tick()
        elif self.state == "say_along":
            self._along_part()
        else:
            super().on_resume()

    def cancel_flow_timers(self) -> None:
        for timer in FLOW_TIMERS:
            self._emit(fx.CancelTimer(timer))

    def on_intent(self, text: str, intent: str | None) -> None:
        state = self.state
        if intent == "urge":
            self.cancel_flow_timers()
            self.say("urge_again")
            self.trigger("urge")
        elif intent == "break":
            self.cancel_flow_timers()
            self.say("to_break")
            self.trigger("need_break")
        elif intent == "unsafe":
            self.cancel_flow_timers()
            self.trigger("not_safe")
        elif intent == "calm" and state != "calm_offer":
            self.cancel_flow_timers()
            self._before_calm = state
            self.trigger("calm")
        elif state == "calm_offer":
            self._calm_answer(intent)
        elif state == "pause_choice" and intent in ("yes", "no"):
            self.trigger("breathe" if intent == "yes" else "count")
        elif state == "choose" and intent == "stay":
            self.trigger("choose_stay")
        elif state == "keep_offer" and intent in ("yes", "no"):
            if intent == "yes":
                self.trigger("keep")
            else:
                self.say("keep_declined")
                self.trigger("next")
        elif state in ("stay", "take_break") and intent in ("yes", "no"):
            self.trigger("along" if intent == "yes" else "next")
        elif intent == "next":
            self._next(state)
        elif intent is None and self.STEPS[state].dictation:
            self._answer(state, text)
        else:
            self.say("not_understood", listen=True)

    def _next(self, state: str) -> None:
        self.cancel_flow_timers()
        if state in THOUGHT_STEPS and state == "balanced" and not self._answers:
            self.say("thought_skipped")
        self.trigger("next")

    def _answer(self, state: str, text: str) -> None:
        """A dictated answer: read it back briefly and move on. Kept only if they say yes."""
        self._answers[state] = text.strip()
        if state == "body":
            self._mark("noticed")
            self.say("body_ack")
        else:
            self._mark("questioned")
            self.say("readback", answer=_brief(text))
            if state == "balanced":
                self.say("thought_done")
        self.trigger("next")

    def _calm_answer(self, intent: str | None) -> None:
        if intent == "yes":
            self.trigger("next")
        elif intent == "no":
            self.say("calm_stay")
            self.machine.set_state(self._before_calm)
            entry = ENTRY_CALLBACKS.get(self.state)
            if entry:
                getattr(self, entry)()
            self._entered()
        else:
            self.say("not_understood", listen=True)

    # ------------------------------------------------------ keeping answers
    def _has_answers(self) -> bool:
        return bool(self._answers)

    def _enter_keeping(self) -> None:
        """Ask the shell to save the answers; say so only once it has (EntrySaved)."""
        self._keep_request = f"ground-{self._prompt_count}"
        said = self._answers.get
        entry = Entry(body=said("body", ""), thought=said("thought", ""),
                      evidence_for=said("evidence_for", ""),
                      evidence_against=said("evidence_against", ""),
                      balanced=said("balanced", ""))
        self._emit(SaveEntry(self._keep_request, entry))

    def handle(self, event: ev.Event) -> list[fx.Effect]:
        """As Flow.handle, plus the shell's report on keeping the answers."""
        if isinstance(event, (EntrySaved, EntrySaveFailed)):
            self.out = []
            ours = event.request_id == self._keep_request
            if not self.ended and self.state == "keeping" and ours:
                if isinstance(event, EntrySaved):
                    self._mark("kept")
                    self.say("keep_saved")
                else:
                    self._emit(fx.Show("Your answers (not saved):\n" + "\n".join(
                        f"  {step}: {text}" for step, text in self._answers.items()),
                        style="warning"))
                    self.say("keep_failed")
                self.trigger("next")
            return self.out
        return super().handle(event)

    def record_details(self) -> dict[str, Any]:
        return {"choice": self.choice}


def _brief(text: str, max_words: int = 14) -> str:
    """First words of an answer, for a short read-back."""
    words = text.split()
    return " ".join(words[:max_words]) + (" ..." if len(words) > max_words else "")


REQUIRED_PROMPTS = (
    "disclaimer", "arrive", "arrive_next", "pause_choice", "breathe_in", "breathe_hold",
    "breathe_out", "breathe_done", "count_intro", "count_done", "body", "body_ack",
    *THOUGHT_STEPS, "readback", "thought_done", "thought_skipped", "choose", "stay",
    "stay_offer", "say_along", "say_along_done", "break", "break_offer", "unsafe",
    "unsafe_resources", "keep_offer", "keep_saved", "keep_declined", "keep_failed",
    "close_compassion", "close_summary", "goodbye", "calm_offer",
    "calm_stay", "urge_again", "to_break", "reprompt", "paused", "resumed", "slower",
    "faster", "help_intro", "stopped", "not_understood",
)
