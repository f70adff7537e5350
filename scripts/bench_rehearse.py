#!/usr/bin/env python
"""Benchmark rehearsal scoring: ideas credited, word-for-word error, feedback delay.

* **Meaning** (what feedback leads with): on the evaluation part of the
  paraphrase corpus (corpus/rehearse/, an author never used for tuning), the
  share of paraphrased parts whose idea is credited, and of parts credited
  that were not said (off-topic lines, other parts, the other phrase),
  typed and spoken (a sample synthesized in three voices, heard by real
  pocketsphinx in phrase mode), beside word-level scoring (a part counts
  when most of its words were heard) in the same run.
* **Word for word** (memorising): attempts at the disclosure phrase
  synthesized (4 voices, clean and with noise; whole, and with each clause
  dropped), heard with the grammar of the phrase's parts, beside free
  decoding alone: completeness error and the dropped clause named.
* **Feedback delay**: the real ``companion rehearse --mode all`` on a private
  PulseAudio server, from the end of a spoken attempt (the phrase as written,
  and one in other words) to the first sample of the spoken feedback (the
  probe of scripts/bench.py); baseline: the same CLI waiting out the full
  end-of-speech pause (fast end off).

    python scripts/bench_rehearse.py [--quick] [--trials N] [--spoken N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from companion.normalize import normalize  # noqa: E402
from companion.rehearse.phrases import built_in  # noqa: E402
from tests.speech import read_samples, speech_bounds, synth  # noqa: E402

VOICES = ("slt", "rms", "awb", "kal")
TARGETS = {"completeness_mae": 0.05, "dropped_clause_named": 0.95, "feedback_delay_ms": 500,
           "own_words_feedback_delay_ms": 500,
           "typed_paraphrase_credited": 0.97, "spoken_paraphrase_credited": 0.90,
           "typed_off_topic_credited": 0.05}
OWN_WORDS = ("I want to run right now, honestly. But I'm trying to learn to stay when it gets "
             "hard. I'm still bad at it, so I might look awkward. I really think talking can "
             "help us and I want us to sort it out. Will you help me stay?")


def corpus(cache: Path, quick: bool) -> list[dict]:
    """Attempts with their truth: completeness and which clause was dropped (or None)."""
    parts = built_in()["disclosure"].parts
    total = len(normalize(" ".join(parts)).split())
    voices, variants = (VOICES[:2], ("clean",)) if quick else (VOICES, ("clean", "noise"))
    items = []
    for voice in voices:
        for variant in variants:
            for dropped in (None, *range(len(parts))):
                kept = [p for i, p in enumerate(parts) if i != dropped]
                missing = 0 if dropped is None else len(normalize(parts[dropped]).split())
                items.append({"voice": voice, "variant": variant, "dropped": dropped,
                              "truth": 1 - missing / total,
                              "path": str(synth(" ".join(kept), voice, cache, variant))})
    return items


def recognize(items: list[dict]) -> list[dict]:
    """Hear each attempt once in phrase mode; score it with and without the parts grammar."""
    from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer
    from companion.rehearse.hearing import hear
    from companion.rehearse.meaning import MeaningLexicon
    from companion.rehearse.score import score

    parts = built_in()["disclosure"].parts
    lexicon = MeaningLexicon.load(Path("/nonexistent"))
    recognizer = PocketsphinxRecognizer()
    out = []
    for item in items:
        heard = hear(recognizer, read_samples(Path(item["path"])), parts, exact=True)
        for config, found in (("shipped", heard.parts_said), ("naive", None)):
            result = score(parts, heard.text, lexicon, found, heard.word_times)
            out.append({**item, "config": config, "completeness": result.completeness,
                        "named": result.weakest_part(exact=True)})
    return out


def meaning(spoken: int, cache: Path) -> dict:
    """Ideas credited on the held-out paraphrases, typed and spoken, beside word-level."""
    from companion.normalize import roots
    from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer
    from companion.rehearse.hearing import hear
    from companion.rehearse.meaning import MeaningLexicon
    from companion.rehearse.score import score
    from tests.rehearse_corpus import part

    lexicon = MeaningLexicon.load(Path("/nonexistent"))
    phrases = built_in()
    attempts = part("evaluation")

    def rates(texts: list[tuple[object, str]]) -> dict:
        counts: dict[str, dict[str, list[bool]]] = {"meaning": {}, "words": {}}
        for attempt, text in texts:
            for name, phrase in phrases.items():
                result = score(phrase.parts, text, lexicon)
                for index in range(len(phrase.parts)):
                    kind = ("paraphrase" if attempt.carries(name, index) else "off_topic"
                            if attempt.phrase == "none" else "other_part"
                            if attempt.phrase == name else "other_phrase")
                    counts["meaning"].setdefault(kind, []).append(result.ideas[index])
                    counts["words"].setdefault(kind, []).append(
                        index in result.parts_said(exact=True))
        return {config: {f"{k}_credited": round(float(np.mean(v)), 3)
                         for k, v in found.items()} for config, found in counts.items()}

    report = {"typed": rates([(a, a.text) for a in attempts]), "typed_lines": len(attempts)}
    if spoken:
        rng = np.random.default_rng(29)
        sample = [attempts[i] for i in sorted(rng.choice(len(attempts),
                                                         min(spoken, len(attempts)), False))]
        recognizer = PocketsphinxRecognizer()
        heard = []
        for i, attempt in enumerate(sample):
            voice = ("slt", "rms", "awb")[i % 3]
            parts = phrases["break" if attempt.phrase == "break" else "disclosure"].parts
            said = hear(recognizer, read_samples(synth(attempt.text, voice, cache)), parts)
            heard.append((attempt, said.text))
        report["spoken"] = rates(heard)
        report["spoken_lines"] = len(sample)
        report["spoken_roots_kept"] = round(float(np.mean(
            [len(set(roots(h)) & set(roots(a.text))) / max(1, len(set(roots(a.text))))
             for a, h in heard])), 3)
    return report


def summarize(rows: list[dict]) -> dict:
    errors = [abs(r["completeness"] - r["truth"]) for r in rows]
    dropped = [r for r in rows if r["dropped"] is not None]
    whole = [r for r in rows if r["dropped"] is None]
    by_voice = {v: round(float(np.mean([abs(r["completeness"] - r["truth"])
                                        for r in rows if r["voice"] == v])), 3)
                for v in sorted({r["voice"] for r in rows})}
    return {
        "completeness_mae": round(float(np.mean(errors)), 3),
        "completeness_mae_by_voice": by_voice,
        "dropped_clause_named": round(sum(r["named"] == r["dropped"] for r in dropped)
                                      / max(1, len(dropped)), 3),
        "whole_phrase_wrongly_faulted": round(sum(r["named"] is not None for r in whole)
                                              / max(1, len(whole)), 3),
        "attempts": len(rows),
    }


def feedback_delay(naive: bool, trials: int, cache: Path, overhead_s: float,
                   attempt: str) -> dict:
    """End of a spoken whole-phrase attempt to the first sample of the feedback (ms)."""
    from bench import Companion, Probe, companion_env

    from tests.pulse import PulseServer

    clip = read_samples(synth(attempt, "awb", cache))
    speech_end = speech_bounds(clip)[1]
    delays = []
    with PulseServer() as server, tempfile.TemporaryDirectory(prefix="bench-home-") as home:
        env = companion_env(server, home)
        probe = Probe("speaker.monitor")
        companion = Companion(env, naive, ("rehearse", "--mode", "all",
                                           "--engine", "pocketsphinx"))
        try:
            for _ in range(trials):
                try:
                    companion.expect("(listening)", timeout_s=60)
                except RuntimeError as err:  # report what was measured so far
                    print(f"feedback delay ({'naive' if naive else 'shipped'}): {err}",
                          file=sys.stderr)
                    break
                time.sleep(0.5)
                start = probe.play(clip)
                end = start + int(speech_end * 16000)
                reply = probe.first_sound(end, timeout_s=15)
                if reply is not None:
                    delays.append((reply - end) / 16000 - overhead_s)
        finally:
            companion.close()
            probe.close()
    ms = np.asarray(delays) * 1000
    return {"feedback_delay_ms": round(float(np.median(ms)), 1) if ms.size else None,
            "feedback_delay_p95_ms": round(float(np.percentile(ms, 95)), 1) if ms.size else None,
            "feedback_trials": int(ms.size)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 voices, clean only")
    parser.add_argument("--trials", type=int, default=5, help="feedback-delay trials per config")
    parser.add_argument("--spoken", type=int, default=60,
                        help="held-out paraphrase lines to speak (0: typed only)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-speech")
    args = parser.parse_args()
    items = corpus(args.cache, args.quick)
    halves = [items[0::2], items[1::2]]
    with ProcessPoolExecutor(max_workers=2) as pool:
        rows = [row for part in pool.map(recognize, halves) for row in part]
    report = {config: summarize([r for r in rows if r["config"] == config])
              for config in ("shipped", "naive")}
    ideas = meaning(args.spoken, args.cache)
    for mode in ("typed", "spoken"):
        for config, key in (("meaning", "shipped"), ("words", "naive")):
            for kind, value in ideas.get(mode, {}).get(config, {}).items():
                report[key][f"{mode}_{kind}"] = value
    if args.trials:
        from bench import round_trip_s

        from tests.pulse import PulseServer

        with PulseServer() as server:
            server.activate()
            overhead = round_trip_s()
        for config in ("shipped", "naive"):
            for label, attempt in (("", " ".join(built_in()["disclosure"].parts)),
                                   ("own_words_", OWN_WORDS)):
                delay = feedback_delay(config == "naive", args.trials, args.cache, overhead,
                                       attempt)
                report[config].update({f"{label}{k}": v for k, v in delay.items()})
    print(json.dumps({"targets": TARGETS, "meaning_lines": {
        k: v for k, v in ideas.items() if k.endswith("lines") or k.endswith("kept")}, **report},
        indent=2))
    print(f"\n{'figure':38s} {'companion':>10s} {'naive':>10s} {'target':>8s}")
    keys = [f"{mode}_{kind}_credited" for mode in ("typed", "spoken")
            for kind in ("paraphrase", "off_topic", "other_part", "other_phrase")]
    keys += ["completeness_mae", "dropped_clause_named", "whole_phrase_wrongly_faulted",
             "feedback_delay_ms", "feedback_delay_p95_ms", "own_words_feedback_delay_ms",
             "own_words_feedback_delay_p95_ms"]
    for key in keys:
        print(f"{key:38s} {report['shipped'].get(key, '-')!s:>10s} "
              f"{report['naive'].get(key, '-')!s:>10s} {TARGETS.get(key, '')!s:>8s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
