"""What a session runs with: command-line flags over the user's settings file.

Built once, at the edge (the command's handler), and frozen: nothing after
that reads the argparse Namespace or changes a setting on the way.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion import content_files
from companion.core.flow import DEFAULT_RATE_WPM


def load_settings_file() -> dict[str, Any]:
    """The user's defaults (settings.toml): region, voice, rate, discreet."""
    return content_files.load("settings.toml")


@dataclass(frozen=True)
class Settings:
    """One session's settings; every field has its default for a command without the flag."""

    text: bool = False  # typed input and printed prompts only
    voice: str | None = None  # text-to-speech voice id; None: the engine's default
    rate_wpm: int = DEFAULT_RATE_WPM
    input_device: str | None = None
    output_device: str | None = None
    region: str | None = None  # a helplines region key; None: from the system locale
    discreet: bool = False  # crisis output on screen only
    engine: str = "auto"
    model: Path | None = None  # a Vosk model folder
    voice_profile: bool = True  # the built-in recognizer loads the person's voice profile

    @classmethod
    def from_options(cls, args: argparse.Namespace | None = None,
                     file: dict[str, Any] | None = None) -> Settings:
        """Flags first, then settings.toml (read when ``file`` is None), then defaults.
        Commands without a flag (``journal edit`` has no ``--voice``) get the file's or
        the default value. An unknown region is an error here, naming where it was set."""
        from companion.safety.helplines import resolve_region

        saved = load_settings_file() if file is None else file

        def flag(name: str) -> Any:
            return getattr(args, name, None)

        discreet = flag("discreet")
        return cls(
            text=bool(flag("text")),
            voice=flag("voice") or saved.get("voice") or None,
            rate_wpm=int(flag("rate") or saved.get("rate_wpm") or DEFAULT_RATE_WPM),
            input_device=flag("input_device"),
            output_device=flag("output_device"),
            region=resolve_region(flag("region"), saved.get("region") or None),
            discreet=bool(saved.get("discreet", False)) if discreet is None else bool(discreet),
            engine=flag("engine") or "auto",
            model=flag("model"),
            voice_profile=not flag("no_voice_profile"),
        )
