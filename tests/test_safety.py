"""The crisis check: layers, categories, resources, discretion, the user's own files.

How well it generalizes is measured on the held-out part of the corpus in
tests/test_safety_corpus.py; here each layer and each promise is pinned.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from companion.errors import CompanionError, ContentError
from companion.intents import Vocabulary
from companion.safety import CrisisDetector, Helplines, Safety, resolve_region, spell_number
from companion.safety.model import LinearModel


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> CrisisDetector:
    return CrisisDetector.load(user_dir=tmp_path_factory.mktemp("empty"))


@pytest.fixture(scope="module")
def helplines(tmp_path_factory: pytest.TempPathFactory) -> Helplines:
    return Helplines.load(user_dir=tmp_path_factory.mktemp("empty"))


def category(detector: CrisisDetector, text: str) -> str | None:
    found = detector.detect(text)
    return found.category if found else None


# --- layers -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("im gonna kms", "suicide"),                       # shorthand
    ("i keep thinkin about sucide", "suicide"),        # a typo one letter away
    ("took the whole box of pils", "suicide"),         # typo in a means word
    ("I've been cuttinggg again", "self_harm"),        # letters held down
    ("hes got a knife and hes saying hell kill me", "danger"),
    ("my dad's gun is in the cupboard and i know where the key is", None),
])
def test_typed_shorthand_and_typos_are_read_as_meant(detector: CrisisDetector, text: str,
                                                     expected: str | None) -> None:
    found = detector.detect(text)
    if expected is None:
        return  # only that it does not raise; concrete means are the model's to weigh
    assert found is not None and expected in found.categories, (text, found)


@pytest.mark.parametrize("text", [
    "this commute is killing me", "I could kill for a nap", "dying to try it",
    "the laptop died on me", "we killed it in the match last night", "my chest is tight",
    "I want to run away from this conversation", "I'm dead tired", "my phone is about to die",
])
def test_everyday_exaggeration_is_not_crisis(detector: CrisisDetector, text: str) -> None:
    assert detector.detect(text) is None, (text, detector.detect(text))


def test_the_guard_blanks_only_the_idiom(detector: CrisisDetector) -> None:
    assert "_" in detector.prepare("this commute is killing me")
    found = detector.detect("this job is killing me and I want to die")
    assert found is not None and found.category == "suicide"


def test_rules_and_model_each_suffice(detector: CrisisDetector) -> None:
    ruled = detector.detect("I want to end my life")
    assert ruled is not None and ruled.rule
    # No rule names this, but the model has learned its shape.
    modelled = detector.detect("gave my guitar to my brother, he can keep it, I won't need it")
    assert modelled is not None


@pytest.mark.parametrize("text", ["", "   ", "?!", "ok " * 500, "_ _ _"])
def test_empty_and_long_input(detector: CrisisDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_core_commands_never_trigger(detector: CrisisDetector, tmp_path: Path) -> None:
    vocabulary = Vocabulary.load(user_dir=tmp_path)
    for name, intent in vocabulary.intents.items():
        for phrase in intent.phrases:
            if name != "unsafe":  # "it's not safe" is meant to bring help
                assert detector.detect(phrase) is None, (name, phrase, detector.detect(phrase))


def test_the_disclosure_phrase_does_not_trigger(detector: CrisisDetector) -> None:
    for text in ("I feel the urge to shut this down and walk away. I am learning to have hard "
                 "conversations instead. I'm not good at it yet, and I will be uncomfortable. "
                 "I believe this conversation can help us and I want us to resolve it. "
                 "Can you help me stay?",
                 "We're both getting upset. Let's take a break and talk again at eight."):
        assert detector.detect(text) is None


def test_detection_is_fast(detector: CrisisDetector) -> None:
    import time

    start = time.perf_counter()
    for _ in range(50):
        detector.detect("honestly i have the pills lined up on the desk and im so tired")
    assert (time.perf_counter() - start) / 50 < 0.010


# --- resources and discretion --------------------------------------------------

def test_resources_fit_the_category(detector: CrisisDetector, helplines: Helplines) -> None:
    safety = Safety(detector, helplines, "US")
    suicide = safety.check("I want to end my life")
    assert suicide is not None and not suicide.quiet_end
    assert suicide.spoken.index("nine eight eight") < suicide.spoken.index("nine one one")
    assert suicide.screen.index("988") < suicide.screen.index("911")
    abuse = safety.check("my husband hits me")
    assert abuse is not None and abuse.quiet_end
    assert abuse.screen.index("1-800-799-7233") < abuse.screen.index("call 911")
    danger = safety.check("someone is breaking in downstairs")
    assert danger is not None and danger.quiet_end
    assert danger.screen.index("call 911") < danger.screen.index("1-800-799-7233")
    assert "nine one one" in danger.spoken


def test_abuse_and_danger_are_answered_discreetly(detector: CrisisDetector,
                                                  helplines: Helplines) -> None:
    said = "he choked me last night and he said he will kill me if i tell anyone"
    answer = Safety(detector, helplines, "UK").check(said)
    assert answer is not None and answer.quiet_end
    assert answer.spoken == ("I've put some numbers on your screen. "
                             "If you are in danger now, call nine nine nine.")
    assert not set(answer.spoken.lower().split()) & {"choked", "kill", "tell", "hurt"}
    assert "0808 2000 247" in answer.screen and "end quietly" in answer.screen
    unknown = Safety(detector, helplines, "ZZ").check(said)
    assert unknown is not None and "your local emergency number" in unknown.spoken


def test_discreet_says_nothing_but_shows_everything(detector: CrisisDetector,
                                                    helplines: Helplines) -> None:
    safety = Safety(detector, helplines, "US", discreet=True)
    for text in ("I want to die", "he hits me"):
        answer = safety.check(text)
        assert answer is not None and answer.spoken == ""
        assert "911" in answer.screen
    assert safety.unsafe_choice().spoken == ""


def test_own_spoken_words_do_not_trigger(detector: CrisisDetector,
                                         helplines: Helplines) -> None:
    """If the companion hears itself, its crisis words must not start a loop."""
    for region in helplines.known():
        safety = Safety(detector, helplines, region)
        for text in ("I want to die", "he hits me", "someone is breaking in"):
            answer = safety.check(text)
            assert answer is not None
            assert detector.detect(answer.spoken) is None, (region, text, answer.spoken)
        assert detector.detect(safety.unsafe_choice().spoken) is None, region


# --- the model file ---------------------------------------------------------------

def test_the_model_loads_quickly_and_a_broken_one_says_what_to_do(tmp_path: Path) -> None:
    import time

    start = time.perf_counter()
    model = LinearModel.load()
    assert time.perf_counter() - start < 0.1
    assert model.classes[-1] == "none" and 0 < model.threshold < 1
    broken = tmp_path / "model.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ContentError) as err:
        LinearModel.load(broken)
    assert "reinstall" in str(err.value)
    np.savez(broken, buckets=np.arange(3), weights=np.zeros((2, 2)), bias=np.zeros(2),
             classes=np.array(["a", "none"]), threshold=np.float32(0.5))
    with pytest.raises(ContentError):
        LinearModel.load(broken)


# --- helplines ---------------------------------------------------------------

PINNED = {
    "US": [("emergency", "911", "", ""), ("crisis", "988", "988", ""),
           ("abuse", "1-800-799-7233", "88788", "START"), ("directory", "", "", "")],
    "UK": [("emergency", "999", "", ""), ("crisis", "116 123", "", ""),
           ("abuse", "0808 2000 247", "", ""), ("directory", "", "", "")],
    "IE": [("emergency", "112 or 999", "", ""), ("crisis", "116 123", "", ""),
           ("directory", "", "", "")],
    "CA": [("emergency", "911", "", ""), ("crisis", "988", "988", ""),
           ("directory", "", "", "")],
    "EU": [("emergency", "112", "", ""), ("directory", "", "", "")],
    "INTL": [("emergency", "", "", ""), ("directory", "", "", "")],
}


def test_every_helpline_number_is_pinned(helplines: Helplines) -> None:
    assert set(helplines.known()) == set(PINNED)
    for region, expected in PINNED.items():
        lines = helplines.for_region(region)
        assert [(x.kind, x.number, x.text, x.keyword) for x in lines] == expected, region
        assert all(x.name and x.purpose for x in lines)
        directory = [x for x in lines if x.kind == "directory"]
        assert [x.web for x in directory] == ["findahelpline.com"]


def test_unknown_region_gets_the_international_fallback(helplines: Helplines) -> None:
    assert helplines.for_region("ZZ") == helplines.for_region("INTL")
    spoken = helplines.spoken_text("ZZ")
    assert "local emergency number" in spoken and "find a helpline" in spoken


def test_spoken_text_reads_numbers_digit_by_digit(helplines: Helplines) -> None:
    us = helplines.spoken_text("US")
    assert "call nine one one" in us and "text nine eight eight" in us
    assert "seven two three three" not in us
    us_harm = helplines.spoken_text("US", ("abuse", "emergency"))
    assert "one, eight zero zero, seven nine nine, seven two three three" in us_harm
    assert "start to eight eight seven eight eight" in us_harm
    assert "one one six, one two three" in helplines.spoken_text("UK")
    assert "call one one two or nine nine nine" in helplines.spoken_text("IE")
    assert not any(ch.isdigit() for r in PINNED for ch in helplines.spoken_text(r))


def test_screen_text_lists_everything(helplines: Helplines) -> None:
    screen = helplines.screen_text("US")
    for needle in ("call 911", "call or text 988", "call 1-800-799-7233",
                   "text START to 88788", "findahelpline.com"):
        assert needle in screen
    assert "0808 2000 247" in helplines.screen_text("gb")


def test_spell_number() -> None:
    assert spell_number("116 123") == "one one six, one two three"
    assert spell_number("112 or 999") == "one one two or nine nine nine"
    assert spell_number("") == ""


# --- region ------------------------------------------------------------------

@pytest.mark.parametrize(("env", "region"), [
    ({"LANG": "en_GB.UTF-8"}, "UK"), ({"LANG": "en_IE.UTF-8"}, "IE"),
    ({"LANG": "en_US.UTF-8"}, "US"), ({"LANG": "fr_CA.UTF-8"}, "CA"),
    ({"LANG": "en_CA"}, "CA"), ({"LANG": "de_DE.UTF-8"}, "EU"), ({"LANG": "fr_FR"}, "EU"),
    ({"LANG": "es_ES@euro"}, "EU"), ({"LANG": "nb_NO.UTF-8"}, "EU"),
    ({"LANG": "ja_JP.UTF-8"}, "INTL"), ({"LANG": "C.UTF-8"}, "INTL"), ({"LANG": "POSIX"}, "INTL"),
    ({}, "INTL"), ({"LC_ALL": "en_GB.UTF-8", "LANG": "en_US.UTF-8"}, "UK"),
    ({"LC_MESSAGES": "en_IE.UTF-8", "LANG": "en_US.UTF-8"}, "IE"),
    ({"LC_ALL": "C", "LANG": "en_GB.UTF-8"}, "UK"),
])
def test_region_from_locale(helplines: Helplines, env: dict[str, str], region: str) -> None:
    assert resolve_region(None, None, env=env, helplines=helplines) == region


def test_flag_beats_config_beats_locale(helplines: Helplines) -> None:
    env = {"LANG": "en_US.UTF-8"}
    assert resolve_region("uk", "CA", env=env, helplines=helplines) == "UK"
    assert resolve_region(None, "ie", env=env, helplines=helplines) == "IE"
    assert resolve_region("", "", env=env, helplines=helplines) == "US"


@pytest.mark.parametrize(("given", "region"), [
    ("GB", "UK"), ("USA", "US"), ("usa", "US"), ("United Kingdom", "UK"), ("de", "EU"),
    ("intl", "INTL"), ("ca", "CA"),
])
def test_region_aliases(helplines: Helplines, given: str, region: str) -> None:
    assert resolve_region(given, None, env={}, helplines=helplines) == region


def test_unknown_explicit_region_is_an_error(helplines: Helplines) -> None:
    with pytest.raises(CompanionError) as err:
        resolve_region("Narnia", None, env={}, helplines=helplines)
    for key in PINNED:
        assert key in str(err.value)
    with pytest.raises(CompanionError):
        resolve_region(None, "XX", env={"LANG": "en_GB.UTF-8"}, helplines=helplines)


def test_resolve_region_loads_helplines_itself() -> None:
    assert resolve_region(None, None, env={"LANG": "en_GB.UTF-8"}) == "UK"


# --- the user's own files ----------------------------------------------------

def test_user_patterns_and_words_are_added_never_replace(tmp_path: Path) -> None:
    (tmp_path / "safety.toml").write_text(
        '[response]\nacknowledge = "I hear you."\n'
        '[categories.suicide]\npatterns = ["so done with (everything|it all)"]\n'
        '[categories.mine]\nlabel = "my own signs"\npatterns = ["red {colour} day"]\n'
        '[guard]\nidioms = []\n', encoding="utf-8")
    (tmp_path / "crisis_words.toml").write_text(
        '[sets]\ncolour = ["red", "dark"]\nsomeone = ["my coach"]\nmyself = []\n'
        '[shorthand]\n"qq" = "want to die"\n', encoding="utf-8")
    detector = CrisisDetector.load(user_dir=tmp_path)
    assert category(detector, "I'm so done with everything") == "suicide"
    assert category(detector, "a red dark day") == "mine"
    assert category(detector, "my coach kicked me") == "abuse"
    assert category(detector, "i qq") == "suicide"
    assert category(detector, "i want to die") == "suicide"  # packaged rules remain
    assert category(detector, "i want to hurt myslef") == "self_harm"  # packaged lists remain
    assert detector.detect("this commute is killing me") is None  # packaged idioms remain
    answer = Safety(detector, Helplines.load(user_dir=tmp_path), "UK").check("so done with it all")
    assert answer is not None and answer.spoken.startswith("I hear you.")


def test_user_helplines_are_added(tmp_path: Path) -> None:
    (tmp_path / "helplines.toml").write_text(
        '[[regions.UK.lines]]\nname = "My sister Ann"\nkind = "crisis"\n'
        'number = "07700 900123"\nfor = "someone who knows me"\n', encoding="utf-8")
    lines = Helplines.load(user_dir=tmp_path).for_region("UK")
    assert [x.number for x in lines if x.kind != "directory"] == [
        "999", "116 123", "0808 2000 247", "07700 900123"]


@pytest.mark.parametrize(("name", "text"), [
    ("safety.toml", "[categories\npatterns = ["),
    ("safety.toml", '[categories.mine]\npatterns = ["(kill myself"]\n'),
    ("safety.toml", '[categories.mine]\npatterns = ["{nosuchlist} me"]\n'),
    ("safety.toml", '[categories.mine]\npatterns = ["[maybe]"]\n'),
    ("safety.toml", '[categories.mine]\npatterns = ["& me"]\n'),
    ("safety.toml", '[categories.mine]\npatterns = "kill myself"\n'),
    ("safety.toml", '[categories.mine]\nresources = ["a friend"]\n'),
    ("safety.toml", '[guard]\nidioms = ["(dying to"]\n'),
    ("crisis_words.toml", '[sets]\nmeans = "rope"\n'),
    ("crisis_words.toml", '[shorthand]\n"u" = 3\n'),
    ("helplines.toml", "[[regions.UK.lines]\n"),
    ("helplines.toml", '[[regions.UK.lines]]\nname = "X"\nkind = "friend"\n'),
])
def test_malformed_user_file_names_the_file(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    loader = Helplines.load if name == "helplines.toml" else CrisisDetector.load
    with pytest.raises(ContentError) as err:
        loader(user_dir=tmp_path)
    assert name in str(err.value)
