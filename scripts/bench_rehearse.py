#!/usr/bin/env python
"""Benchmark rehearsal scoring: completeness error, dropped-clause naming, feedback delay.

Attempts at the default disclosure phrase are synthesized (4 voices, clean and
with noise; the whole phrase, and the phrase with each clause dropped) and
recognized by real pocketsphinx in phrase mode. Each figure sits beside a
naive baseline from the same recognition: free decoding aligned to the phrase,
without the grammar of the phrase's parts.

Feedback delay runs the real ``companion rehearse --mode all`` on a private
PulseAudio server: end of a spoken attempt to the first sample of the spoken
feedback (the probe of scripts/bench.py). Its baseline is the same CLI
waiting out the full end-of-speech pause (fast end off).

    python scripts/bench_rehearse.py [--quick] [--trials N]
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
TARGETS = {"completeness_mae": 0.05, "dropped_clause_named": 0.95, "feedback_delay_ms": 500}


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
    from companion.rehearse.score import score

    parts = built_in()["disclosure"].parts
    recognizer = PocketsphinxRecognizer()
    out = []
    for item in items:
        heard = hear(recognizer, read_samples(Path(item["path"])), parts)
        for config, found in (("shipped", heard.parts_said), ("naive", None)):
            result = score(parts, heard.text, found, heard.word_times)
            out.append({**item, "config": config, "completeness": result.completeness,
                        "named": result.weakest_part()})
    return out


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


def feedback_delay(naive: bool, trials: int, cache: Path, overhead_s: float) -> dict:
    """End of a spoken whole-phrase attempt to the first sample of the feedback (ms)."""
    from bench import Companion, Probe, companion_env

    from tests.pulse import PulseServer

    clip = read_samples(synth(" ".join(built_in()["disclosure"].parts), "awb", cache))
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
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-speech")
    args = parser.parse_args()
    items = corpus(args.cache, args.quick)
    halves = [items[0::2], items[1::2]]
    with ProcessPoolExecutor(max_workers=2) as pool:
        rows = [row for part in pool.map(recognize, halves) for row in part]
    report = {config: summarize([r for r in rows if r["config"] == config])
              for config in ("shipped", "naive")}
    if args.trials:
        from bench import round_trip_s

        from tests.pulse import PulseServer

        with PulseServer() as server:
            server.activate()
            overhead = round_trip_s()
        for config in ("shipped", "naive"):
            report[config].update(feedback_delay(config == "naive", args.trials, args.cache,
                                                 overhead))
    print(json.dumps({"targets": TARGETS, **report}, indent=2))
    print(f"\n{'figure':34s} {'companion':>10s} {'naive':>10s} {'target':>8s}")
    for key in ("completeness_mae", "dropped_clause_named", "whole_phrase_wrongly_faulted",
                "feedback_delay_ms", "feedback_delay_p95_ms"):
        print(f"{key:34s} {report['shipped'].get(key, '-')!s:>10s} "
              f"{report['naive'].get(key, '-')!s:>10s} {TARGETS.get(key, '')!s:>8s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
