"""pocketsphinx's decoder as the engine-decode stage: model, words, searches, decodes.

One ``pocketsphinx.Decoder`` holds every search the recognizer uses: the
general language model (``lm``, free decoding), an all-phone loop
(``phone``), and JSGF grammars built once per set of phrases and kept.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from companion.errors import EngineError
from companion.normalize import normalize
from companion.recognition.base import LEXICON, Word

DECODER_FPS = 100  # pocketsphinx feature frames per second
FREE, PHONES = "lm", "phone"  # the searches every decoder has
Segment = tuple[str, int, int, float, float]  # word, start frame, end frame, acoustic, prob

_LOG_BASE = math.log(1.0001)  # pocketsphinx reports scores as 1.0001 ** raw


def _raw(value: float) -> float:
    """Back from pocketsphinx's exponentiated score to its log-domain integer scale."""
    return math.log(max(value, 1e-300)) / _LOG_BASE


def model_path() -> Path:
    """The US-English model that ships in the pocketsphinx wheel."""
    import pocketsphinx as ps

    return Path(ps.get_model_path()) / "en-us"


def full_dictionary() -> Path:
    """The whole CMU pronouncing dictionary, where words missing from the lexicon come from."""
    return model_path() / "cmudict-en-us.dict"


def clean_words(text: str) -> list[str]:
    """Drop fillers and alternate-pronunciation marks from decoder output."""
    out = []
    for token in text.split():
        if token.startswith(("<", "[", "+")):
            continue
        out.append(token.split("(")[0])
    return normalize(" ".join(out)).split()


def is_word(token: str) -> bool:
    """A segment that is a word (not a filler, silence or sentence marker)."""
    return not token.startswith(("<", "[", "+"))


def acoustic(segs: list[Segment]) -> float:
    """Summed acoustic score of a decode's segments (sentence markers left out)."""
    return sum(_raw(a) for w, _, _, a, _ in segs if w not in ("<s>", "</s>"))


def timed_words(segs: list[Segment], offset_s: float) -> tuple[Word, ...]:
    """Decoder segments as words with stream times (fillers and silences left out)."""
    return tuple(Word(w.split("(")[0], round(offset_s + a / DECODER_FPS, 3),
                      round(offset_s + (b + 1) / DECODER_FPS, 3))
                 for w, a, b, _, _ in segs if is_word(w))


class SphinxDecoder:
    """The decoder with its searches; streaming and whole-utterance decodes."""

    def __init__(self, lexicon: Path | None = LEXICON, extra_words: Iterable[str] = (),
                 acoustic: Mapping[str, str] | None = None) -> None:
        """Load the model with ``lexicon`` (None: the full CMU dictionary; the shipped
        lexicon is common words plus the content's, half the load time:
        docs/decisions/008). ``acoustic``: decoder options naming a person's adapted
        model files (``companion.voice``)."""
        self._limited = lexicon is not None
        self._looked_up: set[str] = set()  # words already searched for in the full dictionary
        self._searches: dict[tuple[str, ...], str] = {}  # phrase set -> JSGF search name
        try:
            import pocketsphinx as ps
        except ImportError as err:
            raise EngineError(f"pocketsphinx is not installed ({err})",
                              "pip install pocketsphinx") from err
        base = model_path()
        try:
            self._decoder = ps.Decoder(
                hmm=f"{base}/en-us", dict=str(lexicon or full_dictionary()), lm=None,
                # No dither: the same audio always decodes the same, so a result
                # decoded ahead matches the final decode, tests do not depend on what
                # was decoded before, and bench runs repeat.
                loglevel="FATAL", dither=False,
                # No second flat-lexicon pass: it delays the end of a long phrase and
                # changes no command result.
                fwdflat=False, **dict(acoustic or {}),
                # The model's other defaults are kept: no other setting measured scores
                # better on the bench (docs/decisions/008).
            )
            self._decoder.add_lm_file(FREE, f"{base}/en-us.lm.bin")
            self._decoder.add_allphone_file(PHONES, f"{base}/en-us-phone.lm.bin")
            self.add_words(extra_words)
        except (RuntimeError, ValueError, OSError) as err:
            raise EngineError(f"pocketsphinx could not load its model from {base} ({err})",
                              "reinstall it: pip install --force-reinstall pocketsphinx") from err

    def knows(self, word: str) -> bool:
        return bool(self._decoder.lookup_word(word))

    def add_words(self, wanted: Iterable[str]) -> None:
        """Bring words the lexicon lacks in from the full CMU dictionary.

        The language-model search is rebuilt so it can hear them too (~0.1 s,
        only when a grammar or a user's content brings words that are new).
        """
        missing = {w for w in wanted if w not in self._looked_up and not self.knows(w)}
        self._looked_up |= missing
        if not missing or not self._limited:
            return
        added = False
        with full_dictionary().open(encoding="utf-8") as lines:
            for line in lines:
                entry, _, phones = line.strip().partition(" ")
                if entry.split("(")[0] in missing:
                    self._decoder.add_word(entry, phones.strip(), False)
                    added = True
        if added:
            self._decoder.add_lm(FREE, self._decoder.get_lm(FREE))

    def jsgf_search(self, key: tuple[str, ...], grammar: str, rules: str) -> str:
        """The search for ``key``: built from the JSGF ``rules`` once, then kept."""
        if key not in self._searches:
            self._searches[key] = f"{grammar}{len(self._searches)}"
            jsgf = f"#JSGF V1.0;\ngrammar {grammar};\n{rules}"
            self._decoder.add_jsgf_string(self._searches[key], jsgf)
        return self._searches[key]

    def phrase_search(self, phrase: str) -> str:
        """A search that hears only ``phrase``."""
        return self.jsgf_search(("\0one", phrase), "one", f"public <phrase> = {phrase};\n")

    def phone_count(self, phrase: str) -> int:
        """How many sounds ``phrase`` has in the lexicon (its first pronunciations)."""
        return sum(len((self._decoder.lookup_word(word) or "").split())
                   for word in phrase.split())

    # -- streaming ------------------------------------------------------------------
    def start(self, search: str) -> None:
        self._decoder.activate_search(search)
        self._decoder.start_utt()

    def feed(self, audio: bytes) -> None:
        """Stream audio into the open utterance (one frame at a time: one big streaming
        call overruns the decoder's feature buffer)."""
        self._decoder.process_raw(audio, False, False)

    def end(self) -> None:
        self._decoder.end_utt()

    def partial(self) -> str:
        """The open utterance's best words so far."""
        hyp = self._decoder.hyp()
        return " ".join(clean_words(hyp.hypstr)) if hyp is not None else ""

    def result(self) -> tuple[str, list[Segment], int]:
        """The ended utterance: (raw text, segments, frames decoded)."""
        hyp = self._decoder.hyp()
        segs = self.segments() if hyp is not None else []
        return (hyp.hypstr if hyp is not None else "", segs,
                max(self._decoder.n_frames(), 1))

    def nbest(self, count: int) -> list[str]:
        """The ended utterance's next best readings (empty when it left no lattice)."""
        return [hyp.hypstr for hyp in itertools.islice(self._decoder.nbest() or (), count)
                if hyp is not None]

    def segments(self) -> list[Segment]:
        """The last decode's segments."""
        return [(s.word, s.start_frame, s.end_frame, s.ascore, s.prob)
                for s in (self._decoder.seg() or [])]

    def rerun(self, search: str, audio: bytes) -> tuple[str, float]:
        """Decode a whole utterance again with another search; (text, summed acoustic).

        Each decode also moves the decoder's cepstral mean ~22% of the way to the
        utterance's, so the checks adapt it to the room three times per command:
        that fast adaptation is what holds commands in noise (docs/decisions/006).
        A change in how many decodes run moves every later result a little.
        """
        self._decoder.activate_search(search)
        self._decoder.start_utt()
        self._decoder.process_raw(audio, False, True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        if hyp is None:
            return "", -math.inf
        return hyp.hypstr, acoustic(self.segments())

