"""Run a rehearsal in the shell: the shared runtime, plus keeping each attempt.

The flow asks for attempts to be kept (``SaveAttempt``); the handler
registered here writes them at once, so Ctrl-C or a crash loses nothing
already said, and links them to the session record when the session ends.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from companion.errors import CompanionError
from companion.rehearse.flow import RehearseFlow, load_rehearse_content, rehearse_vocabulary
from companion.rehearse.phrases import Phrase
from companion.rehearse.progress import Attempts, SaveAttempt
from companion.runtime import Runtime
from companion.session import Session, build_session
from companion.settings import Settings


class AttemptKeeper:
    """Carries out ``SaveAttempt`` at once, and links the attempts to the session."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        runtime.register(SaveAttempt, self.save)
        runtime.after_save.append(self.link)

    def _attempts(self) -> Attempts | None:
        store = getattr(self.runtime.shell.store, "store", None)
        return Attempts(store) if store is not None else None

    def _session_start(self) -> datetime:
        return datetime.fromtimestamp(self.runtime.started_wall, timezone.utc)

    def save(self, effect: SaveAttempt) -> None:
        attempts = self._attempts()
        if attempts is None:
            return
        try:
            attempts.add(effect, self._session_start())
        except CompanionError as err:
            self.runtime.shell.screen.warn(f"Could not keep this attempt: {err.one_line()}")
        except (sqlite3.Error, OSError) as err:
            self.runtime.shell.screen.warn(f"Could not keep this attempt: {err}")

    def link(self, session_id: int) -> None:
        attempts = self._attempts()
        if attempts is None:
            return
        try:
            attempts.link_session(self._session_start(), session_id)
        except (sqlite3.Error, OSError) as err:
            self.runtime.shell.screen.warn(f"Could not link the attempts to this session: {err}")


def keep_attempts(session: Session) -> None:
    """Let the session's rehearsal keep each attempt."""
    AttemptKeeper(session.runtime)


def build_rehearse_session(settings: Settings, phrase: Phrase, mode: str, exact: bool,
                           sessions_per_part: dict[int, int]) -> Session:
    """A rehearsal of ``phrase`` with whatever voice hardware works."""
    prompts, extra = load_rehearse_content()
    extra = {**extra, "phrase": phrase, "mode": mode, "exact": exact,
             "sessions_per_part": sessions_per_part}
    return build_session(settings, RehearseFlow, prompts, extra,
                         vocabulary=rehearse_vocabulary(extra["commands"]),
                         setup=keep_attempts)
