#!/usr/bin/env python
"""Benchmark the crisis check: recall and false alarms, typed and spoken, and speed.

Figures, not assertions. On the evaluation part of corpus/safety/ (authors
never used for tuning; see split.toml), beside the detector this project
shipped before (commit 16dd5c1, regex patterns only) as the naive baseline,
measured in the same run:

* typed: recall per crisis category and false alarms per kind of
  non-crisis line, plus the share of crisis lines answered with resources
  that fit (danger: emergency first; abuse: the abuse line; suicide and
  self-harm: the crisis line);
* spoken: a sample of the same lines synthesized in several voices and
  heard by the real pocketsphinx recognizer, once as a dictated answer and
  once where only commands are listened for (what free recognition made of
  it, ``overheard``), in shuffled order on one recognizer per mode;
* speed: load time (fresh process, median of 3) and time per sentence.

    python scripts/bench_safety.py [--spoken 30] [--voices slt,espeak-gb,rms] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.safety import CrisisDetector  # noqa: E402
from tests.safety_corpus import Line, part  # noqa: E402

BASELINE_COMMIT = "16dd5c1"
CRISIS = ("danger", "abuse", "suicide", "self_harm")
FITTING = {"danger": "emergency", "abuse": "abuse", "suicide": "crisis", "self_harm": "crisis"}
Detect = Callable[[str], str | None]  # text -> category found, or None


def baseline(folder: Path) -> Detect:
    """The regex-only detector of BASELINE_COMMIT, loaded from git into ``folder``."""
    def show(path: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), "show", f"{BASELINE_COMMIT}:{path}"],
                              check=True, capture_output=True, text=True).stdout

    (folder / "old_patterns.py").write_text(show("companion/crisis_patterns.py"))
    (folder / "old_safety.py").write_text(show("companion/safety.py").replace(
        "from companion.crisis_patterns import", "from old_patterns import"))
    sys.path.insert(0, str(folder))
    import old_safety  # type: ignore[import-not-found]

    from companion.content_files import parse_toml

    detector = old_safety.CrisisDetector(parse_toml(show("companion/content/safety.toml"),
                                                    "old safety.toml"))
    names = {"suicidal": "suicide", "hopeless": "suicide", "self_harm": "self_harm",
             "harm_from_others": "abuse"}

    def detect(text: str) -> str | None:
        match = detector.detect(text)
        return names.get(match.category, match.category) if match else None

    return detect


def current() -> tuple[Detect, Callable[[str], tuple[str, ...]]]:
    """The shipped detector: category found, and the resource kinds it would give."""
    from companion.safety.content import load_content

    detector = CrisisDetector(load_content(Path("/nonexistent")),
                              CrisisDetector.load().model)
    kinds = {c.name: c.resources for c in detector.categories}

    def detect(text: str) -> str | None:
        found = detector.detect(text)
        return found.category if found else None

    def resources(text: str) -> tuple[str, ...]:
        found = detector.detect(text)
        if found is None:
            return ()
        return tuple(dict.fromkeys(k for c in found.categories for k in kinds[c]))

    return detect, resources


def rates(lines: list[Line], found: list[str | None]) -> dict[str, dict[str, float]]:
    """Recall per category and false alarms per style of non-crisis line, with counts."""
    hits: dict[str, list[bool]] = defaultdict(list)
    alarms: dict[str, list[bool]] = defaultdict(list)
    for line, category in zip(lines, found, strict=True):
        if line.crisis:
            hits[line.label].append(category is not None)
            hits["all"].append(category is not None)
        else:
            alarms[line.style].append(category is not None)
            alarms["all"].append(category is not None)
    return {"recall": {k: float(np.mean(v)) for k, v in hits.items()},
            "false_alarms": {k: float(np.mean(v)) for k, v in alarms.items()},
            "n": {**{f"crisis.{k}": len(v) for k, v in hits.items()},
                  **{f"none.{k}": len(v) for k, v in alarms.items()}}}


def typed(lines: list[Line], detect: Detect, resources: Callable[[str], tuple[str, ...]],
          old: Detect) -> dict:
    new_found = [detect(line.text) for line in lines]
    fitting = [FITTING[line.label] in resources(line.text)[:2]
               for line in lines if line.crisis]
    times = []
    for line in lines:
        start = time.perf_counter()
        detect(line.text)
        times.append((time.perf_counter() - start) * 1000)
    return {"companion": rates(lines, new_found),
            "baseline": rates(lines, [old(line.text) for line in lines]),
            "fitting_resources": float(np.mean(fitting)),
            "ms_per_sentence": {"mean": float(np.mean(times)),
                                "p95": float(np.percentile(times, 95)),
                                "max": float(np.max(times))}}


def load_time() -> float:
    code = ("import time; t = time.perf_counter(); from companion.safety import Safety; "
            "Safety.load('US'); print(time.perf_counter() - t)")
    runs = [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                 text=True, cwd=ROOT).stdout) for _ in range(3)]
    return float(np.median(runs))


def spoken(lines: list[Line], per_category: int, voices: list[str], detect: Detect,
           old: Detect, cache: Path) -> dict:
    """Sampled lines synthesized, heard by pocketsphinx in dictation and command mode."""
    from companion.intents import Vocabulary
    from companion.recognition.base import Grammar
    from companion.recognition.pocketsphinx_engine import PocketsphinxRecognizer
    from tests.speech import read_samples, synth

    rng = random.Random(7)
    sample: list[Line] = []
    for label in (*CRISIS, "none"):
        pool = [line for line in lines if line.label == label]
        sample += rng.sample(pool, min(len(pool), per_category * (4 if label == "none" else 1)))
    rng.shuffle(sample)
    commands = Vocabulary.load(user_dir=Path("/nonexistent")).phrases_for(
        ["next", "yes", "no", "repeat", "help", "stop", "slower", "faster", "pause", "resume"])
    out: dict[str, dict] = {}
    heard_log = []
    for mode, grammar in (("dictation", Grammar(dictation=True)),
                          ("command", Grammar(phrases=commands))):
        rec = PocketsphinxRecognizer()
        rec.set_grammar(grammar)
        new_found, old_found, by_voice = [], [], defaultdict(list)
        for i, line in enumerate(sample):
            voice = voices[i % len(voices)]
            samples = np.concatenate([read_samples(synth(line.text, voice, cache)),
                                      np.zeros(16000, np.int16)])
            rec.reset()
            finals = [h for h in rec.accept(samples) if h.final] + rec.flush()
            text = " ".join((h.overheard or h.text) if mode == "command" else h.text
                            for h in finals)
            new_found.append(detect(text))
            old_found.append(old(text))
            by_voice[voice].append((line.crisis, new_found[-1] is not None))
            heard_log.append({"mode": mode, "voice": voice, "label": line.label,
                              "said": line.text, "heard": text,
                              "found": new_found[-1]})
        out[mode] = {"companion": rates(sample, new_found), "baseline": rates(sample, old_found),
                     "recall_by_voice": {v: float(np.mean([f for c, f in items if c]))
                                         for v, items in by_voice.items()}}
    out["heard"] = heard_log
    return out


def table(report: dict) -> str:
    rows = [f"{'figure':<40}{'companion':>11}{'baseline':>10}{'target':>8}"]

    def add(name: str, new: float, old: float | None, target: str = "") -> None:
        old_text = f"{old:>10.3f}" if old is not None else f"{'':>10}"
        rows.append(f"{name:<40}{new:>11.3f}{old_text}{target:>8}")

    for where, block in (("typed", report["typed"]),):
        new, old = block["companion"], block["baseline"]
        add(f"{where} recall, all crisis", new["recall"]["all"], old["recall"]["all"], "0.99")
        for label in CRISIS:
            add(f"  {label} (n={new['n'][f'crisis.{label}']})", new["recall"][label],
                old["recall"][label])
        add(f"{where} false alarms, all", new["false_alarms"]["all"],
            old["false_alarms"]["all"], "0.05")
        for style in sorted(k for k in new["false_alarms"] if k != "all"):
            add(f"  {style} (n={new['n'][f'none.{style}']})", new["false_alarms"][style],
                old["false_alarms"][style])
        add("resources that fit the category", block["fitting_resources"], None)
    for mode in ("dictation", "command"):
        if mode in report.get("spoken", {}):
            block = report["spoken"][mode]
            new, old = block["companion"], block["baseline"]
            add(f"spoken ({mode}) recall", new["recall"]["all"], old["recall"]["all"], "0.90")
            for voice, value in block["recall_by_voice"].items():
                add(f"  {voice}", value, None)
            add(f"spoken ({mode}) false alarms", new["false_alarms"]["all"],
                old["false_alarms"]["all"])
    speed = report["typed"]["ms_per_sentence"]
    add("detection ms per sentence (mean)", speed["mean"], None, "10")
    add("detection ms per sentence (p95)", speed["p95"], None)
    add("load time, fresh process (s)", report["load_s"], None, "0.1")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="evaluation", choices=("evaluation", "tuning"))
    parser.add_argument("--spoken", type=int, default=30,
                        help="crisis lines per category to speak (0: typed only)")
    parser.add_argument("--voices", default="slt,espeak-gb,rms,espeak-f2")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "safety-bench")
    parser.add_argument("--json", action="store_true", help="print the JSON report only")
    args = parser.parse_args()
    lines = part(args.part)
    detect, resources = current()
    with tempfile.TemporaryDirectory() as folder:
        old = baseline(Path(folder))
        report: dict = {"part": args.part, "lines": len(lines),
                        "typed": typed(lines, detect, resources, old), "load_s": load_time()}
        if args.spoken:
            report["spoken"] = spoken(lines, args.spoken, args.voices.split(","), detect, old,
                                      args.cache)
    heard = report.get("spoken", {}).pop("heard", [])
    (args.cache / "heard.json").parent.mkdir(parents=True, exist_ok=True)
    (args.cache / "heard.json").write_text(json.dumps(heard, indent=1))
    print(json.dumps(report, indent=1) if args.json else table(report))


if __name__ == "__main__":
    main()
