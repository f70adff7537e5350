"""A test driver for the pure core: feed events, collect effects, fake clock."""

from __future__ import annotations

from dataclasses import dataclass

from companion import effects as fx
from companion import events as ev
from companion.core.flow import Context, Flow
from companion.ground.content import load_ground_content
from companion.ground.flow import GroundFlow
from companion.intents import Vocabulary
from companion.rehearse.phrases import built_in


class FakeClock:
    """Seconds that only move when a test moves them."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


@dataclass(frozen=True)
class FakeAnswer:
    screen: str
    spoken: str
    quiet_end: bool


class FakeSafety:
    """Flags fixed phrases; the real detector has its own tests.

    "hurt myself" gets the spoken numbers; "he hits me" the discreet answer
    (a short line, a quiet end); with ``discreet`` nothing is spoken.
    """

    def __init__(self, discreet: bool = False) -> None:
        self.discreet = discreet

    def check(self, text: str) -> FakeAnswer | None:
        if "hurt myself" in text.lower():
            return FakeAnswer("US: 988", "" if self.discreet else "Call 988.", False)
        if "he hits me" in text.lower():
            return FakeAnswer("US: 911, 800", "" if self.discreet else "Numbers on screen.", True)
        return None

    def unsafe_choice(self) -> FakeAnswer:
        return FakeAnswer("US: 988", "" if self.discreet else "988.", True)

    def ended_quietly(self) -> str:
        return "Ended quietly."


class Driver:
    """Runs a flow like the shell would, minus audio: every Say finishes at once."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.log: list[fx.Effect] = []

    def send(self, event: ev.Event, finish_speech: bool = True) -> list[fx.Effect]:
        """Feed one event; when ``finish_speech``, also report each Say as finished."""
        out = self.flow.handle(event)
        self.log.extend(out)
        collected = list(out)
        if finish_speech:
            pending = [e.prompt_id for e in out if isinstance(e, fx.Say)]
            while pending:
                more = self.flow.handle(ev.SpeechFinished(pending.pop(0)))
                self.log.extend(more)
                collected.extend(more)
                pending.extend(e.prompt_id for e in more if isinstance(e, fx.Say))
        return collected

    def hear(self, text: str) -> list[fx.Effect]:
        intent = self.flow.ctx.vocabulary.match_spoken(text)
        return self.send(ev.Heard(text, intent))

    def fire_timers(self, limit: int = 200) -> list[fx.Effect]:
        """Fire pending flow timers (not the silence timer) until none are left."""
        collected: list[fx.Effect] = []
        for _ in range(limit):
            starts = [e for e in self.log if isinstance(e, (fx.StartTimer, fx.CancelTimer))]
            pending: dict[str, bool] = {}
            for e in starts:
                pending[e.timer_id] = isinstance(e, fx.StartTimer)
            due = [t for t, on in pending.items() if on and t != "silence"]
            if not due:
                return collected
            self.log.append(fx.CancelTimer(due[0]))
            collected.extend(self.send(ev.TimerFired(due[0])))
        raise AssertionError("timers never settled")


def said(effects: list[fx.Effect]) -> list[str]:
    """Prompt keys of the Say effects, in order."""
    return [e.prompt_id.split("#")[0] for e in effects if isinstance(e, fx.Say)]


def ground(first_run: bool = False) -> Driver:
    """The grounding flow on the packaged content (the built-in phrases: no store)."""
    prompts, extra = load_ground_content(
        phrases={name: list(phrase.parts) for name, phrase in built_in().items()})
    ctx = Context(prompts, Vocabulary.load(), FakeSafety(), FakeClock(), 150, first_run, extra)
    return Driver(GroundFlow(ctx))
