"""Choose and open a recognizer: ``--engine auto|vosk|pocketsphinx``.

auto: Vosk when a model is found (``--model``, ``COMPANION_MODEL``, ``models/``,
the data folder), else the embedded pocketsphinx English model, with a
one-line hint on how to get the better Vosk model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from companion.errors import EngineError, ModelError
from companion.recognition.base import Recognizer

VOSK_HINT = (
    "using the built-in English recognizer (pocketsphinx); for better accuracy: "
    "companion model download vosk-model-small-en-us-0.15"
)


def open_recognizer(engine: str = "auto", model: Path | None = None,
                    announce: Callable[[str], None] | None = None) -> Recognizer:
    """Open the recognizer the user asked for; raise ModelError/EngineError with a fix."""
    if engine not in ("auto", "vosk", "pocketsphinx"):
        raise EngineError(f"unknown engine {engine!r}", "use --engine auto, vosk or pocketsphinx")
    if engine in ("auto", "vosk"):
        from companion.models import find_model

        path = find_model(model)
        if path is not None:
            from companion.recognition.vosk_engine import VoskRecognizer

            return VoskRecognizer(path)
        if engine == "vosk":
            raise ModelError(
                "no Vosk model is installed",
                "companion model download vosk-model-small-en-us-0.15, or --model PATH, "
                "or --engine pocketsphinx",
            )
    try:
        from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer
    except ImportError as err:
        raise EngineError(f"pocketsphinx is not installed ({err})",
                          "pip install pocketsphinx (bash scripts/setup.sh does it)") from err
    recognizer = PocketsphinxRecognizer()
    if engine == "auto" and announce is not None:
        announce(VOSK_HINT)
    return recognizer
