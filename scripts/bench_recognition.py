#!/usr/bin/env python
"""Benchmark command recognition: accuracy, false activations, speed, commit latency.

Each figure sits beside a naive baseline measured in the same run: a
forced-choice grammar with no rejection that waits for the end-of-speech
timeout, versus the shipped recognizer (rejection + commit on stable partials).
Audio is synthesized (tests/speech.py) and cached in --cache. Besides the
variants of tests/speech.py, every clean command and sentence is also heard in
steady pink noise ("steady", see STEADY_SNR_DB). False activations count
non-command sentences, recorded speech, and sounds that are not words (breaths,
a sigh, a cough, claps, knocks: ``tests.speech.non_speech``).

Delays are from the end of the spoken command: "commit" is where in the audio
the final was decided; "final out" is when it would come out if the audio
arrived live, so the decoding time after the commit counts too.

Dictation word error rate (free speech, as journal answers and crisis words are
heard) is measured on the recorded LibriVox sentences of pocketsphinx-testdata
(with their transcripts) and the synthesized non-command sentences.

Voices are split once by speaker (corpus/recognition/voices.toml): figures
are reported on the evaluation voices, which nothing was tuned on, unless
``--voices tuning`` or ``all`` asks otherwise. Each figure comes with its
standard error. Items run in one stream, as a session's do: grouped by voice
and condition (a session's voice and room stay the same; the recognizer
carries the room's noise, the microphone's band and the cepstral mean from
one utterance to the next), and shuffled (seeded), which takes that help
away. The carried state makes the figures chaotic at the 1% level, so
differences within about two standard errors are not effects.

``--lexicon full`` runs everything with the whole 134,000-word CMU dictionary
instead of the shipped lexicon (scripts/make_lexicon.py), to compare the two.

    python scripts/bench_recognition.py [--quick] [--voices evaluation|tuning|all]
        [--order grouped|shuffled|both] [--cache DIR] [--json-only] [--lexicon full]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.intents import Vocabulary  # noqa: E402
from companion.normalize import normalize  # noqa: E402
from companion.recognition.base import LEXICON, Grammar  # noqa: E402
from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer  # noqa: E402
from companion.recognition.verifier import FittedVerifier  # noqa: E402
from tests.speech import (  # noqa: E402
    TESTDATA,
    VARIANTS,
    in_steady_noise,
    non_speech,
    read_samples,
    recorded_speech,
    speech_bounds,
    synth,
    write_samples,
)

SPLIT = ROOT / "corpus" / "recognition" / "voices.toml"
# How each configuration is built from the cache folder: what ships (the verifier's
# fixed limits), the fitted verifier (scripts/train_verifier.py writes it to the
# cache), and the naive baseline (the grammar forced to choose, no rejection, waiting
# for the end-of-speech timeout).
CONFIGS: dict[str, Callable[[Path], dict]] = {
    "shipped": lambda cache: {},
    "fitted": lambda cache: {"verifier": FittedVerifier.load(cache / "verifier.npz")},
    "baseline": lambda cache: {"reject": False, "fast_commit": False},
}
NON_COMMANDS = (
    "the weather was lovely this afternoon", "I went to the shop to buy some bread",
    "I don't want to stop talking to you", "can you pass me the salt please",
    "we should go on holiday next summer", "my sister called me yesterday evening",
    "are you ready for dinner", "the train was late again this morning",
    "I need to buy a new phone", "let us watch a film tonight",
    "I am going to keep reading", "what time is it",
)
BLOCK = 320  # 20 ms, as the live input stream delivers
# "steady": the clean utterance in pink noise 15 dB under it, from 2 s before to 3 s
# after the words, as a fan or traffic would be (the "noise" variant's noise covers
# only the file's 0.5 s pads, then digital silence follows). These items are run one
# after the other with nothing between them, so the noise goes on from one to the next.
STEADY_SNR_DB, STEADY_LEAD_S, STEADY_TAIL_S = 15.0, 2.0, 3.0


def steady(clean: Path) -> Path:
    """The steady-noise version of a clean synthesized utterance (cached beside it)."""
    out = clean.with_name(clean.name.replace("-clean-", "-steady-"))
    if not out.exists():
        write_samples(out, in_steady_noise(clean, STEADY_SNR_DB, STEADY_LEAD_S, STEADY_TAIL_S))
    return out


def voices_of(part: str) -> list[str]:
    """The voices of one part of the split (``all``: both parts)."""
    import tomllib

    split = tomllib.loads(SPLIT.read_text(encoding="utf-8"))
    return split["tuning"] + split["evaluation"] if part == "all" else split[part]


def corpus(cache: Path, quick: bool, voices: list[str]) -> list[dict]:
    """Utterances to run: commands (with intent) and non-commands (intent None)."""
    vocab = Vocabulary.load(Path("/nonexistent"))
    phrases = vocab.all_phrases()
    variants: tuple[str, ...] = (*VARIANTS, "steady")
    if quick:
        voices, variants = voices[:2], ("clean", "noise", "steady")
    if quick:
        phrases = phrases[::3]
    items = []
    for voice in voices:
        for variant in variants:
            for phrase in phrases:
                # (noise and steady noise are over the clean speech; their bounds are its)
                shaped = variant not in ("noise", "steady")
                clean = synth(phrase, voice, cache, variant if shaped else "clean")
                wav = steady(clean) if variant == "steady" else synth(phrase, voice, cache, variant)
                _, end = speech_bounds(read_samples(clean))
                items.append({"path": str(wav), "intent": vocab.match_spoken(phrase),
                              "kind": f"command/{variant}", "voice": voice,
                              "end": end + (STEADY_LEAD_S if variant == "steady" else 0.0)})
        for kind in ("sentence", "sentence/steady"):
            for sentence in NON_COMMANDS[: 4 if quick else None]:
                wav = synth(sentence, voice, cache)
                items.append({"path": str(steady(wav) if kind.endswith("steady") else wav),
                              "intent": None, "kind": kind, "voice": voice, "end": None})
    for wav in recorded_speech(cache)[: 4 if quick else None]:
        items.append({"path": str(wav), "intent": None, "kind": "recorded", "voice": "human",
                      "end": None})
    for wav in non_speech(cache):  # breaths, a sigh, a cough, claps, knocks
        items.append({"path": str(wav), "intent": None, "kind": "sound", "voice": "sound",
                      "end": None})
    return items


def dictation_corpus(cache: Path, quick: bool, voices: list[str]) -> list[tuple[Path, str]]:
    """(WAV, what was said) for the dictation word error rate."""
    items = []
    transcripts = TESTDATA / "librivox" / "transcription"
    if transcripts.exists():
        said = {}
        for line in transcripts.read_text().splitlines():
            text, _, name = line.rpartition(" (")
            said[name.rstrip(")")] = normalize(text.replace("<s>", "").replace("</s>", ""))
        items += [(wav, said[wav.stem.removeprefix("rec-")]) for wav in recorded_speech(cache)
                  if wav.stem.removeprefix("rec-") in said]
    for voice in voices[:2] if quick else voices:
        items += [(synth(s, voice, cache), normalize(s)) for s in NON_COMMANDS]
    return items


def word_error_rate(lexicon: Path | None, items: list[tuple[Path, str]],
                    **options: object) -> dict:
    """Dictation word error rate over ``items`` (edit distance over reference words);
    ``options`` go to the recognizer."""
    rec = PocketsphinxRecognizer(lexicon=lexicon, **options)
    errors = words = 0
    for path, reference in items:
        rec.reset()
        heard = [h.text for h in rec.accept(read_samples(path)) + rec.flush() if h.final]
        errors += Levenshtein.distance(reference.split(), " ".join(heard).split())
        words += len(reference.split())
    return {"dictation_wer": round(errors / max(words, 1), 3), "dictation_words": words}


def run(config: str, items: list[dict], lexicon: Path | None, cache: Path,
        **options: object) -> list[dict]:
    """Decode every item with one configuration (``options``: more recognizer arguments,
    such as a voice profile's); per item: intents heard, commit time, CPU."""
    vocab = Vocabulary.load(Path("/nonexistent"))
    rec = PocketsphinxRecognizer(lexicon=lexicon, **CONFIGS[config](cache), **options)
    rec.set_grammar(Grammar(phrases=vocab.all_phrases()))
    out = []
    for item in items:
        # 1.5 s more silence so the slow end-of-speech timeout can fire inside the file
        # (steady-noise items carry their own 3 s of noise after the words instead).
        samples = read_samples(Path(item["path"]))
        if not item["kind"].endswith("steady"):
            samples = np.concatenate([samples, np.zeros(24000, np.int16)])
        rec.reset()
        heard, commit, reply = [], None, None
        cpu = time.process_time()
        busy_until = 0.0  # as if the audio came in live: when the decoder is free again
        for i in range(0, samples.size, BLOCK):
            arrived = (i + BLOCK) / 16000
            began = time.perf_counter()
            hyps = rec.accept(samples[i:i + BLOCK])
            busy_until = max(busy_until, arrived) + time.perf_counter() - began
            for hyp in hyps:
                if hyp.final and hyp.text:
                    heard.append(vocab.match_spoken(hyp.text))
                    commit = commit if commit is not None else arrived
                    reply = reply if reply is not None else busy_until
        # Still open when the audio ran out: in a room the sound goes on, so a command
        # heard only here was not heard in time (it counts as a miss; for a sentence,
        # as a false activation all the same).
        late = False
        for hyp in rec.flush():
            if hyp.final and hyp.text:
                heard.append(vocab.match_spoken(hyp.text))
                late = True
                commit = commit if commit is not None else samples.size / 16000 + 0.6
                reply = reply if reply is not None else commit
        cpu = time.process_time() - cpu
        out.append({**item, "heard": heard, "late": late, "commit": commit, "reply": reply,
                    "cpu": cpu,
                    "audio_s": samples.size / 16000})
    return out


def summarize(results: list[dict]) -> dict:
    cmds = [r for r in results if r["intent"] is not None]
    nons = [r for r in results if r["intent"] is None]

    def right(r: dict) -> bool:
        return r["heard"] == [r["intent"]] and not r["late"]

    def fired(r: dict) -> bool:
        return bool(r["heard"])

    def share(rows: list[dict], test: Callable[[dict], bool], key: str) -> dict[str, float]:
        """The share of ``rows`` passing ``test``, per value of ``key``."""
        return {value: round(sum(map(test, group)) / len(group), 3)
                for value in sorted({r[key] for r in rows})
                for group in [[r for r in rows if r[key] == value]]}

    def standard_error(rows: list[dict], test: Callable[[dict], bool]) -> float:
        p = sum(map(test, rows)) / max(len(rows), 1)
        return round(math.sqrt(p * (1 - p) / max(len(rows), 1)), 3)

    correct = [r for r in cmds if right(r)]
    delays = sorted(r["commit"] - r["end"] for r in correct if r["commit"] is not None)
    replies = sorted(r["reply"] - r["end"] for r in correct if r["reply"] is not None)
    return {
        "accuracy_by_voice": share(cmds, right, "voice"),
        "command_accuracy": round(len(correct) / max(len(cmds), 1), 3),
        "command_accuracy_se": standard_error(cmds, right),
        "accuracy_by_variant": share(cmds, right, "kind"),
        "false_activations": round(sum(map(fired, nons)) / max(len(nons), 1), 3),
        "false_activations_se": standard_error(nons, fired),
        "false_activations_by_kind": share(nons, fired, "kind"),
        "false_activation_items": sorted({Path(r["path"]).name for r in nons if fired(r)}),
        "real_time_factor": round(sum(r["cpu"] for r in results)
                                  / sum(r["audio_s"] for r in results), 3),
        "commit_delay_median_s": round(delays[len(delays) // 2], 3) if delays else None,
        "commit_delay_p90_s": round(delays[int(len(delays) * 0.9)], 3) if delays else None,
        "final_delay_median_s": round(replies[len(replies) // 2], 3) if replies else None,
        "final_delay_p90_s": round(replies[int(len(replies) * 0.9)], 3) if replies else None,
        "commands": len(cmds), "non_commands": len(nons),
        "commands_heard_only_when_the_audio_ended": sum(r["late"] for r in cmds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset (about a minute)")
    parser.add_argument("--voices", choices=("evaluation", "tuning", "all"),
                        default="evaluation", help="which part of the voice split to run")
    parser.add_argument("--order", choices=("grouped", "shuffled", "both"), default="both")
    parser.add_argument("--configs", default="shipped,baseline",
                        help=f"comma-separated, of: {', '.join(CONFIGS)}")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-speech")
    parser.add_argument("--json-only", action="store_true")
    parser.add_argument("--lexicon", choices=("shipped", "full"), default="shipped",
                        help="full: the whole CMU dictionary instead of the shipped lexicon")
    args = parser.parse_args()
    configs = args.configs.split(",")
    if unknown := set(configs) - set(CONFIGS):
        parser.error(f"unknown --configs {', '.join(sorted(unknown))}; "
                     f"choose from {', '.join(CONFIGS)}")
    voices = voices_of(args.voices)
    items = corpus(args.cache, args.quick, voices)
    orders = ("grouped", "shuffled") if args.order == "both" else (args.order,)
    runs = {order: items if order == "grouped" else random.Random(26).sample(items, len(items))
            for order in orders}
    lexicon = None if args.lexicon == "full" else LEXICON
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {(order, name): pool.submit(run, name, runs[order], lexicon, args.cache)
                   for order in orders for name in configs}
        report: dict = {"voices": args.voices, "voice_names": voices}
        for (order, name), future in futures.items():
            report.setdefault(order, {})[name] = summarize(future.result())
    report[orders[0]][configs[0]].update(
        word_error_rate(lexicon, dictation_corpus(args.cache, args.quick, voices)))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if not args.json_only:
        for order in orders:
            print_table(f"{args.voices} voices, {order}", report[order], configs)


def print_table(title: str, report: dict, configs: list[str]) -> None:
    """Each configuration's figures side by side (baseline: the grammar forced to choose)."""
    print(f"\n{title}\n{'figure':30s}" + "".join(f"{c:>16s}" for c in configs))
    for label, key in (("command accuracy", "command_accuracy"),
                       ("false activations", "false_activations")):
        print(f"{label:30s}" + "".join(
            f"{report[c][key]!s:>9s} ± {report[c][key + '_se']!s:<4s}" for c in configs))
    for label, key in (("real-time factor (CPU)", "real_time_factor"),
                       ("commit delay median (s)", "commit_delay_median_s"),
                       ("final out, median (s)", "final_delay_median_s"),
                       ("final out, p90 (s)", "final_delay_p90_s"),
                       ("dictation word error rate", "dictation_wer")):
        if key in report[configs[0]]:
            print(f"{label:30s}" + "".join(f"{report[c].get(key)!s:>16s}" for c in configs))
    for group, key in (("accuracy", "accuracy_by_variant"), ("accuracy", "accuracy_by_voice"),
                       ("false activ.", "false_activations_by_kind")):
        for name in report[configs[0]][key]:
            print(f"  {group} {name:<{26 - len(group)}s}"
                  + "".join(f"{report[c][key][name]!s:>16s}" for c in configs))


if __name__ == "__main__":
    main()
