"""The spoken thought record (`companion journal add`), declared as data.

Each part of an entry is asked aloud and answered in the person's own words;
the answer is read back and the next part asked. "change that" re-asks the
part just read back, "skip" leaves a part out. At the end the whole entry is
read back and saved only on a yes. The flow never writes: it emits
``SaveEntry`` and says "saved" only when the shell reports the commit
(``EntrySaved``); see companion/journal/effects.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from companion import content_files as content
from companion import effects as fx
from companion import events as ev
from companion.core.flow import Context, Flow, Step
from companion.errors import ContentError
from companion.intents import Vocabulary
from companion.journal.effects import EntrySaved, EntrySaveFailed, SaveEntry
from companion.journal.model import (
    FIELDS,
    LABELS,
    Entry,
    canonical_choice,
    spoken_emotions,
    spoken_number,
)
from companion.normalize import normalize

FIELD_COMMANDS = ("skip", "change")

STATES: list[str | dict[str, Any]] = [
    "start",
    *FIELDS,
    {"name": "confirm", "on_enter": "_enter_confirm"},
    "pick",
    {"name": "saving", "on_enter": "_enter_saving"},
    {"name": "failed", "on_enter": "_enter_failed"},
    {"name": "done", "on_enter": "_enter_done"},
]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "begin", "source": "start", "dest": FIELDS[0]},
    *({"trigger": "next", "source": a, "dest": b}
      for a, b in zip(FIELDS[:-1], FIELDS[1:], strict=True)),
    {"trigger": "next", "source": FIELDS[-1], "dest": "confirm"},
    *({"trigger": f"ask_{name}", "source": [*FIELDS, "pick"], "dest": name} for name in FIELDS),
    {"trigger": "review", "source": [*FIELDS, "pick"], "dest": "confirm"},
    {"trigger": "change", "source": "confirm", "dest": "pick"},
    {"trigger": "save", "source": ["confirm", "failed"], "dest": "saving"},
    {"trigger": "save_failed", "source": "saving", "dest": "failed"},
    {"trigger": "saved", "source": "saving", "dest": "done"},
]

STEPS: dict[str, Step] = {
    **{name: Step(name, FIELD_COMMANDS, dictation=True) for name in FIELDS},
    # Yes/no questions listen for commands only: a lone "yes" is recognized far more
    # reliably by a command grammar than by free dictation.
    "confirm": Step(None, ("yes", "no", "change", "save", "discard")),
    "pick": Step("pick", (), dictation=True),
    "saving": Step(None, (), reprompt=False),
    "failed": Step(None, ("yes", "no", "save", "discard")),
    "done": Step(None, (), reprompt=False),
}


class JournalFlow(Flow):
    """A thought record by voice or keyboard; see the module docstring for the shape."""

    KIND = "journal"
    STATES = STATES
    TRANSITIONS = TRANSITIONS
    STEPS = STEPS

    def __init__(self, ctx: Context) -> None:
        self.commands: dict[str, str] = ctx.extra["commands"]  # phrase -> command
        self.field_names: dict[str, str] = ctx.extra["field_names"]  # phrase -> field
        self.draft = Entry()
        self.entry_id: int | None = None
        self._last_field: str | None = None  # the part just read back or skipped
        self._editing = False  # came from "which part?": go back to the review after
        self._attempt = 0
        self._request: str | None = None
        self._closing = False
        self._failure = ""
        super().__init__(ctx)

    # ------------------------------------------------------------------ API
    def handle(self, event: ev.Event) -> list[fx.Effect]:
        """As Flow.handle, plus the shell's report on a ``SaveEntry``."""
        if isinstance(event, (EntrySaved, EntrySaveFailed)):
            self.out = []
            if not self.ended and self.state == "saving" and event.request_id == self._request:
                if isinstance(event, EntrySaved):
                    self.entry_id = event.entry_id
                    self.trigger("saved")
                else:
                    self._failure = event.reason
                    self.trigger("save_failed")
            return self.out
        return super().handle(event)

    def on_started(self) -> None:
        self.say("intro")
        self.trigger("begin")

    def listen_hints(self) -> tuple[str, ...]:
        hints: dict[str, tuple[str, ...]] = self.ctx.extra.get("hints", {})
        return hints.get(self.state, ())

    def reprompt_after_s(self) -> float:
        return 40.0  # answers take thought: a longer silence before the one re-prompt

    # ------------------------------------------------------------- entries
    def _enter_confirm(self) -> None:
        self._editing = False
        answered = self.draft.answered()
        if not answered:
            self.say("nothing")
            self._close()
            return
        self.say("confirm_intro")
        self.say_text("summary", self.summary_text().replace("\n", ". ") + ".")
        self.say("confirm", listen=True)

    def _enter_saving(self) -> None:
        self._attempt += 1
        self._request = f"entry-{self._attempt}"
        self._emit(SaveEntry(self._request, self.draft))

    def _enter_failed(self) -> None:
        self._emit(fx.Show(self.summary_text(), style="warning"))
        self.say("save_failed", listen=True, reason=self._failure)

    def _enter_done(self) -> None:
        self.say("saved")
        self._close()

    def _close(self) -> None:
        self._closing = True
        self.say("goodbye")

    def summary_text(self) -> str:
        """The answered parts, one "Label: answer" line each."""
        return "\n".join(f"{LABELS[name]}: {self.draft.value_text(name)}"
                         for name in self.draft.answered())

    # ------------------------------------------------------------ handlers
    def after_speech(self, key: str) -> None:
        if key == "goodbye" and self._closing:
            self.finish(completed=self.entry_id is not None, say_goodbye=False,
                        summary="Saved to your journal." if self.entry_id else "")

    def on_intent(self, text: str, intent: str | None) -> None:
        command = self._command(text, intent)
        state = self.state
        if state in FIELDS:
            self._on_field(state, text, command)
        elif state == "confirm":
            self._on_confirm(command)
        elif state == "pick":
            self._on_pick(text, command)
        elif state == "failed" and command in ("save", "discard"):
            if command == "save":
                self.trigger("save")
            else:
                self.say("not_saved")
                self._close()
        elif state != "saving":
            self.say("not_understood", listen=True)

    def _command(self, text: str, intent: str | None) -> str | None:
        """What a short answer means here: change, skip, save, discard, or None."""
        by_intent = {"yes": "save", "no": "discard", "next": "skip", "skip": "skip",
                     "change": "change", "save": "save", "discard": "discard"}
        if intent in by_intent:
            return by_intent[intent]
        return self.commands.get(normalize(text))

    def _on_field(self, name: str, text: str, command: str | None) -> None:
        if command == "change":
            target = name if self._editing or self._last_field is None else self._last_field
            self.say("redo")
            self.trigger(f"ask_{target}")
        elif command in ("skip", "discard"):
            self._set(name, None)
            self.say("skipped")
            self._advance(name)
        else:
            self._answer(name, text)

    def _answer(self, name: str, text: str) -> None:
        value: Any = text.strip()
        if name == "urge":
            value = spoken_number(text)
            if value is None:
                self.say("urge_number", listen=True)
                return
        elif name == "emotions":
            value = spoken_emotions(text)
            if not value:
                self.say("emotions_again", listen=True)
                return
        elif name == "did":
            value = canonical_choice(text)
        self._set(name, value)
        self.say("readback", answer=_brief(self.draft.value_text(name)))
        self._advance(name)

    def _set(self, name: str, value: Any) -> None:
        empty: Any = {"emotions": [], "urge": None}.get(name, "")
        setattr(self.draft, name, empty if value is None else value)
        self._last_field = name

    def _advance(self, name: str) -> None:
        self.trigger("review" if self._editing else "next")

    def _on_confirm(self, command: str | None) -> None:
        if command == "save":
            self.trigger("save")
        elif command == "change":
            self.trigger("change")
        elif command == "discard":
            self.say("not_saved")
            self._close()
        else:
            self.say("not_understood", listen=True)

    def _on_pick(self, text: str, command: str | None) -> None:
        name = self.field_names.get(normalize(text))
        if name is not None:
            self._editing = True
            self.trigger(f"ask_{name}")
        elif command in ("skip", "discard"):
            self.trigger("review")
        else:
            self.say("pick_again", listen=True)

    def finish(self, completed: bool, say_goodbye: bool, summary: str = "") -> None:
        """As Flow.finish; a session whose entry was committed counts as completed."""
        super().finish(completed or self.entry_id is not None, say_goodbye, summary)

    def record_details(self) -> dict[str, Any]:
        """Which parts were filled and the entry id; the words live in the entry only."""
        return {"entry_id": self.entry_id, "answered": self.draft.answered()}


def _brief(text: str, max_words: int = 20) -> str:
    """First words of an answer, for a short read-back."""
    words = text.split()
    return " ".join(words[:max_words]) + (" ..." if len(words) > max_words else "")


REQUIRED_PROMPTS = (
    "intro", *FIELDS, "readback", "skipped", "redo", "urge_number", "emotions_again",
    "confirm_intro", "confirm", "pick", "pick_again", "nothing", "saved", "save_failed",
    "not_saved", "goodbye", "reprompt", "paused", "resumed", "slower", "faster", "help_intro",
    "stopped", "not_understood",
)
COMMANDS = ("change", "skip", "save", "discard")


def load_journal_content(user_dir: Path | None = None) -> tuple[dict[str, str], dict[str, Any]]:
    """Prompts and phrase tables from journal.toml, checked up front (file and key named)."""
    source = "journal.toml"
    data = content.load(source, user_dir=user_dir)
    prompts = content.require_prompts(data, REQUIRED_PROMPTS, source)
    return prompts, {
        "commands": _phrase_table(data, "commands", COMMANDS, source),
        "field_names": _phrase_table(data, "field_names", FIELDS, source),
        "triggers": content.require(data, "triggers", dict, source),
        "hints": _hints(data, source),
    }


def _hints(data: dict[str, Any], source: str) -> dict[str, tuple[str, ...]]:
    """``[hints] part = [words]``: what answers to that part are usually made of."""
    section = content.require(data, "hints", dict, source)
    out: dict[str, tuple[str, ...]] = {}
    for name, words in section.items():
        if name not in FIELDS or not isinstance(words, list) or not all(
                isinstance(w, str) and w.strip() for w in words):
            raise ContentError(f"{source}: [hints] {name} must be a part's name with a list "
                               "of words", f"fix [hints] {name} in {source}")
        out[name] = tuple(words)
    return out


def _phrase_table(data: dict[str, Any], table: str, names: tuple[str, ...],
                  source: str) -> dict[str, str]:
    """``[table] name = [phrases]`` -> {normalized phrase: name}."""
    section = content.require(data, table, dict, source)
    out: dict[str, str] = {}
    for name in names:
        phrases = content.require(section, name, list, f"{source} [{table}]")
        if not all(isinstance(p, str) and p.strip() for p in phrases):
            raise ContentError(f"{source}: [{table}] {name} must be a list of phrases",
                               f"fix [{table}] {name} in {source}")
        out.update({normalize(p): name for p in phrases})
    return out


def journal_vocabulary(commands: dict[str, str], base: Vocabulary | None = None) -> Vocabulary:
    """The shared vocabulary plus skip, change, save and discard (the shell's grammar, help).

    Phrases another intent already owns (e.g. "next", "yes") keep their meaning.
    """
    helps = {"skip": "leave this part out", "change": "redo the part just read back",
             "save": "save the entry", "discard": "leave it unsaved"}
    return (base or Vocabulary.load()).extended({
        name: (tuple(p for p, c in commands.items() if c == name), helps[name])
        for name in helps})
