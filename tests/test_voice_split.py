"""The recognizer's voices are split once: every voice in exactly one part."""

from __future__ import annotations

from pathlib import Path

from companion.content_files import parse_toml
from tests.speech import ENGLISH_VOICES

SPLIT = Path(__file__).parents[1] / "corpus" / "recognition" / "voices.toml"


def test_every_english_voice_is_in_exactly_one_part() -> None:
    split = parse_toml(SPLIT.read_text(encoding="utf-8"), str(SPLIT))
    tuning, evaluation = set(split["tuning"]), set(split["evaluation"])
    assert not tuning & evaluation
    assert tuning | evaluation == set(ENGLISH_VOICES)
    assert {"kal", "kal16"} <= tuning  # one speaker, one part
