"""Phrase scoring and splitting (pure): what came through, what was left out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from companion.normalize import normalize, spell_number
from companion.rehearse.flow import build_up
from companion.rehearse.meaning import MeaningLexicon
from companion.rehearse.phrases import Phrase, built_in, split_parts
from companion.rehearse.score import Score, pauses, score, words_per_minute

PARTS = built_in()["disclosure"].parts
LEXICON = MeaningLexicon.load(user_dir=Path("/nonexistent"))


def scored(parts: Sequence[str], heard: str, **kwargs: Any) -> Score:
    return score(parts, heard, LEXICON, **kwargs)
WORDS = len(normalize(" ".join(PARTS)).split())


def without(index: int) -> str:
    return " ".join(p for i, p in enumerate(PARTS) if i != index)


def test_the_whole_phrase_all_comes_through() -> None:
    result = scored(PARTS, " ".join(PARTS))
    assert result.completeness == 1.0
    assert result.missed == () and result.substituted == ()
    assert result.weakest_part() is None


def test_an_empty_attempt_scores_zero_and_misses_everything() -> None:
    result = scored(PARTS, "")
    assert result.completeness == 0.0
    assert len(result.missed) == WORDS
    assert result.wpm is None and result.long_pauses == 0


@pytest.mark.parametrize("index", range(len(PARTS)))
def test_a_dropped_part_is_the_one_named(index: int) -> None:
    result = scored(PARTS, without(index))
    dropped = len(normalize(PARTS[index]).split())
    assert result.completeness == pytest.approx(1 - dropped / WORDS)
    assert result.weakest_part() == index  # its idea is the one missing
    assert result.weakest_part(exact=True) == index  # and so are its words
    assert list(result.missed) == normalize(PARTS[index]).split()


def test_extra_words_do_not_lower_the_score() -> None:
    padded = "um so okay " + " well ".join(PARTS) + " you know"
    assert scored(PARTS, padded).completeness == 1.0


def test_reordered_parts_still_count() -> None:
    assert scored(PARTS, " ".join(reversed(PARTS))).completeness == 1.0


def test_contractions_and_their_long_forms_are_the_same_words() -> None:
    long_form = " ".join(PARTS).replace("I'm", "I am")
    assert scored(PARTS, long_form).completeness == 1.0
    assert scored(["I can't stay"], "i cannot stay").completeness == 1.0


def test_numbers_as_digits_or_words() -> None:
    assert scored(["give me 30 minutes"], "give me thirty minutes").completeness == 1.0
    assert scored(["back in 15"], "back in fifteen").completeness == 1.0
    assert spell_number(105) == "one hundred five" and spell_number(42) == "forty two"


def test_a_swapped_word_is_reported_as_substituted() -> None:
    result = scored(["I want us to work it out"], "I want us to sort it out")
    assert result.substituted == (("sort", "work"),)
    assert result.missed == ("work",)
    assert result.completeness == pytest.approx(6 / 7)


def test_a_different_sentence_scores_low() -> None:
    result = scored(PARTS, "I went to the shop this morning and bought some bread and milk")
    assert result.completeness < 0.15


def test_grammar_found_parts_are_trusted_over_free_recognition_slips() -> None:
    # Free decoding of a synthetic voice (measured): many slips, all parts said.
    heard = ("i'm not you and your to show up and down and walk away by morning and play in "
             "our conversations and and i'm not good at it yet so i might be uncomfortable i "
             "think that op and i'll talk to and i want off to work it out and you help me today")
    assert scored(PARTS, heard).completeness < 0.7
    assert scored(PARTS, heard, parts_said=range(len(PARTS))).completeness > 0.85


def test_parts_the_grammar_found_count_even_when_free_recognition_is_lost_in_noise() -> None:
    heard = "thank had to shut this down on the eighth and and fifteen had conversations"
    assert scored(PARTS, heard, parts_said=[0, 1, 2, 3]).completeness == pytest.approx(
        1 - 5 / WORDS)


def test_a_part_the_grammar_missed_counts_only_if_clearly_heard() -> None:
    assert scored(PARTS, PARTS[4], parts_said=[]).completeness == pytest.approx(5 / WORDS)
    assert scored(PARTS, "can you", parts_said=[]).completeness == 0.0


def test_pace_and_long_pauses_from_word_times() -> None:
    times = [(0.0, 0.3), (0.4, 0.7), (2.5, 2.8), (2.9, 3.0)]
    assert pauses(times) == 1
    assert words_per_minute(4, times) == pytest.approx(80.0)
    assert words_per_minute(0, times) is None


def test_json_shape() -> None:
    data = scored(PARTS, without(1)).as_json()
    assert set(data) == {"message", "parts", "completeness", "missed", "substituted", "wpm",
                         "long_pauses"}
    assert data["message"] == pytest.approx(0.8)
    assert [p["idea"] for p in data["parts"]] == [True, False, True, True, True]
    assert [p["text"] for p in data["parts"]] == list(PARTS)
    assert data["parts"][1]["words"] == 0 and data["parts"][0]["words"] == 1
    assert 0 <= data["completeness"] <= 1


def test_own_wording_is_split_into_parts_at_clauses() -> None:
    parts = split_parts("I can feel myself wanting to leave. I'd like to stay, and I need "
                        "your help.   Can you help me stay?")
    assert parts == ("I can feel myself wanting to leave.", "I'd like to stay,",
                     "and I need your help.", "Can you help me stay?")
    assert split_parts("Okay. I feel it. Stay?") == ("Okay. I feel it. Stay?",)


def test_parts_are_named_by_their_about_or_their_first_words() -> None:
    assert built_in()["disclosure"].describe_part(4) == "the part where you ask for help to stay"
    mine = Phrase("mine", ("I can feel myself wanting to leave.", "Stay with me, please."))
    assert mine.describe_part(1) == 'the part that starts "Stay with me, please"'


def test_repeat_after_me_builds_the_phrase_back_up() -> None:
    assert build_up(3) == [(0,), (1,), (0, 1), (2,), (0, 1, 2)]
    assert build_up(1) == [(0,)]


def test_normalizing_keeps_words_of_any_script() -> None:
    assert normalize("I'm OK. Don't stop, café!") == "i am okay do not stop café"
    assert normalize("다음 주세요") == "다음 주세요"  # a Korean Vosk model's words survive


# --- meaning: the ideas, in one's own words -------------------------------------------

def test_the_urge_named_in_other_words_is_credited() -> None:
    result = scored(PARTS, "I feel the urge to walk away. Can you help me stay?")
    assert result.ideas == (True, False, False, False, True)
    assert result.weakest_part() == 1
    assert 0 in result.own_words()


def test_a_paraphrase_carrying_every_idea_is_credited_in_full() -> None:
    said = ("I want to run right now, but I'm trying to learn to stay in hard talks. "
            "I'm still bad at it, so I might look awkward. I really think talking can help "
            "us and I want us to sort it out. Will you help me stay?")
    result = scored(PARTS, said)
    assert result.message == 1.0 and result.weakest_part() is None
    assert result.completeness < 0.6  # far from word for word, and that is fine


@pytest.mark.parametrize("said", [
    "what's for dinner", "can you help me carry the shopping", "I'm learning Spanish",
    "We're both getting upset. Let's take a break and come back when we're calmer.",
])
def test_off_topic_speech_and_the_other_phrase_are_not_credited(said: str) -> None:
    assert scored(PARTS, said).message <= 0.2


def test_a_person_s_own_phrase_is_understood_without_a_group_for_every_word() -> None:
    mine = ("My heart is pounding and I want to bolt.", "Please hold my hand through this.")
    result = scored(mine, "my heart's pounding, I want to run. hold my hand through it?")
    assert result.ideas == (True, True)
