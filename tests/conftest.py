"""Shared fixtures. Every test gets its own empty COMPANION_HOME so no test
reads or writes the real user's config, data or cache folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def companion_home(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private, empty home for config/data; the speech cache is shared per run."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COMPANION_HOME", str(home))
    yield home
