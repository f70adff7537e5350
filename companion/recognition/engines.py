"""Choose and open a recognizer: ``--engine auto|vosk|pocketsphinx``.

auto: Vosk when a model is found (``--model``, ``COMPANION_MODEL``, ``models/``,
the data folder), else the embedded pocketsphinx English model, with a
one-line hint on how to get the better Vosk model.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from companion.errors import EngineError, ModelError
from companion.recognition.base import Grammar, Hypothesis, Recognizer


def open_recognizer(engine: str = "auto", model: Path | None = None,
                    announce: Callable[[str], None] | None = None,
                    on_late_failure: Callable[[EngineError], None] | None = None,
                    voice_profile: bool = True,
                    warn: Callable[[str], None] | None = None) -> Recognizer:
    """Open the recognizer the user asked for; raise ModelError/EngineError with a fix.

    With ``on_late_failure``, the embedded recognizer is checked now but loaded on
    first use (see :class:`LoadOnFirstUse`); a failure then is reported to it.
    The embedded recognizer loads the person's voice profile (``companion voice``)
    unless ``voice_profile`` is off; a damaged one is skipped, told to ``warn``
    (default: stderr) in one line.
    """
    if engine not in ("auto", "vosk", "pocketsphinx"):
        raise EngineError(f"unknown engine {engine!r}", "use --engine auto, vosk or pocketsphinx")
    if engine in ("auto", "vosk"):
        from companion.models import download_command, find_model

        path = find_model(model)
        if path is not None:
            from companion.recognition.vosk_engine import VoskRecognizer

            return VoskRecognizer(path)
        if engine == "vosk":
            raise ModelError(
                "no Vosk model is installed",
                f"{download_command()}, or --model PATH, or --engine pocketsphinx",
            )
    try:
        from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer
    except ImportError as err:
        raise EngineError(f"pocketsphinx is not installed ({err})",
                          "pip install pocketsphinx (bash scripts/setup.sh does it)") from err
    from companion.content_files import user_words

    words = user_words()
    load: Callable[[], Recognizer] = (
        partial(_with_profile, warn=warn or _stderr_line, extra_words=words) if voice_profile
        else partial(PocketsphinxRecognizer, extra_words=words))
    recognizer: Recognizer = (load() if on_late_failure is None else
                              LoadOnFirstUse(load, on_late_failure, PocketsphinxRecognizer.name))
    if engine == "auto" and announce is not None:
        from companion.models import download_command

        announce("using the built-in English recognizer (pocketsphinx); for better "
                 f"accuracy: {download_command()}")
    return recognizer


def _stderr_line(text: str) -> None:
    import sys

    print(f"companion: {text}", file=sys.stderr, flush=True)


def _with_profile(*, warn: Callable[[str], None], **options: Any) -> Recognizer:
    """pocketsphinx with the person's voice profile when there is a usable one.

    A profile that is damaged, or that pocketsphinx cannot load, is left out: the
    recognizer works without it, and ``warn`` hears why, once.
    """
    from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer
    from companion.voice.profile import VoiceProfileError, decoder_options

    try:
        acoustic = decoder_options()
    except VoiceProfileError as err:
        warn(err.one_line())
        acoustic = {}
    if acoustic:
        try:
            return PocketsphinxRecognizer(acoustic=acoustic, **options)
        except EngineError as err:
            warn(f"your voice profile could not be loaded ({err.message}); listening "
                 "without it (teach it again: companion voice teach)")
    return PocketsphinxRecognizer(**options)


class LoadOnFirstUse:
    """A recognizer built the first time it is used, on the thread that listens.

    Why: loading pocketsphinx takes about half a second and holds the GIL.
    Before the session starts, that delays the first spoken word; while the
    first prompt plays, it starves the output callback. A session's listen
    loop first touches its recognizer once the first prompt has been said, so
    the load happens in that quiet moment. If it fails, ``on_failure`` hears why
    and nothing is recognized (the session carries on typed).
    """

    def __init__(self, factory: Callable[[], Recognizer],
                 on_failure: Callable[[EngineError], None], name: str = "recognizer") -> None:
        self.name = name
        self._factory = factory
        self._on_failure = on_failure
        self._inner: Recognizer | None = None
        self._failed = False

    def _get(self) -> Recognizer | None:
        if self._inner is None and not self._failed:
            try:
                self._inner = self._factory()
            except EngineError as err:
                self._failed = True
                self._on_failure(err)
        return self._inner

    def set_grammar(self, grammar: Grammar) -> None:
        if (inner := self._get()) is not None:
            inner.set_grammar(grammar)

    def accept(self, samples: np.ndarray) -> list[Hypothesis]:
        inner = self._get()
        return inner.accept(samples) if inner is not None else []

    def flush(self) -> list[Hypothesis]:
        inner = self._get()
        return inner.flush() if inner is not None else []

    def reset(self) -> None:
        if (inner := self._get()) is not None:
            inner.reset()
