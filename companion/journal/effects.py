"""The journal's save effect and the shell's acknowledgement events.

The flow never writes: it asks the shell to (``SaveEntry``) and only says
"saved" once the shell reports the commit (``EntrySaved``). If the store
fails, ``EntrySaveFailed`` lets the flow say so and keep the words on screen.
:func:`carry_out` is what the runtime calls for a ``SaveEntry``.
"""

from __future__ import annotations

from dataclasses import dataclass

from companion.effects import FeatureEffect
from companion.errors import CompanionError
from companion.events import FeatureEvent
from companion.journal.model import Entry


@dataclass(frozen=True)
class SaveEntry(FeatureEffect):
    """Commit ``entry`` to the journal, then post ``EntrySaved(request_id, id)``.

    ``request_id`` ties the acknowledgement to this request, so a late reply
    to an earlier attempt is never mistaken for this one.
    """

    request_id: str
    entry: Entry


@dataclass(frozen=True)
class EntrySaved(FeatureEvent):
    """The shell committed ``SaveEntry(request_id)``; ``entry_id`` is the new row."""

    request_id: str
    entry_id: int


@dataclass(frozen=True)
class EntrySaveFailed(FeatureEvent):
    """The shell could not commit ``SaveEntry(request_id)``; ``reason`` says why (it is
    said aloud, so it is short) and ``fix`` what to do (shown on screen)."""

    request_id: str
    reason: str
    fix: str = ""


def carry_out(effect: SaveEntry, journal: object) -> EntrySaved | EntrySaveFailed:
    """Commit the entry through ``journal`` (a :class:`~companion.journal.repo.Journal`).

    Returns the event to post back to the flow. Store and input errors become
    ``EntrySaveFailed`` so a session is never lost to a full disk.
    """
    import sqlite3

    from companion.journal.repo import Journal

    if not isinstance(journal, Journal):
        return EntrySaveFailed(effect.request_id, "the journal is not open")
    try:
        entry_id = journal.add(effect.entry)
    except CompanionError as err:
        return EntrySaveFailed(effect.request_id, err.message, err.fix)
    except (sqlite3.Error, OSError) as err:
        return EntrySaveFailed(effect.request_id, str(err))
    return EntrySaved(effect.request_id, entry_id)
