"""Recognize a recorded file as if it came from the microphone: ``companion listen --from``.

The file is fed in small blocks exactly like the live stream, so what this
prints is what the live companion would have heard (same endpointing, same
rejection, same stream-clock times). One JSON-able record per final utterance.

Rejected speech (command mode, not a command) yields *no* record: a record
always means "the recognizer committed to this". In dictation mode free speech
yields a record whose ``intent`` is None unless it is exactly a command.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from companion.audio import AudioSource
from companion.audio.wav import read_wav
from companion.intents import Vocabulary
from companion.recognition.base import (
    SAMPLE_RATE_HZ,
    Grammar,
    Hypothesis,
    InputLevels,
    MeasuresInput,
    Recognizer,
)

# What a person checking their microphone is told, and when.
NOISY_DBFS = -50.0  # a steady noise over this is worth knowing about (a quiet room: -60 or less)
QUIET_SPEECH_DBFS = -40.0  # speech under this is faint (close speech: about -25)


def _record(hyp: Hypothesis, vocabulary: Vocabulary) -> dict[str, Any]:
    return {
        "start": round(hyp.start_s, 2),
        "end": round(hyp.end_s, 2),
        "text": hyp.text,
        "intent": vocabulary.match_spoken(hyp.text) if hyp.text else None,
        "confidence": None if hyp.confidence is None else round(hyp.confidence, 3),
    }


def utterances(
    recognizer: Recognizer, samples: np.ndarray, vocabulary: Vocabulary, block_s: float = 0.02
) -> Iterator[dict[str, Any]]:
    """Feed ``samples`` (int16 mono 16 kHz) in ``block_s`` blocks; yield one dict per utterance.

    Keys: ``start``/``end`` (seconds on the file's clock), ``text``, ``intent``
    (a command of ``vocabulary`` or None) and ``confidence`` (0..1 or None).
    Rejected speech (final hypothesis with empty text) is skipped.
    """
    block = max(1, int(round(block_s * SAMPLE_RATE_HZ)))
    data = np.asarray(samples, dtype=np.int16).reshape(-1)
    for offset in range(0, data.size, block):
        for hyp in recognizer.accept(data[offset : offset + block]):
            if hyp.final and hyp.text:
                yield _record(hyp, vocabulary)
    for hyp in recognizer.flush():
        if hyp.final and hyp.text:
            yield _record(hyp, vocabulary)


def listen_file(
    path: str | Path, recognizer: Recognizer, vocabulary: Vocabulary, dictation: bool = False
) -> Iterator[dict[str, Any]]:
    """The whole of ``companion listen --from FILE``: read, set the grammar, recognize.

    Raises AudioError (with a fix) for a file that cannot be read.
    """
    samples = read_wav(path)
    recognizer.set_grammar(Grammar(phrases=vocabulary.all_phrases(), dictation=dictation))
    recognizer.reset()
    return utterances(recognizer, samples, vocabulary)


def input_notes(levels: InputLevels) -> dict[str, str]:
    """What is worth telling about the microphone's sound, by kind, with what to do."""
    notes = {}
    if levels.telephone_band:
        notes["band"] = ("the microphone sends only the telephone band (nothing above 4 kHz), "
                         "as a Bluetooth headset in hands-free mode does; it is widened for "
                         "recognition, but a wired or built-in microphone hears better")
    if levels.noise_dbfs is not None and levels.noise_dbfs > NOISY_DBFS:
        notes["noise"] = (f"steady background noise at about {levels.noise_dbfs:.0f} dBFS is "
                          "being filtered out; a quieter spot or a closer microphone hears "
                          "better")
    if levels.speech_dbfs is not None and levels.speech_dbfs < QUIET_SPEECH_DBFS:
        notes["quiet"] = (f"speech arrives faint (about {levels.speech_dbfs:.0f} dBFS); move "
                          "closer or raise the microphone's input volume")
    return notes


def listen_source(
    source: AudioSource, recognizer: Recognizer, vocabulary: Vocabulary,
    dictation: bool = False, seconds: float | None = None,
    on_note: Callable[[str], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """``companion listen --live``: the microphone instead of a file, until Ctrl-C or ``seconds``.

    Times are seconds since listening started (the recognizer's stream clock).
    ``on_note`` is told each kind of :func:`input_notes` once, as soon as it is made out.
    """
    recognizer.set_grammar(Grammar(phrases=vocabulary.all_phrases(), dictation=dictation))
    recognizer.reset()
    told: set[str] = set()
    deadline = None if seconds is None else time.monotonic() + seconds
    while deadline is None or time.monotonic() < deadline:
        block = source.read(0.1)
        if block is None:
            continue
        for hyp in recognizer.accept(block):
            if hyp.final and hyp.text:
                yield _record(hyp, vocabulary)
        if on_note is not None and isinstance(recognizer, MeasuresInput):
            for kind, note in input_notes(recognizer.input_levels()).items():
                if kind not in told:
                    told.add(kind)
                    on_note(note)
    for hyp in recognizer.flush():
        if hyp.final and hyp.text:
            yield _record(hyp, vocabulary)
