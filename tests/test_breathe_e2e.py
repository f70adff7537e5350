"""`companion breathe --cues tones` end to end through virtual audio devices.

The real CLI runs in a subprocess against a private PulseAudio server; the
speaker monitor is recorded with parec; tone onsets found in the recording
are matched to the schedule the program logs. Every cue must land within
20 ms of where arithmetic says it belongs, and "stop" must end the session
right after the next full exhale.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from companion.breathe.measure import align, onsets

pytestmark = [pytest.mark.audio, pytest.mark.slow]
TOLERANCE_S = 0.020


def _command() -> list[str]:
    return [sys.executable, "-m", "companion", "breathe"]


def _start(pulse, home: Path, log: Path, *args: str) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    env = dict(pulse.env, COMPANION_HOME=str(home))
    return subprocess.Popen([*_command(), "--cues", "tones", "--schedule-log", str(log), *args],
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1])


def _type(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


def _cues(log: Path) -> list[dict]:
    if not log.exists():
        return []
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [line for line in lines if "cue" in line]


def _check_on_time(recorded, cues: list[dict]) -> dict:  # type: ignore[no-untyped-def]
    timing = align([c["at_s"] for c in cues], onsets(recorded, 16000))
    summary = timing.summary_ms()
    assert timing.missing == 0, summary
    assert abs(timing.errors).max() <= TOLERANCE_S, summary
    return summary


def _stored(home: Path) -> list:
    from companion.store import Store

    with Store.open(home / "data" / "companion.db") as store:
        return store.sessions(kind="breathe")


def test_box_three_rounds_cues_land_within_20ms(pulse, companion_home, tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "schedule.jsonl"
    recording = pulse.record_speaker(tmp_path / "speaker.raw")
    proc = _start(pulse, companion_home, log, "--pattern", "box", "--rounds", "3")
    _type(proc, "next")  # skip the spoken introduction
    proc.wait(timeout=90)
    time.sleep(0.3)
    recorded = recording.samples()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    cues = _cues(log)
    assert [c["cue"] for c in cues] == ["tone.in", "tone.hold", "tone.out", "tone.hold"] * 2 + [
        "tone.in", "tone.hold", "tone.out"]
    _check_on_time(recorded, cues)
    row = _stored(companion_home)[0]
    assert row.completed and row.details["rounds"] == 3 and row.details["planned_s"] == 44.0
    assert row.details["stopped_early"] is False


def _stop_source(mode: str, pulse, tmp_path: Path):  # type: ignore[no-untyped-def]
    if mode == "typed":
        return None
    from tests import speech

    if not speech.tools_available():
        pytest.skip("espeak-ng/flite/sox missing")
    return speech.synth("stop", "espeak-us", tmp_path)


@pytest.mark.parametrize("mode", ["typed", "voice"])
def test_custom_pattern_on_time_and_stop_ends_after_the_next_exhale(  # type: ignore[no-untyped-def]
        pulse, companion_home, tmp_path, mode) -> None:
    stop_wav = _stop_source(mode, pulse, tmp_path)
    log = tmp_path / "schedule.jsonl"
    recording = pulse.record_speaker(tmp_path / "speaker.raw")
    proc = _start(pulse, companion_home, log, "--pattern", "2.5-0.5-3.25-0.75", "--rounds", "40")
    _type(proc, "next")
    deadline = time.monotonic() + 60
    while len([c for c in _cues(log) if c["cue"] == "tone.in"]) < 5:  # 4 full breaths placed
        assert proc.poll() is None and time.monotonic() < deadline, "session did not start"
        time.sleep(0.02)
    # Breath 5's inhale is placed 0.75 s before it sounds and lasts 2.5 s: speak inside
    # it, once its tone is over (the microphone is deaf while a cue sounds: half-duplex).
    time.sleep(0.75 + 0.7)
    said_stop = time.monotonic()
    if stop_wav is None:
        _type(proc, "stop")
    else:
        pulse.play_into_mic(stop_wav, wait=False)
    proc.wait(timeout=30)
    ended = time.monotonic() - said_stop
    time.sleep(0.3)
    recorded = recording.samples()
    cues = _cues(log)
    names = [c["cue"] for c in cues]
    assert names[-3:] == ["tone.in", "tone.hold", "tone.out"], names[-6:]
    assert names.count("tone.in") == 5  # no breath started after "stop"
    summary = _check_on_time(recorded, cues)
    assert summary["cues"] >= 3 * 4
    # It ended after that exhale (plus a short goodbye), not mid-breath and not much later.
    assert ended < 2.5 + 0.5 + 3.25 + 8.0, ended
    row = _stored(companion_home)[0]
    assert not row.completed and row.details["stopped_early"] and row.details["rounds"] == 5
