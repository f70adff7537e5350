"""Shared fixtures. Every test gets its own empty COMPANION_HOME so no test
reads or writes the real user's config, data or cache folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import speech
from tests.pulse import PulseServer


def pytest_configure(config: pytest.Config) -> None:
    """Keep synthesized test speech in pytest's cache between runs (when it has one)."""
    cache = getattr(config, "cache", None)
    if cache is not None:
        speech.SHARED_CACHE = Path(cache.mkdir("speech"))


@pytest.fixture(autouse=True)
def companion_home(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private, empty home for config/data; the speech cache is shared per run."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COMPANION_HOME", str(home))
    yield home


@pytest.fixture(scope="session")
def pulse() -> Iterator[PulseServer]:
    """A private PulseAudio server with speaker/micfeed/mic, active in this process.

    Session-scoped: starting one costs ~2.3 s (see tests/pulse.py). Tests that
    unload the mic or turn on the loopback must restore them.
    """
    if not PulseServer.available():
        pytest.skip("pulseaudio/pulseaudio-utils not installed (apt install pulseaudio "
                    "pulseaudio-utils)")
    with PulseServer() as server:
        server.activate()
        yield server
