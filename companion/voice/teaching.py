"""What a teaching session asks for: the phrases, how many takes, and what it says.

All wording comes from ``voice.toml`` (the user's copy wins); the phrases are
the commands' own phrasings (``commands.toml``, the user's added ones too), a
few everyday sentences, and the person's disclosure phrase when they set one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from companion import content_files
from companion.intents import Vocabulary
from companion.normalize import normalize

SOURCE = "voice.toml"


@dataclass(frozen=True)
class TeachContent:
    """The teaching session's prompts (by name) and plan."""

    prompts: dict[str, str]
    takes_per_phrase: int
    sentences: tuple[str, ...]

    @classmethod
    def load(cls, user_dir: Path | None = None) -> TeachContent:
        data = content_files.load(SOURCE, user_dir)
        prompts = content_files.require(data, "prompts", dict, SOURCE)
        plan = content_files.require(data, "teach", dict, SOURCE)
        takes = content_files.require(plan, "takes_per_phrase", int, f"{SOURCE} [teach]")
        sentences = content_files.require(plan, "sentences", list, f"{SOURCE} [teach]")
        return cls({str(k): str(v) for k, v in prompts.items()}, max(1, takes),
                   tuple(str(s) for s in sentences))


def teaching_phrases(vocabulary: Vocabulary, disclosure: str | None = None,
                     user_dir: Path | None = None) -> list[str]:
    """Every phrase to teach, once each, in the order they are asked for."""
    content = TeachContent.load(user_dir)
    phrases = [*vocabulary.all_phrases(), *(normalize(s) for s in content.sentences)]
    if disclosure:
        phrases.append(normalize(disclosure))
    return list(dict.fromkeys(p for p in phrases if p))
