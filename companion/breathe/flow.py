"""The guided breathing session (`companion breathe`) as a pure flow.

intro -> breathing -> done. While breathing, the flow hands out each phase
a short look-ahead before it is due and emits ``PlayCue(name, at_s)`` with
the phase's exact start on the session clock (the shell's clock is the
output stream's own). Timers only wake the flow up in time to plan; they
never decide when a cue sounds, so timer jitter cannot move a cue.

Commands: "slower"/"faster" rescale from the next boundary (confirmed there),
"pause"/"resume" drop and restart the breath, "stop" lets the breath under
way finish its exhale, a second "stop" (or Ctrl-C) ends at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from companion import effects as fx
from companion.breathe.patterns import Pattern
from companion.breathe.schedule import Planned, Planner, schedule
from companion.core.flow import Context, CrisisAnswer, Flow, Step

TICK = "breathe.tick"
END = "breathe.end"
LOOKAHEAD_S = 0.75  # plan a phase this long before it starts (well over the stream latency)
START_GAP_S = 1.0  # quiet between the last spoken word and the first breath
CONFIRM_GAP_S = 0.15  # after the boundary's own cue, before "a little slower"
CUE_MODES = ("voice", "tones", "both")
TONE_FOR = {"in": "in", "top": "in", "hold": "hold", "out": "out", "rest": "hold"}

STATES: list[str | dict[str, Any]] = [
    "start",
    {"name": "intro", "on_enter": "_enter_intro"},
    {"name": "breathing", "on_enter": "_enter_breathing"},
    "done",
]
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "begin", "source": "start", "dest": "intro"},
    {"trigger": "breathe", "source": "intro", "dest": "breathing"},
    {"trigger": "close", "source": ["intro", "breathing"], "dest": "done"},
]
STEPS: dict[str, Step] = {
    "intro": Step(None, ("next",), reprompt=False),
    "breathing": Step(None, (), reprompt=False),
    "done": Step(None, (), reprompt=False),
}


@dataclass(frozen=True)
class BreatheOptions:
    """What the person chose: pattern, length (rounds or minutes), cues, counting."""

    pattern: Pattern
    rounds: int | None = None
    minutes: float | None = None
    cues: str = "voice"
    count_aloud: bool = False


class BreatheFlow(Flow):
    """Paced breathing with cues placed on the output clock. See the module docstring."""

    KIND = "breathe"
    STATES = STATES
    TRANSITIONS = TRANSITIONS
    STEPS = STEPS

    def __init__(self, ctx: Context) -> None:
        self.options: BreatheOptions = ctx.extra["options"]
        self.count_words: list[str] = ctx.extra.get("count_words", [])
        self.cue_lengths: dict[str, float] = ctx.extra.get("cue_lengths_s", {})
        opts = self.options
        target = opts.minutes * 60.0 if opts.minutes is not None else None
        self.planner = Planner(opts.pattern, opts.rounds, target)
        planned = schedule(opts.pattern, opts.rounds, target)
        self.planned_s = planned[-1].end_s if planned else 0.0
        self.planned_rounds = planned[-1].round if planned else 0
        self.timeline: list[Planned] = []  # recent phases, replaced (never mutated) for readers
        self.first_breath_s: float | None = None
        self.finished_s: float | None = None
        self._confirm: str | None = None
        self._end_armed = False
        self._intro_text = ""
        self._skip_intro = False
        super().__init__(ctx)

    # ---------------------------------------------------------------- steps
    def on_started(self) -> None:
        self.trigger("begin")

    def _enter_intro(self) -> None:
        opts = self.options
        if opts.minutes is not None:
            unit = "minute" if opts.minutes == 1 else "minutes"
            length = self.ctx.prompts["length_minutes"].format(
                minutes=f"{opts.minutes:g} {unit}")
        else:
            length = self.ctx.prompts["length_rounds"].format(rounds=self.planned_rounds)
        self._intro_text = self.ctx.prompts["intro"].format(
            title=opts.pattern.title, about=opts.pattern.about, length=length)
        if self._skip_intro:
            self._emit(fx.Show(self._intro_text))
            self.trigger("breathe")
            return
        self.say_text("intro", self._intro_text, listen=True)

    def _repeat(self) -> None:
        """"repeat" always re-explains the pattern, whatever was said last."""
        self.say_text("intro", self._intro_text, listen=True)

    def _enter_breathing(self) -> None:
        self.listen_now()
        self._start_breathing()

    def _start_breathing(self) -> None:
        start = self.ctx.clock() + START_GAP_S
        if self.first_breath_s is None:
            self.first_breath_s = start
        self.planner.start(start)
        self._plan()

    def after_speech(self, key: str) -> None:
        if self.paused:
            return
        if key == "intro" and self.state == "intro":
            self.trigger("breathe")
        elif key == "resumed" and self.state == "breathing":
            self._start_breathing()

    def on_intent(self, text: str, intent: str | None) -> None:
        if intent == "next" and self.state == "intro":
            self._emit(fx.StopSpeaking())
            self.trigger("breathe")
        elif intent == "next" and self.state == "start":
            self._skip_intro = True  # typed ahead, before the shell said it was ready

    # ------------------------------------------------------------- planning
    def _plan(self) -> None:
        """Hand out every phase starting within the look-ahead; wake up for the next one."""
        if self.state != "breathing" or self.paused or self.ended:
            return
        now = self.ctx.clock()
        planner = self.planner
        while not planner.finished and planner.next_start_s - now <= LOOKAHEAD_S:
            had_speed_change = self._confirm is not None
            phase = planner.next_phase()
            if phase is None:
                break
            self._cue(phase, confirm=had_speed_change)
            self.timeline = [*self.timeline[-7:], phase]
        if planner.finished:
            if not self._end_armed and planner.end_s is not None:
                self._end_armed = True
                self._emit(fx.CancelTimer(TICK))
                self._emit(fx.StartTimer(END, max(0.0, planner.end_s - now)))
        else:
            self._emit(fx.StartTimer(TICK, max(0.01, planner.next_start_s - LOOKAHEAD_S - now)))

    def cue_names(self, phase: Planned) -> list[tuple[str, float]]:
        """(cue name, offset from the phase start in seconds) for one phase."""
        mode = self.options.cues
        names: list[tuple[str, float]] = []
        if mode in ("tones", "both"):
            names.append((f"tone.{TONE_FOR[phase.kind]}", 0.0))
        if mode in ("voice", "both"):
            if (phase.kind == "out" and self.options.pattern.count_breaths
                    and phase.round <= len(self.count_words)):
                names.append((f"voice.number.{phase.round}", 0.0))
            else:
                names.append((f"voice.{phase.kind}", 0.0))
        if self.options.count_aloud:
            for k in range(1, math.ceil(phase.seconds - 0.4)):
                if k + 1 <= len(self.count_words):
                    names.append((f"voice.count.{k + 1}", float(k)))
        return names

    def _cue(self, phase: Planned, confirm: bool) -> None:
        names = self.cue_names(phase)
        for name, offset in names:
            self._emit(fx.PlayCue(name, phase.start_s + offset))
        if confirm and self._confirm is not None:
            busy = max((self.cue_lengths.get(n, 0.6) for n, off in names if off == 0.0),
                       default=0.0)
            self._emit(fx.PlayCue(f"voice.{self._confirm}_confirm",
                                  phase.start_s + busy + CONFIRM_GAP_S))
            self._confirm = None

    def on_timer(self, timer_id: str) -> None:
        if timer_id == TICK:
            self._plan()
        elif timer_id == END:
            self._end_session()

    def _end_session(self) -> None:
        self.finished_s = self.ctx.clock()
        stopped = self.planner.stop_requested
        self.trigger("close")
        if stopped:
            super().finish(completed=False, say_goodbye=True)
        else:
            self.say("done")
            super().finish(completed=True, say_goodbye=False, summary=self._summary())

    def _summary(self) -> str:
        rounds = self.planner.rounds_done
        return f"{self.options.pattern.title}: {rounds} breath{'s' if rounds != 1 else ''}."

    # ------------------------------------------------------------- commands
    def _change_rate(self, intent: str) -> None:
        """Slower/faster rescale the breath (not the voice), confirmed at the next boundary."""
        step = 1 if intent == "slower" else -1
        if self.planner.change_speed(step):
            self._confirm = intent
            self._emit(fx.Show(f"{intent.capitalize()}: from the next phase.", style="info"))
        else:
            self.say(f"limit_{intent}")

    def finish(self, completed: bool, say_goodbye: bool, summary: str = "") -> None:
        """"stop" while breathing waits for the exhale; a second stop or Ctrl-C ends now."""
        if (not completed and say_goodbye and self.state == "breathing" and not self.paused
                and not self.planner.stop_requested and not self.planner.finished):
            self._stop_after_exhale()
            return
        if self.finished_s is None:
            self.finished_s = self.ctx.clock()
        super().finish(completed, say_goodbye, summary)

    def _stop_after_exhale(self) -> None:
        self.planner.request_stop()
        now = self.ctx.clock()
        if self.planner.drop_after(now, whole_breath=True):
            self.timeline = [p for p in self.timeline if p.start_s <= now]
            self._emit(fx.StopSpeaking())
        self._emit(fx.Show(self.ctx.prompts["stopping"], style="info"))
        self._plan()

    def on_pause(self) -> None:
        self._emit(fx.CancelTimer(TICK))
        if self.state == "breathing" and not self.planner.finished:
            self.planner.drop_after(self.ctx.clock())
            self.planner.pause()
            self.timeline = []
            self._emit(fx.StopSpeaking())

    def on_resume(self) -> None:
        if self.state == "intro":
            self._repeat()
        elif self.planner.finished:
            self._end_session()
        # otherwise breathing restarts once "resumed" has been said (after_speech)

    def _crisis(self, answer: CrisisAnswer) -> None:
        """Crisis words pause the breathing first, so resources are heard clearly."""
        if self.state == "breathing" and not self.paused:
            self.paused = True
            self.on_pause()
        super()._crisis(answer)

    def cancel_flow_timers(self) -> None:
        self._emit(fx.CancelTimer(TICK))
        self._emit(fx.CancelTimer(END))

    def record_details(self) -> dict[str, Any]:
        opts = self.options
        actual = 0.0
        if self.first_breath_s is not None and self.finished_s is not None:
            actual = max(0.0, self.finished_s - self.first_breath_s)
        return {
            "pattern": opts.pattern.name,
            "timing": opts.pattern.timing(),
            "cues": opts.cues,
            "rounds": self.planner.rounds_done,
            "rounds_planned": self.planned_rounds,
            "planned_s": round(self.planned_s, 2),
            "actual_s": round(actual, 2),
            "stopped_early": self.planner.stop_requested or not self.planner.finished,
            "speed_level": self.planner.level,
        }

    def phase_at(self, now_s: float) -> Planned | None:
        """The phase sounding at ``now_s`` (for the screen), if any."""
        timeline = self.timeline
        for phase in reversed(timeline):
            if phase.start_s <= now_s:
                return phase if now_s < phase.end_s + 0.5 else None
        return None
