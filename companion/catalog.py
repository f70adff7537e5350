"""What a downloadable model is (the catalog's entries), on its own so that listing
models and downloading them can both use it without importing each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ProgressCallback = Callable[[int, int | None], None]  # (bytes done, total bytes or None)


@dataclass(frozen=True)
class CatalogEntry:
    """One downloadable model, as listed in ``companion/catalog.toml``."""

    name: str
    language: str
    url: str
    size: int  # bytes of the zip, approximate: only for the progress bar and disk hint
    sha256: str  # lowercase hex; "" means the download is not verified
    description: str
