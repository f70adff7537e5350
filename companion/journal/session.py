"""Run the spoken thought record in the shell, carrying out ``SaveEntry``.

The journal registers its own effect with the shared runtime
(:class:`EntryKeeper`): commit, report ``EntrySaved`` back to the flow at
once, and link the saved entry to the session once it is recorded.
"""

from __future__ import annotations

from collections.abc import Callable

from companion.journal.effects import EntrySaved, EntrySaveFailed, SaveEntry, carry_out
from companion.journal.flow import JournalFlow, journal_vocabulary, load_journal_content
from companion.journal.repo import Journal
from companion.runtime import Runtime
from companion.session import Session, build_session
from companion.settings import Settings
from companion.store import Store


class EntryKeeper:
    """Carries out ``SaveEntry`` for a runtime, and links what it saved to the session.

    The grounding session uses it too, to keep answers the person chose to keep.
    """

    def __init__(self, runtime: Runtime, journal: Callable[[], Journal | None]) -> None:
        self.runtime = runtime
        self.journal = journal
        self.saved_ids: list[int] = []
        runtime.register(SaveEntry, self.save)
        runtime.after_save.append(self.link)

    def save(self, effect: SaveEntry) -> EntrySaved | EntrySaveFailed:
        journal = self.journal()
        result = (carry_out(effect, journal) if journal is not None
                  else EntrySaveFailed(effect.request_id, "the store could not be opened"))
        if isinstance(result, EntrySaved):
            self.saved_ids.append(result.entry_id)
        elif result.fix:
            self.runtime.shell.screen.warn(f"Not saved: {result.reason} ({result.fix})")
        return result

    def link(self, session_id: int) -> None:
        journal = self.journal()
        if journal is None or not self.saved_ids:
            return
        try:
            journal.link_session(self.saved_ids, session_id)
        except Exception as err:  # noqa: BLE001 - the entry is saved; the link is extra
            self.runtime.shell.screen.warn(f"Could not link the entry to this session: {err}")


def keep_entries(session: Session) -> None:
    """Let the session's flow keep journal entries, in the session's own store."""
    EntryKeeper(session.runtime, lambda: _journal_of(session.runtime))


def _journal_of(runtime: Runtime) -> Journal | None:
    store = getattr(runtime.shell.store, "store", None)
    return Journal(store) if store is not None else None


def build_journal_session(settings: Settings) -> Session:
    """The spoken (or typed, with --text) thought record, with whatever voice works."""
    store = Store.open()  # fails now, clearly, rather than after the person has talked
    prompts, extra = load_journal_content()
    journal = Journal(store)

    def keep(session: Session) -> None:
        EntryKeeper(session.runtime, lambda: journal)

    return build_session(
        settings, JournalFlow, prompts, extra,
        vocabulary=journal_vocabulary(extra["commands"]), store=store,
        text_note="Text mode: type your answers; 'skip' leaves a part out, 'help' lists more.",
        setup=keep)
