"""The rehearsal core as a spec: events in, effects out, no audio, no sleeps."""

from __future__ import annotations

from companion import effects as fx
from companion import events as ev
from companion.core.flow import Context
from companion.rehearse.flow import RehearseFlow, load_rehearse_content, rehearse_vocabulary
from companion.rehearse.phrases import built_in
from companion.rehearse.progress import SaveAttempt
from tests.core_driver import Driver, FakeClock, FakeSafety, said

PHRASE = built_in()["disclosure"]


def rehearse(mode: str | None = None, earlier: dict[int, int] | None = None,
             exact: bool = False) -> Driver:
    prompts, extra = load_rehearse_content()
    extra = {**extra, "phrase": PHRASE, "mode": mode, "sessions_per_part": earlier or {},
             "exact": exact}
    vocabulary = rehearse_vocabulary(extra["commands"])
    ctx = Context(prompts, vocabulary, FakeSafety(), FakeClock(), 150, False, extra)
    return Driver(RehearseFlow(ctx))


def listens(effects: list[fx.Effect]) -> list[fx.Listen]:
    return [e for e in effects if isinstance(e, fx.Listen)]


def saved(effects: list[fx.Effect]) -> list[SaveAttempt]:
    return [e for e in effects if isinstance(e, SaveAttempt)]  # type: ignore[misc]


def test_the_menu_offers_three_ways_to_practise() -> None:
    driver = rehearse()
    out = driver.send(ev.Started())
    assert said(out) == ["intro"]
    assert set(listens(out)[-1].intents) >= {"listen", "along", "all", "stop", "help"}
    assert listens(out)[-1].parts == ()


def test_listen_says_the_phrase_slowly_then_returns_to_the_menu() -> None:
    driver = rehearse()
    driver.send(ev.Started())
    out = driver.hear("listen")
    assert said(out) == ["listen_intro", "listen_phrase", "menu"]
    rates = [e.words_per_minute for e in out if isinstance(e, fx.SetRate)]
    assert rates == [110, 150]  # slow for the phrase, then back
    phrase_say = next(e for e in out if isinstance(e, fx.Say) and "listen_phrase" in e.prompt_id)
    assert phrase_say.text == PHRASE.text


def test_repeat_after_me_builds_up_and_listens_for_each_bit() -> None:
    driver = rehearse(mode="along")
    out = driver.send(ev.Started())
    assert said(out) == ["along_intro", "target"]
    assert listens(out)[-1].parts == (PHRASE.parts[0],)
    out = driver.hear(PHRASE.parts[0])
    assert said(out) == ["all_came_through", "target"]
    assert listens(out)[-1].parts == (PHRASE.parts[1],)
    out = driver.hear(PHRASE.parts[1])
    assert listens(out)[-1].parts == PHRASE.parts[:2]  # then the two joined
    [attempt] = saved(out)
    assert attempt.mode == "along" and attempt.parts_said == (1,)


def test_a_missed_bit_is_named_and_tried_again_then_left() -> None:
    driver = rehearse(mode="along")
    driver.send(ev.Started())
    driver.hear(PHRASE.parts[0])
    driver.hear(PHRASE.parts[1])
    out = driver.hear(PHRASE.parts[1])  # parts 1-2 asked, only part 2 said
    assert said(out) == ["missed_part", "try_again", "target"]
    missed = next(e for e in out if isinstance(e, fx.Say) and "missed_part" in e.prompt_id)
    assert "name the urge to leave" in missed.text
    out = driver.hear(PHRASE.parts[1])  # second try: named again, then on to the next bit
    assert said(out) == ["missed_part", "target"]
    assert listens(out)[-1].parts == (PHRASE.parts[2],)


def test_say_it_all_names_the_missing_part_and_offers_to_practise_it() -> None:
    driver = rehearse(mode="all")
    out = driver.send(ev.Started())
    assert said(out) == ["all_intro"] and listens(out)[-1].parts == PHRASE.parts
    attempt = " ".join(p for i, p in enumerate(PHRASE.parts) if i != 4)
    out = driver.hear(attempt)
    assert said(out) == ["most_came_through", "missed_part", "offer_part"]
    assert "ask for help to stay" in next(
        e.text for e in out if isinstance(e, fx.Say) and "missed_part" in e.prompt_id)
    [record] = saved(out)
    assert record.mode == "all" and record.parts_said == (0, 1, 2, 3)
    assert record.completeness == 0.8  # four ideas of five
    out = driver.hear("yes")
    assert said(out) == ["part_intro", "target"]
    assert listens(out)[-1].parts == (PHRASE.parts[4],)
    out = driver.hear(PHRASE.parts[4])
    assert said(out) == ["all_came_through", "part_done", "all_intro"]
    out = driver.hear(PHRASE.text)
    assert said(out) == ["all_came_through", "again"]


def test_declining_the_offer_goes_back_to_the_whole_phrase() -> None:
    driver = rehearse(mode="all")
    driver.send(ev.Started())
    driver.hear(PHRASE.parts[0])
    assert said(driver.send(ev.Typed("maybe later"))) == ["offer_part"]  # asked again
    assert said(driver.hear("no")) == ["all_intro"]


def test_a_hint_gives_the_first_words() -> None:
    driver = rehearse(mode="all")
    driver.send(ev.Started())
    out = driver.hear("hint")
    assert said(out) == ["hint", "all_intro"]
    assert "I'm feeling the urge to" in out[1].text  # type: ignore[union-attr]
    assert saved(out) == []


def test_the_recognizers_parts_and_word_times_reach_the_score() -> None:
    """Memorising the wording: the grammar's parts count; by meaning, only what was heard."""
    times = tuple((i * 0.3, i * 0.3 + 0.25) for i in range(60))
    heard = ev.Heard("i am feeling the urge to shut this down and walk away", None,
                     parts_said=(0, 1, 2, 3, 4), word_times=times)
    driver = rehearse(mode="all", exact=True)
    driver.send(ev.Started())
    assert listens(driver.log)[-1].exact
    [record] = saved(driver.send(heard))
    # The grammar found every part; free recognition agreed on the first: all trusted.
    assert record.completeness == 1.0 and record.wpm is not None
    driver = rehearse(mode="all")
    driver.send(ev.Started())
    [record] = saved(driver.send(heard))
    assert record.completeness == 0.2 and record.parts_said == (0,)


def test_own_words_are_praised_and_word_for_word_can_be_asked_for() -> None:
    driver = rehearse(mode="all")
    driver.send(ev.Started())
    own = ("I want to run right now, but I'm trying to learn to stay in hard talks. "
           "I'm still bad at it, so I might look awkward. I really think talking can help "
           "us and I want us to sort it out. Will you help me stay?")
    out = driver.hear(own)
    assert said(out) == ["all_came_through", "own_words", "again"]
    out = driver.hear("word for word")
    assert said(out)[0] == "exact_on"
    assert listens(out)[-1].exact
    out = driver.hear(own)
    assert "own_words" not in said(out) and "missed_part" in said(out)


def test_the_last_part_s_ideas_let_an_attempt_end_sooner() -> None:
    driver = rehearse(mode="all")
    out = driver.send(ev.Started())
    ending = listens(out)[-1].ending
    assert ending and all(ending)
    assert any("help" in idea for idea in ending) and any("stay" in idea for idea in ending)


def test_a_part_said_in_enough_sessions_is_celebrated_once() -> None:
    driver = rehearse(mode="all", earlier={4: 2})
    driver.send(ev.Started())
    out = driver.hear(PHRASE.text)
    assert "learned" in said(out)
    assert "learned" not in said(driver.hear(PHRASE.text))


def test_nothing_heard_is_not_scored_as_a_failure_out_loud() -> None:
    driver = rehearse(mode="all")
    driver.send(ev.Started())
    for other in ("mmm", "the train was late again"):
        out = driver.send(ev.Typed(other))
        assert said(out) == ["nothing_heard", "all_intro"] and saved(out) == []


def test_crisis_language_comes_first_even_mid_attempt() -> None:
    driver = rehearse(mode="all")
    driver.send(ev.Started())
    out = driver.send(ev.Typed("i want to hurt myself"))
    assert said(out) == ["crisis"] and saved(out) == []


def test_stop_ends_and_records_attempt_count_not_words() -> None:
    driver = rehearse(mode="all")
    driver.send(ev.Started())
    driver.hear(PHRASE.text)
    out = driver.hear("stop")
    [session] = [e for e in out if isinstance(e, fx.SaveSession)]
    assert session.record["attempts"] == 1 and session.record["best"] == 1.0
    assert PHRASE.parts[0] not in str(session.record)
    assert isinstance(out[-1], fx.End)
