"""`companion voice teach | show | forget`: the person's voice profile from the command line."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from companion.cli_options import add_voice_options, confirmed, handler

CONFIRM_WORD = "forget"


def add_voice_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``voice`` and its subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "voice", help="teach the companion how you say the commands",
        description="A voice profile: the built-in recognizer learns how you say the "
        "commands. It stays in your private data folder and is never sent anywhere.")
    sub = parser.add_subparsers(dest="voice_command", required=True, metavar="COMMAND")
    teach = sub.add_parser("teach", help="say the commands back a few times (about a minute)")
    teach.add_argument("--from", dest="folder", type=Path, metavar="FOLDER",
                       help="teach from recordings: FOLDER/takes.tsv lists 'file.wav<TAB>phrase'")
    add_voice_options(teach)
    teach.set_defaults(func=handler("companion.voice.cli", "cmd_teach"))
    sub.add_parser("show", help="what was taught, when, and the last check").set_defaults(
        func=handler("companion.voice.cli", "cmd_show"))
    forget = sub.add_parser("forget", help="delete the voice profile and its recordings")
    forget.add_argument("--yes", action="store_true", help="no confirmation (for scripts)")
    forget.set_defaults(func=handler("companion.voice.cli", "cmd_forget"))
    return parser


def cmd_teach(args: argparse.Namespace) -> int:
    """Teach from a folder of takes, or by voice in a short session."""
    from companion.intents import Vocabulary
    from companion.voice.teach import check, read_takes, teach

    if args.folder is None:
        from companion.settings import Settings
        from companion.voice.session import build_teach_session, disclosure_phrase

        session, keeper = build_teach_session(Settings.from_options(args),
                                              disclosure_phrase())
        session.run()
        if keeper.learned is None:
            return 1
        takes = keeper.takes
    else:
        takes = read_takes(args.folder)
        started = time.monotonic()
        profile = teach(takes)
        print(f"Learned your voice from {profile.takes} takes in "
              f"{time.monotonic() - started:.1f} s. Sessions use it from now on.", flush=True)
    print(_check_line(check(takes, Vocabulary.load())), flush=True)
    return 0


def _check_line(figures: dict[str, Any]) -> str:
    if not figures.get("commands"):
        return "No command was among the takes, so there is nothing to check."
    return (f"Check on {figures['on']}: commands heard right "
            f"{figures['heard_without']}/{figures['commands']} without the profile, "
            f"{figures['heard_with']}/{figures['commands']} with it.")


def cmd_show(args: argparse.Namespace) -> int:
    """What was taught, when, from how many takes, and the last check."""
    from companion.voice import profile as store

    profile = store.load()
    if profile is None:
        print("No voice profile yet. Teach one with: companion voice teach")
        return 0
    print(f"Voice profile in {store.folder()}")
    print(f"  taught      {profile.taught_at} ({profile.method.upper()} adaptation, "
          f"{profile.adapt_s} s)")
    print(f"  takes       {profile.takes} ({profile.speech_s} s of speech) of "
          f"{len(profile.phrases)} phrases")
    for phrase, count in profile.phrases.items():
        print(f"    {count} x {phrase}")
    if profile.check:
        print(f"  last check  {_check_line(profile.check)}")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    """Delete the profile and its recordings, after a confirmation (or --yes)."""
    from companion.voice import profile as store

    base = store.folder()
    if not base.exists():
        print("There is no voice profile on this machine.")
        return 0
    if not args.yes and not confirmed("your voice profile and its recordings", base,
                                      CONFIRM_WORD):
        return 1
    removed = store.forget()
    print(f"Deleted the voice profile ({len(removed)} files).")
    return 0
