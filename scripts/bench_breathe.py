"""Benchmark: how close to schedule do breathing cues land, measured from recorded audio?

Runs the real ``companion breathe --cues tones`` for ``--minutes`` against a
private PulseAudio server, records the speaker monitor with parec, finds each
tone's onset and compares it with the schedule the program logs (aligned on
the first cue). Beside it, in the same run, two naive scripts many people
write: pyttsx3 ``say(cue); runAndWait()`` then ``time.sleep(phase)``, and
``sd.play(tone)`` then ``time.sleep(phase)``, for every phase. Their cues
drift by whole seconds, so they are matched to onsets in order.

Prints a table and JSON: median / p95 / max onset error and drift (last
onset error minus first), in milliseconds. Targets: p95 <= 10 ms, drift <= 5 ms.

    python scripts/bench_breathe.py --minutes 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from companion.breathe.measure import Timing, align, onsets  # noqa: E402
from tests.pulse import PulseServer  # noqa: E402

RATE = 16000
BASELINES = ("pyttsx3", "sd_play")


def run_companion(server: PulseServer, pattern: str, minutes: float, work: Path) -> dict:
    """The real CLI in a subprocess; returns the timing summary."""
    log = work / "schedule.jsonl"
    recording = server.record_speaker(work / "companion.raw", rate=RATE)
    env = dict(server.env, COMPANION_HOME=str(work / "home"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion", "breathe", "--cues", "tones", "--pattern", pattern,
         "--minutes", f"{minutes:g}", "--schedule-log", str(log)],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, cwd=ROOT)
    assert proc.stdin is not None
    proc.stdin.write("next\n")  # skip the spoken introduction
    proc.stdin.flush()
    proc.wait(timeout=minutes * 60 + 120)
    time.sleep(0.5)
    samples = recording.samples()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    cues = [line for line in lines if "cue" in line]
    stats: dict = next((line for line in lines if "underflows" in line), {})
    timing = align([c["at_s"] for c in cues], onsets(samples, RATE))
    return {**timing.summary_ms(), **stats, "exit": proc.returncode}


def in_order(scheduled_s: list[float], detected_s: np.ndarray) -> dict:
    """The k-th onset against the k-th cue, aligned on the first (for drifting scripts)."""
    n = min(len(scheduled_s), len(detected_s))
    if n == 0:
        return {"cues": 0, "missing": len(scheduled_s)}
    errors = np.asarray(detected_s[:n]) - np.asarray(scheduled_s[:n])
    timing = Timing(errors - errors[0], len(scheduled_s) - n)
    return timing.summary_ms()


def run_baseline(server: PulseServer, kind: str, pattern: str, minutes: float,
                 work: Path) -> dict:
    """A naive loop in a fresh process, recorded from the same virtual speaker."""
    recording = server.record_speaker(work / f"baseline-{kind}.raw", rate=RATE)
    log = work / f"baseline-{kind}.json"
    proc = subprocess.run(
        [sys.executable, __file__, "--baseline-child", kind, "--pattern", pattern,
         "--minutes", f"{minutes:g}", "--out", str(log)],
        env=dict(server.env, COMPANION_HOME=str(work / "home")), cwd=ROOT,
        timeout=minutes * 60 * 3 + 120, capture_output=True, text=True, check=False)
    time.sleep(0.5)
    samples = recording.samples()
    if proc.returncode != 0:
        return {"error": proc.stderr[-500:]}
    scheduled = json.loads(log.read_text())
    # Spoken cues have gaps between words; only a longer quiet starts a new cue.
    found = onsets(samples, RATE, min_gap_s=0.2 if kind == "sd_play" else 0.6)
    return in_order(scheduled, found)


def baseline_child(kind: str, pattern_name: str, minutes: float, out: Path) -> None:
    """What a simple script does: start the cue, sleep the phase; the delays add up."""
    from companion.audio.tones import all_tones
    from companion.breathe.flow import TONE_FOR
    from companion.breathe.patterns import load_breathe_content, load_patterns, resolve
    from companion.breathe.schedule import schedule

    content = load_breathe_content()
    pattern = resolve(pattern_name, load_patterns(content))
    timeline = schedule(pattern, target_s=minutes * 60)
    if kind == "pyttsx3":
        import pyttsx3

        engine = pyttsx3.init()
        time.sleep(1.0)
        for phase in timeline:
            engine.say(content["cues"][phase.kind])
            engine.runAndWait()
            time.sleep(phase.seconds)
    else:
        import sounddevice as sd

        rate = int(sd.query_devices(kind="output")["default_samplerate"])
        tones = all_tones(rate)
        time.sleep(1.0)
        for phase in timeline:
            sd.play(tones[f"tone.{TONE_FOR[phase.kind]}"], rate)
            time.sleep(phase.seconds)
        sd.wait()
    out.write_text(json.dumps([p.start_s for p in timeline]))


def table(rows: dict[str, dict]) -> str:
    cols = ("cues", "missing", "median_ms", "p95_ms", "max_ms", "drift_ms")
    lines = ["run        " + "".join(f"{c:>11}" for c in cols)]
    for name, row in rows.items():
        lines.append(f"{name:<11}" + "".join(f"{row.get(c, '-')!s:>11}" for c in cols))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--baseline-minutes", type=float, default=None,
                        help="length of the naive run (default: --minutes)")
    parser.add_argument("--pattern", default="box")
    parser.add_argument("--skip-pyttsx3", action="store_true",
                        help="leave out the pyttsx3 baseline")
    parser.add_argument("--baseline-child", choices=BASELINES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_child:
        baseline_child(args.baseline_child, args.pattern, args.minutes, args.out)
        return 0
    if not PulseServer.available():
        print("needs pulseaudio and pulseaudio-utils", file=sys.stderr)
        return 2
    baseline_minutes = args.baseline_minutes or args.minutes
    with tempfile.TemporaryDirectory(prefix="bench-breathe-") as tmp, PulseServer() as server:
        work = Path(tmp)
        started = time.monotonic()
        ours = run_companion(server, args.pattern, args.minutes, work)
        rows = {"companion": ours}
        for kind in BASELINES:
            if not (kind == "pyttsx3" and args.skip_pyttsx3):
                rows[kind] = run_baseline(server, kind, args.pattern, baseline_minutes, work)
    result = {
        "pattern": args.pattern, "minutes": args.minutes, "baseline_minutes": baseline_minutes,
        "targets": {"p95_ms": 10.0, "drift_ms": 5.0}, **rows,
        "wall_s": round(time.monotonic() - started, 1),
    }
    print(table(rows))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
