"""Breathing timelines and pattern parsing, as pure arithmetic: no clock, no audio."""

from __future__ import annotations

import pytest

from companion.breathe.patterns import (
    Pattern,
    PatternError,
    Phase,
    load_breathe_content,
    load_patterns,
    parse_custom,
    resolve,
)
from companion.breathe.schedule import Planner, scaled, schedule
from companion.errors import CompanionError, ContentError

BOX = parse_custom("4-4-4-4")


def starts(timeline: list) -> list[tuple[str, float]]:
    return [(p.kind, p.start_s) for p in timeline]


def test_box_boundaries_and_end_after_full_exhale() -> None:
    timeline = schedule(BOX, rounds=2, start_s=10.0)
    assert starts(timeline) == [("in", 10.0), ("hold", 14.0), ("out", 18.0), ("rest", 22.0),
                                ("in", 26.0), ("hold", 30.0), ("out", 34.0)]
    assert timeline[-1].kind == "out" and timeline[-1].end_s == 38.0  # no trailing rest
    assert [p.round for p in timeline] == [1, 1, 1, 1, 2, 2, 2]


def test_named_patterns_from_content() -> None:
    patterns = load_patterns(load_breathe_content())
    assert {"box", "478", "relax", "coherent", "sigh", "count"} <= set(patterns)
    assert patterns["478"].timing() == "4-7-8"
    assert patterns["relax"].timing() == "4-6"
    assert [p.kind for p in patterns["sigh"].phases] == ["in", "top", "out"]
    assert patterns["count"].count_breaths and patterns["count"].rounds == 10
    coherent = schedule(patterns["coherent"], rounds=3)
    assert [p.start_s for p in coherent] == [0.0, 5.5, 11.0, 16.5, 22.0, 27.5]


def test_no_drift_over_a_long_session() -> None:
    timeline = schedule(parse_custom("4.25-1.75-5.5-0.25"), rounds=1000)
    assert timeline[-1].end_s == 1000 * 11.75 - 0.25  # exact: quarter seconds are binary
    assert all(b.start_s == a.end_s for a, b in zip(timeline, timeline[1:], strict=False))


def test_minutes_end_after_the_exhale_closest_to_the_target() -> None:
    timeline = schedule(BOX, target_s=60.0)  # 16 s breaths: 4 breaths = 64 s, minus last rest
    assert timeline[-1].kind == "out" and timeline[-1].round == 4
    assert timeline[-1].end_s == 60.0
    short = schedule(BOX, target_s=1.0)
    assert short[-1].kind == "out" and short[-1].round == 1  # at least one full breath


def test_sigh_bar_fills_over_both_inhales() -> None:
    sigh = load_patterns(load_breathe_content())["sigh"]
    first, top, out = schedule(sigh, rounds=1)
    assert (first.fill_from, top.fill_to, out.fill_to) == (0.0, 1.0, 0.0)
    assert 0.0 < first.fill_to < 1.0 and top.fill_from == first.fill_to


def test_slower_and_faster_apply_from_the_next_phase() -> None:
    planner = Planner(BOX, rounds=3)
    planner.start(0.0)
    first = planner.next_phase()
    assert first is not None and first.seconds == 4.0
    assert planner.change_speed(+1)
    hold = planner.next_phase()
    assert hold is not None and hold.start_s == 4.0 and hold.seconds == 4.5  # 4 x 1.15 -> 4.5
    assert planner.change_speed(-1) and planner.change_speed(-1)
    out = planner.next_phase()
    assert out is not None and out.start_s == 8.5 and out.seconds == 3.5  # 4 / 1.15 -> 3.5


def test_speed_has_limits() -> None:
    planner = Planner(BOX, rounds=1)
    steps = [planner.change_speed(+1) for _ in range(6)]
    assert steps == [True, True, True, True, False, False]
    assert all(p.seconds >= 0.5 for p in scaled(parse_custom("0.5-6"), -3))


def test_stop_mid_inhale_finishes_through_the_exhale() -> None:
    planner = Planner(BOX, rounds=10)
    planner.start(0.0)
    planner.next_phase()  # in, 0-4
    planner.request_stop()
    rest = [planner.next_phase() for _ in range(3)]
    assert [p.kind if p else None for p in rest] == ["hold", "out", None]
    assert planner.finished and planner.end_s == 12.0 and planner.rounds_done == 1


def test_stop_in_the_rest_ends_at_the_exhale_end_and_takes_back_lookahead() -> None:
    planner = Planner(BOX, rounds=10)
    planner.start(0.0)
    for _ in range(5):  # in, hold, out, rest, and the next breath's in (look-ahead)
        planner.next_phase()
    planner.request_stop()
    assert planner.drop_after(15.5, whole_breath=True) == 1  # the 16 s inhale is unheard
    assert planner.next_phase() is None
    assert planner.end_s == 12.0 and planner.rounds_done == 1


def test_stop_keeps_the_breath_under_way() -> None:
    planner = Planner(BOX, rounds=10)
    planner.start(0.0)
    planner.next_phase()
    planner.next_phase()  # the hold at 4 s, handed out early
    planner.request_stop()
    assert planner.drop_after(3.5, whole_breath=True) == 0
    assert [planner.next_phase().kind, planner.next_phase()] == ["out", None]  # type: ignore[union-attr]
    assert planner.end_s == 12.0


def test_pause_drops_the_breath_and_restarts_fresh() -> None:
    planner = Planner(BOX, rounds=2)
    planner.start(0.0)
    planner.next_phase()
    planner.pause()
    planner.start(100.0)
    again = planner.next_phase()
    assert again is not None and (again.kind, again.start_s, again.round) == ("in", 100.0, 1)


@pytest.mark.parametrize("text, words", [
    ("4-x-6", "'x' is not a number"),
    ("4--2-6", "negative"),
    ("-4-4", "negative"),
    ("4,-2,6", "negative"),
    ("0-0-0-0", "zero"),
    ("0-4", "breathing in and breathing out"),
    ("4-4-0-4", "breathing in and breathing out"),
    ("61-4", "too long"),
    ("50-50-50", "too long"),
    ("4.1-6", "quarter-second"),
    ("4", "2 to 4 numbers"),
    ("4-4-4-4-4", "2 to 4 numbers"),
    ("", "empty"),
])
def test_bad_custom_patterns_say_what_and_how_to_fix(text: str, words: str) -> None:
    with pytest.raises(PatternError) as info:
        parse_custom(text)
    err = info.value
    assert isinstance(err, CompanionError) and words in err.message
    assert "4-2-6-0" in err.fix


def test_custom_forms() -> None:
    assert [(p.kind, p.seconds) for p in parse_custom("4-2-6-0").phases] == [
        ("in", 4.0), ("hold", 2.0), ("out", 6.0)]
    assert parse_custom("4-7-8").timing() == "4-7-8"
    assert parse_custom("5.5-5.5").timing() == "5.5-5.5"
    assert parse_custom("4.25, 0, 6.75, 1").breath_s == 12.0


def test_resolve_names_timings_and_unknown() -> None:
    patterns = {"box": BOX}
    assert resolve("BOX", patterns) is BOX
    assert resolve("4-6", patterns).breath_s == 10.0
    with pytest.raises(PatternError, match="no breathing pattern called 'boxx'"):
        resolve("boxx", patterns)


def test_user_patterns_are_merged_and_checked(companion_home) -> None:  # type: ignore[no-untyped-def]
    config = companion_home / "config"
    config.mkdir()
    (config / "breathe.toml").write_text(
        '[patterns.mine]\ntitle = "Mine"\ntiming = "3-0-5"\nrounds = 4\n', encoding="utf-8")
    patterns = load_patterns(load_breathe_content())
    assert patterns["mine"].timing() == "3-5" and "box" in patterns
    (config / "breathe.toml").write_text('[patterns.bad]\ntiming = "3-y"\n', encoding="utf-8")
    with pytest.raises(ContentError, match=r"'y' is not a number"):
        load_patterns(load_breathe_content())
    (config / "breathe.toml").write_text('[patterns.bad]\nphases = [["gulp", 3]]\n',
                                         encoding="utf-8")
    with pytest.raises(ContentError, match="unknown phase 'gulp'"):
        load_patterns(load_breathe_content())


def test_pattern_from_phases_keeps_its_shape() -> None:
    p = Pattern("x", "X", "", (Phase("in", 2.0), Phase("top", 1.0), Phase("out", 6.0)))
    assert p.timing() == "in 2, top 1, out 6" and p.breath_s == 9.0
