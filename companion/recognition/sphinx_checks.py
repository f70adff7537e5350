"""pocketsphinx's checks on a finished utterance: the signals its verifier weighs.

A forced-choice grammar maps every sound to some command, so each utterance
the grammar decodes as a complete phrase is decoded twice more on the same
audio: free decoding with the general English language model (out-of-grammar
sentences come out as other words; ~0.11 s per command here) and an
all-phone loop (a grammar path far worse than free phones is a forced fit).
The checks run after the grammar search, not inside it: a garbage-word loop
in the grammar makes pocketsphinx's FSG search far slower than real time
(docs/decisions/006). A word the grammar path stretches far beyond what its
sounds take is no word either (a breath in can fit "faster" over 1.6 s).
What they found goes to the verifier stage (``verifier.py``) as ``Signals``.

Two more repairs live here: a search whose best path stops inside a phrase
(``complete_reading``), and dictation answers read against the words they
are made of (``hinted``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from companion.recognition.bandwidth import decoder_view
from companion.recognition.base import Word
from companion.recognition.denoise import noise_of, refilter
from companion.recognition.sphinx_decoder import (
    DECODER_FPS,
    FREE,
    PHONES,
    Segment,
    SphinxDecoder,
    acoustic,
    clean_words,
    is_word,
    timed_words,
)
from companion.recognition.verifier import Signals, Verifier


@dataclass(frozen=True)
class ChecksConfig:
    """The checks' limits, each with its reason (measurements: docs/decisions/006)."""

    # A command decoded ahead is kept only when the check was clear: it has not heard
    # the last frames, which can turn a borderline pass into a rejection.
    early_sure: float = 0.34
    confidence_margin: float = -36000.0  # the phone margin at which confidence is one half
    # An utterance brought its own noise when its steady part is this much (power) over
    # what the filter held while it streamed in (10 dB; a room's noise wobbles by a few).
    own_noise_ratio: float = 10.0
    # When the grammar's best path stops inside a phrase, a whole phrase among its next
    # readings is taken only under stricter checks:
    nbest: int = 10  # grammar readings searched for a whole phrase
    complete_min_phones: int = 3  # a two-sound word ("no") fits the end of "go", "slow"
    complete_max_loss: float = 5000.0  # may fit this much worse per frame than the path
    # A command word may last this many decoder frames plus this many per sound: the
    # bench's right commands last at most 27 frames for one sound, 70 for two, 85 for
    # three, 99 for five; the limit leaves 30-40 frames for a word drawn out in earnest.
    word_base_frames: int = 40
    word_frames_per_sound: int = 20
    # Dictation answers read against their words (feelings, ratings):
    hint_margin: float = 5000.0  # the hint loop may score this much worse per frame
    hint_alike: float = 75.0  # ratio (0-100) at which free decoding "sounds like" it
    hint_alike_slack: float = 2.5  # ... and then it may score this many times worse
    # Under this ratio free decoding heard other words altogether, and the hint reading
    # is kept only when it fits at least as well (wrong readings score 31-47, right
    # ones 48-95 on feelings answers in four voices).
    hint_unlike: float = 50.0
    onset_slack_frames: int = 5  # a hint word may reach this far into free decoding's first


def view_bytes(frames: list[np.ndarray], narrow: bool) -> bytes:
    """Filtered frames as the decoder is given them, for decoding them again at once."""
    return b"".join(decoder_view(frame, narrow).tobytes() for frame in frames)


class SphinxChecks:
    """The checks, on the recognizer's decoder; the verifier decides from their signals."""

    def __init__(self, decoder: SphinxDecoder, verifier: Verifier[Signals], config: ChecksConfig,
                 on_signals: Callable[[str, Signals], None] | None = None) -> None:
        self.decoder, self.verifier, self.config = decoder, verifier, config
        self._on_signals = on_signals

    def own_noise_audio(self, raw: list[np.ndarray], narrow: bool, held: np.ndarray
                        ) -> bytes | None:
        """The utterance filtered afresh with its own noise, when it brought some.

        Why: the filter holds what it takes out while an utterance streams in
        (``held``), so noise that starts with it (a tap, a fan switched on) reaches
        the decoder as it comes, and free decoding hears words in it. None when the
        noise held was the utterance's noise already.
        """
        if not raw:
            return None
        noise = noise_of(np.concatenate(raw))
        if noise.sum() <= held.sum() * self.config.own_noise_ratio:
            return None
        return view_bytes(refilter(raw, noise), narrow)

    def complete_reading(self, audio: bytes, segs: list[Segment], n_frames: int,
                         phrases: frozenset[str]) -> tuple[str, list[Segment]]:
        """A whole phrase among the grammar decode's next readings, and its segments.

        The grammar search's pruning can lose the whole phrase and its best path stop
        inside another (kal's "I'm done" comes out "i am not", of "i am not safe";
        "stay" as "take"). The best readings are searched for a whole phrase, decoded
        again alone so the checks weigh its own sound. Taken only when it has enough
        sounds and fits about as well as the part-way path; ("", []) otherwise.
        """
        complete = next((text for said in self.decoder.nbest(self.config.nbest)
                         if (text := " ".join(clean_words(said))) in phrases), "")
        if self.decoder.phone_count(complete) < self.config.complete_min_phones:
            return "", []
        said, score = self.decoder.rerun(self.decoder.phrase_search(complete), audio)
        if (" ".join(clean_words(said)) != complete
                or (score - acoustic(segs)) / n_frames < -self.config.complete_max_loss):
            return "", []
        return complete, self.decoder.segments()

    def verify(self, text: str, segs: list[Segment], audio: bytes, n_frames: int,
               phrases: frozenset[str], reject: bool, completed: bool = False
               ) -> tuple[str, float | None, str]:
        """Check a grammar result against free decoding and the phone loop; the verifier
        keeps or rejects it. ``completed``: the phrase came from the next readings.

        Returns (command or "", confidence, what free decoding heard).
        """
        if text not in phrases:
            free_text, _ = self.decoder.rerun(FREE, audio)
            return "", None, " ".join(clean_words(free_text))
        if not reject:
            return text, None, ""
        c = self.config
        grammar_score = acoustic(segs)
        free_text, free_score = self.decoder.rerun(FREE, audio)
        _, phone_score = self.decoder.rerun(PHONES, audio)
        margin = (grammar_score - phone_score) / n_frames
        said = text.split()
        free = clean_words(free_text)
        extra = sum(1 for w in free if w not in said)
        stretch = max((
            (b - a + 1) / (c.word_base_frames + c.word_frames_per_sound
                           * self.decoder.phone_count(w.split("(")[0]))
            for w, a, b, _, _ in segs if is_word(w)), default=0.0)
        signals = Signals(margin, (grammar_score - free_score) / n_frames, extra,
                          len(free) - len(said), not free,
                          " ".join(free) in phrases and free != said, stretch,
                          completed, n_frames / DECODER_FPS, len(said))
        if self._on_signals is not None:
            self._on_signals(text, signals)
        ok = self.verifier.accept(signals)
        # How clear the pass was (a result decoded ahead is kept only when it is clear).
        confidence = 1.0 / (1.0 + math.exp(-(margin - c.confidence_margin) / 3000.0))
        confidence *= 1.0 / (1.0 + extra)
        # Either way the free words go along: crisis words in them win (the core).
        return (text if ok else ""), round(confidence, 3), " ".join(free)

    def hinted(self, free_text: str, segs: list[Segment], audio: bytes, offset_s: float,
               n_frames: int, search: str) -> tuple[str, tuple[Word, ...]] | None:
        """The hint loop's reading of the utterance, when it fits the audio about as well."""
        c = self.config
        free_score = acoustic(segs)
        said, hint_score = self.decoder.rerun(search, audio)
        margin = (hint_score - free_score) / n_frames
        # Free decoding that already sounds like the hinted reading ("stayed in",
        # "stayed") earns more acoustic slack than one that doesn't.
        alike = fuzz.ratio(" ".join(clean_words(said)), free_text)
        slack = (c.hint_alike_slack if alike >= c.hint_alike
                 else 1.0 if alike >= c.hint_unlike else 0.0)
        if margin < -c.hint_margin * slack:
            return None
        # The loop has no way to say "silence": a word it places where free decoding
        # heard only silence before the speech (a breath, the onset) is dropped.
        first = min((a for w, a, _, _, _ in segs if is_word(w)), default=0)
        words = timed_words([s for s in self.decoder.segments()
                             if s[2] > first + c.onset_slack_frames], offset_s)
        text = " ".join(clean_words(" ".join(w.text for w in words)))
        return (text, words) if text else None
