"""The labelled safety corpus (corpus/safety/): read once, split once by author.

Shared by the training script, the benchmark and the tests, so all three
read the same lines and the same split (``split.toml``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "safety"
LABELS = ("danger", "abuse", "suicide", "self_harm", "none")


@dataclass(frozen=True)
class Line:
    """One labelled line: who wrote it, its label, its style and its text."""

    author: str
    label: str
    style: str
    text: str

    @property
    def crisis(self) -> bool:
        return self.label != "none"


def read_author(author: str, folder: Path = CORPUS) -> list[Line]:
    """Every line of one author's file; a malformed line raises ValueError naming it."""
    path = folder / f"{author}.tsv"
    out = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        if len(fields) != 3 or fields[0] not in LABELS:
            raise ValueError(f"{path}:{number}: expected label<TAB>style<TAB>text")
        out.append(Line(author, *fields))
    return out


def split(folder: Path = CORPUS) -> dict[str, list[str]]:
    """{"tuning": [authors], "evaluation": [authors]} from split.toml."""
    data = tomllib.loads((folder / "split.toml").read_text(encoding="utf-8"))
    return {"tuning": list(data["tuning"]), "evaluation": list(data["evaluation"])}


def part(name: str, folder: Path = CORPUS) -> list[Line]:
    """All lines of the "tuning" or the "evaluation" part."""
    return [line for author in split(folder)[name] for line in read_author(author, folder)]
