"""Benchmark the journal over 10,000 entries: add, list, search, stats, export.

Prints JSON, then a table. Each command is timed in-process through the CLI
function (median of several runs, output discarded) and once as a subprocess
(interpreter start included, for honesty). Naive baselines run in the same
process: search with LIKE and no index vs the FTS5 index; list with no LIMIT.

    /tmp/venv/bin/python scripts/bench_journal.py [--entries 10000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WHO = ["my partner", "they", "my friend", "my mum", "he", "she"]
WHAT = ["didn't reply to my text", "cancelled our plans", "sounded cold on the phone",
        "was busy all weekend", "criticised how I cook", "forgot our anniversary",
        "went quiet at dinner", "was out with friends late", "said I overreact"]
FEEL = ["anxious", "sad", "angry", "ashamed", "lonely", "scared", "hurt", "numb"]
BODY = ["racing heart", "tight chest", "knot in my stomach", "shallow breathing", "hot face"]
DID = ["stayed", "took a break", "left", "stayed", "stayed", "took a break"]
THOUGHT = ["they are leaving me", "I am not good enough", "this always happens",
           "I did something wrong", "they don't care"]


def make_entries(n: int, seed: int = 7) -> list:
    from companion.journal.model import Emotion, Entry

    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        feelings = rng.sample(FEEL, rng.randint(1, 3))
        out.append(Entry(
            situation=f"{rng.choice(WHO)} {rng.choice(WHAT)}",
            emotions=[Emotion(f, rng.randint(2, 10)) for f in feelings],
            body=rng.choice(BODY), urge=rng.randint(0, 10), did=rng.choice(DID),
            thought=rng.choice(THOUGHT), evidence_for="they were short with me",
            evidence_against="they said they love me yesterday",
            balanced="they might just be tired", notes=f"note {i}",
            created_at=start + timedelta(minutes=90 * i)))
    return out


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def cli_call(argv: list[str]) -> Callable[[], object]:
    from companion.cli import main

    def call() -> object:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main(["journal", *argv])
        if code != 0:
            raise SystemExit(f"journal {' '.join(argv)} failed with {code}")
        return code
    return call


def subprocess_ms(argv: list[str], runs: int = 3) -> float:
    """The whole command as a person runs it (interpreter start included), median of runs."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "companion", "journal", *argv], check=True,
                       capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()
    home = tempfile.mkdtemp(prefix="bench-journal-")
    os.environ["COMPANION_HOME"] = home

    from companion.journal.repo import Journal
    from companion.store import Store, default_path

    started = time.perf_counter()
    with Store.open() as store:
        Journal(store).add_many(make_entries(opts.entries))
    load_s = time.perf_counter() - started
    size = default_path().stat().st_size

    results: dict[str, dict[str, float | str | None]] = {}

    def row(name: str, ms: float, baseline: str = "", base_ms: float | None = None,
            sub_ms: float | None = None) -> None:
        results[name] = {"in_process_ms": ms, **({"subprocess_ms": sub_ms} if sub_ms else {}),
                         **({"baseline": baseline, "baseline_ms": base_ms} if baseline else {})}

    with Store.open() as store:
        journal = Journal(store)
        open_ms = median_ms(lambda: Store.open().close(), opts.runs)
        row("open (integrity check)", open_ms)
        fts = median_ms(lambda: journal.search("cold anx"), opts.runs)
        like = median_ms(lambda: journal.search_like("cold anx"), opts.runs)
        row("search common (library)", fts, "LIKE, no index", like)
        rare = median_ms(lambda: journal.search("4321"), opts.runs)
        rare_like = median_ms(lambda: journal.search_like("4321"), opts.runs)
        row("search rare (library)", rare, "LIKE, no index", rare_like)
        limited = median_ms(lambda: journal.recent(20), opts.runs)
        unlimited = median_ms(lambda: journal.recent(None), max(3, opts.runs // 2))
        row("list 20 (library)", limited, "list without LIMIT", unlimited)

    add_argv = ["add", "--situation", "they didn't reply", "--emotion", "anxious:7",
                "--urge", "6", "--did", "stayed"]
    commands = {
        "add (flags, fsync)": add_argv,
        "list": ["list"],
        "list --all": ["list", "--all"],
        "show": ["show", "5000"],
        "search": ["search", "cold", "anx"],
        "search rare": ["search", "4321"],
        "stats": ["stats"],
        "edit": ["edit", "5000", "--urge", "4"],
        "export json": ["export", "--format", "json", "--out", str(Path(home) / "out.json")],
    }
    for name, argv in commands.items():
        runs = opts.runs if name not in ("list --all", "export json") else 3
        row(f"journal {name}", median_ms(cli_call(argv), runs), sub_ms=subprocess_ms(argv))
    results["journal search"].update(baseline="LIKE (library, same run)", baseline_ms=like)
    results["journal search rare"].update(baseline="LIKE (library, same run)",
                                          baseline_ms=rare_like)
    results["journal list"].update(baseline="list --all (no LIMIT)",
                                   baseline_ms=results["journal list --all"]["in_process_ms"])
    python_ms = subprocess_ms_python()
    report = {
        "entries": opts.entries, "bulk_load_s": round(load_s, 2),
        "db_bytes_per_1000_entries": round(size * 1000 / opts.entries),
        "python_startup_ms": python_ms, "target_ms": 200, "results": results,
    }
    print(json.dumps(report, indent=2))
    print()
    print(f"{'command':<28} {'in-process ms':>13} {'subprocess ms':>13}   baseline")
    for name, r in results.items():
        base = f"{r['baseline']}: {r['baseline_ms']} ms" if "baseline" in r else ""
        sub = f"{r['subprocess_ms']:>13}" if "subprocess_ms" in r else f"{'':>13}"
        print(f"{name:<28} {r['in_process_ms']:>13} {sub}   {base}")
    print(f"\ndatabase: {report['db_bytes_per_1000_entries'] / 1024:.0f} KiB per 1,000 entries; "
          f"python -c pass alone: {python_ms} ms")
    return 0


def subprocess_ms_python() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return round((time.perf_counter() - started) * 1000, 1)


if __name__ == "__main__":
    sys.exit(main())
