"""The teaching flow as a spec: events in, effects out (no audio, no sphinxtrain)."""

from __future__ import annotations

from pathlib import Path

from companion import effects as fx
from companion import events as ev
from companion.core.flow import Context
from companion.voice.flow import (
    MIN_TAKES,
    KeepTake,
    LearnVoice,
    TeachFlow,
    VoiceLearned,
    VoiceNotLearned,
    load_teach_content,
    teach_vocabulary,
)
from tests.core_driver import Driver, FakeAnswer, FakeClock, FakeSafety, said


class Unsafe(FakeSafety):
    """Also answers "i am not safe", as the real check does."""

    def check(self, text: str) -> FakeAnswer | None:
        if "not safe" in text:
            return FakeAnswer("US: 988", "Call 988.", False)
        return super().check(text)


def teaching(takes_per_phrase: int = 2, disclosure: str | None = None) -> Driver:
    vocabulary = teach_vocabulary()
    prompts, extra = load_teach_content(vocabulary, disclosure, user_dir=Path("/nonexistent"))
    extra = {**extra, "takes_per_phrase": takes_per_phrase}
    return Driver(TeachFlow(Context(prompts, vocabulary, Unsafe(), FakeClock(), 140, False,
                                    extra)))


def kept(effects: list[fx.Effect]) -> list[str]:
    return [e.phrase for e in effects if isinstance(e, KeepTake)]


def shown(effects: list[fx.Effect]) -> list[str]:
    return [e.text for e in effects if isinstance(e, fx.Show)]


def test_each_phrase_is_said_then_listened_for_with_a_progress_line() -> None:
    driver = teaching()
    out = driver.send(ev.Started())
    flow = driver.flow
    assert isinstance(flow, TeachFlow)
    assert said(out)[:2] == ["intro", "say_this"]
    assert shown(out)[-1] == f"[1/{len(flow.phrases)}] take 1 of 2: {flow.phrases[0]}"
    listen = [e for e in out if isinstance(e, fx.Listen)][-1]
    assert listen.dictation and "skip" in listen.intents and "stop" in listen.intents
    assert set(listen.hints) == {flow.phrases[0], "skip", "next", "stop"}


def test_what_is_said_back_is_kept_twice_then_the_next_phrase_comes() -> None:
    driver = teaching()
    driver.send(ev.Started())
    flow = driver.flow
    assert isinstance(flow, TeachFlow)
    first, second = flow.phrases[:2]
    out = driver.hear("something like it")  # free recognition rarely gets it word for word
    assert kept(out) == [first] and said(out) == ["again"]
    out = driver.hear(first)
    assert kept(out) == [first] and said(out) == ["say_this"]
    assert shown(out)[-1].endswith(f"take 1 of 2: {second}")


def test_a_command_phrase_said_back_is_a_take_not_the_command() -> None:
    driver = teaching(takes_per_phrase=1)
    driver.send(ev.Started())
    flow = driver.flow
    assert isinstance(flow, TeachFlow)
    while flow.phrases[flow.index] != "stop":
        driver.hear("a take")
    out = driver.hear("stop")
    assert kept(out) == ["stop"] and not flow.ended


def test_while_paused_nothing_is_kept() -> None:
    driver = teaching()
    driver.send(ev.Started())
    flow = driver.flow
    assert isinstance(flow, TeachFlow)
    driver.hear("pause")
    out = driver.hear(flow.phrases[0])
    assert not kept(out) and said(out) == ["paused"]
    out = driver.hear("resume")
    assert said(out) == ["resumed", "say_this"]


def test_skip_moves_on_and_stop_with_too_few_takes_learns_nothing() -> None:
    driver = teaching()
    driver.send(ev.Started())
    flow = driver.flow
    assert isinstance(flow, TeachFlow)
    out = driver.hear("skip")
    assert said(out)[:2] == ["skipped", "say_this"] and not kept(out) and flow.index == 1
    driver.hear("a take")
    out = driver.hear("i'm done")  # "stop"
    assert "too_few" in said(out) and flow.ended
    assert not [e for e in driver.log if isinstance(e, LearnVoice)]


def test_stop_after_enough_takes_learns_from_them_and_says_when_ready() -> None:
    driver = teaching(takes_per_phrase=1)
    driver.send(ev.Started())
    flow = driver.flow
    assert isinstance(flow, TeachFlow)
    for _ in range(MIN_TAKES):
        driver.hear("a take")
    out = driver.hear("i'm done")
    assert said(out)[:2] == ["stopping", "learning"] and LearnVoice() in out
    assert not flow.ended
    out = driver.send(VoiceLearned(MIN_TAKES, 2.1))
    assert said(out) == ["ready"] and flow.ended and flow.learned


def test_after_the_last_phrase_the_voice_is_learned_or_the_reason_shown() -> None:
    driver = teaching(takes_per_phrase=1)
    driver.send(ev.Started())
    flow = driver.flow
    assert isinstance(flow, TeachFlow)
    out: list[fx.Effect] = []
    for _ in flow.phrases:
        out = driver.hear("a take")
    assert LearnVoice() in out
    out = driver.send(VoiceNotLearned("bw failed"))
    assert "bw failed" in shown(out) and said(out) == ["not_learned"] and flow.ended


def test_crisis_words_are_answered_and_never_asked_for() -> None:
    driver = teaching(disclosure="I want to run. Can you help me stay?")
    driver.send(ev.Started())
    flow = driver.flow
    assert isinstance(flow, TeachFlow)
    assert not [p for p in flow.phrases if "not safe" in p]
    assert flow.phrases[-1] == "i want to run can you help me stay"
    out = driver.send(ev.Typed("i want to hurt myself"))
    assert "US: 988" in shown(out) and not kept(out)
