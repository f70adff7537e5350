"""Crisis detection and helplines: every crisis phrase found, every number pinned.

The benign corpus is allowed a few false alarms (showing help for hyperbole
costs a moment); the ones that fire are printed (`pytest -rP -k benign`) and
recorded as a test property, and their number has an upper bound.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from companion.errors import CompanionError, ContentError
from companion.intents import Vocabulary
from companion.safety import (
    CrisisDetector,
    Helplines,
    Safety,
    resolve_region,
    spell_number,
)


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> CrisisDetector:
    return CrisisDetector.load(user_dir=tmp_path_factory.mktemp("empty"))


@pytest.fixture(scope="module")
def helplines(tmp_path_factory: pytest.TempPathFactory) -> Helplines:
    return Helplines.load(user_dir=tmp_path_factory.mktemp("empty"))


# Typed forms (capitals, punctuation, contractions) and recognizer forms
# (lower case, no apostrophes, "im", "wanna", small slips).
POSITIVE = {
    "suicidal": [
        "I want to kill myself.", "i want to kill myself", "im going to kill myself",
        "I'm gonna kill my self tonight", "I've been thinking about killing myself",
        "I keep thinking about suicide", "i feel suicidal", "I'm having suicidal thoughts",
        "I want to end my life", "i want to end my life", "I'm going to take my own life",
        "I just want to die.", "i wanna die", "I wish I was dead", "i wish i were dead",
        "I'd be better off dead", "id be better off dead", "I'd rather be dead",
        "id rather die", "I don't want to live anymore", "i dont want to live any more",
        "I don't want to be alive", "I want to end it all", "I'm planning to overdose",
        "i took too many pills", "I'm going to jump off a bridge", "I want to hang myself",
        "kms", "I'm a burden to everyone", "Everyone would be better off without me.",
        "theyd be better off without me", "no one would miss me",
        "nobody would care if i was gone", "Life isn't worth living.",
        "there's no reason to live", "I wish I'd never been born", "I want to cut my wrists",
        # slips
        "i want to dye", "I've thought about sucide", "i want to kill myslef",
        "i want to and my life", "i would be better of dead", "suicidle thoughts again",
    ],
    "hopeless": [
        "I don't want to be here anymore", "i dont want to be here anymore",
        "i dont want to be here any more", "i dont want to be hear anymore",
        "There's no reason to go on.", "what's the point of living", "whats the point of living",
        "I can't go on like this", "i cant go on", "I can't take it anymore",
        "i cant take it any more", "I can't do this anymore", "I wish I could disappear",
        "i wish i could just disappear forever", "I want to go to sleep and never wake up",
        "i wish i could sleep and never wake up", "I hope I don't wake up tomorrow",
        "I've given up on life", "I'm so tired of living", "Nothing is ever going to get better",
        "it will never get better", "I have no hope left", "I feel hopeless",
        "i just want to disappear", "there's no way out",
    ],
    "self_harm": [
        "I want to hurt myself", "i want to hurt my self", "I've been cutting myself",
        "i cut myself again", "I keep thinking about self-harm", "self harming",
        "i started cutting again", "I burn myself when it gets bad",
        "I scratch my arms until they bleed", "i hit myself when im angry",
        "I feel like harming myself", "i want to harm myself",
    ],
    "harm_from_others": [
        "He hits me.", "he hits me when hes drunk", "She hurts me", "My husband beats me",
        "my boyfriend hit me last night", "He threatened to kill me", "she threatened to hurt me",
        "He said he'd kill me if I left", "he said hed kill me if i left",
        "He'll kill me if he finds out", "hell kill me", "I'm scared of him", "im scared of him",
        "im afraid of my husband", "I'm afraid for my life", "I fear for my safety",
        "He's abusive.", "my partner is abusive", "I'm not safe at home", "im not safe",
        "It's not safe for me here", "I feel unsafe", "I don't feel safe with her",
        "He forced me to have sex", "He won't let me leave the house", "he wont let me leave",
        "She keeps hitting me", "they locked me in", "he has a knife", "I'm being stalked",
        "he raped me", "my dad is violent", "I'm in danger", "she chokes me when we argue",
        "he pushed me down the stairs", "my ex is stalking me",
        "he threatened to take the kids", "keeps hitting me", "he is going to hurt us",
    ],
}

# Commands whose phrasings must never raise the alarm ("unsafe" is meant to).
EXPECTED_ALARM_INTENTS = {"unsafe"}

DISCLOSURE = [
    "I feel the urge to shut this down and walk away. I am learning to have hard "
    "conversations instead. I'm not good at it yet, and I will be uncomfortable. I believe "
    "this conversation can help us and I want us to resolve it. Can you help me stay?",
    "i feel the urge to shut this down and walk away im learning to have hard conversations "
    "instead im not good at it yet and ill be uncomfortable i believe this conversation can "
    "help us and i want us to resolve it can you help me stay",
    "I feel the urge to shut this down and walk away... can you help me stay?",
]

MUST_NOT_TRIGGER = [
    "I want to run", "I want to leave", "I need a break", "I'm okay", "im okay",
    "This is killing me", "this is killing me", "I could kill for a coffee",
    "My feet are dying", "Maybe this just doesn't work, I'm done.",
    "We're both getting upset. Let's take a break and talk again at eight.",
]

BENIGN = MUST_NOT_TRIGGER + [
    "this deadline is killing me", "I'm dying to see you", "my phone died",
    "I nearly died laughing", "That joke killed me", "I'm dead tired", "I'm dead serious",
    "my battery is dead", "She hurt my feelings", "I'm scared she'll leave me",
    "I'm scared of losing him", "I'm afraid of being abandoned", "What did I do wrong?",
    "Are they leaving?", "He didn't text me back", "she cancelled our plans",
    "my heart is racing", "I have a knot in my stomach", "I'm not good enough",
    "I'm worthless", "I hate myself", "I need some space", "I want to walk away",
    "I want to shut this down", "I feel like running away", "I want to go home",
    "i am fine", "the weather is nice today", "I had pasta for dinner", "can we talk later",
    "I'm so tired", "I'm exhausted", "I feel anxious", "I'm upset",
    "this conversation is hard", "I didn't wake up on time", "the car broke down",
    "I shot a video", "I won't give up on us", "This is hard but I'm staying",
    "I'm learning about nonviolent communication", "he is late again",
    "I want to hear what you think", "i'll stay", "I cut the bread",
    # hyperbole and everyday phrases expected to raise a (cheap) false alarm:
    "He's going to kill me when he sees the car", "My boss will kill me if I'm late",
    "I'm going to die of boredom", "We are all going to die someday",
    "He really hurt me when he forgot my birthday", "he beat me at chess",
    "they hit me up last night", "I cut myself shaving", "I burned myself on the oven",
    "I don't want to be here right now", "I'm scared of them leaving me",
    "I keep stalking his instagram", "I'm going to shoot myself in the foot",
    "I don't want to wake up early tomorrow", "we tried non violent communication",
]
MAX_BENIGN_ALARMS = 18


def _flat() -> list[tuple[str, str]]:
    return [(cat, text) for cat, texts in POSITIVE.items() for text in texts]


@pytest.mark.parametrize(("category", "text"), _flat())
def test_every_crisis_phrase_is_detected(detector: CrisisDetector, category: str,
                                         text: str) -> None:
    match = detector.detect(text)
    assert match is not None, f"missed crisis language: {text!r}"
    assert category in {m.category for m in detector.detect_all(text)}, (text, match)


@pytest.mark.parametrize("text", ["", "   ", "?!", "ok " * 500])
def test_empty_and_long_input(detector: CrisisDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_match_reports_category_and_span(detector: CrisisDetector) -> None:
    match = detector.detect("Honestly? I'm so tired... I just want to DIE.")
    assert match is not None
    assert match.category == "suicidal"
    assert match.matched == "want to die"
    assert match.text[match.start:match.end] == "want to die"
    assert match.label


def test_core_commands_never_trigger(detector: CrisisDetector, tmp_path: Path) -> None:
    vocabulary = Vocabulary.load(user_dir=tmp_path)
    for name, intent in vocabulary.intents.items():
        for phrase in intent.phrases:
            found = detector.detect(phrase)
            if name in EXPECTED_ALARM_INTENTS:
                assert found and found.category == "harm_from_others", phrase
            else:
                assert found is None, f"command {name!r} phrase {phrase!r} -> {found}"


@pytest.mark.parametrize("text", DISCLOSURE + MUST_NOT_TRIGGER)
def test_disclosure_and_everyday_phrases_do_not_trigger(detector: CrisisDetector,
                                                        text: str) -> None:
    assert detector.detect(text) is None


def test_benign_false_alarms_are_recorded_and_bounded(
        detector: CrisisDetector, record_property: Callable[[str, object], None]) -> None:
    alarms = []
    for text in BENIGN:
        match = detector.detect(text)
        if match:
            alarms.append(f"{text!r} -> {match.category}: {match.pattern!r}")
    print(f"\nbenign phrases that raise the alarm ({len(alarms)} of {len(BENIGN)}):")
    print("\n".join("  " + line for line in alarms))
    record_property("benign_alarms", alarms)
    assert len(alarms) <= MAX_BENIGN_ALARMS


def test_every_category_has_positive_examples(detector: CrisisDetector) -> None:
    assert {c.name for c in detector.categories} == set(POSITIVE)


def test_own_spoken_words_do_not_trigger(detector: CrisisDetector,
                                         helplines: Helplines) -> None:
    """If the companion hears itself, its crisis words must not start a loop."""
    for region in helplines.known():
        for category in (None, "suicidal", "harm_from_others"):
            safety = Safety(detector, helplines, region)
            if category:
                safety.is_crisis("he hits me" if category == "harm_from_others" else "suicide")
            assert detector.detect(safety.spoken()) is None, (region, category)


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
    us_harm = helplines.spoken_text("US", "harm_from_others")
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

def test_user_patterns_are_added_never_replace(tmp_path: Path) -> None:
    (tmp_path / "safety.toml").write_text(
        '[response]\nacknowledge = "I hear you."\n'
        '[categories.hopeless]\npatterns = ["so done with (everything|it all)"]\n'
        '[categories.suicidal]\npatterns = []\n'
        '[categories.mine]\nlabel = "my own signs"\npatterns = ["red {colour} day"]\n'
        '[sets]\ncolour = ["red", "dark"]\nsomeone = ["my coach"]\n'
        '[variants]\nmyself = []\n', encoding="utf-8")
    detector = CrisisDetector.load(user_dir=tmp_path)
    found = detector.detect("I'm so done with everything")
    assert found and found.category == "hopeless"
    assert detector.detect("a red dark day") is not None
    assert detector.detect("my coach kicked me") is not None
    assert detector.detect("i want to hurt myslef") is not None
    assert detector.detect("i want to die") is not None  # packaged patterns remain
    assert detector.detect("he hits me") is not None  # packaged {someone} remains
    safety = Safety(detector, Helplines.load(user_dir=tmp_path), "UK")
    assert safety.is_crisis("so done with it all")
    assert safety.spoken().startswith("I hear you.")


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
    ("safety.toml", '[categories.mine]\npatterns = ["hurt & me"]\n'),
    ("safety.toml", '[categories.mine]\npatterns = "kill myself"\n'),
    ("helplines.toml", "[[regions.UK.lines]\n"),
    ("helplines.toml", '[[regions.UK.lines]]\nname = "X"\nkind = "friend"\n'),
])
def test_malformed_user_file_names_the_file(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    loader = CrisisDetector.load if name == "safety.toml" else Helplines.load
    with pytest.raises(ContentError) as err:
        loader(user_dir=tmp_path)
    assert name in str(err.value)


# --- what the session core calls ---------------------------------------------

def test_safety_net_words_fit_the_match(detector: CrisisDetector,
                                        helplines: Helplines) -> None:
    safety = Safety(detector, helplines, "US")
    assert not safety.is_crisis("i want to run")
    assert safety.is_crisis("i dont want to be here anymore")
    spoken = safety.spoken()
    assert spoken.index("Thank you") < spoken.index("nine one one") < spoken.index("stop")
    assert "seven two three three" not in spoken
    assert safety.is_crisis("he hits me and i want to die")
    spoken = safety.spoken()
    assert "seven two three three" in spoken and "get away" in spoken
    screen = safety.screen()
    assert "1-800-799-7233" in screen and "988" in screen
    assert "nine nine nine" in Safety(detector, helplines, "UK").resources_spoken()
