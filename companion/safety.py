"""Crisis language detection and helpline resources, driven by content files.

Every typed line and every recognized utterance passes through
:meth:`CrisisDetector.detect`; a match means helpline numbers are spoken and
shown before anything else. Patterns live in ``safety.toml`` and numbers in
``helplines.toml`` so they can be reviewed (and added to) without reading
code. Users may *add* patterns and lines but never remove the packaged
ones, so an edited file cannot quietly switch safety off.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from companion import content_files as content
from companion.crisis_patterns import PatternCompiler, TextCleaner
from companion.errors import CompanionError, ContentError
from companion.normalize import words
from companion.paths import config_dir

SAFETY_FILE = "safety.toml"
HELPLINES_FILE = "helplines.toml"
FALLBACK_REGION = "INTL"
HARM_CATEGORY = "harm_from_others"
KINDS = ("crisis", "emergency", "abuse", "directory")
_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _packaged(name: str) -> dict[str, Any]:
    """The package's own copy of a content file, ignoring the user's."""
    text = resources.files("companion.content").joinpath(name).read_text(encoding="utf-8")
    return content.parse_toml(text, f"companion/content/{name}")



@dataclass(frozen=True)
class CrisisMatch:
    """Crisis language found: which category, which pattern, and where.

    ``start``/``end`` are character offsets of ``matched`` in ``text``, the
    cleaned (normalized, slip-corrected) text that was searched.
    """

    category: str
    label: str
    pattern: str
    matched: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Category:
    name: str
    label: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    acknowledge: str
    carry_on: str


class CrisisDetector:
    """Finds crisis language in typed or recognized text, by category."""

    def __init__(self, data: dict[str, Any], source: str = SAFETY_FILE) -> None:
        response = content.require(data, "response", dict, source)
        where = f"{source} [response]"
        self.acknowledge = str(content.require(response, "acknowledge", str, where))
        self.help_now = str(content.require(response, "help_now", str, where))
        self.carry_on = str(content.require(response, "carry_on", str, where))
        sets = data.get("sets", {})
        for name, items in sets.items():
            if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
                raise ContentError(f"{source}: [sets] {name} should be a list of phrases")
        variants: dict[str, str] = {}
        for meant, heard in data.get("variants", {}).items():
            if not isinstance(heard, list) or not all(isinstance(h, str) for h in heard):
                raise ContentError(f"{source}: [variants] {meant} should be a list of phrases")
            for phrase in heard:
                variants[" ".join(words(phrase))] = " ".join(words(meant))
        spelling = data.get("spelling", {})
        self.cleaner = TextCleaner(
            variants, [str(w) for w in spelling.get("near_words", [])],
            int(spelling.get("min_letters", 6)),
        )
        compiler = PatternCompiler(sets, source)
        categories = content.require(data, "categories", dict, source)
        self.categories: list[_Category] = []
        for name, spec in categories.items():
            where = f"{source} [categories.{name}]"
            if not isinstance(spec, dict):
                raise ContentError(f"{where} should be a table")
            patterns = content.require(spec, "patterns", list, where)
            if not all(isinstance(p, str) and p.strip() for p in patterns):
                raise ContentError(f"{where}: patterns must be non-empty strings")
            self.categories.append(_Category(
                name, str(spec.get("label", name)),
                tuple((p, compiler.compile(p)) for p in dict.fromkeys(patterns)),
                str(spec.get("acknowledge", self.acknowledge)),
                str(spec.get("carry_on", self.carry_on)),
            ))

    @classmethod
    def load(cls, user_dir: Path | None = None) -> CrisisDetector:
        """Packaged patterns plus the user's safety.toml.

        The user's patterns, set items and variants are *added* to the packaged
        ones (a shorter list of their own must not narrow what is caught); the
        user's wording replaces ours.
        """
        packaged = _packaged(SAFETY_FILE)
        merged = content.load(SAFETY_FILE, user_dir=user_dir)
        for table, key in (("categories", "patterns"), ("sets", None), ("variants", None)):
            mine_all = merged.get(table)
            for name, spec in packaged.get(table, {}).items():
                ours = spec[key] if key else spec
                mine = mine_all.get(name) if isinstance(mine_all, dict) else None
                if key and isinstance(mine, dict) and isinstance(mine.get(key), list):
                    mine[key] = ours + [p for p in mine[key] if p not in ours]
                elif isinstance(mine_all, dict) and isinstance(mine, list) and mine is not ours:
                    mine_all[name] = ours + [p for p in mine if p not in ours]
        user_path = (user_dir or config_dir()) / SAFETY_FILE
        source = str(user_path) if user_path.is_file() else f"companion/content/{SAFETY_FILE}"
        return cls(merged, source)

    def detect_all(self, text: str) -> list[CrisisMatch]:
        """One match per category found, in the order of the file."""
        cleaned = self.cleaner.clean(text)
        found = []
        for category in self.categories:
            for source, regex in category.patterns:
                hit = regex.search(cleaned)
                if hit:
                    matched = hit.group(0).strip()
                    found.append(CrisisMatch(
                        category.name, category.label, source, matched,
                        cleaned.strip(), hit.start() - 1, hit.start() - 1 + len(matched),
                    ))
                    break
        return found

    def detect(self, text: str) -> CrisisMatch | None:
        """The first crisis match in ``text``, or None."""
        found = self.detect_all(text)
        return found[0] if found else None

    def wording(self, category: str | None) -> tuple[str, str, str]:
        """(acknowledge, help_now, carry_on) for a category (general words when None)."""
        for item in self.categories:
            if item.name == category:
                return item.acknowledge, self.help_now, item.carry_on
        return self.acknowledge, self.help_now, self.carry_on


@dataclass(frozen=True)
class Helpline:
    """One place to get help; ``say`` is the spoken sentence (may be empty)."""

    name: str
    kind: str
    purpose: str
    number: str = ""
    text: str = ""
    keyword: str = ""
    web: str = ""
    say: str = ""

    def spoken(self) -> str:
        """The ``say`` sentence with numbers read digit by digit."""
        return self.say.format(number=spell_number(self.number), text=spell_number(self.text))

    def screen(self) -> str:
        """One line for the screen: name, how to reach them, what for."""
        how = []
        if self.number and self.number == self.text:
            how.append(f"call or text {self.number}")
        else:
            if self.number:
                how.append(f"call {self.number}")
            if self.text:
                how.append(f"text {self.keyword + ' to ' if self.keyword else ''}{self.text}")
        if self.web:
            how.append(self.web)
        reach = f": {', '.join(how)}" if how else ""
        return f"{self.name}{reach} ({self.purpose})"


def spell_number(number: str) -> str:
    """"116 123" -> "one one six, one two three": digits one by one, groups paused."""
    groups = [g for g in re.split(r"[\s\-]+", number.strip()) if g]
    return ", ".join(
        " ".join(_DIGITS[int(c)] if c.isdigit() else c for c in g) if g.isdigit() else g
        for g in groups
    ).replace(", or,", " or")


@dataclass(frozen=True)
class Region:
    """A region: its key (``UK``), display name, aliases and ISO country codes."""

    key: str
    name: str
    aliases: tuple[str, ...]
    countries: tuple[str, ...]
    lines: tuple[Helpline, ...]


class Helplines:
    """Helpline resources per region, from helplines.toml (package + user's lines)."""

    def __init__(self, data: dict[str, Any], source: str = HELPLINES_FILE) -> None:
        common = [self._line(item, f"{source} [[common]]") for item in data.get("common", [])]
        self.regions: dict[str, Region] = {}
        for key, spec in content.require(data, "regions", dict, source).items():
            where = f"{source} [regions.{key}]"
            if not isinstance(spec, dict):
                raise ContentError(f"{where} should be a table")
            lines = [self._line(item, where) for item in spec.get("lines", [])]
            self.regions[key.upper()] = Region(
                key.upper(), str(spec.get("name", key)),
                tuple(str(a).upper() for a in spec.get("aliases", [])),
                tuple(str(c).upper() for c in spec.get("countries", [])),
                tuple(lines + [c for c in common if c.name not in {x.name for x in lines}]),
            )
        if FALLBACK_REGION not in self.regions:
            raise ContentError(f"{source}: missing [regions.{FALLBACK_REGION}]",
                               f"add the fallback region to {source}")

    @staticmethod
    def _line(item: Any, where: str) -> Helpline:
        if not isinstance(item, dict):
            raise ContentError(f"{where}: each line should be a table")
        name = str(content.require(item, "name", str, where))
        kind = str(content.require(item, "kind", str, f"{where} {name}"))
        if kind not in KINDS:
            raise ContentError(f"{where} {name}: kind '{kind}' is not one of {', '.join(KINDS)}")
        return Helpline(
            name, kind, str(item.get("for", "")), str(item.get("number", "")),
            str(item.get("text", "")), str(item.get("keyword", "")), str(item.get("web", "")),
            str(item.get("say", "")),
        )

    @classmethod
    def load(cls, user_dir: Path | None = None) -> Helplines:
        """Packaged lines plus the user's (added per region; same name replaces)."""
        packaged = _packaged(HELPLINES_FILE)
        merged = content.load(HELPLINES_FILE, user_dir=user_dir)
        mine_all = merged.get("regions")
        for key, spec in packaged["regions"].items():
            mine = mine_all.get(key) if isinstance(mine_all, dict) else None
            if isinstance(mine, dict) and mine.get("lines") is not spec.get("lines"):
                names = {str(x.get("name")) for x in mine.get("lines", []) if isinstance(x, dict)}
                ours = [x for x in spec.get("lines", []) if x.get("name") not in names]
                mine["lines"] = ours + list(mine.get("lines", []))
        return cls(merged)

    def known(self) -> list[str]:
        """Region keys, for messages and --help."""
        return list(self.regions)

    def lookup(self, name: str) -> str | None:
        """Region key for a key, alias or ISO country code (any case), else None."""
        wanted = " ".join(name.replace("_", " ").replace("-", " ").split()).upper()
        for region in self.regions.values():
            if wanted == region.key or wanted in region.aliases or wanted in region.countries:
                return region.key
        return None

    def for_region(self, region: str) -> list[Helpline]:
        """Every line for the region (unknown regions get the international fallback)."""
        key = self.lookup(region) or FALLBACK_REGION
        return list(self.regions[key].lines)

    def spoken_text(self, region: str, category: str | None = None) -> str:
        """Short spoken resources: emergency, then crisis (abuse lines when being hurt)."""
        lines = [x for x in self.for_region(region) if x.say]
        kinds = ["emergency"] + (["abuse"] if category == HARM_CATEGORY else []) + ["crisis"]
        if not any(x.kind == "crisis" for x in lines):
            kinds.append("directory")
        return " ".join(x.spoken() for kind in kinds for x in lines if x.kind == kind)

    def screen_text(self, region: str) -> str:
        """The full list for the screen, one line each, most urgent first."""
        key = self.lookup(region) or FALLBACK_REGION
        order = {"emergency": 0, "crisis": 1, "abuse": 2, "directory": 3}
        lines = sorted(self.for_region(key), key=lambda x: order[x.kind])
        body = "\n".join(f"  - {x.screen()}" for x in lines)
        return f"Help now ({self.regions[key].name}):\n{body}"


def _locale_country(env: Mapping[str, str]) -> str | None:
    """ISO country from LC_ALL / LC_MESSAGES / LANG ("en_GB.UTF-8" -> "GB")."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        match = re.match(r"[a-zA-Z]{2,3}[_-]([a-zA-Z]{2})\b", env.get(var, ""))
        if match:
            return match.group(1).upper()
    return None


def resolve_region(cli_region: str | None, config_region: str | None,
                   env: Mapping[str, str] = os.environ,
                   helplines: Helplines | None = None) -> str:
    """--region wins, then the config, then the system locale, else INTL.

    An explicit region that is not known is an error (a typo must not quietly
    give someone the wrong emergency number); an unknown locale is not.
    """
    helplines = helplines or Helplines.load()
    for given, where in ((cli_region, "--region"), (config_region, "the config's region")):
        if given and given.strip():
            key = helplines.lookup(given)
            if key is None:
                known = ", ".join(helplines.known())
                raise CompanionError(f"unknown region '{given}' in {where}",
                                     f"use one of: {known} (or a country code such as GB)")
            return key
    country = _locale_country(env)
    return (helplines.lookup(country) if country else None) or FALLBACK_REGION


class Safety:
    """What the session core calls: ``is_crisis``, then ``spoken`` and ``screen``.

    Remembers the last match so the words fit it (someone being hurt hears
    the abuse line and that leaving is right).
    """

    def __init__(self, detector: CrisisDetector, helplines: Helplines, region: str) -> None:
        self.detector = detector
        self.helplines = helplines
        self.region = region
        self.last: CrisisMatch | None = None

    @classmethod
    def load(cls, region: str, user_dir: Path | None = None) -> Safety:
        """Detector and helplines from content files, for an already-resolved region."""
        return cls(CrisisDetector.load(user_dir), Helplines.load(user_dir), region)

    def is_crisis(self, text: str) -> bool:
        """True when ``text`` holds crisis language (remembered for the wording)."""
        found = self.detector.detect_all(text)
        if found:
            self.last = next((m for m in found if m.category == HARM_CATEGORY), found[0])
        return bool(found)

    def _category(self) -> str | None:
        return self.last.category if self.last else None

    def spoken(self) -> str:
        """Acknowledge, help is there now, the numbers, then carry on or stop."""
        ack, now, carry_on = self.detector.wording(self._category())
        numbers = self.helplines.spoken_text(self.region, self._category())
        return " ".join((ack, now, numbers, carry_on))

    def screen(self) -> str:
        """The same words around the full resource list."""
        ack, now, carry_on = self.detector.wording(self._category())
        return f"{ack} {now}\n{self.helplines.screen_text(self.region)}\n{carry_on}"

    def resources_spoken(self) -> str:
        """Only the numbers, for a step that has already said why (leaving as unsafe)."""
        return self.helplines.spoken_text(self.region, HARM_CATEGORY)
