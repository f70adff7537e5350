"""The breathing flow as a spec: events in, effects out, a fake clock, no sleeps."""

from __future__ import annotations

from companion import effects as fx
from companion import events as ev
from companion.breathe.flow import LOOKAHEAD_S, START_GAP_S, BreatheFlow, BreatheOptions
from companion.breathe.patterns import load_breathe_content, load_patterns, parse_custom
from companion.core.flow import Context
from companion.intents import Vocabulary
from tests.core_driver import FakeClock, FakeSafety


class Sim:
    """A stand-in for the shell: timers on the fake clock, speech that ends at once."""

    def __init__(self, flow: BreatheFlow, clock: FakeClock) -> None:
        self.flow = flow
        self.clock = clock
        self.timers: dict[str, float] = {}
        self.log: list[tuple[float, fx.Effect]] = []

    def send(self, event: ev.Event) -> None:
        queue = [event]
        while queue:
            for effect in self.flow.handle(queue.pop(0)):
                self.log.append((self.clock.now_s, effect))
                if isinstance(effect, fx.Say):
                    queue.append(ev.SpeechFinished(effect.prompt_id))
                elif isinstance(effect, fx.StartTimer):
                    self.timers[effect.timer_id] = self.clock.now_s + effect.after_s
                elif isinstance(effect, fx.CancelTimer):
                    self.timers.pop(effect.timer_id, None)

    def run_until(self, t: float) -> None:
        """Advance the clock, firing timers in order, up to ``t`` or the end."""
        while self.timers and not self.flow.ended:
            timer_id, due = min(self.timers.items(), key=lambda kv: kv[1])
            if due > t:
                break
            del self.timers[timer_id]
            self.clock.now_s = max(self.clock.now_s, due)
            self.send(ev.TimerFired(timer_id))
        if not self.flow.ended:
            self.clock.now_s = max(self.clock.now_s, t)

    def typed(self, text: str) -> None:
        self.send(ev.Typed(text))

    def cues(self) -> list[tuple[str, float]]:
        return [(e.name, e.at_s) for _, e in self.log if isinstance(e, fx.PlayCue)]

    def placed(self) -> list[tuple[float, str, float]]:
        """(when placed, name, at_s) for each cue."""
        return [(t, e.name, e.at_s) for t, e in self.log if isinstance(e, fx.PlayCue)]

    def effects(self, kind: type) -> list:
        return [e for _, e in self.log if isinstance(e, kind)]


def make(pattern: str = "box", cues: str = "tones", rounds: int | None = 2,
         minutes: float | None = None, count: bool = False) -> Sim:
    content = load_breathe_content()
    patterns = load_patterns(content)
    chosen = patterns[pattern] if pattern in patterns else parse_custom(pattern)
    clock = FakeClock()
    clock.now_s = 100.0
    options = BreatheOptions(chosen, rounds, minutes, cues, count)
    ctx = Context(dict(content["prompts"]), Vocabulary.load(), FakeSafety(), clock, 140, False,
                  {"options": options, "count_words": content["counting"]["words"],
                   "cue_lengths_s": {"voice.in": 0.8, "tone.in": 0.7}})
    sim = Sim(BreatheFlow(ctx), clock)
    sim.send(ev.Started())
    return sim


def test_intro_then_cues_at_exact_times_placed_ahead() -> None:
    sim = make("box", rounds=2)
    says = sim.effects(fx.Say)
    assert says[0].prompt_id.startswith("intro") and "Box breathing" in says[0].text
    assert "2 breaths" in says[0].text
    sim.run_until(1000)
    t0 = 100.0 + START_GAP_S
    assert sim.cues() == [("tone.in", t0), ("tone.hold", t0 + 4), ("tone.out", t0 + 8),
                          ("tone.hold", t0 + 12), ("tone.in", t0 + 16),
                          ("tone.hold", t0 + 20), ("tone.out", t0 + 24)]
    for placed_at, _, at_s in sim.placed():
        assert 0 < at_s - placed_at <= LOOKAHEAD_S + 1e-9  # always ahead, never late
    saves = sim.effects(fx.SaveSession)
    assert len(saves) == 1 and saves[0].record["completed"] is True
    record = saves[0].record
    assert record["rounds"] == 2 and record["planned_s"] == 28.0 and record["actual_s"] == 28.0
    assert record["stopped_early"] is False and record["pattern"] == "box"
    assert sim.flow.ended and [s.prompt_id.split("#")[0] for s in sim.effects(fx.Say)][-1] == "done"


def test_voice_cues_count_aloud_and_count_breaths() -> None:
    sim = make("relax", cues="both", rounds=1, count=True)
    sim.run_until(1000)
    t0 = 100.0 + START_GAP_S
    assert sim.cues() == [
        ("tone.in", t0), ("voice.in", t0), ("voice.count.2", t0 + 1), ("voice.count.3", t0 + 2),
        ("voice.count.4", t0 + 3), ("tone.out", t0 + 4), ("voice.out", t0 + 4),
        ("voice.count.2", t0 + 5), ("voice.count.3", t0 + 6), ("voice.count.4", t0 + 7),
        ("voice.count.5", t0 + 8), ("voice.count.6", t0 + 9)]
    counting = make("count", cues="voice", rounds=3)
    counting.run_until(1000)
    assert [n for n, _ in counting.cues() if "number" in n] == [
        "voice.number.1", "voice.number.2", "voice.number.3"]


def test_stop_mid_inhale_ends_after_that_exhale() -> None:
    sim = make("box", rounds=10)
    t0 = 100.0 + START_GAP_S
    sim.run_until(t0 + 17.0)  # inside breath 2's inhale
    sim.typed("stop")
    assert not sim.flow.ended and "after this breath out" in sim.effects(fx.Show)[-1].text
    sim.run_until(1000)
    assert sim.flow.ended and sim.clock.now_s == t0 + 28.0  # end of breath 2's exhale
    assert sim.cues()[-1] == ("tone.out", t0 + 24)
    record = sim.effects(fx.SaveSession)[0].record
    assert record["rounds"] == 2 and record["stopped_early"] is True
    assert [s.prompt_id.split("#")[0] for s in sim.effects(fx.Say)][-1] == "stopped"


def test_stop_just_before_an_inhale_takes_the_cue_back() -> None:
    sim = make("box", rounds=10)
    t0 = 100.0 + START_GAP_S
    sim.run_until(t0 + 16.0 - 0.3)  # the next inhale is already placed (look-ahead)
    assert sim.cues()[-1] == ("tone.in", t0 + 16)
    before = len(sim.log)
    sim.typed("stop")
    after = [e for _, e in sim.log[before:]]
    assert fx.StopSpeaking() in after  # the placed inhale cue is silenced
    sim.run_until(1000)
    assert sim.flow.ended and sim.effects(fx.SaveSession)[0].record["rounds"] == 1


def test_second_stop_and_ctrl_c_end_at_once() -> None:
    sim = make("478", rounds=4)
    sim.run_until(102.0)
    sim.typed("stop")
    sim.typed("stop")
    assert sim.flow.ended
    other = make("478", rounds=4)
    other.run_until(102.0)
    other.send(ev.Interrupted())
    assert other.flow.ended and other.effects(fx.SaveSession)[0].record["stopped_early"]


def test_slower_is_confirmed_at_the_next_boundary() -> None:
    sim = make("box", cues="voice", rounds=3)
    t0 = 100.0 + START_GAP_S
    sim.run_until(t0 + 1.0)
    sim.typed("slower")
    assert not [e for e in sim.effects(fx.Say) if "slower" in e.prompt_id]  # nothing said now
    sim.run_until(t0 + 30)
    cues = sim.cues()
    assert ("voice.hold", t0 + 4) in cues
    assert ("voice.slower_confirm", t0 + 4 + 0.6 + 0.15) in cues  # after the boundary's word
    assert ("voice.out", t0 + 8.5) in cues  # the hold was 4.5 s
    sim.typed("faster")
    sim.typed("faster")
    sim.run_until(1000)
    assert ("voice.faster_confirm" in [n for n, _ in sim.cues()])


def test_pause_silences_and_resume_starts_a_fresh_breath() -> None:
    sim = make("box", rounds=2)
    t0 = 100.0 + START_GAP_S
    sim.run_until(t0 + 5.0)
    sim.typed("pause")
    assert fx.StopSpeaking() in sim.effects(fx.StopSpeaking)
    sim.run_until(t0 + 60.0)  # nothing happens while paused
    assert sim.cues()[-1] == ("tone.hold", t0 + 4)
    sim.typed("resume")
    t1 = sim.clock.now_s + START_GAP_S
    sim.run_until(1000)
    assert sim.cues()[2] == ("tone.in", t1)
    record = sim.effects(fx.SaveSession)[0].record
    assert record["rounds"] == 2 and record["stopped_early"] is False


def test_help_repeat_and_crisis_while_breathing() -> None:
    sim = make("box", rounds=3)
    sim.run_until(103.0)
    sim.typed("help")
    assert "pause" in sim.effects(fx.Show)[-1].text
    sim.typed("repeat")
    assert sim.effects(fx.Say)[-1].prompt_id.startswith("intro")
    sim.typed("I want to hurt myself")
    assert sim.flow.paused and sim.effects(fx.Show)[-1].style == "crisis"
    placed = len(sim.cues())
    sim.run_until(200.0)
    assert len(sim.cues()) == placed  # breathing waits while resources are given


def test_minutes_mode_says_minutes_and_ends_on_an_exhale() -> None:
    sim = make("relax", rounds=None, minutes=1.0)
    assert "About 1 minute." in sim.effects(fx.Say)[0].text
    sim.run_until(10_000)
    assert sim.cues()[-1][0] == "tone.out" and sim.effects(fx.SaveSession)[0].record["rounds"] == 6
