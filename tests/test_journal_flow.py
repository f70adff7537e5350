"""The spoken thought record as a spec: events in, effects out, no sleeps."""

from __future__ import annotations

from companion import effects as fx
from companion import events as ev
from companion.core.flow import Context
from companion.journal.effects import EntrySaved, EntrySaveFailed, SaveEntry
from companion.journal.flow import JournalFlow, journal_vocabulary, load_journal_content
from companion.journal.model import Emotion
from tests.core_driver import Driver, FakeClock, FakeSafety, said

ANSWERS = {
    "situation": "they didn't answer my message all evening",
    "emotions": "anxious seven and sad, four",
    "body": "racing heart and a tight chest",
    "urge": "about an eight",
    "did": "I stayed",
    "thought": "they are pulling away from me",
    "evidence_for": "they were quiet at dinner",
    "evidence_against": "they said they had a long day",
    "balanced": "they might just be tired",
    "notes": "talk tomorrow morning",
}


def journal() -> Driver:
    prompts, extra = load_journal_content()
    vocabulary = journal_vocabulary(extra["commands"])
    ctx = Context(prompts, vocabulary, FakeSafety(), FakeClock(), 150, False, extra)
    d = Driver(JournalFlow(ctx))
    d.send(ev.Started())
    return d


def saves(effects: list[fx.Effect]) -> list[SaveEntry]:
    return [e for e in effects if isinstance(e, SaveEntry)]


def answer_all(d: Driver, skip: tuple[str, ...] = ()) -> None:
    for name, text in ANSWERS.items():
        assert d.flow.state == name
        d.hear("skip" if name in skip else text)


def test_opening_asks_the_first_part_and_listens_for_dictation() -> None:
    d = journal()
    assert said(d.log) == ["intro", "situation"]
    listen = [e for e in d.log if isinstance(e, fx.Listen)]
    assert listen[-1].dictation is True and "skip" in listen[-1].intents
    assert "change" in listen[-1].intents
    assert fx.StartTimer("silence", 40.0) in d.log


def test_each_part_is_asked_and_read_back_in_order() -> None:
    d = journal()
    out = d.hear(ANSWERS["situation"])
    assert said(out) == ["readback", "emotions"]
    assert out[0] == fx.CancelTimer("silence")
    readback = [e for e in out if isinstance(e, fx.Say)][0]
    assert readback.text == "I heard: they didn't answer my message all evening."
    for name in list(ANSWERS)[1:]:
        d.hear(ANSWERS[name])
    assert d.flow.state == "confirm"
    draft = d.flow.draft  # type: ignore[attr-defined]
    assert draft.emotions == [Emotion("anxious", 7), Emotion("sad", 4)]
    assert draft.urge == 8 and draft.did == "stayed"
    assert draft.balanced == "they might just be tired"
    spoken = [e.text for e in d.log if isinstance(e, fx.Say)]
    assert "I heard: anxious 7, sad 4." in spoken and "I heard: 8." in spoken


def test_feelings_and_urge_are_listened_for_with_hints() -> None:
    d = journal()
    assert [e for e in d.log if isinstance(e, fx.Listen)][-1].hints == ()  # situation: own words
    out = d.hear(ANSWERS["situation"])
    hints = [e for e in out if isinstance(e, fx.Listen)][-1].hints
    assert {"anxious", "sad", "seven", "and"} <= set(hints)
    out = d.hear(ANSWERS["emotions"])
    out = d.hear(ANSWERS["body"])
    assert {"zero", "ten"} <= set([e for e in out if isinstance(e, fx.Listen)][-1].hints)


def test_saved_is_said_only_after_the_commit_is_reported() -> None:
    d = journal()
    answer_all(d)
    out = d.hear("yes")
    [save] = saves(out)
    assert save.entry.situation == ANSWERS["situation"] and save.entry.urge == 8
    assert "saved" not in said(out) and not d.flow.ended
    assert d.flow.state == "saving"
    # A stale acknowledgement (another request) changes nothing.
    assert d.send(EntrySaved("entry-99", 5)) == []  # type: ignore[arg-type]
    out = d.send(EntrySaved(save.request_id, 42))  # type: ignore[arg-type]
    assert said(out) == ["saved", "goodbye"]
    assert d.flow.ended
    session = [e for e in out if isinstance(e, fx.SaveSession)][0]
    assert session.kind == "journal" and session.record["entry_id"] == 42
    assert session.record["completed"] is True
    assert "racing heart" not in str(session.record)  # words live in the entry only
    assert out[-1] == fx.End("Saved to your journal.")


def test_change_that_reasks_the_part_just_read_back() -> None:
    d = journal()
    d.hear("a cancelled plan")
    assert d.flow.state == "emotions"
    out = d.hear("change that")
    assert said(out) == ["redo", "situation"] and d.flow.state == "situation"
    d.hear("they cancelled dinner last minute")
    assert d.flow.state == "emotions"
    assert d.flow.draft.situation == "they cancelled dinner last minute"  # type: ignore


def test_change_that_on_the_first_part_asks_it_again() -> None:
    d = journal()
    assert said(d.hear("change that")) == ["redo", "situation"]
    assert d.flow.state == "situation"


def test_skip_leaves_a_part_out_and_it_is_not_saved() -> None:
    d = journal()
    answer_all(d, skip=("body", "evidence_for", "notes"))
    assert d.flow.state == "confirm"
    summary = [e.text for e in d.log if isinstance(e, fx.Say) and "summary" in e.prompt_id][-1]
    assert "Body" not in summary and "Situation: they didn't" in summary
    [save] = saves(d.hear("save it"))
    assert save.entry.body == "" and save.entry.notes == "" and save.entry.thought


def test_typed_skip_and_next_work_like_spoken_ones() -> None:
    d = journal()
    d.send(ev.Typed("skip"))
    d.send(ev.Typed("n"))  # the one-key shortcut for next
    assert d.flow.state == "body"


def test_urge_needs_a_number() -> None:
    d = journal()
    for name in ("situation", "emotions", "body"):
        d.hear(ANSWERS[name])
    out = d.hear("really strong")
    assert said(out) == ["urge_number"] and d.flow.state == "urge"
    d.hear("10")
    assert d.flow.draft.urge == 10 and d.flow.state == "did"  # type: ignore[attr-defined]


def test_confirm_change_picks_a_part_then_returns_to_the_review() -> None:
    d = journal()
    answer_all(d)
    out = d.hear("change that")
    assert said(out) == ["pick"] and d.flow.state == "pick"
    out = d.hear("the thought")
    assert d.flow.state == "thought"
    out = d.hear("I always mess things up")
    assert said(out)[:3] == ["readback", "confirm_intro", "summary"]
    assert d.flow.state == "confirm"
    [save] = saves(d.hear("yes"))
    assert save.entry.thought == "I always mess things up"
    assert save.entry.evidence_for == ANSWERS["evidence_for"]


def test_no_at_confirm_saves_nothing() -> None:
    d = journal()
    answer_all(d)
    out = d.hear("no")
    assert said(out) == ["not_saved", "goodbye"]
    assert not saves(d.log) and d.flow.ended
    session = [e for e in out if isinstance(e, fx.SaveSession)][0]
    assert session.record["completed"] is False


def test_all_skipped_means_nothing_to_save() -> None:
    d = journal()
    for _ in ANSWERS:
        d.hear("skip")
    assert said(d.log)[-2:] == ["nothing", "goodbye"] and d.flow.ended
    assert not saves(d.log)


def test_failed_commit_keeps_the_words_on_screen_and_retries() -> None:
    d = journal()
    answer_all(d)
    [first] = saves(d.hear("yes"))
    out = d.send(EntrySaveFailed(first.request_id, "the disk is full"))  # type: ignore
    assert said(out) == ["save_failed"] and "saved" not in said(out)
    assert any(isinstance(e, fx.Show) and "they might just be tired" in e.text for e in out)
    [second] = saves(d.hear("yes"))
    assert second.request_id != first.request_id
    assert d.send(EntrySaved(first.request_id, 1)) == []  # type: ignore[arg-type]
    assert said(d.send(EntrySaved(second.request_id, 2))) == ["saved", "goodbye"]  # type: ignore


def test_stop_ends_within_one_response_without_saving() -> None:
    d = journal()
    d.hear(ANSWERS["situation"])
    out = d.hear("stop")
    assert d.flow.ended and out[-1] == fx.End("") and not saves(d.log)


def test_crisis_language_gets_resources_first() -> None:
    d = journal()
    out = d.hear("I want to hurt myself")
    assert any(isinstance(e, fx.Show) and e.style == "crisis" for e in out)
    assert d.flow.state == "situation"
    assert d.flow.draft.situation == ""  # type: ignore[attr-defined]


def test_help_lists_skip_and_change() -> None:
    d = journal()
    out = d.hear("help")
    shown = [e.text for e in out if isinstance(e, fx.Show)][0]
    assert '"skip"' in shown and '"change that"' in shown
