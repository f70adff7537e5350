"""Options several commands share, and how a command names its handler.

Kept apart from ``companion.cli`` so the feature packages' own commands
(breathe, rehearse, journal, model) can use them without importing the CLI
that imports them.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path

ENGINES = ("auto", "vosk", "pocketsphinx")


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="speech recognizer (auto: Vosk when a model is found)")
    parser.add_argument("--model", type=Path, metavar="PATH",
                        help="Vosk model folder (else $COMPANION_MODEL, models/, data folder)")
    parser.add_argument("--no-voice-profile", action="store_true",
                        help="the built-in recognizer without your voice profile "
                        "(`companion voice teach`), to compare")


def add_voice_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text", action="store_true",
                        help="typed input and printed prompts only (no audio)")
    parser.add_argument("--voice", help="text-to-speech voice id (see `companion doctor`)")
    parser.add_argument("--rate", type=int, default=None, metavar="WPM",
                        help="speaking rate in words per minute (calm default: 140)")
    parser.add_argument("--input-device", metavar="NAME_OR_INDEX",
                        help="microphone (see `companion devices`)")
    parser.add_argument("--output-device", metavar="NAME_OR_INDEX",
                        help="speaker (see `companion devices`)")
    parser.add_argument("--region", help="where you are, for helpline numbers (US, UK, IE, "
                        "CA, EU, ...; default: from your system locale)")
    parser.add_argument("--discreet", action="store_true", default=None,
                        help="crisis numbers on screen only, never said aloud")
    add_engine_options(parser)


def handler(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """The command handler ``module.name``, imported only when the command runs
    (so ``--help`` stays instant)."""

    def run(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module(module), name)(args))

    run.__name__ = name
    return run


def confirmed(what: str, where: Path, word: str) -> bool:
    """Ask before deleting ``what`` for good: True only when ``word`` is typed back."""
    print(f"This deletes {what} from this machine, for good ({where}).")
    try:
        typed = input(f"Type {word} to confirm: ")
    except EOFError:
        typed = ""
    if typed.strip().lower() != word:
        print("Nothing was deleted.")
        return False
    return True
