"""Adapt the stock acoustic model to one person's takes with sphinxtrain (CMU Sphinx).

Each take is a short WAV of the person saying a known phrase. Features are made
as pocketsphinx makes them (``sphinx_fe`` with the model's ``feat.params``), ``bw``
aligns the takes with the stock model and gathers statistics, and then either
``map_adapt`` moves the model's means, variances and mixture weights towards
them (MAP; what ships) or ``mllr_solve`` fits one linear transform of the means
(MLLR; measured against it in scripts/bench_voice.py, docs/decisions/011).
The result is a few files plus the decoder options that load them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from companion.audio.wav import write_wav
from companion.errors import EngineError
from companion.normalize import normalize
from companion.recognition.bandwidth import decoder_view
from companion.recognition.base import FRAME
from companion.voice.model_files import TOOLS_FIX, base_files, stock_model

SPHINXTRAIN = Path("/usr/lib/sphinxtrain")
METHODS = ("map", "mllr")
# The feature extraction of the stock model (its feat.params), for sphinx_fe.
FRONT_END = ("-lowerf", "130", "-upperf", "6800", "-nfilt", "25", "-transform", "dct",
             "-lifter", "22", "-samprate", "16000", "-dither", "no", "-remove_noise", "yes")
TRAINING = ("-ts2cbfn", ".ptm.", "-feat", "1s_c_d_dd", "-svspec", "0-12/13-25/26-38",
            "-cmn", "batch", "-agc", "none")
# The decoder options each method's files are loaded with, by file name.
OPTIONS = {"map": {"mean": "means", "var": "variances", "sendump": "sendump"},
           "mllr": {"mllr": "mllr_matrix"}}
TOOL_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Take:
    """One recording of the person saying ``phrase``: int16 mono samples at 16 kHz."""

    phrase: str
    samples: np.ndarray


@dataclass(frozen=True)
class Adapted:
    """What adaptation made: files in ``folder`` and the decoder options naming them."""

    method: str
    folder: Path
    options: dict[str, str]  # decoder option -> file name in ``folder``
    seconds: float  # wall-clock time adaptation took
    takes: int
    words_unknown: tuple[str, ...]  # words of the phrases no pronunciation was found for


def tools_missing() -> list[str]:
    """The sphinxtrain/sphinxbase programs adaptation needs that are not installed."""
    needed = [SPHINXTRAIN / "bw", SPHINXTRAIN / "map_adapt", SPHINXTRAIN / "mllr_solve",
              SPHINXTRAIN / "mk_s2sendump"]
    missing = [str(p) for p in needed if not p.exists()]
    return missing + [name for name in ("sphinx_fe", "pocketsphinx_mdef_convert")
                      if shutil.which(name) is None]


def _run(args: Sequence[str], what: str) -> None:
    try:
        done = subprocess.run(list(args), capture_output=True, text=True, check=False,
                              timeout=TOOL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise EngineError(f"{what} could not run ({err})", TOOLS_FIX) from err
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise EngineError(f"{what} failed: {' / '.join(tail)}", TOOLS_FIX)


def pronunciations(words: Iterable[str]) -> dict[str, str]:
    """Every pronunciation the full CMU dictionary has for ``words`` (``word(2)`` too)."""
    wanted = set(words)
    found: dict[str, str] = {}
    with (stock_model().parent / "cmudict-en-us.dict").open(encoding="utf-8") as lines:
        for line in lines:
            word, _, sounds = line.strip().partition(" ")
            if word.split("(")[0] in wanted:
                found[word] = sounds.strip()
    return found


def _write_take(path: Path, samples: np.ndarray) -> None:
    """The take as the decoder is given it (over the same faint floor), as a WAV."""
    data = np.asarray(samples, dtype=np.int16).reshape(-1)
    write_wav(path, np.concatenate([decoder_view(data[i:i + FRAME], False)
                                    for i in range(0, data.size, FRAME)]) if data.size else data)


def adapt(takes: Sequence[Take], out: Path, method: str = "map") -> Adapted:
    """Adapt the stock model to ``takes``; the files land in ``out`` (created).

    Raises EngineError (with the install line) when the tools are missing or fail,
    and ValueError when no take has a phrase the dictionary can pronounce.
    """
    if method not in METHODS:
        raise ValueError(f"unknown adaptation method {method!r}")
    if missing := tools_missing():
        raise EngineError(f"teaching your voice needs CMU Sphinx's tools ({missing[0]} "
                          "is missing)", TOOLS_FIX)
    started = time.monotonic()
    mdef, mixw = base_files()
    model = stock_model()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="companion-voice-") as tmp:
        work = Path(tmp)
        texts = [normalize(take.phrase) for take in takes]
        lexicon = pronunciations(w for text in texts for w in text.split())
        unknown = tuple(sorted({w for t in texts for w in t.split() if w not in lexicon}))
        ids, lines = [], []
        for i, (take, text) in enumerate(zip(takes, texts, strict=True)):
            if not text or any(w not in lexicon for w in text.split()):
                continue
            ids.append(f"t{i:04d}")
            _write_take(work / f"{ids[-1]}.wav", take.samples)
            lines.append(f"<s> {text} </s> ({ids[-1]})")
        if not ids:
            raise ValueError("no take has words the recognizer's dictionary knows")
        (work / "takes.fileids").write_text("\n".join(ids) + "\n", encoding="utf-8")
        (work / "takes.transcription").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (work / "takes.dict").write_text(
            "".join(f"{w} {p}\n" for w, p in sorted(lexicon.items())), encoding="utf-8")
        _run(["sphinx_fe", *FRONT_END, "-mswav", "yes", "-c", str(work / "takes.fileids"),
              "-di", str(work), "-do", str(work), "-ei", "wav", "-eo", "mfc"], "sphinx_fe")
        if missing_features := [i for i in ids if not (work / f"{i}.mfc").exists()]:
            # (bw would retry a missing file for minutes before giving up)
            raise EngineError(f"sphinx_fe made no features for {len(missing_features)} takes",
                              TOOLS_FIX)
        _run([str(SPHINXTRAIN / "bw"), "-hmmdir", str(model), "-moddeffn", str(mdef),
              "-mixwfn", str(mixw), *TRAINING, "-dictfn", str(work / "takes.dict"),
              "-fdictfn", str(model / "noisedict"), "-ctlfn", str(work / "takes.fileids"),
              "-lsnfn", str(work / "takes.transcription"), "-cepdir", str(work),
              "-cepext", "mfc", "-accumdir", str(work), "-timing", "no"], "bw")
        if method == "mllr":
            _run([str(SPHINXTRAIN / "mllr_solve"), "-meanfn", str(model / "means"),
                  "-varfn", str(model / "variances"), "-outmllrfn", str(out / "mllr_matrix"),
                  "-accumdir", str(work)], "mllr_solve")
        else:
            _run([str(SPHINXTRAIN / "map_adapt"), "-moddeffn", str(mdef), "-ts2cbfn", ".ptm.",
                  "-meanfn", str(model / "means"), "-varfn", str(model / "variances"),
                  "-mixwfn", str(mixw), "-tmatfn", str(model / "transition_matrices"),
                  "-accumdir", str(work), "-mapmeanfn", str(out / "means"),
                  "-mapvarfn", str(out / "variances"),
                  "-mapmixwfn", str(work / "mixture_weights"),
                  "-maptmatfn", str(work / "transition_matrices")], "map_adapt")
            _run([str(SPHINXTRAIN / "mk_s2sendump"), "-pocketsphinx", "yes",
                  "-moddeffn", str(mdef), "-mixwfn", str(work / "mixture_weights"),
                  "-sendumpfn", str(out / "sendump")], "mk_s2sendump")
    options = OPTIONS[method]
    if absent := [name for name in options.values() if not (out / name).exists()]:
        raise EngineError(f"adaptation left no {absent[0]}", TOOLS_FIX)
    return Adapted(method, out, dict(options), round(time.monotonic() - started, 2), len(ids),
                   unknown)
