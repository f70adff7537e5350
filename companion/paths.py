"""Where user files live (platformdirs), created owner-only.

Config (user content overrides) and data (store, downloaded models) follow the
platform's conventions. Tests point them elsewhere with ``COMPANION_HOME``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "companion"


def _home_override() -> Path | None:
    value = os.environ.get("COMPANION_HOME")
    return Path(value) if value else None


def config_dir() -> Path:
    """Folder for the user's own content files (commands.toml, ground.toml, ...)."""
    home = _home_override()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP))


def data_dir(create: bool = False) -> Path:
    """Folder for the store and downloaded models; created 0700 when asked."""
    home = _home_override()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP))
    if create:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.chmod(0o700)
    return path


def cache_dir(create: bool = False) -> Path:
    """Folder for rendered speech (safe to delete at any time)."""
    home = _home_override()
    path = home / "cache" if home else Path(platformdirs.user_cache_dir(APP))
    if create:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
