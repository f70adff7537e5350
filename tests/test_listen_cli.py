"""`companion listen` as a user runs it: the real CLI on a WAV file and on the microphone.

The live test plays spoken commands into the PulseAudio virtual microphone
(tests/pulse.py) while `companion listen --live` runs as a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pulse import PulseServer
from tests.speech import concatenate, synth, tools_available

pytestmark = pytest.mark.skipif(not tools_available(), reason="needs espeak-ng, flite and sox")

KEYS = {"start", "end", "text", "intent", "confidence"}


def companion(*args: str, env: dict[str, str] | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "companion", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_listen_from_a_file_prints_one_json_line_per_utterance(tmp_path: Path) -> None:
    said = ["i need a break", "the train was late again this morning", "say that again"]
    wav, spans = concatenate([synth(s, "rms", tmp_path) for s in said], tmp_path / "all.wav")
    done = companion("listen", "--from", str(wav), "--engine", "pocketsphinx", "--json")
    assert done.returncode == 0, done.stderr
    heard = records(done.stdout)
    assert [r["intent"] for r in heard] == ["break", "repeat"], heard  # the sentence: nothing
    assert all(set(r) == KEYS for r in heard)
    for record, (start, end) in zip(heard, [spans[0], spans[2]], strict=True):
        assert abs(record["start"] - start) < 0.35 and abs(record["end"] - end) < 0.35, record


@pytest.mark.parametrize("content", [b"", b"not a wav at all", b"RIFF\x10\x00\x00\x00WAVEfmt "])
def test_listen_from_an_unreadable_wav_says_so_in_one_line(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "recording.wav"
    bad.write_bytes(content)
    done = companion("listen", "--from", str(bad), "--engine", "pocketsphinx")
    assert done.returncode != 0 and done.stdout == ""
    assert "Traceback" not in done.stderr and "recording.wav" in done.stderr, done.stderr
    assert "()" not in done.stderr  # a reason is always given


def listen_live(pulse: PulseServer, home: Path, spoken: list[Path], seconds: float
                ) -> tuple[list[dict], str]:
    """Run `companion listen --live` for ``seconds`` while ``spoken`` is played into the
    virtual microphone; (its JSON records, its stderr)."""
    env = {**os.environ, **pulse.env, "COMPANION_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion", "listen", "--live", "--engine", "pocketsphinx",
         "--seconds", str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)
    try:
        deadline = time.monotonic() + 15
        while not pulse.pactl("list", "short", "source-outputs"):  # the mic is not open yet
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        time.sleep(0.5)
        for wav in spoken:
            pulse.play_into_mic(wav, wait=True)
            time.sleep(0.8)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    return records(out), err


@pytest.mark.audio
@pytest.mark.slow
def test_listen_live_hears_commands_played_into_the_microphone(
        pulse: PulseServer, companion_home: Path, tmp_path: Path) -> None:
    spoken = [synth(s, "awb", tmp_path) for s in ("keep going", "my sister called me", "stop")]
    heard, err = listen_live(pulse, companion_home, spoken, seconds=12)
    assert [r["intent"] for r in heard] == ["resume", "stop"], (heard, err)
    assert heard[0]["start"] < heard[0]["end"] < heard[1]["start"] < heard[1]["end"] < 12
    assert "telephone band" not in err and "faint" not in err, err  # a good microphone


@pytest.mark.audio
@pytest.mark.slow
def test_listen_live_says_once_when_the_microphone_sends_only_the_telephone_band(
        pulse: PulseServer, companion_home: Path, tmp_path: Path) -> None:
    """As a Bluetooth headset in hands-free mode would: the voice sampled at 8 kHz."""
    spoken = [synth(s, "rms", tmp_path, "phone") for s in ("i need a break", "help")]
    heard, err = listen_live(pulse, companion_home, spoken, seconds=8)
    assert err.count("telephone band") == 1, err
    assert [r["intent"] for r in heard] == ["break", "help"], (heard, err)
