"""`companion breathe`: the command line for guided breathing.

The lead's parser calls :func:`add_breathe_commands`; the subcommand carries
its own ``func`` so the main dispatcher needs nothing else. Heavy imports
(audio, TTS) happen only when a session really starts.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

CUE_CHOICES = ("voice", "tones", "both")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 500:
        raise argparse.ArgumentTypeError("choose between 1 and 500 breaths")
    return value


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 0 < value <= 120:
        raise argparse.ArgumentTypeError("choose more than 0 and at most 120 minutes")
    return value


def add_breathe_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``breathe`` to the CLI's subparsers (sets ``func``)."""
    from companion.cli_options import add_voice_options

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "breathe", help="paced breathing with cues that land on time",
        description="A guided breathing session you can follow with your eyes closed. "
        "Say slower, faster, pause, resume, repeat, help or stop at any time.")
    parser.add_argument("--pattern", default="box", metavar="NAME|IN-HOLD-OUT-HOLD",
                        help="box, 478, relax, coherent, sigh, count, one of your own, or a "
                        "timing in seconds such as 4-2-6-0 (default: box)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--rounds", type=_positive_int, metavar="N",
                        help="number of breaths (default: the pattern's own)")
    length.add_argument("--minutes", type=_minutes, metavar="M",
                        help="about this long; always ends after a full breath out")
    parser.add_argument("--cues", choices=CUE_CHOICES, default="voice",
                        help="spoken phase names, soft tones, or both (default: voice)")
    parser.add_argument("--count", action="store_true",
                        help="count the seconds aloud within each phase")
    parser.add_argument("--history", action="store_true",
                        help="list past breathing sessions and exit")
    parser.add_argument("--list", dest="list_patterns", action="store_true",
                        help="list the breathing patterns and exit")
    parser.add_argument("--schedule-log", type=Path, help=argparse.SUPPRESS)
    add_voice_options(parser)
    parser.set_defaults(func=cmd_breathe)
    return parser


def cmd_breathe(args: argparse.Namespace) -> int:
    """Run a session, or list history/patterns."""
    from companion.breathe.patterns import load_breathe_content, load_patterns, resolve

    if args.history:
        return _history()
    content = load_breathe_content()
    patterns = load_patterns(content)
    if args.list_patterns:
        return _list(patterns)
    pattern = resolve(args.pattern, patterns)
    from companion.breathe.flow import BreatheOptions
    from companion.breathe.runner import run_breathe
    from companion.settings import Settings

    options = BreatheOptions(pattern, args.rounds, args.minutes, args.cues, args.count)
    return run_breathe(Settings.from_options(args), options, content, args.schedule_log)


def _list(patterns: dict[str, Any]) -> int:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("name", "timing", "breaths", "what it is"):
        table.add_column(column)
    for name, p in patterns.items():
        table.add_row(name, p.timing(), str(p.rounds), p.title)
    Console().print(table)
    return 0


def _history(limit: int = 30) -> int:
    from rich.console import Console
    from rich.table import Table

    from companion.store import Store

    with Store.open() as store:
        rows = store.sessions(kind="breathe", limit=limit)
    console = Console()
    if not rows:
        console.print("No breathing sessions yet. Try: companion breathe --pattern relax")
        return 0
    table = Table(box=None, pad_edge=False)
    for column in ("when", "pattern", "breaths", "planned", "actual", "ended"):
        table.add_column(column)
    for row in rows:
        d = row.details
        ended = "stopped early" if d.get("stopped_early", not row.completed) else "completed"
        table.add_row(row.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                      f"{d.get('pattern', '?')} ({d.get('timing', '')})",
                      f"{d.get('rounds', 0)}/{d.get('rounds_planned', '?')}",
                      _mmss(d.get("planned_s")), _mmss(d.get("actual_s")), ended)
    console.print(table)
    return 0


def _mmss(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return "-"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"
