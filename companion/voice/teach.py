"""Teaching: takes in, a saved voice profile out, then a check of what it changed.

Shared by ``voice teach --from FOLDER`` (takes listed in ``takes.tsv``) and the
spoken teaching session (``companion.voice.session``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from companion.audio.wav import read_wav
from companion.errors import AudioError, CompanionError
from companion.intents import Vocabulary
from companion.normalize import normalize
from companion.voice import profile as store
from companion.voice.adapt import Take, adapt
from companion.voice.flow import MIN_TAKES

METHOD = "map"  # MAP beat MLLR on every condition (docs/decisions/011-personal-voice.md)
BLOCK = 320  # samples fed to the recognizer at a time, as the live stream does


def read_takes(folder: Path) -> list[Take]:
    """The takes of ``folder``: ``takes.tsv`` lines ``file<TAB>phrase``, WAVs beside it
    (any rate or channel count; converted to 16 kHz mono)."""
    listing = folder / "takes.tsv"
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise AudioError(f"cannot read {listing}: {err.strerror or err}",
                         "put a takes.tsv there, one 'file.wav<TAB>phrase' per line") from err
    takes = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, tab, phrase = line.partition("\t")
        if not tab or not phrase.strip():
            raise AudioError(f"{listing}, line {number}: expected 'file.wav<TAB>phrase'",
                             "separate the file name and the phrase with one tab")
        takes.append(Take(phrase.strip(), read_wav(folder / name.strip())))
    return takes


def teach(takes: Sequence[Take], method: str = METHOD) -> store.Profile:
    """Adapt to ``takes`` and keep the result as the voice profile (replacing any old one)."""
    if len(takes) < MIN_TAKES:
        raise CompanionError(f"{len(takes)} takes are too few to learn a voice from "
                             f"(at least {MIN_TAKES})", "say each phrase two or three times")
    with tempfile.TemporaryDirectory(prefix="companion-adapt-") as tmp:
        try:
            adapted = adapt(takes, Path(tmp), method)
        except ValueError as err:
            raise CompanionError(str(err), "use phrases with ordinary English words") from err
        return store.save(adapted.folder, adapted.options, method,
                          [(t.phrase, t.samples) for t in takes], adapted.seconds)


def check(takes: Sequence[Take], vocabulary: Vocabulary,
          progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Commands heard right in the takes, by the recognizer without and with the profile.

    Measured on the takes it was taught with (one per command phrase), so it says the
    profile fits them, not how much better it will hear new speech.
    """
    from companion.recognition.base import Grammar
    from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer

    phrases = set(vocabulary.all_phrases())
    last = {normalize(t.phrase): t for t in takes if normalize(t.phrase) in phrases}
    figures: dict[str, Any] = {"commands": len(last)}
    for label, acoustic in (("without", {}), ("with", store.decoder_options())):
        rec = PocketsphinxRecognizer(acoustic=acoustic)
        rec.set_grammar(Grammar(phrases=vocabulary.all_phrases()))
        right = 0
        for done, (phrase, take) in enumerate(last.items()):
            rec.reset()
            heard = [h.text for i in range(0, take.samples.size, BLOCK)
                     for h in rec.accept(take.samples[i:i + BLOCK]) if h.final and h.text]
            heard += [h.text for h in rec.flush() if h.final and h.text]
            right += heard == [phrase]
            if progress is not None:
                progress(done + 1 + (len(last) if label == "with" else 0), 2 * len(last))
        figures[f"heard_{label}"] = right
    figures["on"] = "the takes it was taught with"
    store.record_check(figures)
    return figures
