"""The grounding session's content, read in the shell and handed to the flow.

``ground.toml`` (prompts, timing, summary words, counting) and the phrases
said along: the person's own wording when they have set it (`companion
rehearse phrase set`, kept in the store), else the built-in ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from companion import content_files as content
from companion.errors import ContentError
from companion.ground.flow import REQUIRED_PROMPTS


def load_ground_content(user_dir: Path | None = None,
                        phrases: dict[str, list[str]] | None = None,
                        ) -> tuple[dict[str, str], dict[str, Any]]:
    """Prompts and extras (timing, summary words, counts) from ground.toml, and phrases.

    The phrases said along (``phrases``, name -> parts) are, unless given, the
    person's own wording when they have set it (`companion rehearse phrase
    set`, read from the store), else the built-in ones.

    Checked up front so a broken user file fails at start with its name, not
    in the middle of a session.
    """
    source = "ground.toml"
    data = content.load(source, user_dir=user_dir)
    prompts = content.require_prompts(data, REQUIRED_PROMPTS, source)
    if phrases is None:
        from companion.rehearse.phrases import current_phrases  # reads the store

        phrases = {name: list(phrase.parts) for name, phrase in current_phrases().items()}
    for name in ("disclosure", "break"):
        if name not in phrases:
            raise ContentError(f"phrases.toml: [phrases.{name}] is missing",
                               "add it back, or delete your phrases.toml to use the built-in one")
    timing = content.require(data, "timing", dict, source)
    for key, value in timing.items():
        if not isinstance(value, (int, float)) or value < 0:
            raise ContentError(f"{source}: [timing] {key} must be a number of seconds >= 0")
    counting = content.require(data, "counting", dict, source)
    extra = {
        "timing": timing,
        "summary": content.require(data, "summary", dict, source),
        "phrases": phrases,
        "count_words": content.require(counting, "words", list, f"{source} [counting]"),
    }
    return prompts, extra
