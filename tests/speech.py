"""Spoken test audio made at test time: synthesized voices, variants, real recordings.

Recognizer tests need real speech, not mocks; shipping WAVs would bloat the
repository, so audio is synthesized with espeak-ng / flite and shaped with sox
(``-R`` keeps every run byte-identical), then cached by its arguments.
All output is 16 kHz mono 16-bit WAV with ~0.5 s of silence either side so
that endpointing has something to work with.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np

RATE = 16_000
PAD_S = 0.5
NOISE_SNR_DB = 15.0
# Set by conftest to pytest's cache folder: synthesized audio is kept between runs of
# the edit loop (the same text, voice and variant always give the same file).
SHARED_CACHE: Path | None = None
TESTDATA = Path("/usr/share/pocketsphinx/test/data")

# voice name -> TTS command (the text and output path are appended by _tts).
VOICES: dict[str, list[str]] = {
    "espeak-us": ["espeak-ng", "-v", "en-us", "-s", "150"],
    "espeak-gb": ["espeak-ng", "-v", "en-gb", "-s", "150"],
    "espeak-m3": ["espeak-ng", "-v", "en-us+m3", "-s", "140"],
    "espeak-f2": ["espeak-ng", "-v", "en-us+f2", "-s", "150"],
    "slt": ["flite", "-voice", "slt"],
    "rms": ["flite", "-voice", "rms"],
    "awb": ["flite", "-voice", "awb"],
    "kal": ["flite", "-voice", "kal"],  # an 8 kHz voice: speech stops at 4 kHz
    "kal16": ["flite", "-voice", "kal16"],
    # festival's other US English speaker (its "kal" is flite's kal, and its slt flite's slt)
    "festival-ked": ["text2wave", "-eval", "(voice_ked_diphone)"],
    # espeak-ng's English accents, each with another of its voice variants
    "espeak-scot": ["espeak-ng", "-v", "en-gb-scotland", "-s", "150"],
    "espeak-rp-f": ["espeak-ng", "-v", "en-gb-x-rp+f3", "-s", "150"],
    "espeak-lanc": ["espeak-ng", "-v", "en-gb-x-gbclan+m7", "-s", "150"],
    "espeak-wmid-f": ["espeak-ng", "-v", "en-gb-x-gbcwmd+f4", "-s", "150"],
    "espeak-carib": ["espeak-ng", "-v", "en-029+m5", "-s", "150"],
    "espeak-nyc-f": ["espeak-ng", "-v", "en-us-nyc+f5", "-s", "150"],
    "espeak-us-klatt": ["espeak-ng", "-v", "en-us+klatt", "-s", "150"],
    "espeak-gb-annie": ["espeak-ng", "-v", "en-gb+Annie", "-s", "150"],
    "espeak-us-grandpa": ["espeak-ng", "-v", "en-us+grandpa", "-s", "140"],
    "espeak-ko": ["espeak-ng", "-v", "ko", "-s", "140"],
}
ENGLISH_VOICES = tuple(v for v in VOICES if v != "espeak-ko")
VARIANTS = ("clean", "noise", "fast", "slow", "reverb", "phone")

_VARIANT_EFFECTS: dict[str, list[str]] = {
    "clean": [],
    "noise": [],
    "fast": ["tempo", "-s", "1.25"],
    "slow": ["tempo", "-s", "0.8"],
    "reverb": ["reverb", "40", "50", "60"],
    # A microphone sampled at 8 kHz, as a Bluetooth headset's hands-free profile is:
    # nothing above 4 kHz once it is brought back to 16 kHz.
    "phone": ["rate", "8000"],
}


def tools_available() -> bool:
    """True when espeak-ng, flite and sox are all installed (tests skip otherwise)."""
    return all(shutil.which(tool) for tool in ("espeak-ng", "flite", "sox"))


def _run(cmd: Sequence[str]) -> None:
    subprocess.run(list(cmd), check=True, capture_output=True)


def _key(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def _tts(text: str, voice: str, out: Path, tts_args: Sequence[str] = ()) -> None:
    base = [*VOICES[voice], *tts_args]
    if base[0] == "flite":
        _run([*base, "-t", text, "-o", str(out)])
    elif base[0] == "text2wave":  # reads the text from a file
        script = out.with_suffix(".txt")
        script.write_text(text, encoding="utf-8")
        _run([*base, "-o", str(out), str(script)])
        script.unlink()
    else:
        _run([*base, "-w", str(out), text])


def read_samples(path: Path) -> np.ndarray:
    """int16 samples of a 16 kHz mono 16-bit WAV written by this module."""
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").copy()


def write_samples(path: Path, samples: np.ndarray) -> Path:
    """Write int16 mono samples as a 16 kHz WAV."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return path


def _pink_noise(n_samples: int, tmp: Path) -> np.ndarray:
    """Deterministic pink noise (sox -R synth pinknoise), float samples."""
    noise_path = tmp.with_suffix(".noise.wav")
    _run(["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(noise_path),
          "synth", f"{n_samples / RATE + 0.1:.3f}", "pinknoise", "vol", "0.3"])
    noise = read_samples(noise_path).astype(np.float64)[:n_samples]
    noise_path.unlink()
    return noise


def _mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``speech + noise``, the noise scaled to ``snr_db`` under the speech's active part."""
    speech = speech.astype(np.float64)
    active = speech[np.abs(speech) > 0.02 * np.abs(speech).max()]
    p_speech = float(np.mean(active**2)) if active.size else 1.0
    p_noise = float(np.mean(noise**2)) or 1.0
    scaled = noise * np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))
    return np.clip(speech + scaled, -32768, 32767).astype(np.int16)


def _add_noise(path: Path, snr_db: float, tmp: Path) -> None:
    """Mix pink noise into ``path`` at ``snr_db`` (over the file only: 0.5 s either side)."""
    speech = read_samples(path)
    write_samples(path, _mix_at_snr(speech, _pink_noise(len(speech), tmp), snr_db))


def in_steady_noise(wav: Path, snr_db: float, lead_s: float, tail_s: float) -> np.ndarray:
    """``wav``'s speech with ``lead_s`` before and ``tail_s`` after, all in steady pink
    noise, as in a room with a fan: the noise is there before and after the words."""
    speech = np.concatenate([np.zeros(int(lead_s * RATE), np.int16), read_samples(wav),
                             np.zeros(int(tail_s * RATE), np.int16)])
    return _mix_at_snr(speech, _pink_noise(len(speech), wav.with_suffix(".steady")), snr_db)


def synth(text: str, voice: str, out_dir: Path, variant: str = "clean",
          tts_args: Sequence[str] = ()) -> Path:
    """Speak ``text`` with ``voice`` shaped by ``variant``; cached WAV path (16 kHz mono).

    ``tts_args`` go to the synthesizer after the voice's own (other settings of the
    same voice: ``-s``/``-p`` for espeak-ng, ``--setf`` for flite).
    """
    if voice not in VOICES:
        raise ValueError(f"unknown voice {voice!r}; choose from {sorted(VOICES)}")
    if variant not in _VARIANT_EFFECTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {VARIANTS}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{voice}-{variant}-{_key(text, voice, variant, *tts_args)}.wav"
    if out.exists():
        return out
    kept = SHARED_CACHE / out.name if SHARED_CACHE is not None else None
    if kept is not None and kept.exists():
        shutil.copyfile(kept, out)
        return out
    raw = out.with_suffix(".tts.wav")
    tmp = out.with_suffix(".tmp.wav")
    _tts(text, voice, raw, tts_args)
    effects = ["remix", "-", "rate", str(RATE), *_VARIANT_EFFECTS[variant],
               "pad", str(PAD_S), str(PAD_S)]
    _run(["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(tmp),
          *effects, "channels", "1"])
    raw.unlink()
    if variant == "noise":
        _add_noise(tmp, NOISE_SNR_DB, tmp)
    if kept is not None:
        shutil.copyfile(tmp, kept)
    tmp.replace(out)
    return out


def recorded_speech(out_dir: Path) -> list[Path]:
    """Real recorded English speech from pocketsphinx-testdata, as 16 kHz WAVs.

    None of it is a command: good distractors. Empty when the package is absent.
    """
    if not TESTDATA.is_dir():
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    raws = [TESTDATA / n for n in ("goforward.raw", "numbers.raw", "something.raw")]
    raws += sorted((TESTDATA / "tidigits").glob("*.raw"))
    for raw in raws:
        if not raw.exists():
            continue
        out = out_dir / f"rec-{raw.stem}.wav"
        if not out.exists():
            _run(["sox", "-t", "raw", "-r", str(RATE), "-e", "signed", "-b", "16", "-c", "1",
                  str(raw), str(out), "pad", str(PAD_S), str(PAD_S)])
        paths.append(out)
    for wav in sorted((TESTDATA / "cards").glob("*.wav")) + sorted(
        (TESTDATA / "librivox").glob("*.wav")
    ):
        out = out_dir / f"rec-{wav.stem}.wav"
        if not out.exists():
            _run(["sox", str(wav), "-r", str(RATE), "-c", "1", "-b", "16", str(out),
                  "pad", str(PAD_S), str(PAD_S)])
        paths.append(out)
    return paths


# Sounds a person makes near the microphone that are not words, as sox effects on
# deterministic noise (sox -R): (name, seconds, noise colour, effects). A breathing
# exercise invites loud breaths; a hard conversation, sighs.
NON_SPEECH: tuple[tuple[str, float, str, tuple[str, ...]], ...] = (
    ("breath-in", 1.6, "pinknoise", ("band", "900", "1500", "fade", "q", "0.5", "1.6", "0.7")),
    ("breath-out", 2.2, "brownnoise", ("highpass", "300", "fade", "q", "0.3", "2.2", "1.5")),
    ("sigh", 1.2, "pinknoise", ("band", "600", "1200", "fade", "q", "0.1", "1.2", "1.0")),
    ("soft-breath-in", 2.0, "pinknoise", ("band", "1400", "1100", "fade", "q", "1.2", "2.0",
                                          "0.4")),
    ("cough", 0.25, "pinknoise", ("band", "500", "2000", "fade", "q", "0.01", "0.25", "0.2",
                                  "repeat", "1")),
    ("clap", 0.03, "whitenoise", ("fade", "q", "0.002", "0.03", "0.025", "pad", "0", "0.25",
                                  "repeat", "3")),
    ("knock", 0.06, "brownnoise", ("lowpass", "400", "fade", "q", "0.002", "0.06", "0.05",
                                   "pad", "0", "0.18", "repeat", "2")),
)


def non_speech(out_dir: Path) -> list[Path]:
    """Breaths, a sigh, a cough, claps and knocks (``NON_SPEECH``) as 16 kHz WAVs, peaking
    at -3 dBFS with 0.5 s of silence either side (cached)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, seconds, colour, effects in NON_SPEECH:
        out = out_dir / f"sound-{name}-{_key(name, seconds, colour, effects)}.wav"
        if not out.exists():
            _run(["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(out),
                  "synth", str(seconds), colour, *effects, "norm", "-3",
                  "pad", str(PAD_S), str(PAD_S)])
        paths.append(out)
    return paths


def speech_bounds(samples: np.ndarray, threshold: float = 0.03) -> tuple[float, float]:
    """First and last sample above ``threshold`` x peak, in seconds (the true speech span)."""
    level = np.abs(samples.astype(np.int32))
    loud = np.nonzero(level > threshold * max(int(level.max()), 1))[0]
    if loud.size == 0:
        return 0.0, 0.0
    return loud[0] / RATE, (loud[-1] + 1) / RATE


def concatenate(
    paths: Sequence[Path], out: Path, gap_s: float = 1.0
) -> tuple[Path, list[tuple[float, float]]]:
    """Join utterances with ``gap_s`` of silence between; returns the WAV and each speech span.

    The spans are (start_s, end_s) of the actual speech inside each piece, on
    the clock of the joined file, so tests can check recognizer times.
    """
    gap = np.zeros(int(gap_s * RATE), dtype=np.int16)
    pieces: list[np.ndarray] = []
    spans: list[tuple[float, float]] = []
    offset = 0
    for i, path in enumerate(paths):
        if i:
            pieces.append(gap)
            offset += len(gap)
        samples = read_samples(Path(path))
        start, end = speech_bounds(samples)
        spans.append((offset / RATE + start, offset / RATE + end))
        pieces.append(samples)
        offset += len(samples)
    write_samples(Path(out), np.concatenate(pieces) if pieces else gap)
    return Path(out), spans
