"""The grounding flow as a spec: events in, effects out, fake clock, no sleeps."""

from __future__ import annotations

import pytest

from companion import effects as fx
from companion import events as ev
from companion.ground.flow import STEPS
from companion.journal.effects import EntrySaved, EntrySaveFailed, SaveEntry
from tests.core_driver import Driver, ground, said

SUMMARY_STAY = "You paused, noticed your body, questioned the thought, and chose to stay."


def walk_to(state: str) -> Driver:
    """Drive a fresh session by voice to ``state``."""
    d = ground()
    d.send(ev.Started())
    route = {
        "arrive": [],
        "pause_choice": ["next"],
        "counting": ["next", "no"],
        "breathing": ["next", "yes"],
        "body": ["next", "next"],
        "thought": ["next", "next", "next"],
        "evidence_for": ["next", "next", "next", "next"],
        "evidence_against": ["next", "next", "next", "next", "next"],
        "balanced": ["next", "next", "next", "next", "next", "next"],
        "choose": ["next", "next", "next", "next", "next", "next", "next"],
        "stay": ["next", "next", "next", "next", "next", "next", "next", "stay"],
        "take_break": ["next", "next", "next", "next", "next", "next", "next", "take a break"],
        "say_along": ["next", "next", "next", "next", "next", "next", "next", "stay", "yes"],
        "calm_offer": ["next", "next", "i'm okay"],
        "keep_offer": ["next", "next", "my chest is tight", "they are leaving me",
                       "next", "next", "next"],
        "keeping": ["next", "next", "my chest is tight", "they are leaving me",
                    "next", "next", "next", "yes"],
    }[state]
    for text in route:
        d.hear(text)
    assert d.flow.state == state
    return d


def test_first_run_opening_exact_effects() -> None:
    d = ground(first_run=True)
    out = d.send(ev.Started(), finish_speech=False)
    assert [type(e) for e in out] == [fx.Say, fx.Say, fx.Say]
    assert said(out) == ["disclaimer", "arrive", "arrive_next"]
    assert "not a therapist" in out[0].text  # type: ignore[union-attr]
    # Nothing is listened for until the last opening prompt has been spoken.
    assert d.flow.handle(ev.SpeechFinished(out[0].prompt_id)) == []  # type: ignore[union-attr]
    after = d.flow.handle(ev.SpeechFinished(out[2].prompt_id))  # type: ignore[union-attr]
    assert after == [
        fx.Listen(intents=("repeat", "help", "stop", "slower", "faster", "pause", "resume",
                           "next", "urge", "break", "calm"), dictation=False),
        fx.StartTimer("silence", 25.0),
    ]


def test_disclaimer_only_on_first_run() -> None:
    d = ground(first_run=False)
    assert said(d.send(ev.Started(), finish_speech=False)) == ["arrive", "arrive_next"]


def test_happy_path_breathing_stay_and_close() -> None:
    d = walk_to("pause_choice")
    out = d.hear("yes")
    assert d.flow.state == "breathing" and said(out) == ["breathe_in"]
    assert fx.StartTimer("breath", 4.0) in out
    out = d.fire_timers()
    assert said(out).count("breathe_out") == 3 and "breathe_done" in said(out)
    assert d.flow.state == "body"
    d.hear("my chest is tight")
    assert d.flow.state == "thought"
    for answer in ["they are leaving me", "they did not text back",
                   "they said they were busy", "they are busy not leaving"]:
        out = d.hear(answer)
        assert "readback" in said(out)
    assert any(isinstance(e, fx.Say) and "they are leaving me" in e.text for e in d.log)
    assert d.flow.state == "keep_offer"
    out = d.hear("no")
    assert said(out) == ["keep_declined", "choose"]
    assert not [e for e in d.log if isinstance(e, SaveEntry)]
    d.hear("stay")
    phrase = [e for e in d.log if isinstance(e, fx.Say) and e.prompt_id.startswith("phrase")]
    assert phrase and phrase[-1].text.endswith("Can you help me stay?")
    out = d.hear("no")
    assert said(out)[-3:] == ["close_compassion", "close_summary", "goodbye"]
    saved = [e for e in out if isinstance(e, fx.SaveSession)]
    assert saved[0].kind == "ground"
    assert saved[0].record["completed"] is True and saved[0].record["choice"] == "stay"
    assert "they are leaving me" not in str(saved[0].record)  # answers are never stored
    assert out[-1] == fx.End(SUMMARY_STAY)


def test_counting_to_ten_at_a_steady_pace() -> None:
    d = walk_to("counting")
    d.fire_timers()
    counts = [e.text for e in d.log if isinstance(e, fx.Say) and e.prompt_id.startswith("count#")]
    assert counts == ["One.", "Two.", "Three.", "Four.", "Five.", "Six.", "Seven.", "Eight.",
                      "Nine.", "Ten."]
    assert [e.after_s for e in d.log if isinstance(e, fx.StartTimer) and e.timer_id == "count"] \
        == [1.8] * 10
    assert d.flow.state == "body"


def test_say_along_parts_then_close() -> None:
    d = walk_to("say_along")
    d.fire_timers()
    parts = [e.text for e in d.log if isinstance(e, fx.Say) and e.prompt_id.startswith("part#")]
    assert parts[-1] == "Can you help me stay?" and len(parts) == 5
    assert d.flow.ended


def test_break_phrase_from_the_middle() -> None:
    d = walk_to("body")
    d.hear("i need a break")
    assert d.flow.state == "take_break"
    phrase = [e for e in d.log if isinstance(e, fx.Say) and e.prompt_id.startswith("phrase")]
    assert "come back" in phrase[-1].text
    out = d.hear("no")
    assert out[-1] == fx.End("You chose to take a break.")


def test_unsafe_gives_permission_and_resources_never_pressure() -> None:
    d = walk_to("choose")
    out = d.hear("it's not safe")
    keys = said(out)
    assert keys[:3] == ["unsafe", "unsafe_resources", "resources"]
    assert fx.Show("US: 988", style="crisis") in out
    assert not any(isinstance(e, fx.Say) and e.prompt_id.startswith("phrase") for e in out)
    assert d.flow.ended and d.flow.choice == "unsafe"  # type: ignore[attr-defined]


@pytest.mark.parametrize("state", sorted(s for s in STEPS if s not in ("close", "unsafe")))
def test_stop_ends_within_one_response_everywhere(state: str) -> None:
    d = walk_to(state)
    out = d.hear("stop")
    assert isinstance(out[-1], fx.End)
    assert any(isinstance(e, fx.SaveSession) and e.record["completed"] is False for e in out)
    assert d.flow.handle(ev.Heard("next", "next")) == []


_WALKABLE = {"arrive", "pause_choice", "counting", "breathing", "body", "thought",
             "evidence_for", "evidence_against", "balanced", "keep_offer", "choose", "stay",
             "take_break", "say_along", "calm_offer"}


def test_answers_are_kept_only_on_yes_and_only_once_saved() -> None:
    d = walk_to("keep_offer")
    out = d.hear("yes")
    [request] = [e for e in out if isinstance(e, SaveEntry)]
    assert request.entry.body == "my chest is tight"
    assert request.entry.thought == "they are leaving me" and request.entry.balanced == ""
    assert said(out) == [] and d.flow.state == "keeping"  # nothing said before the commit
    assert d.flow.handle(EntrySaved("someone-else", 9)) == []  # not our request
    out = d.send(EntrySaved(request.request_id, 7))  # type: ignore[arg-type]
    assert said(out) == ["keep_saved", "choose"] and d.flow.state == "choose"
    out = d.hear("it's not safe")
    out += d.hear("next")
    summary = next(e for e in out if isinstance(e, fx.Say) and "close_summary" in e.prompt_id)
    assert "kept your answers in your journal" in summary.text


def test_a_failed_save_shows_the_answers_and_carries_on() -> None:
    d = walk_to("keep_offer")
    [request] = [e for e in d.hear("yes") if isinstance(e, SaveEntry)]
    out = d.send(EntrySaveFailed(request.request_id, "disk full"))  # type: ignore[arg-type]
    [shown] = [e for e in out if isinstance(e, fx.Show)]
    assert "they are leaving me" in shown.text and shown.style == "warning"
    assert said(out) == ["keep_failed", "choose"]


@pytest.mark.parametrize("state", sorted(_WALKABLE))
def test_crisis_language_first_at_every_step(state: str) -> None:
    d = walk_to(state)
    out = d.send(ev.Heard("i want to hurt myself", None), finish_speech=False)
    assert out[0] == fx.StopSpeaking()
    assert out[1] == fx.Show("US: 988", style="crisis")
    assert isinstance(out[2], fx.Say) and out[2].text == "Call 988."
    assert out[2].interruptible is False
    assert d.flow.state == state and not d.flow.ended


@pytest.mark.parametrize("state", sorted(_WALKABLE))
def test_crisis_words_overheard_where_only_commands_are_listened_for(state: str) -> None:
    d = walk_to(state)
    out = d.send(ev.Overheard("i want to hurt myself"), finish_speech=False)
    assert out[:2] == [fx.StopSpeaking(), fx.Show("US: 988", style="crisis")]
    assert d.flow.state == state
    assert d.send(ev.Overheard("the weather is nice today")) == []  # anything else: ignored


@pytest.mark.parametrize("state", sorted(_WALKABLE))
def test_crisis_words_win_over_the_command_they_were_forced_into(state: str) -> None:
    """The grammar can fit "I want to hurt myself" as "I want to leave"; free recognition
    of the same speech decides."""
    d = walk_to(state)
    heard = ev.Heard("i want to leave", "urge", overheard="i want to hurt myself")
    out = d.send(heard, finish_speech=False)
    assert out[:2] == [fx.StopSpeaking(), fx.Show("US: 988", style="crisis")]
    assert d.flow.state == state  # the urge command was not carried out
    d.send(ev.Heard("i want to leave", "urge", overheard="i want to leave"))
    assert d.flow.state == "pause_choice" or state == "calm_offer"


@pytest.mark.parametrize("state", sorted(_WALKABLE - {"calm_offer"}))
def test_urge_goes_back_to_the_pause(state: str) -> None:
    d = walk_to(state)
    out = d.hear("i want to run")
    assert d.flow.state == "pause_choice"
    assert "urge_again" in said(out) and "pause_choice" in said(out)


@pytest.mark.parametrize("state", sorted(_WALKABLE))
def test_help_and_repeat_everywhere(state: str) -> None:
    d = walk_to(state)
    last = [e for e in d.log if isinstance(e, fx.Say)][-1]
    out = d.hear("help")
    shown = [e.text for e in out if isinstance(e, fx.Show)]
    assert shown and '"stop"' in shown[0] and '"repeat"' in shown[0]
    for intent in STEPS[state].intents:
        phrase = d.flow.ctx.vocabulary.intents[intent].phrases[0]
        assert f'"{phrase}"' in shown[0]
    d2 = walk_to(state)
    listened = [e for e in d2.log if isinstance(e, fx.Say)]
    out = d2.hear("say that again")
    again = [e for e in out if isinstance(e, fx.Say)]
    assert again and again[0].text in {s.text for s in listened}
    del last


def test_calm_offer_yes_closes_and_no_returns() -> None:
    d = walk_to("calm_offer")
    d.hear("no")
    assert d.flow.state == "body"
    d = walk_to("calm_offer")
    out = d.hear("yes")
    assert d.flow.ended and "close_compassion" in said(out)


def test_silence_gets_one_gentle_reprompt_then_waits() -> None:
    d = walk_to("body")
    out = d.send(ev.TimerFired("silence"))
    assert said(out) == ["reprompt"]
    assert not any(isinstance(e, fx.StartTimer) and e.timer_id == "silence" for e in out)
    assert d.send(ev.TimerFired("silence")) == []


def test_pause_and_resume_hold_the_count() -> None:
    d = walk_to("counting")
    d.send(ev.TimerFired("count"))
    d.send(ev.TimerFired("count"))
    out = d.hear("pause")
    assert fx.CancelTimer("count") in out and said(out) == ["paused"]
    assert d.send(ev.TimerFired("count")) == []
    out = d.hear("next")  # only resume works while paused
    assert said(out) == ["paused"] and d.flow.state == "counting"
    out = d.hear("keep going")
    counts = [e.text for e in out if isinstance(e, fx.Say) and e.prompt_id.startswith("count#")]
    assert counts == ["Four."]


def test_resume_says_the_step_again_not_the_pause() -> None:
    d = walk_to("body")
    d.hear("pause")
    d.hear("what")  # while paused: the pause is said again
    out = d.hear("resume")
    assert said(out) == ["resumed", "body"]


def test_slower_and_faster_change_rate_and_repeat() -> None:
    d = walk_to("body")
    out = d.hear("slow down")
    assert fx.SetRate(130) in out and said(out)[:2] == ["slower", "body"]
    out = d.hear("faster")
    assert fx.SetRate(150) in out


def test_typed_keys_and_words_drive_the_same_flow() -> None:
    d = ground()
    d.send(ev.Started())
    d.send(ev.Typed("n"))
    assert d.flow.state == "pause_choice"
    d.send(ev.Typed("no"))
    assert d.flow.state == "counting"
    out = d.send(ev.Typed("q"))
    assert isinstance(out[-1], fx.End)


def test_interrupt_keeps_what_was_done() -> None:
    d = walk_to("body")
    out = d.send(ev.Interrupted())
    saved = [e for e in out if isinstance(e, fx.SaveSession)][0]
    assert saved.record["completed"] is False and "paused" not in saved.record["steps"]
    assert isinstance(out[-1], fx.End)


def test_device_lost_is_reported_and_session_carries_on() -> None:
    d = walk_to("body")
    out = d.send(ev.DeviceLost("input", "no audio for 2 s"))
    assert isinstance(out[0], fx.Show) and "typing" in out[0].text
    d.send(ev.Typed("my stomach"))
    assert d.flow.state == "thought"


def test_real_safety_module_in_the_flow() -> None:
    """The real matcher and US helplines: crisis words bring 988 first, then carry on."""
    from companion.core.flow import Context
    from companion.ground.content import load_ground_content
    from companion.ground.flow import GroundFlow
    from companion.intents import Vocabulary
    from companion.safety import Safety
    from tests.core_driver import FakeClock

    prompts, extra = load_ground_content()
    ctx = Context(prompts, Vocabulary.load(), Safety.load("US"), FakeClock(), 150, False, extra)
    d = Driver(GroundFlow(ctx))
    d.send(ev.Started())
    d.hear("next")
    out = d.send(ev.Heard("i dont want to be alive anymore", None), finish_speech=False)
    assert out[0] == fx.StopSpeaking()
    assert isinstance(out[1], fx.Show) and "988" in out[1].text and "911" in out[1].text
    assert isinstance(out[2], fx.Say) and "nine eight eight" in out[2].text
    # The unsafe choice gives the numbers once, in its own step, without the crisis preamble.
    d = Driver(GroundFlow(Context(prompts, Vocabulary.load(), Safety.load("UK"), FakeClock(),
                                  150, False, extra)))
    d.send(ev.Started())
    out = d.hear("it's not safe")
    assert said(out)[:3] == ["unsafe", "unsafe_resources", "resources"]
    assert "crisis" not in said(out)
