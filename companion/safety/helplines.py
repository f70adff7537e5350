"""Where to get help, per region: helplines.toml read, numbers spelt out, region chosen.

A user may add lines (a friend, a therapist, a local service) per region in
their own helplines.toml; the packaged lines are kept unless the user gives
one of the same name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion import content_files as content
from companion.errors import CompanionError, ContentError
from companion.safety.content import RESOURCE_KINDS

HELPLINES_FILE = "helplines.toml"
FALLBACK_REGION = "INTL"
_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


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
        if kind not in RESOURCE_KINDS:
            raise ContentError(f"{where} {name}: kind '{kind}' is not one of "
                               f"{', '.join(RESOURCE_KINDS)}")
        return Helpline(
            name, kind, str(item.get("for", "")), str(item.get("number", "")),
            str(item.get("text", "")), str(item.get("keyword", "")), str(item.get("web", "")),
            str(item.get("say", "")),
        )

    @classmethod
    def load(cls, user_dir: Path | None = None) -> Helplines:
        """Packaged lines plus the user's (added per region; same name replaces)."""
        packaged = content.packaged(HELPLINES_FILE)
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

    def spoken_text(self, region: str, kinds: tuple[str, ...] = ("emergency", "crisis")) -> str:
        """The spoken sentences of the region's lines of ``kinds``, in that order.

        A region with no such line that can be spoken (no crisis line known for
        it, say) also gets the directory of helplines.
        """
        lines = [x for x in self.for_region(region) if x.say]
        order = list(dict.fromkeys(kinds))
        if not any(x.kind in order and x.kind != "emergency" for x in lines):
            order.append("directory")
        return " ".join(x.spoken() for kind in order for x in lines if x.kind == kind)

    def screen_text(self, region: str, kinds: tuple[str, ...] = ()) -> str:
        """The full list for the screen, one line each: ``kinds`` first, then the rest."""
        key = self.lookup(region) or FALLBACK_REGION
        order = list(dict.fromkeys(kinds + RESOURCE_KINDS))
        lines = sorted(self.for_region(key), key=lambda x: order.index(x.kind))
        body = "\n".join(f"  - {x.screen()}" for x in lines)
        return f"Help now ({self.regions[key].name}):\n{body}"

    def emergency_number(self, region: str) -> str:
        """The region's emergency number read aloud, or "your local emergency number"."""
        for line in self.for_region(region):
            if line.kind == "emergency" and line.number:
                return spell_number(line.number)
        return "your local emergency number"


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


