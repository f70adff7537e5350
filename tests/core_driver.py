"""A test driver for the pure core: feed events, collect effects, fake clock."""

from __future__ import annotations

from companion import effects as fx
from companion import events as ev
from companion.core.flow import Context, Flow
from companion.core.ground import GroundFlow, load_ground_content
from companion.intents import Vocabulary


class FakeClock:
    """Seconds that only move when a test moves them."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


class FakeSafety:
    """Flags a fixed phrase; the real matcher has its own tests."""

    def is_crisis(self, text: str) -> bool:
        return "hurt myself" in text.lower()

    def spoken(self) -> str:
        return "Call 988."

    def screen(self) -> str:
        return "US: 988"

    def resources_spoken(self) -> str:
        return "988."


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
    prompts, extra = load_ground_content()
    ctx = Context(prompts, Vocabulary.load(), FakeSafety(), FakeClock(), 150, first_run, extra)
    return Driver(GroundFlow(ctx))
