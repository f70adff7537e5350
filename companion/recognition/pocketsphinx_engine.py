"""The embedded English recognizer: pocketsphinx with its bundled US-English model.

The stages (each its own module, with its settings in one config dataclass):
``front_end`` (speech or not, the room's noise filtered out, the telephone band
widened) -> ``endpointer`` (when an utterance opens, is checked ahead, is
committed, ends) -> engine decode (``sphinx_decoder``: a command grammar, or
free decoding with the language model) -> ``sphinx_checks`` (free decoding
and a phone loop on the same audio) -> ``verifier`` (keep or reject a
command). This module streams audio through them; the options measured for
each: docs/decisions/004 to 008.

* **Commands** commit as soon as the partial is a complete phrase followed by
  a short quiet (``EndpointConfig``). The checks (~0.17 s of decoding on a
  2-core VM) run *during* that quiet, as soon as the partial is a complete
  phrase: the result is kept and committed if no speech follows, and thrown
  away (the decoder restarts on the utterance so far) if it does, so the
  reply does not wait for them unless a busy machine makes them run past the
  commit. A rejected command is a final with text "" and what free decoding
  heard in ``overheard``, so crisis words said where only commands were
  expected still reach the safety check; accepted commands carry it too ("I
  want to kill myself" can fit the grammar as "I want to leave").
* **A command whose utterance brought its own noise** (the room was quiet
  before it) is decoded again at its end, filtered with that noise.
* **Phrase mode** (rehearsal): the utterance streams through the language
  model (what was really said, with word times). When the wording itself is
  being memorised (``Grammar.exact``), it is decoded again at its end with a
  grammar of the phrase's parts, each optional and in order (which parts were
  said word for word; whole optional parts keep that search at ~0.03x real
  time: docs/decisions/008). Pauses between parts are allowed up to 1.5 s,
  or a short pause once the phrase's last words, or its last part's ideas
  (``Grammar.ending``), have been heard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from companion.normalize import normalize, root
from companion.recognition.bandwidth import decoder_view
from companion.recognition.base import (
    FRAME,
    LEXICON,
    SAMPLE_RATE_HZ,
    Grammar,
    Hypothesis,
    InputLevels,
)
from companion.recognition.denoise import HOP
from companion.recognition.endpointer import EndpointConfig, Endpointer, Timing
from companion.recognition.front_end import FrontEnd, FrontEndConfig, FrontFrame
from companion.recognition.sphinx_checks import ChecksConfig, SphinxChecks, view_bytes
from companion.recognition.sphinx_decoder import FREE, SphinxDecoder, clean_words, timed_words
from companion.recognition.verifier import FixedLimits, Signals, Verifier

# Phrase mode: the last part's ideas count among as many last words as the part has,
# plus this many: further back they may belong to an earlier part ("talking can help us").
ENDING_SLACK = 2


@dataclass
class _Utterance:
    """Audio and timing of the utterance being decoded."""

    start_sample: int
    audio: list[np.ndarray]  # as the decoder is given it: filtered, HOP samples late
    raw: list[np.ndarray]  # ... and as it came (the same samples, HOP earlier)
    timing: Timing = field(default_factory=Timing)
    narrow: bool = False  # the decoder is given the telephone-band view (``bandwidth``)
    early: Hypothesis | None = None  # the final, decoded ahead during the end silence
    # After the decode ahead, the decoder rests (its utterance ended) and frames are
    # only kept; more speech restarts it on the whole utterance so far.
    parked: bool = False


class PocketsphinxRecognizer:
    """Streaming pocketsphinx recognizer with command rejection; see the module doc."""

    name = "pocketsphinx"

    def __init__(self, *, lexicon: Path | None = LEXICON, extra_words: Iterable[str] = (),
                 reject: bool = True, fast_commit: bool = True,
                 verifier: Verifier[Signals] | None = None,
                 on_signals: Callable[[str, Signals], None] | None = None,
                 front_end: FrontEndConfig | None = None,
                 endpoint: EndpointConfig | None = None,
                 checks: ChecksConfig | None = None,
                 acoustic: Mapping[str, str] | None = None) -> None:
        """Load the model with ``lexicon`` (None: the full CMU dictionary).

        ``extra_words`` (a user's own content) are added from the full dictionary
        so they can be heard. ``reject``/``fast_commit`` off give the bench's naive
        baseline. ``verifier`` decides whether a command heard is kept (default:
        :class:`FixedLimits`); ``on_signals`` is told each command's check results
        with the command (the verifier's training reads them). The stages' settings
        default to what ships. ``acoustic``: decoder options naming a person's adapted
        model files (``mean``, ``var``, ``sendump`` or ``mllr``; ``companion.voice``).
        """
        self._reject = reject
        self._fast_commit = fast_commit
        self._decoder = SphinxDecoder(lexicon, extra_words, acoustic)
        self._checks = SphinxChecks(self._decoder, verifier or FixedLimits(),
                                    checks or ChecksConfig(), on_signals)
        self._front = FrontEnd(front_end)  # kept across resets: the room's and microphone's
        self._endpoint: Endpointer[tuple[np.ndarray, np.ndarray]] = Endpointer(endpoint)
        self._grammar = Grammar(dictation=True)
        self._pending: Grammar | None = None
        self._phrases: frozenset[str] = frozenset()
        self._parts: list[list[str]] = []  # phrase mode: the words of each part in the grammar
        self._part_index: list[int] = []  # ... and which phrase part each one is
        self._search_name = FREE
        self._hints: frozenset[str] = frozenset()  # dictation: words answers are made of
        self._hint_search = ""
        self._pending_audio = np.zeros(0, np.int16)
        self._samples = 0  # stream clock: samples consumed into frames
        self._utt: _Utterance | None = None
        self._install(Grammar(dictation=True))

    # -- protocol -----------------------------------------------------------------
    def set_grammar(self, grammar: Grammar) -> None:
        """Switch what is listened for; applied now if idle, else at the next utterance."""
        if self._utt is None:
            self._install(grammar)
        else:
            self._pending = grammar

    def accept(self, samples: np.ndarray) -> list[Hypothesis]:
        """Feed int16 mono 16 kHz samples; return partial and final hypotheses."""
        block = np.asarray(samples, dtype=np.int16).reshape(-1)
        data = np.concatenate([self._pending_audio, block]) if self._pending_audio.size else block
        out: list[Hypothesis] = []
        usable = data.size - data.size % FRAME
        for offset in range(0, usable, FRAME):
            out.extend(self._frame(data[offset : offset + FRAME]))
        self._pending_audio = data[usable:].copy()
        return out

    def flush(self) -> list[Hypothesis]:
        """End of stream: finalize the open utterance, if any."""
        if self._utt is None:
            return []
        return [self._finish()]

    def reset(self) -> None:
        """Drop the utterance in progress and any buffered audio (the clock keeps running)."""
        if self._utt is not None:
            if not self._utt.parked:
                self._decoder.end()
            self._utt = None
        self._samples += self._pending_audio.size
        self._pending_audio = np.zeros(0, np.int16)
        self._endpoint.drop_preroll()
        self._endpoint.clear()
        if self._pending is not None:
            self._install(self._pending)

    def input_levels(self) -> InputLevels:
        """Band, room noise and speech level as measured so far (``listen --live``)."""
        return self._front.input_levels()

    def knows(self, word: str) -> bool:
        """The word is in the recognizer's dictionary (the lexicon, or brought in)."""
        return self._decoder.knows(word)

    # -- grammars -----------------------------------------------------------------
    def _install(self, grammar: Grammar) -> None:
        """Make ``grammar`` current: build and register the JSGF search for its phrases."""
        self._pending = None
        self._grammar = grammar
        self._decoder.add_words(w for text in (*grammar.phrases, *grammar.hints, *grammar.parts)
                                for w in normalize(text).split())
        usable = [p for p in dict.fromkeys(normalize(p) for p in grammar.phrases)
                  if p and all(self._decoder.knows(w) for w in p.split())]
        self._phrases = frozenset(usable)
        self._install_hints(grammar)
        if grammar.parts:
            self._install_parts(grammar.parts)
            return
        self._parts, self._part_index = [], []
        key = tuple(sorted(usable))
        self._search_name = (self._decoder.jsgf_search(
            key, "commands", f"public <command> = {' | '.join(key)};\n") if usable else FREE)

    def _install_hints(self, grammar: Grammar) -> None:
        """Dictation with ``hints``: a JSGF loop ``(p1 | p2 | ...)+`` to read answers."""
        known = sorted({p for p in (normalize(b) for b in grammar.hints)
                        if p and all(self._decoder.knows(w) for w in p.split())}
                       ) if grammar.dictation else []
        self._hints = frozenset(w for p in known for w in p.split())
        self._hint_search = (self._decoder.jsgf_search(
            ("\0hints", *known), "hints", f"public <answer> = ({' | '.join(known)})+;\n")
            if known else "")

    def _install_parts(self, parts: tuple[str, ...]) -> None:
        """Phrase mode: a JSGF search ``[<p0>] [<p1>] ...`` over the parts' known words."""
        self._parts, self._part_index = [], []
        for index, part in enumerate(parts):
            known = [w for w in normalize(part).split() if self._decoder.knows(w)]
            if known:
                self._parts.append(known)
                self._part_index.append(index)
        key = ("\0parts",) + tuple(" ".join(p) for p in self._parts)
        rules = "".join(f"<p{i}> = {' '.join(p)};\n" for i, p in enumerate(self._parts))
        body = " ".join(f"[<p{i}>]" for i in range(len(self._parts)))
        self._search_name = (self._decoder.jsgf_search(
            key, "phrase", f"{rules}public <attempt> = {body};\n") if self._parts else FREE)

    @property
    def _phrase_mode(self) -> bool:
        return bool(self._parts)

    @property
    def _command_mode(self) -> bool:
        return not self._grammar.dictation and bool(self._phrases) and not self._parts

    def _search(self) -> str:
        return self._search_name if self._command_mode else FREE

    def _heard_the_end(self, text: str) -> bool:
        """The attempt's last words said the phrase's last part (its words, or its ideas)."""
        heard = text.split()
        if heard[-2:] == self._parts[-1][-2:]:
            return True
        ending = self._grammar.ending
        recent = {root(w) for w in heard[-(len(self._parts[-1]) + ENDING_SLACK):]}
        return bool(ending) and all(recent & idea for idea in ending)

    def _found_parts(self, said: list[str]) -> tuple[int, ...]:
        """Which parts a phrase-grammar result contains (in order, whole parts only)."""
        found, at = [], 0
        for words, index in zip(self._parts, self._part_index, strict=True):
            if said[at:at + len(words)] == words:
                found.append(index)
                at += len(words)
        return tuple(found)

    # -- streaming ----------------------------------------------------------------
    def _frame(self, frame: np.ndarray) -> list[Hypothesis]:
        self._samples += FRAME
        # (the filtered view is 10 ms behind; the noise taken out is held inside an utterance)
        front = self._front.frame(frame, learn=self._utt is None)
        if self._utt is None:
            preroll = self._endpoint.idle((front.clean, front.raw), front.speech)
            if preroll is not None:
                self._open(preroll)
            return []
        return self._utterance_frame(self._utt, front)

    def _utterance_frame(self, utt: _Utterance, front: FrontFrame) -> list[Hypothesis]:
        utt.audio.append(front.clean)
        utt.raw.append(front.raw)
        timing = utt.timing
        if timing.step(front.speech, front.level_db, self._front.fallen_away):
            utt.early = None  # more speech: what was decoded ahead is out of date
        if utt.narrow != self._front.narrow:  # the microphone's band was just made out:
            utt.narrow = self._front.narrow  # stream the utterance so far again in the new view
            if not utt.parked:
                self._decoder.end()
                utt.parked = True
        if utt.parked and utt.early is None:
            self._restart(utt)  # this frame included
            utt.parked = False
        elif not utt.parked:
            self._decoder.feed(decoder_view(front.clean, utt.narrow).tobytes())
        if self._endpoint.ended(timing, self._phrase_mode):
            return [self._finish()]
        out: list[Hypothesis] = []
        ending = (self._fast_commit and self._command_mode
                  and self._endpoint.ending(timing))
        if not (utt.parked or ending or self._endpoint.partial_due(timing)):
            return out
        if not utt.parked and timing.partial(self._decoder.partial()):  # (parked: only
            utt.early = None  # silence since the decode ahead, nothing new)
            if timing.last_partial:
                out.append(Hypothesis(timing.last_partial, False, self._utt_start_s(),
                                      self._now()))
        complete = ending and timing.last_partial in self._phrases
        if complete and utt.early is None and self._endpoint.check_ahead(timing):
            self._decode_ahead(utt)
        if complete and self._endpoint.commit(timing):
            out.append(self._finish())
        elif (self._fast_commit and self._phrase_mode and self._endpoint.phrase_done(timing)
              and self._heard_the_end(timing.last_partial)):
            out.append(self._finish())  # the phrase's last words, then a pause: done
        return out

    def _open(self, preroll: list[tuple[np.ndarray, np.ndarray]]) -> None:
        start = max(self._samples - FRAME * len(preroll) - HOP, 0)
        self._utt = _Utterance(start_sample=start, audio=[f for f, _ in preroll],
                               raw=[r for _, r in preroll], narrow=self._front.narrow)
        self._restart(self._utt)

    def _restart(self, utt: _Utterance) -> None:
        """Start the current search on a new utterance and stream ``utt``'s audio into it."""
        self._decoder.start(self._search())
        for frame in utt.audio:
            self._decoder.feed(decoder_view(frame, utt.narrow).tobytes())

    def _utt_start_s(self) -> float:
        return self._utt.start_sample / SAMPLE_RATE_HZ if self._utt else 0.0

    def _now(self) -> float:
        return self._samples / SAMPLE_RATE_HZ

    def _finish(self) -> Hypothesis:
        """End the open utterance and return its final hypothesis."""
        utt = self._utt
        if utt is None:  # pragma: no cover - callers check
            return Hypothesis("", True)
        self._utt = None
        self._endpoint.clear()
        early = utt.early
        sure = self._checks.config.early_sure
        if early is not None and (not early.text or (early.confidence or 0.0) >= sure):
            final = early
        else:
            if utt.parked:
                self._restart(utt)
            final = self._decode(utt)
        if self._pending is not None:
            self._install(self._pending)
        return final

    def _decode_ahead(self, utt: _Utterance) -> None:
        """Decode and check the utterance now; the decoder then rests until speech resumes.

        Kept in ``utt.early`` until more speech makes it stale, and used at the commit
        when it is a rejection or a clear pass (``ChecksConfig.early_sure``). Restarting
        only when speech resumes (rather than at once, to stream on) keeps the
        re-decoding of the utterance out of the end silence, so the check fits inside it.
        """
        utt.early = self._decode(utt)
        utt.parked = True

    def _decode(self, utt: _Utterance) -> Hypothesis:
        """End the decoder's utterance: final text, rejection check, word times."""
        self._decoder.end()
        audio = (self._checks.own_noise_audio(utt.raw, utt.narrow, self._front.noise)
                 if self._command_mode else None)
        if audio is None:
            audio = view_bytes(utt.audio, utt.narrow)
        else:  # the streamed decode heard the noise too: the grammar hears it again
            self._decoder.rerun(self._search_name, audio)
        offset = utt.start_sample / SAMPLE_RATE_HZ
        said, segs, n_frames = self._decoder.result()
        text = " ".join(clean_words(said))
        words = timed_words(segs, offset)
        confidence: float | None = None
        parts_said: tuple[int, ...] | None = None
        overheard = ""
        if self._command_mode:
            completed = False
            if self._reject and text not in self._phrases:
                text, segs = self._checks.complete_reading(audio, segs, n_frames, self._phrases)
                words = timed_words(segs, offset)
                completed = True
            text, confidence, overheard = self._checks.verify(
                text, segs, audio, n_frames, self._phrases, self._reject, completed)
            if not text:
                words = ()
        elif self._phrase_mode:  # ``text`` streamed through the language model
            heard = set(text.split())
            if not self._grammar.exact:
                parts_said = None  # said in one's own words: the ideas are scored, not a grammar
            elif all(set(words) <= heard for words in self._parts):
                parts_said = tuple(self._part_index)  # the grammar could only confirm it
            else:
                said, _ = self._decoder.rerun(self._search_name, audio)
                parts_said = self._found_parts(clean_words(said))
        elif self._hint_search and text and not set(text.split()) <= self._hints:
            hinted = self._checks.hinted(text, segs, audio, offset, n_frames, self._hint_search)
            if hinted is not None:
                text, words = hinted
        start = words[0].start_s if words else offset
        end = words[-1].end_s if words else self._now()
        return Hypothesis(text, True, round(start, 3), round(end, 3), confidence, words,
                          parts_said, overheard)
