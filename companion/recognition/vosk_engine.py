"""Vosk (Kaldi) recognizer: the primary engine when a model is installed.

Why it is built this way: a ``vosk.Model`` is large and read-only, so one is
shared per path (module cache) while each recognizer instance owns its own
``KaldiRecognizer`` (not thread-safe). Commands use a JSON grammar of the
phrases plus ``"[unk]"`` so out-of-grammar speech lands on ``[unk]`` and is
rejected.

Vosk plugs in at the engine-decode stage: the shared front end says which
frames are speech and when the words' sound fell away, and the shared
endpointer commits a command once Vosk's partial is a complete phrase, quiet
and unchanged for as long as pocketsphinx's commands are (Vosk's own
endpoint waits 0.5-1 s). At the commit, Vosk's final result for the words so
far gives each word's confidence, and the verifier stage (``ConfidenceLimits``)
keeps or rejects the command. Vosk hears the audio as it came: its models are
trained on noisy speech, and the front end's filter was measured only with
pocketsphinx.

Where only commands are listened for, a second ``KaldiRecognizer`` without
a grammar hears the same audio (:class:`FreeListener`): what it made of each
utterance goes along as ``overheard``, so crisis words said at a command step
reach the safety check whether the grammar rejected them, forced them into a
command, or committed a command before the sentence went on.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

from companion.errors import EngineError, ModelError
from companion.normalize import normalize
from companion.recognition.base import FRAME, SAMPLE_RATE_HZ, Grammar, Hypothesis, Word
from companion.recognition.endpointer import EndpointConfig, Endpointer, Timing
from companion.recognition.front_end import FrontEnd, FrontEndConfig
from companion.recognition.verifier import ConfidenceLimits, Verifier, WordSignals

UNK = "[unk]"


def _norm(text: str) -> str:
    """English normalization (contractions, digits); other scripts just lower-cased."""
    return normalize(text) or " ".join(text.lower().split())

_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def load_model(model_path: str | Path) -> Any:
    """The shared ``vosk.Model`` for ``model_path``; ModelError with a fix if unusable."""
    try:
        import vosk
    except ImportError as err:
        raise EngineError(f"vosk is not installed ({err})", "pip install vosk") from err
    path = Path(model_path).expanduser().resolve()
    key = str(path)
    with _models_lock:
        if key in _models:
            return _models[key]
        fix = ("download one with: companion model download vosk-model-small-en-us-0.15, "
               "or pass --model with the folder that contains am/ and conf/")
        if not path.is_dir():
            raise ModelError(f"Vosk model folder not found: {path}", fix)
        if not (path / "am").is_dir() and not (path / "final.mdl").exists():
            raise ModelError(f"{path} does not look like a Vosk model (no am/ folder)", fix)
        vosk.SetLogLevel(-2)
        try:
            model = vosk.Model(str(path))
        except Exception as err:  # vosk raises a bare Exception on a broken model
            raise ModelError(f"Vosk could not load the model in {path} ({err})",
                             "the model may be incomplete: download it again") from err
        _models[key] = model
        return model


class FreeListener:
    """Free recognition of the same audio beside a command grammar, one utterance at a time."""

    def __init__(self, make: Any) -> None:
        self._make = make
        self._rec: Any = None
        self._heard: list[str] = []  # segments Vosk's own endpointing already closed

    def accept(self, block: bytes) -> None:
        if self._rec is None:
            self._rec = self._make()
        if self._rec.AcceptWaveform(block):
            self._heard.append(json.loads(self._rec.Result()).get("text", ""))

    def so_far(self) -> str:
        """What it has heard of the utterance up to now (partial words included)."""
        partial = json.loads(self._rec.PartialResult()).get("partial", "") if self._rec else ""
        return _clean(" ".join([*self._heard, partial]))

    def end(self) -> str:
        """Everything heard of the utterance; starts afresh for the next one."""
        last = json.loads(self._rec.FinalResult()).get("text", "") if self._rec else ""
        heard = _clean(" ".join([*self._heard, last]))
        self._heard = []
        if self._rec is not None:
            self._rec.Reset()
        return heard


def _clean(text: str) -> str:
    return " ".join(w for w in text.split() if w != UNK).strip()


class VoskRecognizer:
    """Streaming Vosk recognizer with per-mode grammars, shared endpointing and verifier."""

    name = "vosk"

    def __init__(self, model_path: str | Path, *,
                 verifier: Verifier[WordSignals] | None = None,
                 front_end: FrontEndConfig | None = None,
                 endpoint: EndpointConfig | None = None) -> None:
        import vosk

        self._vosk = vosk
        self._model = load_model(model_path)
        self._verifier: Verifier[WordSignals] = verifier or ConfidenceLimits()
        self._front = FrontEnd(front_end, filtered=False)  # Vosk hears the audio as it came
        self._endpoint: Endpointer[None] = Endpointer(endpoint)
        self._timing: Timing | None = None  # the shared endpointer's view of the utterance
        self._pending_audio = np.zeros(0, np.int16)  # less than a front-end frame
        self._grammar = Grammar(dictation=True)
        self._pending: Grammar | None = None
        self._phrases: frozenset[str] = frozenset()
        self._samples = 0  # stream clock
        self._utt_start = 0  # sample where the current recognizer segment started
        self._partial = ""
        self._partial_since = 0
        self._heard_from = 0  # sample where the first non-empty partial appeared
        self._committed = False  # a fast commit happened; ignore the rest of this utterance
        self._committed_text = ""  # ... of this command
        self._origin_s = 0.0  # stream time at which the KaldiRecognizer's own clock is 0
        self._free = FreeListener(
            lambda: self._vosk.KaldiRecognizer(self._model, float(SAMPLE_RATE_HZ)))
        self._rec = self._make(self._grammar)

    def _make(self, grammar: Grammar) -> Any:
        """A fresh KaldiRecognizer for ``grammar``; its clock starts at the current sample."""
        self._grammar = grammar
        self._origin_s = self._samples / SAMPLE_RATE_HZ
        self._phrases = frozenset(_norm(p) for p in grammar.phrases if _norm(p))
        if grammar.dictation or not self._phrases:
            rec = self._vosk.KaldiRecognizer(self._model, float(SAMPLE_RATE_HZ))
        else:
            spec = json.dumps(sorted(self._phrases) + [UNK], ensure_ascii=False)
            rec = self._vosk.KaldiRecognizer(self._model, float(SAMPLE_RATE_HZ), spec)
        rec.SetWords(True)
        return rec

    @property
    def _command_mode(self) -> bool:
        return not self._grammar.dictation and bool(self._phrases)

    def set_grammar(self, grammar: Grammar) -> None:
        """Switch what is listened for; applied now if nothing is being heard."""
        if self._partial or self._committed:
            self._pending = grammar
        else:
            self._rec = self._make(grammar)
            self._utt_start = self._samples

    def accept(self, samples: np.ndarray) -> list[Hypothesis]:
        """Feed int16 mono 16 kHz samples; return partial and final hypotheses."""
        block = np.asarray(samples, dtype=np.int16).reshape(-1)
        self._samples += block.size
        self._endpoint_frames(block)
        data = block.tobytes()
        if self._command_mode:
            self._free.accept(data)
        if self._rec.AcceptWaveform(data):
            return self._final(json.loads(self._rec.Result()))
        if (self._committed and self._timing is not None
                and self._endpoint.ended(self._timing, phrase_mode=False)):
            self._rec.FinalResult()  # the rest of the committed command's breath: no command
            return self._final({})
        partial = json.loads(self._rec.PartialResult())
        text = _clean(partial.get("partial", ""))
        if self._committed or not text:
            return []
        out: list[Hypothesis] = []
        now = self._samples / SAMPLE_RATE_HZ
        if not self._partial:
            self._heard_from = self._samples - block.size
        if text != self._partial:
            self._partial, self._partial_since = text, self._samples
            out.append(Hypothesis(text, False, self._utt_start / SAMPLE_RATE_HZ, now))
        timing = self._timing
        if timing is not None:
            timing.partial(text)
        if (self._command_mode and text in self._phrases and timing is not None
                and self._endpoint.commit(timing)):
            out.append(self._commit(text))
        return out

    def _endpoint_frames(self, block: np.ndarray) -> None:
        """Run the shared front end and endpointer over the block's whole frames."""
        data = np.concatenate([self._pending_audio, block]) if self._pending_audio.size else block
        usable = data.size - data.size % FRAME
        for offset in range(0, usable, FRAME):
            front = self._front.frame(data[offset:offset + FRAME], learn=self._timing is None)
            if self._timing is None:
                if self._endpoint.idle(None, front.speech) is not None:
                    self._timing = Timing()
            else:
                self._timing.step(front.speech, front.level_db, self._front.fallen_away)
        self._pending_audio = data[usable:].copy()

    def _commit(self, text: str) -> Hypothesis:
        """The endpointer's commit of a complete command: the verifier keeps or rejects it.

        Vosk's final result for the words so far gives their confidences (partials
        have none); the grammar's recognizer then starts afresh, and what follows
        in the same breath is ignored until Vosk's own endpoint.
        """
        self._committed, self._committed_text = True, text
        result = json.loads(self._rec.FinalResult())
        confidences = [float(w.get("conf", 1.0)) for w in result.get("result", [])
                       if w.get("word") != UNK]
        free = _norm(self._free.so_far()).split()
        said = text.split()
        signals = WordSignals(min(confidences, default=0.0),
                              " ".join(free) in self._phrases and free != said,
                              sum(1 for w in free if w not in said), len(said))
        # Partial-word times would need SetPartialWords, which delays partials by
        # ~1 s here; so times are approximate: first partial and last change.
        start = self._heard_from / SAMPLE_RATE_HZ
        end = self._partial_since / SAMPLE_RATE_HZ
        kept = text if self._verifier.accept(signals) else ""
        return Hypothesis(kept, True, round(start, 3), round(end, 3),
                          signals.min_confidence, (), overheard=self._free.so_far())

    def flush(self) -> list[Hypothesis]:
        """End of stream: the final result of speech still open, if any."""
        return self._final(json.loads(self._rec.FinalResult()))

    def reset(self) -> None:
        """Drop any audio in progress."""
        self._pending = self._pending or self._grammar
        self._free.end()
        self._after_utterance()

    def _after_utterance(self) -> None:
        self._partial = ""
        self._committed = False
        self._timing = None
        self._endpoint.clear()
        self._utt_start = self._samples
        if self._pending is not None:
            self._rec = self._make(self._pending)
            self._pending = None

    def _words(self, items: list[dict[str, Any]]) -> tuple[Word, ...]:
        """Vosk word dicts -> Words on the stream clock (Vosk's clock starts per recognizer)."""
        return tuple(Word(w["word"], round(self._origin_s + float(w["start"]), 3),
                          round(self._origin_s + float(w["end"]), 3),
                          float(w["conf"]) if "conf" in w else None)
                     for w in items if w.get("word") != UNK)

    def _final(self, result: dict[str, Any]) -> list[Hypothesis]:
        """Turn a Vosk result into a final hypothesis.

        After a fast commit the rest of the utterance is not a second command, but
        what free recognition heard of all of it still goes to the safety check.
        """
        committed = self._committed
        command_mode = self._command_mode
        overheard = self._free.end() if command_mode else ""
        raw = result.get("text", "")
        words = self._words(result.get("result", []))
        start = self._utt_start / SAMPLE_RATE_HZ
        end = self._samples / SAMPLE_RATE_HZ
        self._after_utterance()
        if committed or (not raw and not words):
            more = overheard and _norm(overheard) != self._committed_text
            return [Hypothesis("", True, round(start, 3), round(end, 3),
                               overheard=overheard)] if more else []
        text = _clean(raw)
        if command_mode and (UNK in raw.split() or _norm(text) not in self._phrases):
            text, words = "", ()
        confidence = min((w.confidence for w in words if w.confidence is not None), default=None)
        if words:
            start, end = words[0].start_s, words[-1].end_s
        return [Hypothesis(text, True, round(start, 3), round(end, 3), confidence, words,
                           overheard=overheard)]
