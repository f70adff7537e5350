"""MicInput through virtual PulseAudio devices, WavInput pacing, device listing."""

from __future__ import annotations

import builtins
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from companion.audio import devices
from companion.audio.input import MicInput, PulseProbe, WavInput
from companion.errors import AudioError
from tests.pulse import PulseServer


def write_tone(path: Path, seconds: float = 0.6, hz: float = 440.0) -> Path:
    t = np.arange(int(16000 * seconds)) / 16000
    samples = (0.5 * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(samples.tobytes())
    return path


def rms(block: np.ndarray) -> float:
    return float(np.sqrt(np.mean(block.astype(np.float64) ** 2)))


def collect(mic: MicInput, seconds: float) -> list[np.ndarray]:
    blocks = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        block = mic.read(0.2)
        if block is not None:
            blocks.append(block)
    return blocks


@pytest.mark.audio
def test_mic_hears_what_is_played_into_micfeed(pulse: PulseServer, tmp_path: Path) -> None:
    wav = write_tone(tmp_path / "tone.wav")
    with MicInput() as mic:
        first = mic.read(1.0)
        assert first is not None and first.dtype == np.int16 and first.size == 320
        quiet = collect(mic, 0.3)
        assert max(rms(b) for b in quiet) < 100
        player = pulse.play_into_mic(wav, wait=False)
        heard = collect(mic, 1.0)
        player.wait(5)
        loud = [b for b in heard if rms(b) > 5000]
        assert 0.4 < len(loud) * 0.02 < 0.8  # the 0.6 s tone, give or take a block
        pulse.play_into_mic(wav, wait=True)
        assert mic.drain() > 0  # half-duplex: what played while we talked is dropped
        assert mic.read(0.0) is None
        assert mic.dropped_blocks == 0


@pytest.mark.audio
def test_unplugged_mic_is_reported_and_comes_back(pulse: PulseServer) -> None:
    lost: list[tuple[str, float]] = []
    back = threading.Event()
    mic = MicInput(on_lost=lambda reason: lost.append((reason, time.monotonic())),
                   on_back=back.set)
    mic.start()
    try:
        assert mic.read(1.0) is not None
        unplugged = time.monotonic()
        pulse.unload_mic()
        deadline = unplugged + 2.0
        while not lost and time.monotonic() < deadline:
            time.sleep(0.02)
        assert lost, "on_lost was not called within 2 s"
        assert "mic" in lost[0][0]
        assert mic.lost
        time.sleep(0.5)
        pulse.load_mic()
        assert back.wait(3.0), "on_back was not called within 3 s of replugging"
        mic.drain()
        assert mic.read(1.0) is not None
        assert len(lost) == 1
    finally:
        pulse.load_mic()
        mic.close()


@pytest.mark.audio
def test_a_steady_microphone_costs_no_pactl_runs(pulse: PulseServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The source is looked up when PulseAudio reports a change, not every half second."""
    looks: list[float] = []
    sources = PulseProbe.sources
    monkeypatch.setattr(PulseProbe, "sources",
                        lambda self: looks.append(time.monotonic()) or sources(self))
    mic = MicInput()
    mic.start()
    try:
        time.sleep(0.8)  # the first look (pactl subscribe may not have been ready for it)
        looks.clear()
        collect(mic, 2.0)
        assert looks == []
        pulse.unload_mic()
        deadline = time.monotonic() + 2.0
        while not mic.lost and time.monotonic() < deadline:
            time.sleep(0.02)
        assert mic.lost and looks, "the source's removal was not looked into"
    finally:
        pulse.load_mic()
        mic.close()


WATCHER = (
    "import sys, time\n"
    "from companion.audio.input import MicInput\n"
    "mic = MicInput()\n"
    "mic.start()\n"
    "print(mic._probe._events.pid, flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.mark.audio
def test_the_pactl_watcher_ends_with_a_killed_companion(pulse: PulseServer) -> None:
    proc = subprocess.Popen([sys.executable, "-c", WATCHER], env=pulse.env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        watcher = int(proc.stdout.readline())
        assert running(watcher)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 2.0
    while running(watcher) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(watcher), "pactl subscribe outlived the companion"


def running(pid: int) -> bool:
    """The process exists and has not ended (a zombie waiting to be reaped has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.audio
def test_pulseaudio_moves_the_stream_silently(pulse: PulseServer) -> None:
    """Why MicInput watches pactl: without it an unplugged mic goes unnoticed."""
    lost: list[str] = []
    mic = MicInput(on_lost=lost.append, pulse_probe=False)
    mic.start()
    try:
        assert mic.read(1.0) is not None
        pulse.unload_mic()
        mic.drain()
        blocks = collect(mic, 2.0)
        # Audio keeps flowing, now from speaker.monitor (sometimes after a ~1.2 s
        # gap while the stream moves): no error, no status flag, no 2 s stall.
        assert len(blocks) >= 10
        assert not lost
    finally:
        pulse.load_mic()
        mic.close()


def test_wav_input_fast_blocks_and_end() -> None:
    samples = np.arange(16000 * 0.1 + 100, dtype=np.int16)  # 5 full blocks + a partial one
    wav = WavInput(samples)
    blocks = []
    while (block := wav.read(0.0)) is not None:
        blocks.append(block)
    assert [b.size for b in blocks] == [320] * 5 + [100]
    assert np.array_equal(np.concatenate(blocks), samples)
    assert wav.finished and wav.drain() == 0


def test_wav_input_realtime_paces_and_drains() -> None:
    wav = WavInput(np.zeros(16000, np.int16), realtime=True)
    wav.start()
    began = time.monotonic()
    for _ in range(5):
        assert wav.read(1.0) is not None
    assert 0.09 < time.monotonic() - began < 0.2
    assert wav.read(0.0) is None and not wav.finished  # next block not due yet
    time.sleep(0.2)
    assert 8 <= wav.drain() <= 12
    while wav.read(1.0) is not None:
        pass
    assert wav.finished
    assert 0.95 < time.monotonic() - began < 1.2


@pytest.mark.audio
def test_devices_listed_and_usable(pulse: PulseServer) -> None:
    rows = devices.list_devices()
    assert any(r["default_input"] and r["inputs"] > 0 for r in rows)
    assert any(r["default_output"] and r["outputs"] > 0 for r in rows)
    assert {"index", "name", "inputs", "outputs", "default_rate"} <= set(rows[0])
    assert devices.check_audio() is None
    with pytest.raises(AudioError):
        devices.resolve_device("no such device anywhere", "input")


def test_missing_portaudio_becomes_audio_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(AudioError) as info:
        devices.import_sounddevice()
    assert "libportaudio2" in info.value.fix
    problem = devices.check_audio()
    assert problem is not None and "PortAudio" in problem.message
    assert "libportaudio2" in problem.fix


def test_every_missing_device_is_named_once_with_one_fix(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with no sound devices at all: doctor says so in one line, then the fix."""
    monkeypatch.setattr(devices, "list_devices", lambda: [])
    problem = devices.check_audio()
    assert problem is not None
    assert problem.message == ("no microphone (input device) found; "
                               "no speaker (output device) found")
    assert problem.fix == devices.DEVICE_FIX


def test_devices_with_nothing_to_list_says_so_with_the_fix(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from companion.cli import main

    monkeypatch.setattr(devices, "list_devices", lambda: [])
    assert main(["devices"]) != 0
    err = capsys.readouterr().err
    assert "no audio devices found" in err and devices.DEVICE_FIX in err


def test_doctor_checks_every_part_on_the_virtual_devices(
        pulse: PulseServer, companion_home: Path) -> None:
    """`companion doctor` in a subprocess: with the virtual devices every part passes,
    each on its own line; with a region nobody knows, that check fails with its fix."""
    import os

    env = {**os.environ, **pulse.env, "COMPANION_HOME": str(companion_home),
           "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "companion", "doctor", "--engine",
                           "pocketsphinx"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    for part in ("recognizer", "vosk model", "voice profile", "speech", "audio", "content",
                 "store"):
        assert f"ok   {part}: " in done.stdout, done.stdout
    (companion_home / "config").mkdir(exist_ok=True)
    (companion_home / "config" / "settings.toml").write_text('region = "Atlantis"\n')
    broken = subprocess.run([sys.executable, "-m", "companion", "doctor", "--engine",
                             "pocketsphinx"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert broken.returncode == 1
    assert "fail content: unknown region 'Atlantis' in the config's region" in broken.stdout
    assert "fix: use one of: " in broken.stdout
