"""Load content TOML files: the package's defaults, overridden by the user's.

A user file with the same name in the config folder is merged over the
package file (tables merge, other values replace). Errors name the file and
the line, so a typo in someone's own phrase file is easy to fix.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from companion.errors import ContentError
from companion.normalize import words
from companion.paths import config_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text; on error raise ContentError naming ``source`` and its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"line (\d+)", str(err))
        where = f"{source}, line {match.group(1)}" if match else source
        raise ContentError(
            f"content file {where} is not valid TOML: {err}",
            f"correct the file, or move it away to use the built-in content ({source})",
        ) from err


def read_toml(path: Path) -> dict[str, Any]:
    """Read and parse one TOML file with a clear error when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ContentError(f"cannot read content file {path}: {err}", "check the file") from err
    return parse_toml(text, str(path))


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base`` (tables merge, values replace)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def packaged(name: str) -> dict[str, Any]:
    """The package's own copy of content file ``name``, ignoring the user's."""
    text = resources.files("companion.content").joinpath(name).read_text(encoding="utf-8")
    return parse_toml(text, f"companion/content/{name}")


def load(name: str, user_dir: Path | None = None) -> dict[str, Any]:
    """Load package content ``name`` (e.g. "commands.toml") merged with the user's copy."""
    data = packaged(name)
    user_file = (user_dir or config_dir()) / name
    if user_file.is_file():
        data = merge(data, read_toml(user_file))
    return data


def require(data: dict[str, Any], key: str, kind: type, source: str) -> Any:
    """Fetch ``data[key]`` checking its type, or raise ContentError naming ``source``."""
    if key not in data:
        raise ContentError(f"{source}: missing '{key}'", f"add '{key}' to {source}")
    value = data[key]
    if not isinstance(value, kind):
        raise ContentError(
            f"{source}: '{key}' should be a {kind.__name__}, not {type(value).__name__}",
            f"fix '{key}' in {source}",
        )
    return value


def require_prompts(data: dict[str, Any], required: tuple[str, ...],
                    source: str) -> dict[str, str]:
    """The ``[prompts]`` table, with every key a flow speaks present as text."""
    prompts = require(data, "prompts", dict, source)
    missing = [key for key in required if not isinstance(prompts.get(key), str)]
    if missing:
        raise ContentError(f"{source}: [prompts] is missing {', '.join(missing)}",
                           f"add them to your {source}, or delete it to use the built-in words")
    return prompts


def strings(value: object) -> Iterator[str]:
    """Every string in parsed TOML (table keys too): the words content is made of."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def packaged_words() -> set[str]:
    """The words of the package's own content files (the shipped lexicon holds them)."""
    found: set[str] = set()
    for item in resources.files("companion.content").iterdir():
        if item.name.endswith(".toml"):
            data = parse_toml(item.read_text(encoding="utf-8"), f"companion/content/{item.name}")
            found.update(w for text in strings(data) for w in words(text))
    return found


def user_words(user_dir: Path | None = None) -> set[str]:
    """The words of the user's own content files (a recognizer with a limited
    lexicon adds them, so a user's crisis pattern or phrasing can be heard)."""
    found: set[str] = set()
    folder = user_dir or config_dir()
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            data = read_toml(path)
        except ContentError:
            continue  # reported where the file is loaded for its content
        found.update(w for text in strings(data) for w in words(text))
    return found
