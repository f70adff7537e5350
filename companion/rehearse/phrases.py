"""The phrases people rehearse: built-in wording from phrases.toml, theirs from the store.

A phrase is a list of parts (clauses), because it is learned part by part and
feedback names the part that did not come through. The person's own wording
is kept in the private store (table ``phrases``) and always wins; setting it
splits the text into parts at sentence and clause punctuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from companion import content_files as content
from companion.errors import CompanionError, ContentError
from companion.normalize import words
from companion.store import Store

SOURCE = "phrases.toml"
MAX_WORDS = 120  # about a minute of speech: longer is a speech, not a phrase
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_PART_END = re.compile(r"(?<=[.!?;:,])\s+")


class PhraseError(CompanionError):
    """A phrase name or text the user gave cannot be used."""

    exit_code = 2


@dataclass(frozen=True)
class Phrase:
    """A named phrase in parts; ``about`` says what each part does (or is empty)."""

    name: str
    parts: tuple[str, ...]
    title: str = ""
    about: tuple[str, ...] = ()
    custom: bool = False  # the person's own wording

    @property
    def text(self) -> str:
        return " ".join(self.parts)

    def describe_part(self, index: int) -> str:
        """How feedback names a part: its ``about``, or its first words."""
        if index < len(self.about) and self.about[index]:
            return f"the part where {self.about[index]}"
        first = " ".join(self.parts[index].split()[:4]).rstrip(",.;:!?")
        return f'the part that starts "{first}"'


def split_parts(text: str) -> tuple[str, ...]:
    """Split wording into parts at . ! ? ; : and commas; pieces under 3 words join a neighbour."""
    parts: list[str] = []
    for piece in _PART_END.split(" ".join(text.split())):
        if not piece:
            continue
        if parts and len(words(parts[-1])) < 3:
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    if len(parts) > 1 and len(words(parts[-1])) < 3:
        last = parts.pop()
        parts[-1] = f"{parts[-1]} {last}"
    return tuple(parts)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise PhraseError(f"{name!r} is not a phrase name",
                          "use lower-case letters, digits, - or _, starting with a letter "
                          "(for example: disclosure, break, my-phrase)")
    return name


def check_text(text: str) -> tuple[str, ...]:
    count = len(words(text))
    if count == 0:
        raise PhraseError("the phrase has no words", 'put the wording in quotes: "..."')
    if count > MAX_WORDS:
        raise PhraseError(f"the phrase has {count} words; a phrase to say out loud "
                          f"should be at most {MAX_WORDS}", "shorten it, or split it in two")
    return split_parts(text)


def built_in(user_dir: Path | None = None) -> dict[str, Phrase]:
    """The phrases in phrases.toml (with the user's content override), checked."""
    data = content.load(SOURCE, user_dir=user_dir)
    table = content.require(data, "phrases", dict, SOURCE)
    out = {}
    for name, spec in table.items():
        where = f"{SOURCE} [phrases.{name}]"
        if not isinstance(spec, dict):
            raise ContentError(f"{where} must be a table with parts = [...]")
        parts = content.require(spec, "parts", list, where)
        about = spec.get("about", [])
        if not parts or not all(isinstance(p, str) and words(p) for p in parts):
            raise ContentError(f"{where}: parts must be a list of non-empty sentences")
        if not isinstance(about, list) or not all(isinstance(a, str) for a in about):
            raise ContentError(f"{where}: about must be a list of strings, one per part")
        out[name] = Phrase(name, tuple(parts), str(spec.get("title", "")), tuple(about))
    return out


class PhraseBook:
    """Built-in phrases overlaid with the person's own wording from the store."""

    def __init__(self, store: Store | None, defaults: dict[str, Phrase] | None = None) -> None:
        self.store = store
        self.defaults = defaults if defaults is not None else built_in()

    def all(self) -> dict[str, Phrase]:
        phrases = dict(self.defaults)
        if self.store is not None:
            for name, text in self.store.connection.execute(
                    "SELECT name, text FROM phrases ORDER BY name"):
                base = self.defaults.get(name)
                phrases[name] = Phrase(name, split_parts(text), base.title if base else "",
                                       custom=True)
        return phrases

    def get(self, name: str) -> Phrase:
        phrase = self.all().get(name)
        if phrase is None:
            known = ", ".join(self.all()) or "none"
            raise PhraseError(f"there is no phrase called {name!r} (known: {known})",
                              f'companion rehearse phrase set {name} "your words"')
        return phrase

    def set(self, name: str, text: str) -> Phrase:
        """Keep the person's wording for ``name`` (new or replacing the built-in one)."""
        check_name(name)
        check_text(text)
        if self.store is None:  # pragma: no cover - the CLI always opens the store
            raise PhraseError("the store is not open", "")
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.store.transaction() as db:
            db.execute("INSERT INTO phrases (name, text, updated_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET text = excluded.text, "
                       "updated_at = excluded.updated_at", (name, " ".join(text.split()), now))
        return self.get(name)

    def reset(self, name: str) -> bool:
        """Forget the person's wording; True if there was any. Built-in wording returns."""
        if self.store is None:  # pragma: no cover
            return False
        with self.store.transaction() as db:
            removed = db.execute("DELETE FROM phrases WHERE name = ?", (name,)).rowcount
        return bool(removed)


def current_phrases() -> dict[str, Phrase]:
    """Phrases for a session that only reads them: the store's wording when it opens."""
    defaults = built_in()
    try:
        with Store.open() as store:
            return PhraseBook(store, defaults).all()
    except CompanionError:
        return defaults
