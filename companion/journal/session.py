"""Run the spoken thought record in the shell, carrying out ``SaveEntry``.

The shared runtime does not know the journal's effect, so
``EntrySavingRuntime`` carries it out (commit, then post ``EntrySaved``),
records the session, and links the saved entry to it. The grounding session
uses it too, to keep answers the person chose to keep.
"""

from __future__ import annotations

import argparse
import time
from typing import Any, cast

from companion import effects as fx
from companion import events as ev
from companion.core.flow import Context, Flow
from companion.journal.effects import EntrySaved, EntrySaveFailed, SaveEntry, carry_out
from companion.journal.flow import JournalFlow, journal_vocabulary, load_journal_content
from companion.journal.repo import Journal
from companion.runtime import Runtime, Shell
from companion.screen import Screen
from companion.session import (
    DEFAULT_RATE_WPM,
    Session,
    StoreAdapter,
    _open_voice,
    load_settings,
    open_safety,
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
    vocabulary = journal_vocabulary(extra["commands"])
    settings = load_settings()
    safety = open_safety(getattr(args, "region", None), settings)
    rate = args.rate or int(settings.get("rate_wpm") or DEFAULT_RATE_WPM)
    args.voice = args.voice or settings.get("voice") or None
    ctx = Context(prompts, vocabulary, safety, time.monotonic, rate, False, extra)
    shell = Shell(vocabulary=vocabulary, screen=screen, store=_OpenStore(screen, store))
    runtime = JournalRuntime(JournalFlow(ctx), shell, Journal(store))
    closers: list[Any] = []
    if args.text:
        screen.note("Text mode: type your answers; 'skip' leaves a part out, 'help' lists more.")
    else:
        _open_voice(args, shell, runtime, closers, rate)
    return Session(runtime, _OpenStore(screen, store), closers)
