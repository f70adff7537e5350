"""The rehearsal paraphrase corpus (corpus/rehearse/): read once, split once by author.

Shared by the benchmark and the tests. Each attempt is checked against every
part of both built-in phrases: a part should be credited exactly when the
line carries its idea (so off-topic lines and the other phrase's parts must
credit nothing).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "rehearse"


@dataclass(frozen=True)
class Attempt:
    """One line: who wrote it, which phrase and parts it carries, and its words."""

    author: str
    phrase: str  # "disclosure", "break" or "none"
    parts: frozenset[int]
    text: str

    def carries(self, phrase: str, part: int) -> bool:
        return self.phrase == phrase and part in self.parts


def read_author(author: str, folder: Path = CORPUS) -> list[Attempt]:
    out = []
    path = folder / f"{author}.tsv"
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        if len(fields) != 3 or fields[0] not in ("disclosure", "break", "none"):
            raise ValueError(f"{path}:{number}: expected phrase<TAB>parts<TAB>text")
        parts = frozenset(int(p) for p in fields[1].split(",") if p.strip())
        out.append(Attempt(author, fields[0], parts, fields[2]))
    return out


def part(name: str, folder: Path = CORPUS) -> list[Attempt]:
    """All attempts of the "tuning" or the "evaluation" authors."""
    data = tomllib.loads((folder / "split.toml").read_text(encoding="utf-8"))
    return [a for author in data[name] for a in read_author(author, folder)]
