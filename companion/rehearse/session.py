"""Run a rehearsal in the shell: the shared runtime, plus keeping each attempt.

The flow asks for attempts to be kept (``SaveAttempt``); this runtime writes
them at once, so Ctrl-C or a crash loses nothing already said, and links them
to the session record when the session ends.
"""

from __future__ import annotations

import argparse
import sqlite3
from datetime import datetime, timezone
from typing import Any

from companion import effects as fx
from companion.errors import CompanionError
from companion.rehearse.flow import RehearseFlow, load_rehearse_content, rehearse_vocabulary
from companion.rehearse.phrases import Phrase
from companion.rehearse.progress import Attempts, SaveAttempt
from companion.runtime import Runtime
from companion.session import Session, build_session


class RehearseRuntime(Runtime):
    """The shared runtime plus ``SaveAttempt``."""

    def _attempts(self) -> Attempts | None:
        store = getattr(self.shell.store, "store", None)
        return Attempts(store) if store is not None else None

    def _session_start(self) -> datetime:
        return datetime.fromtimestamp(self._started_wall, timezone.utc)

    def _carry_out(self, effect: fx.Effect | SaveAttempt) -> None:
        if not isinstance(effect, SaveAttempt):
            super()._carry_out(effect)
            return
        attempts = self._attempts()
        if attempts is None:
            return
        try:
            attempts.add(effect, self._session_start())
        except (CompanionError, sqlite3.Error, OSError) as err:
            self.shell.screen.warn(f"Could not keep this attempt: {err}")

    def _save(self, effect: fx.SaveSession) -> int | None:
        session_id = super()._save(effect)
        attempts = self._attempts()
        if attempts is not None and session_id is not None:
            try:
                attempts.link_session(self._session_start(), session_id)
            except (sqlite3.Error, OSError) as err:
                self.shell.screen.warn(f"Could not link the attempts to this session: {err}")
        return session_id


def build_rehearse_session(args: argparse.Namespace, phrase: Phrase,
                           sessions_per_part: dict[int, int]) -> Session:
    """A rehearsal of ``phrase`` with whatever voice hardware works."""
    prompts, extra = load_rehearse_content()
    session_extra: dict[str, Any] = {"phrase": phrase, "mode": args.mode,
                                     "sessions_per_part": sessions_per_part,
                                     "exact": bool(getattr(args, "exact", False))}
    return build_session(args, RehearseFlow, lambda: (prompts, extra),
                         vocabulary=rehearse_vocabulary(extra["commands"]),
                         runtime_class=RehearseRuntime, extra=session_extra)
