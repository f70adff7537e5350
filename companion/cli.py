"""Command line: a thin layer over the library.

Domain errors (:class:`companion.errors.CompanionError`) become one
actionable message and a non-zero exit code here, never a traceback.
Heavy imports happen inside the commands so ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from companion import __version__
from companion.cli_options import add_engine_options, add_voice_options, handler
from companion.errors import CompanionError


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree; `companion` alone runs `ground`."""
    parser = argparse.ArgumentParser(
        prog="companion",
        description="An offline, voice-first grounding companion. Nothing leaves this machine.",
        epilog="Run `companion` with no command to start a grounding session.",
    )
    parser.add_argument("--version", action="version", version=f"companion {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ground = sub.add_parser("ground", help="be talked through the urge to run, hands-free",
                            description="A short spoken grounding session: pause, notice, "
                            "question the thought, choose what to do next.")
    add_voice_options(ground)
    ground.set_defaults(func=handler("companion.cli_handlers", "cmd_ground"))
    ground.add_argument("--diagram", type=Path, metavar="FILE",
                        help="write the flow's state diagram (Mermaid) to FILE and exit")

    listen = sub.add_parser("listen", help="print what the recognizer hears (JSON lines)",
                            description="Recognize commands from a WAV file or the "
                            "microphone; one JSON object per utterance.")
    source = listen.add_mutually_exclusive_group(required=True)
    source.add_argument("--from", dest="wav", type=Path, metavar="FILE.wav",
                        help="recognize a WAV file")
    source.add_argument("--live", action="store_true", help="listen to the microphone")
    listen.add_argument("--json", action="store_true", help="JSON lines (the default)")
    listen.add_argument("--dictation", action="store_true",
                        help="free speech instead of commands")
    listen.add_argument("--seconds", type=float, default=None,
                        help="with --live: stop after this many seconds")
    listen.add_argument("--input-device", metavar="NAME_OR_INDEX")
    add_engine_options(listen)
    listen.set_defaults(func=handler("companion.cli_handlers", "cmd_listen"))

    from companion.breathe.cli import add_breathe_commands
    from companion.journal.cli import add_journal_commands
    from companion.models import add_model_commands
    from companion.rehearse.cli import add_rehearse_commands
    from companion.voice.cli import add_voice_commands

    add_breathe_commands(sub)
    add_rehearse_commands(sub)
    add_journal_commands(sub)
    add_model_commands(sub)
    add_voice_commands(sub)

    sub.add_parser("devices", help="list audio devices").set_defaults(
        func=handler("companion.cli_handlers", "cmd_devices"))
    doctor = sub.add_parser("doctor", help="check recognizer, model, speech and audio")
    add_engine_options(doctor)
    doctor.set_defaults(func=handler("companion.cli_handlers", "cmd_doctor"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `companion` console script."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or (words[0].startswith("-") and words[0] not in ("-h", "--help", "--version")):
        words.insert(0, "ground")  # `companion` alone, or with ground's options, is `ground`
    args = parser.parse_args(words)
    try:
        return _dispatch(args)
    except CompanionError as err:
        print(f"companion: {err.message}", file=sys.stderr)
        if err.fix:
            print(f"  fix: {err.fix}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("\ncompanion: stopped.", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    """Every command and subcommand names its handler (``func``)."""
    return int(args.func(args))
