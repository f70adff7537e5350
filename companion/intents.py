"""The command vocabulary: which words mean which intent.

Loaded from ``commands.toml`` (package defaults plus the user's additions).
Matching is on normalized text, so "I'm ready", "im ready" and "I am ready."
all mean ``next``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from companion import content_files as content
from companion.errors import ContentError
from companion.normalize import normalize

# Intents that every state accepts, whatever the flow.
ALWAYS = ("repeat", "help", "stop", "slower", "faster", "pause", "resume")


@dataclass(frozen=True)
class Intent:
    """One command: its name, spoken phrasings, keyboard keys and a help line."""

    name: str
    phrases: tuple[str, ...]
    keys: tuple[str, ...]
    help: str


class Vocabulary:
    """Maps utterances and typed lines to intents."""

    def __init__(self, intents: dict[str, Intent]) -> None:
        self.intents = intents
        self._by_phrase: dict[str, str] = {}
        self._by_key: dict[str, str] = {}
        for intent in intents.values():
            for phrase in intent.phrases:
                self._by_phrase[normalize(phrase)] = intent.name
            for key in intent.keys:
                self._by_key[key.lower()] = intent.name

    @classmethod
    def load(cls, user_dir: Path | None = None) -> Vocabulary:
        """Load the packaged vocabulary merged with the user's commands.toml."""
        packaged = content.load("commands.toml", user_dir=Path("/nonexistent"))
        merged = content.load("commands.toml", user_dir=user_dir)
        return cls.from_data(packaged, merged)

    @classmethod
    def from_data(cls, packaged: dict, merged: dict | None = None) -> Vocabulary:
        """Build from parsed TOML; user phrasings are *added* to the packaged ones."""
        source = "commands.toml"
        intents: dict[str, Intent] = {}
        tables = [packaged] + ([merged] if merged is not None else [])
        for table in tables:
            section = content.require(table, "intents", dict, source)
            for name, spec in section.items():
                if not isinstance(spec, dict):
                    raise ContentError(f"{source}: [intents.{name}] should be a table")
                phrases = content.require(spec, "phrases", list, f"{source} [intents.{name}]")
                if not all(isinstance(p, str) and p.strip() for p in phrases):
                    raise ContentError(
                        f"{source}: [intents.{name}] phrases must be non-empty strings",
                        f"fix the phrases of [intents.{name}] in {source}",
                    )
                old = intents.get(name)
                all_phrases = tuple(dict.fromkeys((old.phrases if old else ()) + tuple(phrases)))
                keys = tuple(spec.get("keys", old.keys if old else ()))
                help_text = str(spec.get("help", old.help if old else name))
                intents[name] = Intent(name, all_phrases, keys, help_text)
        return cls(intents)

    def extended(self, extra: dict[str, tuple[tuple[str, ...], str]]) -> Vocabulary:
        """This vocabulary plus a flow's own intents: name -> (phrasings, help line).

        Phrasings another intent already owns (e.g. "next", "yes") keep their meaning.
        """
        owned = set(self.all_phrases())
        intents = dict(self.intents)
        for name, (phrases, help_line) in extra.items():
            kept = tuple(p for p in phrases if normalize(p) not in owned)
            intents[name] = Intent(name, kept, (), help_line)
        return Vocabulary(intents)

    def phrases_for(self, names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """All phrasings of the given intents, normalized (for a command grammar)."""
        out: list[str] = []
        for name in names:
            intent = self.intents.get(name)
            if intent:
                out.extend(normalize(p) for p in intent.phrases)
        return tuple(dict.fromkeys(out))

    def all_phrases(self) -> tuple[str, ...]:
        """Every phrasing of every intent, normalized."""
        return self.phrases_for(list(self.intents))

    def match_spoken(self, text: str) -> str | None:
        """Intent of an utterance that is exactly one phrasing (after normalizing), else None."""
        return self._by_phrase.get(normalize(text))

    def match_typed(self, text: str) -> str | None:
        """Intent of a typed line: a phrasing, the intent's name, or its one-key shortcut."""
        stripped = text.strip().lower()
        if stripped in self._by_key:
            return self._by_key[stripped]
        if normalize(stripped) in self.intents:
            return normalize(stripped)
        return self.match_spoken(text)

    def help_lines(self, names: tuple[str, ...] | list[str]) -> list[str]:
        """Human lines like '"next" or "go on": move on' for the given intents."""
        lines = []
        for name in names:
            intent = self.intents.get(name)
            if intent:
                said = " or ".join(f'"{p}"' for p in intent.phrases[:2])
                lines.append(f"{said}: {intent.help}")
        return lines
