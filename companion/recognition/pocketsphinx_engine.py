"""The embedded English recognizer: pocketsphinx with its bundled US-English model.

Why it is built this way (the options measured for it: docs/decisions/004 to 008):

* **Segmentation first.** A cheap WebRTC-style VAD (``pocketsphinx.Vad``) runs on
  every 30 ms frame; the decoder only sees speech (plus a short pre-roll), so a
  silent room costs almost no CPU. A frame near the room's steady noise floor
  counts as silence whatever the VAD says (``noise_floor``): the VAD calls steady
  noise speech, so in a noisy room it alone would never let an utterance end.
* **What the decoder hears** is the microphone's audio with the room's steady
  noise filtered out (``denoise``), over a faint fixed noise floor, widened to
  full band when the microphone records only the telephone band
  (``bandwidth``); the VAD and the noise floor work on the audio as it came.
  A command whose utterance brought its own noise (the room was quiet before
  it) is decoded again at its end, filtered with that noise (``refilter``).
* **Commands need rejection.** A forced-choice grammar maps every sound to some
  command. Each utterance that the grammar decodes as a complete phrase is
  checked twice more on the same audio: free decoding with the general English
  language model (out-of-grammar sentences come out as other words; ~0.11 s per
  command here) and an all-phone loop (a grammar path far worse than free phones
  is a forced fit). The checks run after the grammar search, not inside it: a
  garbage-word loop in the grammar makes pocketsphinx's FSG search far slower
  than real time (docs/decisions/006).
  A word the grammar path stretches far beyond what its sounds take is no word
  either (a breath in can fit "faster" over 1.6 s; ``WORD_BASE_FRAMES``).
  Any check failing rejects the utterance (final hypothesis with text "",
  and what free decoding heard in ``overheard``, so crisis words said where
  only commands were expected still reach the safety check; accepted commands
  carry it too: "I want to kill myself" can fit the grammar as "I want to leave").
* **A search that stops short.** The grammar search's pruning sometimes loses
  the whole phrase and its best path ends inside another ("I'm done" comes out
  "i am not", of "i am not safe"; "stay" as "take"). Then the best whole phrase
  among its next readings is decoded again alone and checked, more strictly
  than a phrase the search reached by itself.
* **Fast endpointing.** In command mode the final is committed as soon as the
  partial is a complete phrase followed by 0.3 s of quiet, rather than at the
  end-of-speech timeout. The quiet is counted from where the words' sound fell
  away (near the noise floor, or 35 dB under their peak), not from where the
  VAD lets go, which holds on ~0.2 s longer. 0.3 s lets a pause inside a
  sentence that starts like a command ("stop ... my sister called") pass
  without committing it; a shorter wait replies sooner but takes more sentences
  for commands (docs/decisions/005). The checks (~0.17 s of decoding on a
  2-core VM: free decoding ~0.11 s, the phone loop ~0.05 s) run *during* that
  quiet, from 0.12 s of it, as soon as the partial is a complete phrase: the
  result is kept and committed if no speech follows, and thrown away (the
  decoder restarts on the utterance so far) if it does, so the reply does not
  wait for them, unless a busy machine makes them run past the commit.
* **Phrase mode** (rehearsal): the utterance streams through the language
  model (what was really said, with word times). When the wording itself is
  being memorised (``Grammar.exact``), it is decoded again at its end with a
  grammar of the phrase's parts, each optional and in order (which parts
  were said word for word). Whole optional parts keep that search at ~0.03x
  real time (docs/decisions/008), so the second pass adds little delay (and is
  skipped when free decoding already holds every word of every part). Pauses
  between parts are allowed up to 1.5 s, or ``PHRASE_FAST_SILENCE_S`` once the
  phrase's last words, or its last part's ideas (``Grammar.ending``), have been
  heard.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz

from companion.errors import EngineError
from companion.normalize import normalize, root
from companion.recognition.bandwidth import BandWatch, decoder_view
from companion.recognition.base import (
    FRAME,
    LEXICON,
    SAMPLE_RATE_HZ,
    Grammar,
    Hypothesis,
    InputLevels,
    Word,
)
from companion.recognition.denoise import HOP, Denoiser, noise_of, refilter
from companion.recognition.noise_floor import FULL_SCALE_DB, NoiseFloor
from companion.recognition.verifier import FixedLimits, Signals, Verifier

# The dictionary loaded is ``LEXICON`` (common words plus the content's), not all 134,000
# CMU words: less memory and half the load time (docs/decisions/008).
FRAME_S = FRAME / SAMPLE_RATE_HZ
PREROLL_FRAMES = 10  # audio kept before speech onset (0.3 s)
ONSET_FRAMES = 3  # speech frames in the last 5 that open an utterance
END_SILENCE_S = 0.6  # trailing silence that ends an utterance (the slow, "final" path)
# Command mode counts the pause after the words from where their sound fell away
# (``NoiseFloor.fallen_away``), not from where the VAD let go (~0.2 s later).
COMMIT_QUIET_S = 0.3  # a complete phrase is committed after this much quiet ...
STABLE_S = 0.18  # ... once unchanged this long
# Quiet after which a complete phrase is decoded ahead: late enough to have heard a
# weak last sound, early enough for the check (~0.17 s) to end close to the commit
# (docs/decisions/005).
EARLY_QUIET_S = 0.12
EARLY_MAX_S = 3.0  # ... in utterances up to this long (longer ones are rarely commands)
# An accepted command decoded ahead is kept only when the check was clear: it has not
# heard the last frames (a weak final consonant already counted as quiet), and those
# can turn a borderline pass into a rejection (docs/decisions/005).
EARLY_SURE = 0.34
CONFIDENCE_MARGIN = -36000.0  # the phone margin at which confidence is one half
MAX_UTTERANCE_S = 12.0
PHRASE_END_SILENCE_S = 1.5  # phrase mode: a breath between parts does not end the attempt
PHRASE_MAX_UTTERANCE_S = 60.0
PHRASE_FAST_SILENCE_S = 0.2  # ... unless the phrase's last words were just heard
# ... or its last part's ideas, among as many last words as the part has, plus this
# many: further back they may belong to an earlier part ("talking can help us").
ENDING_SLACK = 2
PARTIAL_EVERY = 4  # frames between partial-hypothesis checks (120 ms)
LEVEL_FRAMES, MIN_LEVEL_FRAMES = 100, 10  # speech frames the reported speech level is over
DECODER_FPS = 100  # pocketsphinx feature frames per second

HINT_MARGIN = 5000.0  # hint loop may score this much worse per frame than free decoding
HINT_ALIKE = 75.0  # rapidfuzz ratio (0-100) at which free decoding "sounds like" the hints
HINT_ALIKE_SLACK = 2.5  # ... and then the hint reading may score this many times worse
# Under this ratio free decoding heard other words altogether ("i felt let down by her"
# against "five two calm two one two calm five hurt"), and the hint reading is kept only
# when it fits the sound at least as well. On feelings answers and sentences in 4 voices,
# wrong readings score 31-47 here and 4200-14700 worse per frame; right ones 48-95, and
# those under 55 fit better than free decoding.
HINT_UNLIKE = 50.0
# When the grammar's best path stops inside a phrase, a whole phrase among its next
# readings is taken only under stricter checks (these two, and the verifier's closer
# phone margin): without them more sentences pass as commands and more commands are
# heard as another ("yes" as "no"). See ``_complete_reading`` and docs/decisions/006.
NBEST = 10  # grammar readings searched for a whole phrase
COMPLETE_MIN_PHONES = 3  # a two-sound word ("no") fits the end of "go", "say" and "slow"
COMPLETE_MAX_LOSS = 5000.0  # it may fit this much worse per frame than the part-way path
ONSET_SLACK_FRAMES = 5  # decoder frames a hint word may reach into free decoding's first word
# A command word may last at most this many decoder frames (10 ms), plus this many per
# sound in it: a breath in can come out of the grammar as "faster" stretched over 1.6 s.
# The bench's commands heard right (slow and reverberant ones included) last at most
# 27 frames for one sound, 70 for two, 85 for three, 93 for four, 99 for five; the
# limit leaves 30-40 frames beyond those for a word drawn out in earnest.
WORD_BASE_FRAMES, WORD_FRAMES_PER_SOUND = 40, 20
# An utterance brought its own noise when its steady part is this much (power) over what
# the filter held while it streamed in (10 dB; a room's noise wobbles by a few dB).
OWN_NOISE_RATIO = 10.0

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


def _clean_words(text: str) -> list[str]:
    """Drop fillers and alternate-pronunciation marks from decoder output."""
    out = []
    for token in text.split():
        if token.startswith(("<", "[", "+")):
            continue
        out.append(token.split("(")[0])
    return normalize(" ".join(out)).split()


def _acoustic(segs: list[tuple[str, int, int, float, float]]) -> float:
    """Summed acoustic score of a decode's segments (sentence markers left out)."""
    return sum(_raw(a) for w, _, _, a, _ in segs if w not in ("<s>", "</s>"))


def _timed_words(segs: list[tuple[str, int, int, float, float]], offset_s: float
                 ) -> tuple[Word, ...]:
    """Decoder segments as words with stream times (fillers and silences left out)."""
    return tuple(Word(w.split("(")[0], round(offset_s + a / DECODER_FPS, 3),
                      round(offset_s + (b + 1) / DECODER_FPS, 3))
                 for w, a, b, _, _ in segs if not w.startswith(("<", "[", "+")))


@dataclass
class _Utterance:
    """Audio and timing of the utterance being decoded."""

    start_sample: int
    audio: list[np.ndarray]  # as the decoder is given it: filtered, HOP samples late
    raw: list[np.ndarray]  # ... and as it came (the same samples, HOP earlier)
    trailing_silence: int = 0  # frames since the VAD last heard speech
    trailing_quiet: int = 0  # frames since the sound last stood out (see COMMIT_QUIET_S)
    peak_db: float = 0.0  # the loudest frame so far
    frames: int = 0
    last_partial: str = ""
    stable_since: int = 0  # frame index where last_partial last changed
    narrow: bool = False  # the decoder is given the telephone-band view (``bandwidth``)
    early: Hypothesis | None = None  # the final, decoded ahead during the end silence
    # After the decode ahead, the decoder rests (its utterance ended) and frames are
    # only kept; more speech restarts it on the whole utterance so far.
    parked: bool = False


def _view_bytes(frames: list[np.ndarray], narrow: bool) -> bytes:
    """Filtered frames as the decoder is given them, for decoding them again at once."""
    return b"".join(decoder_view(frame, narrow).tobytes() for frame in frames)


class PocketsphinxRecognizer:
    """Streaming pocketsphinx recognizer with command rejection; see the module doc."""

    name = "pocketsphinx"

    def __init__(self, *, lexicon: Path | None = LEXICON, extra_words: Iterable[str] = (),
                 reject: bool = True, fast_commit: bool = True,
                 verifier: Verifier | None = None,
                 on_signals: Callable[[str, Signals], None] | None = None,
                 acoustic: Mapping[str, str] | None = None) -> None:
        """Load the model with ``lexicon`` (None: the full CMU dictionary).

        ``extra_words`` (a user's own content) are added from the full dictionary
        so they can be heard. ``reject``/``fast_commit`` off give the bench's naive
        baseline. ``verifier`` decides whether a command heard is kept (default:
        :class:`FixedLimits`); ``on_signals`` is told each command's check results
        with the command (the verifier's training reads them). ``acoustic``: decoder
        options naming a person's adapted model files (``mean``, ``var``, ``sendump``
        or ``mllr``; ``companion.voice``).
        """
        self._reject = reject
        self._verifier: Verifier = verifier or FixedLimits()
        self._on_signals = on_signals
        self._fast_commit = fast_commit
        self._limited = lexicon is not None
        self._looked_up: set[str] = set()  # words already searched for in the full dictionary
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
                fwdflat=False,
                # The model's other defaults are kept: no other setting measured scores
                # better on the bench (docs/decisions/008).
                **dict(acoustic or {}),
            )
            self._decoder.add_lm_file("lm", f"{base}/en-us.lm.bin")
            self._decoder.add_allphone_file("phone", f"{base}/en-us-phone.lm.bin")
            self._add_words(extra_words)
        except (RuntimeError, ValueError, OSError) as err:
            raise EngineError(f"pocketsphinx could not load its model from {base} ({err})",
                              "reinstall it: pip install --force-reinstall pocketsphinx") from err
        self._vad = ps.Vad(ps.Vad.MEDIUM_STRICT, SAMPLE_RATE_HZ, FRAME_S)
        self._floor = NoiseFloor()  # kept across resets: it is the room's, not the utterance's
        self._band = BandWatch()  # ... and this the microphone's
        self._denoiser = Denoiser()  # ... and this the room's again
        self._speech_db: deque[float] = deque(maxlen=LEVEL_FRAMES)  # recent speech frames
        self._grammar = Grammar(dictation=True)
        self._pending: Grammar | None = None
        self._phrases: frozenset[str] = frozenset()
        self._parts: list[list[str]] = []  # phrase mode: the words of each part in the grammar
        self._part_index: list[int] = []  # ... and which phrase part each one is
        self._searches: dict[tuple[str, ...], str] = {}  # phrase set -> JSGF search name
        self._search_name = "lm"
        self._hints: frozenset[str] = frozenset()  # dictation: words answers are made of
        self._hint_search = ""
        self._pending_audio = np.zeros(0, np.int16)
        self._samples = 0  # stream clock: samples consumed into frames
        self._preroll: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=PREROLL_FRAMES)
        self._recent: deque[bool] = deque(maxlen=5)
        self._utt: _Utterance | None = None
        self._install(Grammar(dictation=True))

    def _add_words(self, wanted: Iterable[str]) -> None:
        """Bring words the lexicon lacks in from the full CMU dictionary.

        The language-model search is rebuilt so it can hear them too (~0.1 s,
        only when a grammar or a user's content brings words that are new).
        """
        missing = {w for w in wanted if w not in self._looked_up
                   and not self._decoder.lookup_word(w)}
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
            self._decoder.add_lm("lm", self._decoder.get_lm("lm"))

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
                self._decoder.end_utt()
            self._utt = None
        self._samples += self._pending_audio.size
        self._pending_audio = np.zeros(0, np.int16)
        self._preroll.clear()
        self._recent.clear()
        if self._pending is not None:
            self._install(self._pending)

    def input_levels(self) -> InputLevels:
        """Band, room noise and speech level as measured so far (``listen --live``)."""
        floor = self._floor.floor_db
        speech = (float(np.median(self._speech_db)) if len(self._speech_db) >= MIN_LEVEL_FRAMES
                  else None)
        return InputLevels(
            telephone_band=self._band.narrow,
            noise_dbfs=None if floor is None else round(floor - FULL_SCALE_DB, 1),
            speech_dbfs=None if speech is None else round(speech - FULL_SCALE_DB, 1))

    # -- internals ----------------------------------------------------------------
    def _install(self, grammar: Grammar) -> None:
        """Make ``grammar`` current: build and register the JSGF search for its phrases."""
        self._pending = None
        self._grammar = grammar
        self._add_words(w for text in (*grammar.phrases, *grammar.hints, *grammar.parts)
                        for w in normalize(text).split())
        usable = [p for p in dict.fromkeys(normalize(p) for p in grammar.phrases)
                  if p and all(self._decoder.lookup_word(w) for w in p.split())]
        self._phrases = frozenset(usable)
        self._install_hints(grammar)
        if grammar.parts:
            self._install_parts(grammar.parts)
            return
        self._parts, self._part_index = [], []
        key = tuple(sorted(usable))
        self._search_name = (self._jsgf_search(key, "commands",
                                               f"public <command> = {' | '.join(key)};\n")
                             if usable else "lm")

    def _install_hints(self, grammar: Grammar) -> None:
        """Dictation with ``hints``: a JSGF loop ``(p1 | p2 | ...)+`` to read answers."""
        known = sorted({p for p in (normalize(b) for b in grammar.hints)
                        if p and all(self._decoder.lookup_word(w) for w in p.split())}
                       ) if grammar.dictation else []
        self._hints = frozenset(w for p in known for w in p.split())
        self._hint_search = (self._jsgf_search(("\0hints", *known), "hints",
                                               f"public <answer> = ({' | '.join(known)})+;\n")
                             if known else "")

    def _install_parts(self, parts: tuple[str, ...]) -> None:
        """Phrase mode: a JSGF search ``[<p0>] [<p1>] ...`` over the parts' known words."""
        self._parts, self._part_index = [], []
        for index, part in enumerate(parts):
            known = [w for w in normalize(part).split() if self._decoder.lookup_word(w)]
            if known:
                self._parts.append(known)
                self._part_index.append(index)
        key = ("\0parts",) + tuple(" ".join(p) for p in self._parts)
        rules = "".join(f"<p{i}> = {' '.join(p)};\n" for i, p in enumerate(self._parts))
        body = " ".join(f"[<p{i}>]" for i in range(len(self._parts)))
        self._search_name = (self._jsgf_search(key, "phrase",
                                               f"{rules}public <attempt> = {body};\n")
                             if self._parts else "lm")

    def _jsgf_search(self, key: tuple[str, ...], grammar: str, rules: str) -> str:
        """The decoder's search for ``key``: built from the JSGF ``rules`` once, then kept."""
        if key not in self._searches:
            self._searches[key] = f"{grammar}{len(self._searches)}"
            jsgf = f"#JSGF V1.0;\ngrammar {grammar};\n{rules}"
            self._decoder.add_jsgf_string(self._searches[key], jsgf)
        return self._searches[key]

    @property
    def _phrase_mode(self) -> bool:
        return bool(self._parts)

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

    @property
    def _command_mode(self) -> bool:
        return not self._grammar.dictation and bool(self._phrases) and not self._parts

    def _search(self) -> str:
        return self._search_name if self._command_mode else "lm"

    def _frame(self, frame: np.ndarray) -> list[Hypothesis]:
        # Both are asked every frame, so the floor keeps following the room.
        voiced = bool(self._vad.is_speech(frame.tobytes()))
        speech = self._floor.over(frame) and voiced
        self._samples += FRAME
        if speech:
            self._band.take(frame)
            self._speech_db.append(self._floor.last_db)
        # (from here on 10 ms behind; the noise taken out is held inside an utterance)
        raw, frame = frame, self._denoiser.clean(frame, learn=self._utt is None)
        self._recent.append(speech)
        if self._utt is None:
            self._preroll.append((frame, raw))
            if sum(self._recent) >= ONSET_FRAMES:
                self._open()
            return []
        utt = self._utt
        utt.audio.append(frame)
        utt.raw.append(raw)
        utt.frames += 1
        utt.trailing_silence = 0 if speech else utt.trailing_silence + 1
        utt.peak_db = max(utt.peak_db, self._floor.last_db)
        if speech and not self._floor.fallen_away(utt.peak_db):
            utt.trailing_quiet = 0
            utt.early = None  # more speech: what was decoded ahead is out of date
        else:
            utt.trailing_quiet += 1
        if utt.narrow != self._band.narrow:  # the microphone's band was just made out:
            utt.narrow = self._band.narrow  # stream the utterance so far again in the new view
            if not utt.parked:
                self._decoder.end_utt()
                utt.parked = True
        if utt.parked and utt.early is None:
            self._restart(utt)  # this frame included
            utt.parked = False
        elif not utt.parked:
            self._decoder.process_raw(decoder_view(frame, utt.narrow).tobytes(), False, False)
        silence_s = utt.trailing_silence * FRAME_S
        end_s, max_s = ((PHRASE_END_SILENCE_S, PHRASE_MAX_UTTERANCE_S) if self._phrase_mode
                        else (END_SILENCE_S, MAX_UTTERANCE_S))
        if silence_s >= end_s or utt.frames * FRAME_S >= max_s:
            return [self._finish()]
        out: list[Hypothesis] = []
        quiet_s = utt.trailing_quiet * FRAME_S
        ending = self._fast_commit and self._command_mode and quiet_s >= EARLY_QUIET_S
        if not (utt.parked or ending or utt.frames % PARTIAL_EVERY == 0):
            return out
        if not utt.parked:  # (parked: only silence since the decode ahead, nothing new)
            hyp = self._decoder.hyp()
            text = " ".join(_clean_words(hyp.hypstr)) if hyp is not None else ""
            if text != utt.last_partial:
                utt.last_partial, utt.stable_since, utt.early = text, utt.frames, None
                if text:
                    out.append(Hypothesis(text, False, self._utt_start_s(), self._now()))
        text = utt.last_partial
        stable_s = (utt.frames - utt.stable_since) * FRAME_S
        if (ending and text in self._phrases and utt.early is None
                and utt.frames * FRAME_S <= EARLY_MAX_S):
            self._decode_ahead(utt)
        if ending and text in self._phrases and quiet_s >= COMMIT_QUIET_S \
                and stable_s >= STABLE_S:
            out.append(self._finish())
        elif (self._fast_commit and self._phrase_mode and silence_s >= PHRASE_FAST_SILENCE_S
              and self._heard_the_end(text)):
            out.append(self._finish())  # the phrase's last words, then a pause: done
        return out

    def _open(self) -> None:
        frames = list(self._preroll)
        self._preroll.clear()
        start = max(self._samples - FRAME * len(frames) - HOP, 0)
        self._utt = _Utterance(start_sample=start, audio=[f for f, _ in frames],
                               raw=[r for _, r in frames], narrow=self._band.narrow)
        self._restart(self._utt)

    def _restart(self, utt: _Utterance) -> None:
        """Start the current search on a new utterance and stream ``utt``'s audio into it.

        Frame by frame: one big streaming ``process_raw`` overruns the decoder's
        feature buffer (a 7 s utterance fed at once segfaults).
        """
        self._decoder.activate_search(self._search())
        self._decoder.start_utt()
        for frame in utt.audio:
            self._decoder.process_raw(decoder_view(frame, utt.narrow).tobytes(), False, False)

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
        self._recent.clear()
        early = utt.early
        if early is not None and (not early.text or (early.confidence or 0.0) >= EARLY_SURE):
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
        when it is a rejection or a clear pass (``EARLY_SURE``). Restarting only when
        speech resumes (rather than at once, to stream on) keeps the re-decoding of
        the utterance out of the end silence, so the check fits inside it.
        """
        utt.early = self._decode(utt)
        utt.parked = True

    def _decode(self, utt: _Utterance) -> Hypothesis:
        """End the decoder's utterance: final text, rejection check, word times."""
        self._decoder.end_utt()
        audio = self._heard_audio(utt)
        if audio is None:
            audio = _view_bytes(utt.audio, utt.narrow)
        else:  # the streamed decode heard the noise too: the grammar hears it again
            self._rerun(self._search_name, audio)
        offset = utt.start_sample / SAMPLE_RATE_HZ
        hyp = self._decoder.hyp()
        segs = self._segments() if hyp is not None else []
        n_frames = max(self._decoder.n_frames(), 1)
        text = " ".join(_clean_words(hyp.hypstr)) if hyp is not None else ""
        words = _timed_words(segs, offset)
        confidence: float | None = None
        parts_said: tuple[int, ...] | None = None
        overheard = ""
        if self._command_mode:
            completed = False
            if self._reject and text not in self._phrases:
                text, segs = self._complete_reading(audio, segs, n_frames)
                words = _timed_words(segs, offset)
                completed = True
            text, confidence, overheard = self._verify(text, segs, audio, n_frames, completed)
            if not text:
                words = ()
        elif self._phrase_mode:  # ``text`` streamed through the language model
            heard = set(text.split())
            if not self._grammar.exact:
                parts_said = None  # said in one's own words: the ideas are scored, not a grammar
            elif all(set(words) <= heard for words in self._parts):
                parts_said = tuple(self._part_index)  # the grammar could only confirm it
            else:
                said, _ = self._rerun(self._search_name, audio)
                parts_said = self._found_parts(_clean_words(said))
        elif self._hint_search and text and not set(text.split()) <= self._hints:
            hinted = self._hinted(text, segs, audio, utt.start_sample, n_frames)
            if hinted is not None:
                text, words = hinted
        start = words[0].start_s if words else offset
        end = words[-1].end_s if words else self._now()
        return Hypothesis(text, True, round(start, 3), round(end, 3), confidence, words,
                          parts_said, overheard)

    def _heard_audio(self, utt: _Utterance) -> bytes | None:
        """A command's utterance filtered afresh with its own noise, when it brought some.

        Why: the filter holds what it takes out while an utterance streams in, so noise
        that starts with it (a tap, a fan switched on, the first words after a quiet
        spell) reaches the decoder as it comes, and free decoding hears words in it.
        None when the noise held was the utterance's noise already (or not a command).
        """
        if not self._command_mode or not utt.raw:
            return None
        noise = noise_of(np.concatenate(utt.raw))
        if noise.sum() <= self._denoiser.noise.sum() * OWN_NOISE_RATIO:
            return None
        return _view_bytes(refilter(utt.raw, noise), utt.narrow)

    def _complete_reading(self, audio: bytes, segs: list,
                          n_frames: int) -> tuple[str, list]:
        """A whole phrase among the grammar decode's next readings, and its segments.

        The grammar search's best path can stop inside a phrase, its pruning having
        lost the whole one (kal's "I'm done" comes out "i am not", of "i am not safe",
        with "i am done" next in line; "stay" comes out "take" or "say"). The lattice's
        best readings are searched for a whole phrase, which is decoded again alone so
        the checks weigh its own sound. Taken only when it has at least three sounds
        and fits the audio about as well as the part-way path (``segs``): else the
        path was right to stop short, and the speech was something else. ("", []) when
        nothing qualifies, or the decode left no lattice to read.
        """
        readings = (hyp.hypstr for hyp in itertools.islice(self._decoder.nbest() or (), NBEST)
                    if hyp is not None)
        complete = next((text for said in readings
                         if (text := " ".join(_clean_words(said))) in self._phrases), "")
        if self._phone_count(complete) < COMPLETE_MIN_PHONES:
            return "", []
        said, score = self._rerun(self._phrase_search(complete), audio)
        if (" ".join(_clean_words(said)) != complete
                or (score - _acoustic(segs)) / n_frames < -COMPLETE_MAX_LOSS):
            return "", []
        return complete, self._segments()

    def _phone_count(self, phrase: str) -> int:
        """How many sounds ``phrase`` has in the lexicon (its first pronunciations)."""
        return sum(len((self._decoder.lookup_word(word) or "").split())
                   for word in phrase.split())

    def _phrase_search(self, phrase: str) -> str:
        """A JSGF search that hears only ``phrase``."""
        return self._jsgf_search(("\0one", phrase), "one", f"public <phrase> = {phrase};\n")

    def _segments(self) -> list[tuple[str, int, int, float, float]]:
        """The last decode's segments: (word, start frame, end frame, acoustic score, prob)."""
        return [(s.word, s.start_frame, s.end_frame, s.ascore, s.prob)
                for s in (self._decoder.seg() or [])]

    def _rerun(self, search: str, audio: bytes) -> tuple[str, float]:
        """Decode the utterance again with another search; (text, summed acoustic score).

        Each decode also moves the decoder's cepstral mean ~22% of the way to the
        utterance's, so the checks adapt it to the room three times per command:
        that fast adaptation is what holds commands in noise (docs/decisions/006).
        A change in how many decodes run moves every later result a little (see
        scripts/bench_recognition.py).
        """
        self._decoder.activate_search(search)
        self._decoder.start_utt()
        self._decoder.process_raw(audio, False, True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        if hyp is None:
            return "", -math.inf
        return hyp.hypstr, _acoustic(self._segments())

    def _hinted(self, free_text: str, segs: list, audio: bytes, start_sample: int,
                n_frames: int) -> tuple[str, tuple[Word, ...]] | None:
        """The hint loop's reading of the utterance, when it fits the audio about as well."""
        free_score = _acoustic(segs)
        said, hint_score = self._rerun(self._hint_search, audio)
        margin = (hint_score - free_score) / n_frames
        # Free decoding that already sounds like the hinted reading ("stayed in",
        # "stayed") earns more acoustic slack than one that doesn't.
        alike = fuzz.ratio(" ".join(_clean_words(said)), free_text)
        slack = (HINT_ALIKE_SLACK if alike >= HINT_ALIKE else 1.0 if alike >= HINT_UNLIKE
                 else 0.0)
        if margin < -HINT_MARGIN * slack:
            return None
        # The loop has no way to say "silence": a word it places where free decoding
        # heard only silence before the speech (a breath, the onset) is dropped.
        first = min((a for w, a, _, _, _ in segs if not w.startswith(("<", "[", "+"))),
                    default=0)
        words = _timed_words([s for s in self._segments() if s[2] > first + ONSET_SLACK_FRAMES],
                             start_sample / SAMPLE_RATE_HZ)
        text = " ".join(_clean_words(" ".join(w.text for w in words)))
        return (text, words) if text else None

    def _verify(self, text: str, segs: list, audio: bytes, n_frames: int,
                completed: bool = False) -> tuple[str, float | None, str]:
        """Check a grammar result against free decoding and the phone loop; the verifier
        keeps or rejects it. ``completed``: the phrase came from the search's next readings.

        Returns (command or "", confidence, what free decoding heard).
        """
        if text not in self._phrases:
            free_text, _ = self._rerun("lm", audio)
            return "", None, " ".join(_clean_words(free_text))
        if not self._reject:
            return text, None, ""
        grammar_score = _acoustic(segs)
        free_text, free_score = self._rerun("lm", audio)
        _, phone_score = self._rerun("phone", audio)
        margin = (grammar_score - phone_score) / n_frames
        said = text.split()
        free = _clean_words(free_text)
        extra = sum(1 for w in free if w not in said)
        stretch = max((
            (b - a + 1) / (WORD_BASE_FRAMES + WORD_FRAMES_PER_SOUND
                           * self._phone_count(w.split("(")[0]))
            for w, a, b, _, _ in segs if not w.startswith(("<", "[", "+"))), default=0.0)
        signals = Signals(margin, (grammar_score - free_score) / n_frames, extra,
                          len(free) - len(said), not free,
                          " ".join(free) in self._phrases and free != said, stretch,
                          completed, n_frames / DECODER_FPS, len(said))
        if self._on_signals is not None:
            self._on_signals(text, signals)
        ok = self._verifier.accept(signals)
        # How clear the pass was (a result decoded ahead is kept only when it is clear).
        confidence = 1.0 / (1.0 + math.exp(-(margin - CONFIDENCE_MARGIN) / 3000.0))
        confidence *= 1.0 / (1.0 + extra)
        # Either way the free words go along: crisis words in them win (the core).
        return (text if ok else ""), round(confidence, 3), " ".join(free)
