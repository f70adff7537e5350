"""`companion rehearse ...`: practise the phrase, manage its wording, score a recording.

    companion rehearse [--phrase NAME] [--mode listen|along|all]   a spoken session
    companion rehearse --progress [--plot FILE]                      sessions and a plot
    companion rehearse phrase set NAME "text" | list | show NAME | reset NAME
    companion rehearse score --from FILE.wav [--phrase NAME] --json

Heavy imports (audio, recognizer, matplotlib) happen only when needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from companion.rehearse import MODES


@contextmanager
def _phrase_book() -> Iterator[Any]:
    from companion.rehearse.phrases import PhraseBook
    from companion.store import Store

    with Store.open() as store:
        yield PhraseBook(store)


def add_rehearse_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``rehearse`` and its subcommands to the CLI (each sets ``func``)."""
    from companion.cli_options import add_engine_options, add_voice_options

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "rehearse", help="practise saying your phrase out loud, with feedback",
        description="Practise, out loud, the words that tell someone you feel the urge to "
        "leave and ask them to help you stay. Feedback is about which ideas of your phrase "
        "came through, in your own words, never about pronunciation.")
    parser.add_argument("--phrase", default="disclosure", metavar="NAME",
                        help="which phrase (default: disclosure; see `rehearse phrase list`)")
    parser.add_argument("--mode", choices=MODES, default=None,
                        help="start in this mode instead of choosing by voice")
    parser.add_argument("--exact", action="store_true",
                        help="memorising: go by the exact words, not the ideas")
    parser.add_argument("--progress", action="store_true",
                        help="show practice over sessions and write a plot, then exit")
    parser.add_argument("--plot", type=Path, metavar="FILE.png",
                        help="with --progress: where to write the plot")
    add_voice_options(parser)
    parser.set_defaults(func=cmd_rehearse)
    sub = parser.add_subparsers(dest="rehearse_command", metavar="COMMAND")

    phrase = sub.add_parser("phrase", help="see or change the wording of your phrases")
    actions = phrase.add_subparsers(dest="phrase_action", metavar="ACTION", required=True)
    set_ = actions.add_parser("set", help='use your own words: set NAME "text"')
    set_.add_argument("name")
    set_.add_argument("text")
    set_.set_defaults(func=cmd_phrase_set)
    actions.add_parser("list", help="the phrases and whose wording").set_defaults(
        func=cmd_phrase_list)
    show = actions.add_parser("show", help="a phrase, part by part")
    show.add_argument("name")
    show.set_defaults(func=cmd_phrase_show)
    reset = actions.add_parser("reset", help="go back to the built-in wording")
    reset.add_argument("name")
    reset.set_defaults(func=cmd_phrase_reset)

    score = sub.add_parser("score", help="score an attempt, recorded or typed (JSON)",
                           description="Which ideas of the phrase came through, and how many "
                           "of its words, in a WAV file or in typed words.")
    attempt = score.add_mutually_exclusive_group(required=True)
    attempt.add_argument("--from", dest="wav", type=Path, metavar="FILE.wav")
    attempt.add_argument("--text", metavar="WORDS", help="score these words as if said")
    score.add_argument("--phrase", default="disclosure", metavar="NAME")
    score.add_argument("--exact", action="store_true",
                       help="also decode the recording against the exact wording")
    score.add_argument("--json", action="store_true", help="JSON (the default)")
    add_engine_options(score)
    score.set_defaults(func=cmd_score)
    return parser


def cmd_rehearse(args: argparse.Namespace) -> int:
    """A spoken (or --text typed) rehearsal, or --progress."""
    from companion.rehearse.progress import Attempts, sessions_per_part

    with _phrase_book() as book:
        phrase = book.get(args.phrase)
        history = Attempts(book.store).sessions(phrase.name, phrase.text)
    if args.progress:
        return _progress(phrase, history, args.plot)
    from companion.rehearse.session import build_rehearse_session
    from companion.settings import Settings

    session = build_rehearse_session(Settings.from_options(args), phrase, args.mode,
                                     bool(args.exact), sessions_per_part(history))
    session.run()
    return 130 if session.interrupted else 0


def _progress(phrase: Any, history: list[Any], plot_path: Path | None) -> int:
    from rich.console import Console
    from rich.table import Table

    from companion import paths
    from companion.content_files import load
    from companion.rehearse.progress import plot

    console = Console()
    if not history:
        console.print(f"No practice of '{phrase.name}' yet. Start with: "
                      f"companion rehearse --phrase {phrase.name}")
        return 0
    needed = int(load("rehearse.toml")["settings"]["learned_after_sessions"])
    table = Table(box=None, pad_edge=False, title=f"Practising '{phrase.name}'")
    for column in ("session", "when", "attempts", "came through", "parts learned"):
        table.add_column(column)
    seen: dict[int, int] = {}
    for number, session in enumerate(history, 1):
        for part in session.parts_said:
            seen[part] = seen.get(part, 0) + 1
        learned = sum(1 for count in seen.values() if count >= needed)
        best = f"{round(session.best * 100)}%" + ("" if session.whole else " (parts)")
        table.add_row(str(number), session.started.astimezone().strftime("%Y-%m-%d %H:%M"),
                      str(session.attempts), best, f"{learned}/{len(phrase.parts)}")
    console.print(table)
    for index in range(len(phrase.parts)):
        count = seen.get(index, 0)
        mark = "learned" if count >= needed else f"{count}/{needed} sessions"
        console.print(f"  part {index + 1}: {mark}  ({phrase.parts[index]})")
    out = plot_path or paths.data_dir(create=True) / f"rehearse-{phrase.name}.png"
    try:
        plot(history, f"Practising '{phrase.name}'", out)
    except OSError as err:
        from companion.errors import CompanionError

        raise CompanionError(f"cannot write the plot to {out}: {err.strerror}",
                             "choose another place with --plot FILE.png") from err
    console.print(f"Plot: {out}")
    return 0


def cmd_phrase_set(args: argparse.Namespace) -> int:
    with _phrase_book() as book:
        phrase = book.set(args.name, args.text)
    print(f"Saved your wording of '{phrase.name}' in {len(phrase.parts)} parts:")
    _print_parts(phrase)
    return 0


def cmd_phrase_list(args: argparse.Namespace) -> int:
    with _phrase_book() as book:
        for phrase in book.all().values():
            whose = "your wording" if phrase.custom else "built-in"
            print(f"{phrase.name:<12} {whose:<13} {phrase.text}")
    return 0


def cmd_phrase_show(args: argparse.Namespace) -> int:
    with _phrase_book() as book:
        phrase = book.get(args.name)
    print(f"{phrase.name} ({'your wording' if phrase.custom else 'built-in'})")
    _print_parts(phrase)
    return 0


def cmd_phrase_reset(args: argparse.Namespace) -> int:
    with _phrase_book() as book:
        removed = book.reset(args.name)
        known = args.name in book.all()
    if removed and known:
        print(f"'{args.name}' is back to the built-in wording.")
    elif removed:
        print(f"Removed your phrase '{args.name}'.")
    else:
        print(f"'{args.name}' already uses the built-in wording; nothing changed.")
    return 0


def _print_parts(phrase: Any) -> None:
    for number, part in enumerate(phrase.parts, 1):
        print(f"  {number}. {part}")


def cmd_score(args: argparse.Namespace) -> int:
    """Score a recorded attempt and print the JSON line."""
    from companion.rehearse.hearing import HeardAttempt, hear
    from companion.rehearse.meaning import MeaningLexicon
    from companion.rehearse.score import score
    from companion.session import show_resources_if_crisis
    from companion.settings import Settings

    with _phrase_book() as book:
        phrase = book.get(args.phrase)
    lexicon = MeaningLexicon.load()
    if args.text is not None:
        heard = HeardAttempt(args.text, None, ())
    else:
        from companion.audio.wav import read_wav
        from companion.recognition.engines import open_recognizer

        recognizer = open_recognizer(args.engine, args.model,
                                     announce=lambda line: print(line, file=sys.stderr),
                                     voice_profile=not args.no_voice_profile)
        heard = hear(recognizer, read_wav(args.wav), phrase.parts, exact=args.exact)
    result = score(phrase.parts, heard.text, lexicon, heard.parts_said, heard.word_times)
    print(json.dumps(result.as_json(), ensure_ascii=False))
    show_resources_if_crisis(Settings.from_options(args), [heard.text])
    return 0
