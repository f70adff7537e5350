"""The pure session core shared by every flow: events in, effects out.

A flow is a ``transitions`` state machine declared as data. This base class
owns what every step has in common, so each flow only declares its steps:

- every prompt is spoken, then the core listens for the step's intents;
- "repeat", "help", "slower", "faster", "pause"/"resume" and "stop" always work;
- crisis language, typed or spoken (even where only commands are listened
  for: ``Overheard``), gets helpline resources before anything else, and
  they are shown again as the session ends;
- silence earns one gentle re-prompt, never more;
- Ctrl-C or "stop" ends within one response and keeps what was done.

No audio, threads, files or wall clock here: time comes from the injected
``clock`` and waiting is a ``StartTimer`` effect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from transitions import Machine

from companion import effects as fx
from companion import events as ev
from companion.intents import ALWAYS, Vocabulary

SILENCE_TIMER = "silence"
_DEVICE_NAMES = {"input": "microphone", "output": "speaker", "recognizer": "speech recognizer"}
# Speaking rate (words per minute): slow and calm by default; "slower"/"faster" step it.
DEFAULT_RATE_WPM = 140
MIN_RATE_WPM, MAX_RATE_WPM, RATE_STEP_WPM = 90, 220, 20


class CrisisAnswer(Protocol):
    """What the safety check answers: ``screen`` always holds the numbers; ``spoken``
    may be "" (discreet); ``quiet_end`` offers to end without another spoken word."""

    @property
    def screen(self) -> str: ...

    @property
    def spoken(self) -> str: ...

    @property
    def quiet_end(self) -> bool: ...


class SafetyNet(Protocol):
    """What the core needs from the safety check: an answer for crisis language."""

    def check(self, text: str) -> CrisisAnswer | None:
        """The answer for ``text`` (typed or recognized), or None when it holds none."""

    def unsafe_choice(self) -> CrisisAnswer:
        """The numbers for someone who chose to leave because it is not safe."""

    def ended_quietly(self) -> str:
        """The line shown when a session ends quietly after a discreet answer."""


@dataclass(frozen=True)
class Step:
    """What a state says on entry and listens for afterwards.

    ``prompt`` is a key in the flow's [prompts] table (None: the state drives
    its own speech); ``intents`` are the step's own commands on top of the
    ones that always work; ``dictation`` means free answers are welcome;
    ``reprompt`` False for steps that keep talking by themselves (breathing).
    """

    prompt: str | None
    intents: tuple[str, ...] = ()
    dictation: bool = False
    reprompt: bool = True


@dataclass
class Context:
    """Everything a flow is given from outside: content, vocabulary, safety, clock."""

    prompts: dict[str, str]
    vocabulary: Vocabulary
    safety: SafetyNet
    clock: Callable[[], float]
    rate_wpm: int = DEFAULT_RATE_WPM
    first_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Flow:
    """Base class: subclasses set ``KIND``, ``STATES``, ``TRANSITIONS`` and ``STEPS``."""

    KIND = "flow"
    STATES: list[str | dict[str, Any]] = []
    TRANSITIONS: list[dict[str, Any]] = []
    STEPS: dict[str, Step] = {}
    INITIAL = "start"

    state: str  # set by transitions
    trigger: Callable[..., bool]  # set by transitions

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.rate_wpm = ctx.rate_wpm
        self.out: list[fx.Effect] = []
        self.paused = False
        self.ended = False
        self.started_at_s = ctx.clock()
        self.done_steps: list[str] = []
        self._prompt_count = 0
        self._last_say: fx.Say | None = None
        self._listen_after: str | None = None  # prompt id after which we listen
        self._reprompted = False
        self._crisis_shown: CrisisAnswer | None = None  # the numbers, shown again at the end
        self._quiet_end = False  # after a discreet answer "stop" ends without a word
        self.machine = Machine(
            model=self,
            states=self.STATES,
            transitions=self.TRANSITIONS,
            initial=self.INITIAL,
            queued=True,
            auto_transitions=False,
            ignore_invalid_triggers=True,
            after_state_change="_entered",
        )

    # ------------------------------------------------------------------ API
    def handle(self, event: ev.Event) -> list[fx.Effect]:
        """Feed one event; return the effects the shell must carry out, in order."""
        self.out = []
        if self.ended:
            return []
        if isinstance(event, ev.Started):
            self.on_started()
        elif isinstance(event, ev.SpeechFinished):
            self._on_speech_finished(event.prompt_id)
        elif isinstance(event, ev.TimerFired):
            self._on_timer(event.timer_id)
        elif isinstance(event, ev.Heard):
            # "I want to kill myself" can fit the grammar as "I want to leave": what
            # free recognition heard of it goes to the safety check first.
            answer = self.ctx.safety.check(event.overheard) if event.overheard else None
            if event.text.strip() or answer is not None:
                self._on_input(event.text, event.intent, answer)
        elif isinstance(event, ev.Overheard):
            answer = self.ctx.safety.check(event.text)
            if answer is not None:
                self._crisis(answer)
        elif isinstance(event, ev.Typed):
            if event.text.strip():
                self._on_input(event.text, self.ctx.vocabulary.match_typed(event.text))
        elif isinstance(event, ev.DeviceLost):
            self._emit(fx.Show(self._device_lost_text(event), style="warning"))
        elif isinstance(event, ev.DeviceBack):
            what = _DEVICE_NAMES.get(event.kind, event.kind)
            self._emit(fx.Show(f"The {what} is back: voice works again.", style="info"))
        elif isinstance(event, ev.Interrupted):
            self.finish(completed=False, say_goodbye=False)
        return self.out

    def on_started(self) -> None:
        """Hook: the shell is ready; start the flow (subclasses fire their first trigger)."""
        raise NotImplementedError

    # ------------------------------------------------------------ speaking
    def say(self, key: str, listen: bool = False, interruptible: bool = True, **fill: str) -> str:
        """Speak prompt ``key``; when ``listen``, listen for the step once it has been said."""
        text = self.ctx.prompts[key].format(**fill) if fill else self.ctx.prompts[key]
        return self.say_text(key, text, listen=listen, interruptible=interruptible)

    def say_text(
        self, key: str, text: str, listen: bool = False, interruptible: bool = True
    ) -> str:
        """Speak literal ``text``; returns the prompt id that SpeechFinished will carry."""
        self._prompt_count += 1
        prompt_id = f"{key}#{self._prompt_count}"
        say = fx.Say(prompt_id, text, interruptible)
        self._emit(say)
        if listen:
            self._last_say = say
            self._listen_after = prompt_id
            self._reprompted = False
        return prompt_id

    def _emit(self, effect: fx.Effect) -> None:
        self.out.append(effect)

    def listen_now(self) -> None:
        """Tell the shell what to listen for in the current step, and arm the re-prompt."""
        step = self.STEPS.get(self.state, Step(None))
        intents = tuple(dict.fromkeys(ALWAYS + step.intents + self.global_intents()))
        self._emit(fx.Listen(intents=intents, dictation=step.dictation,
                             parts=self.listen_parts(), hints=self.listen_hints(),
                             exact=self.listen_exact(), ending=self.listen_ending()))
        if step.reprompt and not self._reprompted and not self.paused:
            self._emit(fx.StartTimer(SILENCE_TIMER, self.reprompt_after_s()))

    def listen_parts(self) -> tuple[str, ...]:
        """Hook: the parts of a phrase being rehearsed now (phrase mode), else ()."""
        return ()

    def texts_to_prepare(self) -> list[str]:
        """Hook: texts the flow will say that are not fixed prompts (rendered ahead)."""
        return []

    def listen_exact(self) -> bool:
        """Hook: phrase mode goes by the exact wording (memorising)."""
        return False

    def listen_ending(self) -> tuple[frozenset[str], ...]:
        """Hook: word roots whose hearing lets a phrase-mode attempt end sooner."""
        return ()

    def listen_hints(self) -> tuple[str, ...]:
        """Hook: words the answer to the current step is likely made of, else ()."""
        return ()

    def global_intents(self) -> tuple[str, ...]:
        """Flow-wide intents beyond ALWAYS (e.g. "urge"); overridden by flows."""
        return ()

    def reprompt_after_s(self) -> float:
        """Seconds of silence before the one gentle re-prompt."""
        return 25.0

    # ----------------------------------------------------------- handlers
    def _on_speech_finished(self, prompt_id: str) -> None:
        if prompt_id == self._listen_after:
            self.listen_now()
        self.after_speech(prompt_id.split("#", 1)[0])

    def after_speech(self, key: str) -> None:
        """Hook: prompt ``key`` has been fully spoken."""

    def _on_timer(self, timer_id: str) -> None:
        if timer_id == SILENCE_TIMER:
            if not self._reprompted and not self.paused:
                self._reprompted = True
                self.say("reprompt")
            return
        if not self.paused:
            self.on_timer(timer_id)

    def on_timer(self, timer_id: str) -> None:
        """Hook: a flow timer fired (not called while paused)."""

    def _on_input(self, text: str, intent: str | None,
                  answer: CrisisAnswer | None = None) -> None:
        answer = answer or self.ctx.safety.check(text)
        if answer is not None and intent != "unsafe":
            # "it's not safe" as a command leads to its own step with resources.
            self._crisis(answer)
            if intent != "stop":
                return
        self._emit(fx.CancelTimer(SILENCE_TIMER))
        if intent == "stop" and self._quiet_end:
            self._emit(fx.Show(self.ctx.safety.ended_quietly(), style="crisis"))
            self.finish(completed=False, say_goodbye=False)
        elif intent == "stop":
            self.finish(completed=False, say_goodbye=True)
        elif intent == "help":
            self._help()
        elif intent == "repeat":
            self._repeat()
        elif intent in ("slower", "faster"):
            self._change_rate(intent)
        elif self.paused:
            if intent == "resume":
                self.paused = False
                self.say("resumed")
                self.on_resume()
            else:
                self._say_paused()
        elif intent == "pause":
            self.paused = True
            self.on_pause()
            self._say_paused()
        elif intent == "resume":
            self._repeat()
        else:
            self.on_intent(text, intent)

    def _say_paused(self) -> None:
        """Say the session is paused and listen, keeping the step's own prompt as the one
        "repeat" and "resume" say again."""
        step_say = self._last_say
        self.say("paused", listen=True)
        self._last_say = step_say

    def on_intent(self, text: str, intent: str | None) -> None:
        """Hook: a step command or a free answer (``intent`` None) arrived."""

    def on_pause(self) -> None:
        """Hook: the person paused; stop flow timers."""

    def on_resume(self) -> None:
        """Hook: the person resumed; pick up where the step was."""
        self._repeat()

    def _crisis(self, answer: CrisisAnswer) -> None:
        """Numbers on screen at once; said in full (never cut short) unless discreet."""
        self._emit(fx.StopSpeaking())
        self.show_resources(answer)
        if answer.spoken:
            self.say_text("crisis", answer.spoken, listen=True, interruptible=False)
        else:
            self.listen_now()

    def show_resources(self, answer: CrisisAnswer) -> None:
        """Put the numbers on screen; they are shown again as the session ends."""
        self._emit(fx.Show(answer.screen, style="crisis"))
        self._crisis_shown = answer
        self._quiet_end = self._quiet_end or answer.quiet_end

    def _help(self) -> None:
        step = self.STEPS.get(self.state, Step(None))
        names = list(dict.fromkeys(step.intents + self.global_intents() + ALWAYS))
        lines = self.ctx.vocabulary.help_lines(names)
        if step.dictation:
            lines.insert(0, "or just answer in your own words")
        self._emit(fx.Show("You can say:\n  " + "\n  ".join(lines), style="help"))
        spoken = "; ".join(line.split(":")[0] for line in lines[:6])
        self.say_text("help", f"{self.ctx.prompts['help_intro']} {spoken}.", listen=True)

    def _repeat(self) -> None:
        if self._last_say is not None:
            key = self._last_say.prompt_id.split("#", 1)[0]
            self.say_text(key, self._last_say.text, listen=True)

    def _change_rate(self, intent: str) -> None:
        step = -RATE_STEP_WPM if intent == "slower" else RATE_STEP_WPM
        self.rate_wpm = max(MIN_RATE_WPM, min(MAX_RATE_WPM, self.rate_wpm + step))
        self._emit(fx.SetRate(self.rate_wpm))
        self.say(intent)
        self._repeat()

    def _device_lost_text(self, event: ev.DeviceLost) -> str:
        what = _DEVICE_NAMES.get(event.kind, event.kind)
        why = f" ({event.reason})" if event.reason else ""
        return (
            f"The {what} stopped working{why}. Carry on by typing; "
            "voice comes back by itself when it does."
        )

    # --------------------------------------------------------------- ending
    def finish(self, completed: bool, say_goodbye: bool, summary: str = "") -> None:
        """End the session: stop timers, record it, say goodbye once."""
        if self.ended:
            return
        self.ended = True
        self._emit(fx.CancelTimer(SILENCE_TIMER))
        self.cancel_flow_timers()
        if say_goodbye and not completed:
            self._emit(fx.StopSpeaking())
            self.say("stopped")
        if self._crisis_shown is not None:  # the last thing on screen: the numbers
            self._emit(fx.Show(self._crisis_shown.screen, style="crisis"))
        record = {
            "steps": list(self.done_steps),
            "duration_s": round(self.ctx.clock() - self.started_at_s, 1),
            **self.record_details(),
        }
        self._emit(fx.SaveSession(self.KIND, {"completed": completed, **record}))
        self._emit(fx.End(summary))

    def cancel_flow_timers(self) -> None:
        """Hook: cancel the flow's own timers when the session ends."""

    def record_details(self) -> dict[str, Any]:
        """Hook: extra fields for the session record (never the person's answers)."""
        return {}

    def _entered(self) -> None:
        """After every state change: speak the new step's prompt, if it has one."""
        step = self.STEPS.get(self.state)
        if step is not None and step.prompt is not None:
            self.say(step.prompt, listen=True)
