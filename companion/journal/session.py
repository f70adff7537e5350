"""Run the spoken thought record in the shell, carrying out ``SaveEntry``.

The shared runtime does not know the journal's effect, so
``EntrySavingRuntime`` carries it out (commit, then post ``EntrySaved``),
records the session, and links the saved entry to it. The grounding session
uses it too, to keep answers the person chose to keep.
"""

from __future__ import annotations

import argparse
from typing import Any, cast

from companion import effects as fx
from companion import events as ev
from companion.core.flow import Flow
from companion.journal.effects import EntrySaved, EntrySaveFailed, SaveEntry, carry_out
from companion.journal.flow import JournalFlow, journal_vocabulary, load_journal_content
from companion.journal.repo import Journal
from companion.runtime import Runtime, Shell
from companion.screen import Screen
from companion.session import (
    Session,
    StoreAdapter,
    assemble_session,
)
from companion.store import Store


class EntrySavingRuntime(Runtime):
    """The shared runtime plus ``SaveEntry``, for flows that offer to keep answers (ground)."""

    def __init__(self, flow: Flow, shell: Shell) -> None:
        super().__init__(flow, shell)
        self.saved_ids: list[int] = []

    def journal(self) -> Journal | None:
        store = getattr(self.shell.store, "store", None)
        return Journal(store) if store is not None else None

    def _carry_out(self, effect: fx.Effect | SaveEntry) -> None:
        if isinstance(effect, SaveEntry):
            journal = self.journal()
            result = (carry_out(effect, journal) if journal is not None
                      else EntrySaveFailed(effect.request_id, "the store could not be opened"))
            if isinstance(result, EntrySaved):
                self.saved_ids.append(result.entry_id)
            self.post(cast(ev.Event, result))  # acknowledged through the queue, in order
            return
        super()._carry_out(effect)

    def _save(self, effect: fx.SaveSession) -> int | None:
        session_id = super()._save(effect)
        journal = self.journal()
        if session_id is not None and journal is not None and self.saved_ids:
            try:
                journal.link_session(self.saved_ids, session_id)
            except Exception as err:  # noqa: BLE001 - the entry is saved; the link is extra
                self.shell.screen.warn(f"Could not link the entry to this session: {err}")
        return session_id


class JournalRuntime(EntrySavingRuntime):
    """The spoken thought record: the journal's store is open from the start."""

    def __init__(self, flow: JournalFlow, shell: Shell, journal: Journal) -> None:
        super().__init__(flow, shell)
        self._journal = journal

    def journal(self) -> Journal | None:
        return self._journal


class _OpenStore(StoreAdapter):
    """A StoreAdapter over a store that is already open (and must be: no journal without it)."""

    def __init__(self, screen: Screen, store: Store) -> None:  # noqa: D107
        self.screen = screen
        self.store: Any = store


def build_journal_session(args: argparse.Namespace) -> Session:
    """The spoken (or typed, with --text) thought record, with whatever voice works."""
    screen = Screen()
    store = Store.open()  # fails now, clearly, rather than after the person has talked
    prompts, extra = load_journal_content()
    return assemble_session(
        args, screen, _OpenStore(screen, store), prompts, extra,
        journal_vocabulary(extra["commands"]),
        lambda ctx, shell: JournalRuntime(JournalFlow(ctx), shell, Journal(store)),
        False, "Text mode: type your answers; 'skip' leaves a part out, 'help' lists more.")
