"""The safety content files, read and checked: wording, categories, rules, word lists.

``safety.toml`` holds what is said and the rules; ``crisis_words.toml`` the
concept lists and shorthand. A user's copy of either may *add* patterns,
words and idioms but never remove packaged ones, so an edited file cannot
quietly switch safety off; the user's wording replaces ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion import content_files as content
from companion.errors import ContentError
from companion.paths import config_dir

SAFETY_FILE = "safety.toml"
WORDS_FILE = "crisis_words.toml"
RESOURCE_KINDS = ("crisis", "emergency", "abuse", "directory")


@dataclass(frozen=True)
class Category:
    """One kind of crisis: its rules and how the companion answers it.

    ``resources`` are helpline kinds, most urgent first; ``discreet`` means
    someone dangerous may be near, so little is said aloud.
    """

    name: str
    label: str
    resources: tuple[str, ...]
    discreet: bool
    acknowledge: str
    carry_on: str
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Wording:
    """General words around the numbers, and the discreet ones."""

    acknowledge: str
    help_now: str
    carry_on: str
    discreet_spoken: str
    discreet_screen: str
    discreet_ended: str


@dataclass(frozen=True)
class SafetyContent:
    """Everything the detector and the responses are built from."""

    wording: Wording
    categories: tuple[Category, ...]
    idioms: tuple[str, ...]
    sets: dict[str, list[str]]
    shorthand: dict[str, str]
    source: str


def _add_only(packaged: Any, merged: Any, where: str) -> Any:
    """``merged`` with every packaged list item put back (user items kept after ours).

    A user's value of the wrong shape (a string where we have a list) is an
    error naming ``where``, not something to drop quietly.
    """
    if isinstance(packaged, list):
        if merged is not None and not isinstance(merged, list):
            raise ContentError(f"{where} should be a list",
                               f"write it as [\"...\", ...] in {where}")
        mine = merged or []
        return packaged + [item for item in mine if item not in packaged]
    if isinstance(packaged, dict):
        if merged is not None and not isinstance(merged, dict):
            raise ContentError(f"{where} should be a table", f"fix {where}")
        out = dict(merged or {})
        for key, ours in packaged.items():
            if isinstance(ours, (list, dict)):
                out[key] = _add_only(ours, out.get(key), f"{where} {key}")
        return out
    return merged


def _source(name: str, user_dir: Path | None) -> str:
    path = (user_dir or config_dir()) / name
    return str(path) if path.is_file() else f"companion/content/{name}"


def _text(table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    if default is not None and key not in table:
        return default
    return str(content.require(table, key, str, where))


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ContentError(f"{where} should be a list of non-empty strings",
                           f"fix the list in {where.split(' ')[0]}")
    return list(dict.fromkeys(value))


def load_content(user_dir: Path | None = None) -> SafetyContent:
    """Packaged safety content plus the user's additions, checked."""
    rules_source, words_source = _source(SAFETY_FILE, user_dir), _source(WORDS_FILE, user_dir)
    rules = _add_only(content.packaged(SAFETY_FILE), content.load(SAFETY_FILE, user_dir=user_dir),
                      rules_source)
    lists = _add_only(content.packaged(WORDS_FILE), content.load(WORDS_FILE, user_dir=user_dir),
                      words_source)
    return parse_content(rules, lists, rules_source, words_source)


def parse_content(rules: dict[str, Any], lists: dict[str, Any], source: str = SAFETY_FILE,
                  words_source: str = WORDS_FILE) -> SafetyContent:
    """Check parsed TOML and build :class:`SafetyContent`; errors name file and table."""
    response = content.require(rules, "response", dict, source)
    where = f"{source} [response]"
    general = (_text(response, "acknowledge", where), _text(response, "help_now", where),
               _text(response, "carry_on", where))
    discretion = content.require(rules, "discretion", dict, source)
    where = f"{source} [discretion]"
    wording = Wording(*general, _text(discretion, "spoken", where),
                      _text(discretion, "screen", where), _text(discretion, "ended", where))
    categories = []
    for name, spec in content.require(rules, "categories", dict, source).items():
        where = f"{source} [categories.{name}]"
        if not isinstance(spec, dict):
            raise ContentError(f"{where} should be a table", f"fix {where}")
        kinds = tuple(_strings(spec.get("resources", ["crisis", "emergency"]),
                               f"{where} resources"))
        unknown = [k for k in kinds if k not in RESOURCE_KINDS]
        if unknown:
            raise ContentError(f"{where}: resources {unknown} are not helpline kinds",
                               f"use {', '.join(RESOURCE_KINDS)}")
        categories.append(Category(
            name, _text(spec, "label", where, name), kinds, bool(spec.get("discreet", False)),
            _text(spec, "acknowledge", where, wording.acknowledge),
            _text(spec, "carry_on", where, wording.carry_on),
            tuple(_strings(spec.get("patterns", []), f"{where} patterns")),
        ))
    guard = rules.get("guard", {})
    idioms = tuple(_strings(guard.get("idioms", []), f"{source} [guard] idioms"))
    sets = {name: _strings(items, f"{words_source} [sets] {name}")
            for name, items in lists.get("sets", {}).items()}
    shorthand = lists.get("shorthand", {})
    if not all(isinstance(v, str) for v in shorthand.values()):
        raise ContentError(
            f"{words_source} [shorthand]: each entry should be \"typed\" = \"meant\"",
            f"fix [shorthand] in {words_source}")
    return SafetyContent(wording, tuple(categories), idioms, sets, dict(shorthand), source)
