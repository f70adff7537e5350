#!/usr/bin/env python
"""Benchmark personal voice: commands heard with and without a voice profile, per voice.

For each voice the companion is taught from takes synthesized with other settings
of that voice (slower and lower, faster and higher: ``TEACH_SETTINGS``) than the
test audio, the way a person's takes differ from what they say later. The test
audio is scripts/bench_recognition.py's own (commands in every condition,
non-command sentences, recorded speech, sounds), decoded by the same ``run``
without a profile ("none"), with an MLLR transform ("mllr") and with the MAP
re-estimated model ("map", what ships), all in the same run. Voices are the
evaluation part of corpus/recognition/voices.toml unless ``--voices`` says
otherwise; nothing was tuned on them. Teaching time is the wall-clock time of
adaptation alone (the synthesis of the takes stands in for the person speaking).

Synthesized takes flatter this: a synthesizer says a phrase the same way every
time, so takes and test audio differ only in the settings changed here, while a
person's takes differ from their later speech in mood, distance to the
microphone and room as well.

    python scripts/bench_voice.py [--quick] [--voices evaluation|tuning|all]
        [--order grouped|shuffled] [--cache DIR] [--json-only]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_recognition import (  # noqa: E402
    NON_COMMANDS,
    corpus,
    run,
    summarize,
    voices_of,
    word_error_rate,
)

from companion.intents import Vocabulary  # noqa: E402
from companion.normalize import normalize  # noqa: E402
from companion.recognition.base import LEXICON  # noqa: E402
from companion.safety import Safety  # noqa: E402
from companion.voice.adapt import Take, adapt  # noqa: E402
from companion.voice.flow import phrases_to_teach  # noqa: E402
from tests.speech import VOICES, read_samples, synth  # noqa: E402

METHODS = ("none", "mllr", "map")
# One take per setting per phrase: other rates and pitches than the test audio's.
TEACH_SETTINGS = {
    "espeak-ng": (("-s", "125", "-p", "38"), ("-s", "175", "-p", "64")),
    "flite": (("--setf", "duration_stretch=1.2"), ("--setf", "duration_stretch=0.85")),
    "text2wave": (("-eval", "(Parameter.set 'Duration_Stretch 1.2)"),
                  ("-eval", "(Parameter.set 'Duration_Stretch 0.85)")),
}


def takes_for(voice: str, cache: Path) -> list[Take]:
    """The voice's teaching takes: every teaching phrase once per ``TEACH_SETTINGS`` entry."""
    vocab = Vocabulary.load(Path("/nonexistent"))
    settings = TEACH_SETTINGS[VOICES[voice][0]]
    return [Take(phrase, read_samples(synth(phrase, voice, cache, "clean", args)))
            for phrase in phrases_to_teach(vocab, Safety.load("US", user_dir=Path("/nonexistent")),
                                           user_dir=Path("/nonexistent"))
            for args in settings]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset")
    parser.add_argument("--voices", choices=("evaluation", "tuning", "all"),
                        default="evaluation")
    parser.add_argument("--order", choices=("grouped", "shuffled"), default="grouped")
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "bench-speech")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    voices = voices_of(args.voices)
    if args.quick:
        voices = voices[:3]
    profiles = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    teaching: dict[str, dict[str, float]] = {}
    jobs = []
    dictation: list[tuple[str, Any]] = []
    with ProcessPoolExecutor(max_workers=2) as pool:
        for voice in voices:
            takes = takes_for(voice, args.cache)
            options: dict[str, dict] = {"none": {}}
            for method in METHODS[1:]:
                adapted = adapt(takes, profiles / voice / method, method)
                teaching.setdefault(voice, {})[method] = adapted.seconds
                options[method] = {"acoustic": {k: str(adapted.folder / v)
                                                for k, v in adapted.options.items()}}
            teaching[voice]["takes"] = len(takes)
            teaching[voice]["speech_s"] = round(sum(t.samples.size for t in takes) / 16000, 1)
            items = corpus(args.cache, args.quick, [voice])
            if args.order == "shuffled":
                items = random.Random(26).sample(items, len(items))
            jobs += [(voice, method, pool.submit(run, "shipped", items, LEXICON, args.cache,
                                                 **options[method]))
                     for method in METHODS]
            spoken = [(synth(s, voice, args.cache), normalize(s)) for s in NON_COMMANDS]
            dictation += [(method, pool.submit(word_error_rate, LEXICON, spoken,
                                               **options[method])) for method in METHODS]
        results: dict[str, list[dict]] = {m: [] for m in METHODS}
        per_voice: dict[str, dict[str, dict]] = {}
        for voice, method, future in jobs:
            rows = future.result()
            results[method] += rows
            summary = summarize(rows)
            per_voice.setdefault(voice, {})[method] = {
                k: summary[k] for k in ("command_accuracy", "command_accuracy_se",
                                        "false_activations", "false_activations_se")}
        errors = {m: [0.0, 0] for m in METHODS}  # the voices' sentences, all together
        for method, future in dictation:
            wer = future.result()
            errors[method][0] += wer["dictation_wer"] * wer["dictation_words"]
            errors[method][1] += wer["dictation_words"]
    report = {"voices": args.voices, "voice_names": voices, "order": args.order,
              "teaching": teaching, "per_voice": per_voice,
              "overall": {m: summarize(results[m]) for m in METHODS},
              "dictation_wer": {m: round(e / max(n, 1), 3) for m, (e, n) in errors.items()}}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if not args.json_only:
        print_table(report)


def _with_se(share: float, n: int) -> str:
    return f"{share:.3f} ± {(share * (1 - share) / max(n, 1)) ** 0.5:.3f}"


def print_table(report: dict) -> None:
    """Accuracy per condition and false activations, per method side by side."""
    overall = report["overall"]
    print(f"\n{report['voices']} voices ({len(report['voice_names'])}), {report['order']}")
    print(f"{'figure':28s}" + "".join(f"{m:>18s}" for m in METHODS))
    n_cmd = overall["none"]["commands"]
    n_variant = n_cmd // max(len(overall["none"]["accuracy_by_variant"]), 1)
    print(f"{'command accuracy':28s}" + "".join(
        f"{_with_se(overall[m]['command_accuracy'], n_cmd):>18s}" for m in METHODS))
    for variant in overall["none"]["accuracy_by_variant"]:
        print(f"  {variant:26s}" + "".join(
            f"{_with_se(overall[m]['accuracy_by_variant'][variant], n_variant):>18s}"
            for m in METHODS))
    n_non = overall["none"]["non_commands"]
    print(f"{'false activations':28s}" + "".join(
        f"{_with_se(overall[m]['false_activations'], n_non):>18s}" for m in METHODS))
    for kind in overall["none"]["false_activations_by_kind"]:
        print(f"  {kind:26s}" + "".join(
            f"{overall[m]['false_activations_by_kind'][kind]!s:>18s}" for m in METHODS))
    for voice, figures in report["per_voice"].items():
        print(f"  accuracy {voice:17s}" + "".join(
            f"{figures[m]['command_accuracy']!s:>18s}" for m in METHODS))
    print(f"{'dictation WER (sentences)':28s}" + "".join(
        f"{report['dictation_wer'][m]:>18.3f}" for m in METHODS))
    seconds = [t[m] for t in report["teaching"].values() for m in ("map",)]
    print(f"teaching (map) seconds: median {sorted(seconds)[len(seconds) // 2]}, "
          f"max {max(seconds)}; takes per voice "
          f"{next(iter(report['teaching'].values()))['takes']}")


if __name__ == "__main__":
    main()
