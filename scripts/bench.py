#!/usr/bin/env python
"""Foundation benchmark: recognition, response latency, CPU, memory, launch time.

Every figure sits beside a naive baseline measured in the same run: a
forced-choice grammar without rejection that waits for the recognizer's end
of speech, instead of the shipped rejection + commit on stable partials.

* Recognition (intent accuracy, false activations, real-time factor) runs the
  recognizer on the synthesized corpus of ``bench_recognition.py``.
* The live figures run the real ``companion ground`` against a private
  PulseAudio server. The bench holds one duplex PortAudio stream whose output
  feeds the virtual microphone and whose input records the virtual speaker,
  so a command's last sample and the reply's first sample are counted on one
  clock. The stream's own round trip (measured first, through a null sink's
  monitor) is subtracted.
  - response latency: end of a spoken "repeat", "pause" or "resume" to the
    first sample of the reply;
  - launch to first audio: process start to the first sample of speech, the
    median of ``--launches`` launches (each with an empty speech cache, as a
    first run has; one launch alone swung 0.3-0.6 s between runs on a 2-core VM);
  - CPU while listening: process CPU time (with its finished children's) over
    10 s of silence, in % of a core;
  - peak RSS: the process's VmHWM at the end.

The virtual microphone is digitally silent between commands, which no real
microphone is; the VAD then holds on to a word's fading tail longer than over
a room's noise. ``--mic-floor-dbfs -55`` plays a steady white-noise floor at
that level into the microphone throughout (commands included), to measure
the live figures under that condition too.

    python scripts/bench.py [--quick] [--trials N] [--skip-recognition] [--mic-floor-dbfs D]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from tests.pulse import PulseServer  # noqa: E402
from tests.speech import read_samples, speech_bounds, synth  # noqa: E402

RATE = 16000
BLOCK = 320
COMMANDS = ("repeat", "pause", "resume")  # each answered at once, with a short prompt
GROUND = ("ground", "--engine", "pocketsphinx", "--region", "US")
PROBE_ROUTING = ("PULSE_SINK", "PULSE_SOURCE")  # where libpulse sends this process's streams
LOUD = 300  # int16 amplitude that counts as sound on the silent virtual speaker
TARGETS = {"latency_p50_ms": 250, "latency_p95_ms": 400, "cpu_listening_pct": 5.0,
           "peak_rss_mb": 150, "launch_to_first_audio_s": 0.5,
           "command_accuracy": 0.97, "false_activations": 0.01}

# The naive configuration: the same CLI with the recognizer's rejection and
# fast commit switched off (their defaults), nothing else changed.
NAIVE_LAUNCHER = (
    "import sys\n"
    "import companion.recognition.pocketsphinx_engine as engine\n"
    "engine.PocketsphinxRecognizer.__init__.__kwdefaults__.update("
    "reject=False, fast_commit=False)\n"
    "from companion.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


class Probe:
    """A duplex stream: plays clips into the virtual mic, records the virtual speaker."""

    def __init__(self, source: str, minutes: float = 15.0,
                 floor_dbfs: float | None = None) -> None:
        import sounddevice as sd

        self._floor = None if floor_dbfs is None else 32768 * 10 ** (floor_dbfs / 20)
        self._noise = np.random.default_rng(0)

        os.environ.update(zip(PROBE_ROUTING, ("micfeed", source), strict=True))
        sd._terminate()
        sd._initialize()
        self.recorded = np.zeros(int(minutes * 60 * RATE), np.int16)
        self.frames = 0
        self._clips: queue.Queue[tuple[np.ndarray, threading.Event, list[int]]] = queue.Queue()
        self._playing: tuple[np.ndarray, int, threading.Event] | None = None
        self.clock: tuple[int, float] = (0, time.monotonic())
        self.stream = sd.Stream(samplerate=RATE, blocksize=BLOCK, channels=1, dtype="int16",
                                latency="low", callback=self._callback)
        self.stream.start()

    def _callback(self, indata: np.ndarray, outdata: np.ndarray, frames: int,
                  _time: object, _status: object) -> None:
        end = min(self.frames + frames, self.recorded.size)
        self.recorded[self.frames:end] = indata[: end - self.frames, 0]
        outdata.fill(0)
        if self._floor is not None:
            outdata[:, 0] = self._noise.normal(0, self._floor, frames).astype(np.int16)
        if self._playing is None and not self._clips.empty():
            clip, done, started = self._clips.get_nowait()
            started.append(self.frames)
            self._playing = (clip, 0, done)
        if self._playing is not None:
            clip, pos, done = self._playing
            chunk = clip[pos:pos + frames]
            mixed = outdata[: chunk.size, 0].astype(np.int32) + chunk
            outdata[: chunk.size, 0] = np.clip(mixed, -32768, 32767)
            pos += chunk.size
            self._playing = None if pos >= clip.size else (clip, pos, done)
            if pos >= clip.size:
                done.set()
        self.frames += frames
        self.clock = (self.frames, time.monotonic())

    def frame_now(self) -> int:
        """The stream's frame count at this moment (interpolated from the last callback)."""
        frames, at = self.clock
        return frames + int((time.monotonic() - at) * RATE)

    def play(self, clip: np.ndarray) -> int:
        """Play ``clip`` and return the frame at which its first sample was written."""
        done, started = threading.Event(), list[int]()
        self._clips.put((clip, done, started))
        if not done.wait(timeout=clip.size / RATE + 5):
            raise RuntimeError("the probe stream stopped playing")
        return started[0]

    def first_sound(self, after: int, timeout_s: float) -> int | None:
        """The first recorded frame at or after ``after`` that is loud, or None."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            loud = np.flatnonzero(np.abs(self.recorded[after:self.frames]) > LOUD)
            if loud.size:
                return after + int(loud[0])
            time.sleep(0.005)
        return None

    def wait_quiet(self, quiet_s: float, timeout_s: float = 60.0) -> None:
        """Wait until nothing was heard for ``quiet_s`` (the companion has stopped talking)."""
        deadline = time.monotonic() + timeout_s
        need = int(quiet_s * RATE)
        while time.monotonic() < deadline:
            now = self.frames
            if now >= need and not np.any(np.abs(self.recorded[now - need:now]) > LOUD):
                return
            time.sleep(0.05)
        raise RuntimeError("the companion never stopped talking")

    def close(self) -> None:
        self.stream.stop()
        self.stream.close()


def round_trip_s(trials: int = 5) -> float:
    """The probe's own output-to-input delay through one null sink and its monitor."""
    probe = Probe("micfeed.monitor", minutes=1)
    try:
        click = (np.sin(np.arange(320) * 2 * np.pi * 1000 / RATE) * 8000).astype(np.int16)
        delays = []
        for _ in range(trials):
            time.sleep(0.3)
            start = probe.play(click)
            heard = probe.first_sound(start, timeout_s=2)
            if heard is not None:
                delays.append((heard - start) / RATE)
        return float(np.median(delays)) if delays else 0.0
    finally:
        probe.close()


class Companion:
    """The real CLI (``args``) on the virtual devices, its screen read line by line."""

    def __init__(self, env: dict[str, str], naive: bool, args: tuple[str, ...] = GROUND) -> None:
        cmd = ([sys.executable, "-c", NAIVE_LAUNCHER, *args] if naive
               else [sys.executable, "-m", "companion", *args])
        self.launched = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1, cwd=ROOT)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, text: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if text in self.lines.get(timeout=0.2):
                    return
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
        raise RuntimeError(f"companion never printed {text!r}")

    def cpu_s(self) -> float:
        """CPU time of the process and of the children it waited for (``pactl`` runs)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def companion_env(server: PulseServer, home: str) -> dict[str, str]:
    """The companion's environment: the server's, without the probe's routing."""
    server.activate()
    env = {key: value for key, value in server.env.items() if key not in PROBE_ROUTING}
    env.update(COMPANION_HOME=home, COMPANION_DEBUG="1")
    return env


def launches(config: str, count: int, overhead_s: float) -> dict:
    """Launch to first audio, ``count`` times: each a new process and an empty home."""
    times = []
    with PulseServer() as server:
        for _ in range(count):
            with tempfile.TemporaryDirectory(prefix="bench-home-") as home:
                env = companion_env(server, home)
                probe = Probe("speaker.monitor", minutes=1)
                companion = None
                try:
                    launched = probe.frame_now()
                    companion = Companion(env, naive=config == "naive")
                    first = probe.first_sound(launched, timeout_s=30)
                    if first is not None:
                        times.append((first - launched) / RATE - overhead_s / 2)
                finally:
                    if companion is not None:
                        companion.close()
                    probe.close()
    return {"launch_to_first_audio_s": round(float(np.median(times)), 3) if times else None,
            "launch_to_first_audio_max_s": round(max(times), 3) if times else None,
            "launches": len(times)}


def live(config: str, trials: int, spoken: dict[str, tuple[np.ndarray, float]], overhead_s: float,
         cpu_window_s: float, session_s: float = 0.0, floor_dbfs: float | None = None) -> dict:
    """One run of the real CLI on fresh virtual devices; the live figures for ``config``."""
    with PulseServer() as server, tempfile.TemporaryDirectory(prefix="bench-home-") as home:
        env = companion_env(server, home)
        probe = Probe("speaker.monitor", floor_dbfs=floor_dbfs)
        companion = None
        try:
            companion = Companion(env, naive=config == "naive")
            companion.expect("say next")
            companion.expect("(listening)")
            time.sleep(1.0)
            cpu_before = companion.cpu_s()
            time.sleep(cpu_window_s)
            cpu_pct = (companion.cpu_s() - cpu_before) / cpu_window_s * 100
            latencies, missed = [], 0
            session_started, session_cpu = time.monotonic(), companion.cpu_s()
            for trial in range(trials):
                word = COMMANDS[trial % len(COMMANDS)]
                clip, speech_end = spoken[word]
                # Spread the trials over the session (silence between, a re-prompt now
                # and then); play only once the companion has been quiet for 1 s.
                time.sleep(max(0.0, session_started + trial * session_s / trials
                               - time.monotonic()))
                probe.wait_quiet(1.0)
                start = probe.play(clip)
                end = start + int(speech_end * RATE)
                reply = probe.first_sound(end, timeout_s=5)
                if reply is None:
                    missed += 1
                    continue
                latencies.append((reply - end) / RATE - overhead_s)
            session_wall = time.monotonic() - session_started
            session_pct = (companion.cpu_s() - session_cpu) / session_wall * 100
            rss = companion.peak_rss_mb()
            companion.proc.stdin.write("stop\n")  # type: ignore[union-attr]
            companion.proc.stdin.flush()  # type: ignore[union-attr]
            companion.proc.wait(timeout=30)
        finally:
            if companion is not None:
                companion.close()
            probe.close()
    ms = np.asarray(latencies) * 1000
    return {
        "latency_p50_ms": round(float(np.percentile(ms, 50)), 1) if ms.size else None,
        "latency_p95_ms": round(float(np.percentile(ms, 95)), 1) if ms.size else None,
        "latency_trials": len(latencies), "replies_missed": missed,
        "cpu_listening_pct": round(cpu_pct, 2),
        "session_minutes": round(session_wall / 60, 1),
        "cpu_session_pct": round(session_pct, 2),
        "peak_rss_mb": round(rss, 1),
    }


def recognition(quick: bool, cache: Path) -> dict[str, dict]:
    """Accuracy, false activations and real-time factor on the evaluation voices."""
    from concurrent.futures import ProcessPoolExecutor

    from bench_recognition import corpus, run, summarize, voices_of

    from companion.recognition.base import LEXICON

    items = corpus(cache, quick, voices_of("evaluation"))
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, name, items, LEXICON, cache)
                   for name in ("shipped", "baseline")}
        return {("naive" if name == "baseline" else name): summarize(f.result())
                for name, f in futures.items()}


def spoken_commands(cache: Path) -> dict[str, tuple[np.ndarray, float]]:
    """The trial commands in a flite voice, with where the speech ends (s)."""
    out = {}
    for word in COMMANDS:
        samples = read_samples(synth(word, "awb", cache))
        out[word] = (samples, speech_bounds(samples)[1])
    return out


ROWS = (("command intent accuracy", "command_accuracy"),
        ("false activations", "false_activations"),
        ("decoding real-time factor", "real_time_factor"),
        ("response latency p50 (ms)", "latency_p50_ms"),
        ("response latency p95 (ms)", "latency_p95_ms"),
        ("launch to first audio (s)", "launch_to_first_audio_s"),
        ("CPU while listening (%)", "cpu_listening_pct"),
        ("CPU over the session (%)", "cpu_session_pct"),
        ("session length (min)", "session_minutes"),
        ("peak RSS (MB)", "peak_rss_mb"))


def table(report: dict[str, dict]) -> str:
    lines = [f"{'figure':28s} {'companion':>10s} {'naive':>10s} {'target':>8s}"]
    for label, key in ROWS:
        ours = report["shipped"].get(key, "-")
        naive = report["naive"].get(key, "-")
        lines.append(f"{label:28s} {ours!s:>10s} {naive!s:>10s} {TARGETS.get(key, '')!s:>8s}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small corpus, 6 latency trials")
    parser.add_argument("--trials", type=int, default=None, help="latency trials per config")
    parser.add_argument("--skip-recognition", action="store_true")
    parser.add_argument("--session-minutes", type=float, default=0.0,
                        help="spread the latency trials over a session this long "
                        "(CPU and peak RSS are then over the whole session)")
    parser.add_argument("--configs", default="shipped,naive",
                        help="which live configurations to run (comma-separated)")
    parser.add_argument("--launches", type=int, default=5,
                        help="launches timed per config (the median is reported)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench-speech")
    parser.add_argument("--mic-floor-dbfs", type=float, default=None,
                        help="a steady white-noise floor in the microphone at this level")
    args = parser.parse_args()
    if not PulseServer.available():
        print("needs pulseaudio and pulseaudio-utils (bash scripts/setup.sh test)", file=sys.stderr)
        return 2
    trials = args.trials or (6 if args.quick else 20)
    report: dict[str, dict] = {"shipped": {}, "naive": {}}
    configs = args.configs.split(",")
    if unknown := [c for c in configs if c not in report]:
        parser.error(f"unknown config {', '.join(unknown)} (choose from {', '.join(report)})")
    if not args.skip_recognition:
        for name, figures in recognition(args.quick, args.cache).items():
            report[name].update(figures)
    spoken = spoken_commands(args.cache)
    with PulseServer() as server:
        server.activate()
        overhead = round_trip_s()
    report["probe_round_trip_s"] = {"value": round(overhead, 4)}
    for config in configs:
        report[config].update(live(config, trials, spoken, overhead,
                                   cpu_window_s=5.0 if args.quick else 10.0,
                                   session_s=args.session_minutes * 60,
                                   floor_dbfs=args.mic_floor_dbfs))
        report[config].update(launches(config, args.launches, overhead))
    print(json.dumps({"targets": TARGETS, **report}, indent=2, ensure_ascii=False))
    print()
    print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
