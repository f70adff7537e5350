"""`companion journal ...`: the trigger journal from the command line.

Library first (repo, exchange, stats), this is only the thin layer: parse
flags, call, print. Flag-based `add` and every other command work with no
audio at all. The shared CLI calls :func:`add_journal_commands`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from companion.journal.model import (
    FIELDS,
    LABELS,
    Entry,
    JournalError,
    canonical_choice,
    check_scale,
    parse_emotion_flag,
    parse_time,
)

CONFIRM_WORD = "delete"


@contextmanager
def _journal() -> Iterator[Any]:
    from companion.journal.repo import Journal
    from companion.store import Store

    with Store.open() as store:
        yield Journal(store)


def _add_field_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("entry fields")
    group.add_argument("--situation", "--trigger", help="what happened; what set it off")
    group.add_argument("--emotion", action="append", metavar="NAME[:0-10]",
                       help="a feeling and its strength, e.g. anxious:7 (repeat for more)")
    group.add_argument("--body", help="what you noticed in your body")
    group.add_argument("--urge", type=int, metavar="0-10", help="urge to run, 0 to 10")
    group.add_argument("--did", metavar="WHAT", help="stayed, took a break, left, or your words")
    group.add_argument("--thought", help="what you were telling yourself")
    group.add_argument("--for", dest="evidence_for", metavar="TEXT", help="evidence for it")
    group.add_argument("--against", dest="evidence_against", metavar="TEXT",
                       help="evidence against it")
    group.add_argument("--balanced", metavar="TEXT", help="a more balanced thought")
    group.add_argument("--notes", help="anything else")
    group.add_argument("--at", metavar="TIME", help="when it happened (2024-05-01T21:30; "
                       "default: now)")
    group.add_argument("--session", type=int, metavar="ID", help="link a recorded session")


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    """The entry fields given as flags (only those given)."""
    out: dict[str, Any] = {}
    for name in ("situation", "body", "thought", "evidence_for", "evidence_against",
                 "balanced", "notes"):
        if getattr(args, name) is not None:
            out[name] = getattr(args, name).strip()
    if args.did is not None:
        out["did"] = canonical_choice(args.did)
    if args.emotion:
        out["emotions"] = [parse_emotion_flag(text) for text in args.emotion]
    if args.urge is not None:
        out["urge"] = check_scale(args.urge, "the urge")
    if args.at is not None:
        out["created_at"] = parse_time(args.at)
    if args.session is not None:
        out["session_id"] = args.session
    return out


def cmd_add(args: argparse.Namespace) -> int:
    """Flags: save at once (no audio). No flags: the spoken (or --text typed) thought record."""
    changes = _changes(args)
    if changes:
        with _journal() as journal:
            entry_id = journal.add(Entry(**changes))
        print(f"saved journal entry {entry_id}")
        _check_words(args, changes)
        return 0
    from companion.journal.session import build_journal_session
    from companion.settings import Settings

    session = build_journal_session(Settings.from_options(args))
    session.run()
    return 130 if session.interrupted else 0


def _line(entry: Entry) -> str:
    when = entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if entry.created_at else ""
    urge = "-" if entry.urge is None else str(entry.urge)
    what = entry.situation or entry.thought or entry.notes or "(no situation)"
    what = what if len(what) <= 60 else what[:59] + "…"
    return f"{entry.id:>6}  {when}  urge {urge:>2}  {entry.did[:14]:<14}  {what}"


def cmd_list(args: argparse.Namespace) -> int:
    """Newest entries first, one line each."""
    with _journal() as journal:
        entries = journal.recent(None if args.all else args.limit)
        total = journal.count()
    if not entries:
        print("The journal is empty. Add an entry with `companion journal add`.")
        return 0
    print("\n".join(_line(e) for e in entries))
    if len(entries) < total:
        print(f"({len(entries)} of {total}; `--all` shows every entry)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Every answered part of one entry."""
    with _journal() as journal:
        entry = journal.get(args.id)
        session = None
        if entry.session_id is not None:
            row = journal.db.execute("SELECT kind FROM sessions WHERE id = ?",
                                     (entry.session_id,)).fetchone()
            session = f"{entry.session_id} ({row[0]})" if row else str(entry.session_id)
    when = entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if entry.created_at else ""
    print(f"Entry {entry.id}, {when}")
    for name in entry.answered():
        print(f"  {LABELS[name]}: {entry.value_text(name)}")
    if session:
        print(f"  Session: {session}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """Entries holding all the words (start of words is enough)."""
    words = " ".join(args.words)
    with _journal() as journal:
        entries = journal.search(words, limit=args.limit)
    if not entries:
        print(f"No entries hold all of: {words}")
        return 0
    print("\n".join(_line(e) for e in entries))
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    """Change the given fields of one entry; --clear empties fields."""
    changes = _changes(args)
    for name in args.clear or []:
        changes[name] = {"emotions": [], "urge": None}.get(name, "")
    if not changes:
        raise JournalError("nothing to change", "give fields to change, e.g. "
                           f"`companion journal edit {args.id} --urge 4`")
    with _journal() as journal:
        journal.update(args.id, **changes)
    print(f"updated journal entry {args.id}")
    _check_words(args, changes)
    return 0


def _check_words(args: argparse.Namespace, changes: dict[str, Any]) -> None:
    """What was written goes through the same crisis check as anything said or typed."""
    from companion.session import show_resources_if_crisis
    from companion.settings import Settings

    texts = [v for v in changes.values() if isinstance(v, str)]
    show_resources_if_crisis(Settings.from_options(args), texts)


def cmd_delete(args: argparse.Namespace) -> int:
    """Delete one entry, or (--all, confirmed) the whole database and its side files."""
    if args.all == (args.id is not None):
        raise JournalError("say which entry to delete, or --all",
                           "`companion journal delete 3` or `companion journal delete --all`")
    if not args.all:
        with _journal() as journal:
            journal.delete(args.id)
        print(f"deleted journal entry {args.id}")
        return 0
    return _delete_all(args.yes)


def _delete_all(yes: bool) -> int:
    from companion.cli_options import confirmed
    from companion.store import Store, StoreError, default_path

    path = default_path()
    if not path.exists():
        print("There is no journal on this machine.")
        return 0
    try:
        with _journal() as journal:
            what = f"all {journal.count()} journal entries and the session history"
    except StoreError:
        what = "the damaged database"
    if not yes and not confirmed(what, path, CONFIRM_WORD):
        return 1
    removed = Store.remove_files(path)
    print(f"Deleted {what} ({len(removed)} files).")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Markdown, CSV or JSON, from a consistent snapshot; to --out or stdout."""
    from companion.journal.exchange import export_text, snapshot, write_private
    from companion.store import Store

    with Store.open() as store, snapshot(store) as frozen:
        text = export_text(frozen, args.format)
        count = frozen.count()
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_private(args.out, text)
        print(f"exported {count} entries to {args.out}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """A JSON export back in; existing entries are matched by uuid."""
    from companion.journal.exchange import import_export

    with _journal() as journal:
        counts = import_export(journal, args.file)
    print(f"imported {args.file}: {counts['added']} added, {counts['updated']} updated, "
          f"{counts['unchanged']} already here, {counts['kept_local']} kept (newer here)")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """Triggers, feelings, the urge over time and what was done; --plot draws them."""
    from companion import content_files
    from companion.journal.stats import compute, plot, render

    # Only the [triggers] table: the spoken flow (and its state machine) is not needed here.
    triggers = content_files.require(content_files.load("journal.toml"), "triggers", dict,
                                     "journal.toml")
    with _journal() as journal:
        stats = compute(journal, triggers, top=args.top)
    sys.stdout.write(render(stats))
    if args.plot is not None:
        plot(stats, args.plot)
        print(f"wrote the charts to {args.plot}")
    return 0


def add_journal_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``journal`` and its subcommands; each sets ``func``."""
    from companion.cli_options import add_voice_options

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "journal", help="your private trigger journal and thought records",
        description="Record what triggered the urge, what you felt and did, and what you told "
        "yourself. Kept on this machine only, owner-readable.")
    sub = parser.add_subparsers(dest="journal_command", required=True, metavar="COMMAND")
    p = sub.add_parser("add", help="add an entry: spoken, typed (--text), or from flags",
                       description="With no field flags: a spoken thought record, one part at "
                       "a time. With flags: saved at once, no audio.")
    _add_field_flags(p)
    add_voice_options(p)
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("list", help="newest entries first")
    p.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    p.add_argument("--all", action="store_true", help="every entry")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("show", help="one entry in full")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("search", help="entries holding all the words")
    p.add_argument("words", nargs="+")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("edit", help="change fields of an entry, e.g. `edit 3 --urge 4`")
    p.add_argument("id", type=int)
    _add_field_flags(p)
    p.add_argument("--clear", action="append", choices=FIELDS, metavar="FIELD",
                   help=f"empty a field ({', '.join(FIELDS)})")
    p.set_defaults(func=cmd_edit)
    p = sub.add_parser("delete", help="delete an entry, or --all to delete the whole journal")
    p.add_argument("id", type=int, nargs="?")
    p.add_argument("--all", action="store_true",
                   help="delete the database and its side files (asks you to type 'delete')")
    p.add_argument("--yes", action="store_true", help="with --all: no question (for scripts)")
    p.set_defaults(func=cmd_delete)
    p = sub.add_parser("export", help="write the journal as Markdown, CSV or JSON")
    p.add_argument("--format", choices=("md", "csv", "json"), required=True)
    p.add_argument("--out", type=Path, metavar="FILE", help="file to write (default: stdout)")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("import", help="bring back a JSON export")
    p.add_argument("file", type=Path, metavar="FILE.json")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("stats", help="triggers, feelings, urge over time, times you stayed")
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="also draw them into a PNG")
    p.add_argument("--top", type=int, default=5, help="how many triggers/feelings (default 5)")
    p.set_defaults(func=cmd_stats)
    return parser
